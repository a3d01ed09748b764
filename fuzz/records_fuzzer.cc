// libFuzzer target: the binary record decoders shared by the snapshot
// files and RocksDB values (catalog items, user histories, logged events,
// customer records, experiments, exposures). The first byte picks the decoder.
// A record that decodes must encode again to bytes that decode to a record
// encoding to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz/small_snapshot.h"
#include "storage/coding.h"
#include "storage/records.h"

namespace tailor {
namespace {

template <typename Record, typename DecodeFn, typename EncodeFn>
void RoundTrip(absl::string_view bytes, DecodeFn decode, EncodeFn encode) {
  Record first;
  Decoder d(bytes);
  if (!decode(&d, &first)) return;
  Encoder once;
  encode(first, &once);
  Record second;
  Decoder again(once.buffer());
  if (!decode(&again, &second)) std::abort();
  Encoder twice;
  encode(second, &twice);
  if (once.buffer() != twice.buffer()) std::abort();
}

// TAILOR_FUZZ_WRITE_SEEDS=DIR writes the seed corpus: one encoded record of
// each kind behind its selector byte.
void WriteSeeds(const char* dir) {
  auto write = [&](const char* name, char selector, const std::string& body) {
    std::FILE* f = std::fopen((std::string(dir) + "/" + name).c_str(), "wb");
    if (f == nullptr) std::abort();
    std::fputc(selector, f);
    std::fwrite(body.data(), 1, body.size(), f);
    std::fclose(f);
  };
  Encoder item;
  EncodeItem(SmallSnapshot().catalog[0], &item);
  write("item", 0, item.buffer());
  Encoder history;
  EncodeHistory({7, {{"A", 3, 8.0f, 1}, {"B", 1, 1.0f, 0}}}, &history);
  write("history", 1, history.buffer());
  Encoder event;
  EncodeLoggedEvent(
      {"e1", {"u", "A", EventType::kPurchase, 1767225600, 2, 99.5}, 42},
      &event);
  write("event", 2, event.buffer());
  CustomerRecord r;
  r.profile.orders = 2;
  r.profile.gross = 50;
  r.profile.categories = {{"tops", 0.5f}};
  r.rfm = RfmScores{4, 4, 4, 4, RfmSegment::kLoyal};
  r.cluster = 1;
  r.purchase_propensity = 0.4f;
  Encoder customer;
  EncodeCustomerRecord(r, &customer);
  write("customer", 3, customer.buffer());
  Encoder exposure;
  EncodeExposure({"0123", "u", "x", "a", "als", 1767225600, 0.5, {"A", "B"}},
                 &exposure);
  write("exposure", 5, exposure.buffer());
}

}  // namespace
}  // namespace tailor

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("TAILOR_FUZZ_WRITE_SEEDS")) {
    tailor::WriteSeeds(dir);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tailor;  // NOLINT: a fuzz entry point outside the namespace
  if (size == 0) return 0;
  const absl::string_view bytes(reinterpret_cast<const char*>(data + 1),
                                size - 1);
  switch (data[0] % 6) {
    case 0:
      RoundTrip<Item>(bytes, DecodeItem, EncodeItem);
      break;
    case 1:
      RoundTrip<UserHistory>(bytes, DecodeHistory, EncodeHistory);
      break;
    case 2:
      RoundTrip<LoggedEvent>(bytes, DecodeLoggedEvent, EncodeLoggedEvent);
      break;
    case 3:
      RoundTrip<CustomerRecord>(bytes, DecodeCustomerRecord,
                                EncodeCustomerRecord);
      break;
    case 4:
      RoundTrip<Experiment>(bytes, DecodeExperiment, EncodeExperiment);
      break;
    case 5:
      RoundTrip<Exposure>(bytes, DecodeExposure, EncodeExposure);
      break;
  }
  return 0;
}

// libFuzzer target: request parsing, validation and the handler logic of
// RecommendFor, GetSegment, TargetAudience, RecordEvents and UpdateCatalog
// (whose new and retired products the later requests then see), on a small
// served snapshot over an in-memory store. The first byte picks the RPC; the
// rest is the request's wire bytes, parsed as the server parses them
// (server/wire.h). A request must be answered or refused with a status,
// never crash the process.
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "fuzz/small_snapshot.h"
#include "server/event_writer.h"
#include "server/recommender_service.h"
#include "server/serving_state.h"
#include "server/wire.h"
#include "storage/memory_state_store.h"

namespace tailor {
namespace {

// What every input is served by. Thread safety: one fuzzer thread.
struct Served {
  Served() : writer(&store), service(&holder, &store, &writer) {
    auto state = BuildServingState(SmallSnapshot(), &store);
    if (!state.ok()) std::abort();
    holder.Set(*std::move(state));
  }
  MemoryStateStore store;
  ServingStateHolder holder;
  EventWriter writer;
  RecommenderService service;
};

template <typename Request, typename Response, typename Handle>
void Serve(const grpc::ByteBuffer& buffer, Handle handle) {
  Request request;
  if (!ParseRequest(buffer, &request).ok()) return;
  Response response;
  (void)handle(request, &response);
}

}  // namespace
}  // namespace tailor

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tailor;  // NOLINT: a fuzz entry point outside the namespace
  // Recorded events and catalog changes accumulate in the store: start
  // afresh now and then, so that a long run's memory stays bounded.
  static std::unique_ptr<Served> served;
  static int64_t inputs = 0;
  if (inputs++ % 50000 == 0) {
    served.reset();
    served = std::make_unique<Served>();
  }
  if (size == 0) return 0;
  grpc::Slice slice(data + 1, size - 1);
  const grpc::ByteBuffer buffer(&slice, 1);
  const RecommenderService& s = served->service;
  switch (data[0] % 5) {
    case 0:
      Serve<v1::RecommendRequest, v1::RecommendResponse>(
          buffer, [&](const auto& q, auto* r) { return s.Recommend(q, r); });
      break;
    case 1:
      Serve<v1::GetSegmentRequest, v1::Segment>(
          buffer, [&](const auto& q, auto* r) { return s.Segment(q, r); });
      break;
    case 2:
      Serve<v1::TargetAudienceRequest, v1::TargetAudienceResponse>(
          buffer, [&](const auto& q, auto* r) { return s.Audience(q, r); });
      break;
    case 3:
      Serve<v1::RecordEventsRequest, v1::RecordEventsResponse>(
          buffer, [&](const auto& q, auto* r) { return s.Record(q, r); });
      break;
    case 4:
      Serve<v1::UpdateCatalogRequest, v1::UpdateCatalogResponse>(
          buffer, [&](const auto& q, auto* r) { return s.Catalog(q, r); });
      break;
  }
  return 0;
}

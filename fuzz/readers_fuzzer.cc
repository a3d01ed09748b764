// libFuzzer target: the input-file readers (events CSV, catalog CSV,
// MovieLens ratings and items, Online Retail). The first byte picks the
// reader; the rest is the file. Every reader must either accept a row or
// count it as skipped with a reason, and never crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/data/readers.h"
#include "fuzz/fuzz_file.h"

namespace tailor {
namespace {

void Check(const ReadReport& report) {
  if (report.accepted + report.skipped != report.rows) std::abort();
}

}  // namespace
}  // namespace tailor

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tailor;  // NOLINT: a fuzz entry point outside the namespace
  if (size == 0) return 0;
  const uint8_t which = data[0] % 5;
  static FuzzFile& file = *new FuzzFile();
  file.Set(data + 1, size - 1);
  ReadOptions options;
  options.background_parsing = false;
  ReadReport report;
  switch (which) {
    case 0: {
      int64_t events = 0;
      (void)ReadEventsCsv(
          file.path(), options, [&](Event&&) { ++events; }, &report);
      if (events != report.accepted) std::abort();
      Check(report);
      break;
    }
    case 1:
      (void)ReadCatalogCsv(file.path(), options, &report);
      break;
    case 2:
      (void)ReadMovieLensRatings(
          file.path(), options, [](Event&&) {}, &report);
      break;
    case 3:
      (void)ReadMovieLensItems(file.path(), options, &report);
      break;
    case 4:
      (void)ReadOnlineRetailCsv(
          file.path(), options, [](OrderLine&&) {}, &report);
      break;
  }
  return 0;
}

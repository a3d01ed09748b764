// Shared by the exact scans (exact_retriever.cc, quantized_retriever.cc):
// the block size, splitting one scan across threads, and the threshold the
// parts share. Internal to core/retrieval/.
#ifndef TAILOR_CORE_RETRIEVAL_SCAN_PARTS_H_
#define TAILOR_CORE_RETRIEVAL_SCAN_PARTS_H_

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>

#include "core/base/parallel.h"
#include "core/retrieval/exact_retriever.h"

namespace tailor {

namespace retrieval_internal {

// Rows scored per kernel call: 1024 fp32 rows of 64 floats are 256 KiB,
// which stays in L2 while the block's scores are examined.
inline constexpr int64_t kBlock = 1024;

// Number of parts to split a scan of n rows into.
inline int PartsFor(int64_t n, const ExactOptions& options) {
  const int64_t by_size = std::max<int64_t>(
      1, n / std::max<int64_t>(1, options.min_items_per_thread));
  return static_cast<int>(
      std::min<int64_t>(ResolveThreadCount(options.threads), by_size));
}

// Runs fn(part) for part in [0, parts), one thread each (the caller's
// thread takes part 0).
template <typename Fn>
void RunParts(int parts, const Fn& fn) {
  if (parts <= 1) {
    fn(0);
    return;
  }
  ParallelFor(parts, parts, 1, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) fn(static_cast<int>(p));
  });
}

// The best k-th score any part of one search has found: every part's k-th
// best bounds the whole answer's k-th best from below, so all parts may
// skip what scores under the largest of them.
// Thread safety: Get and Raise may be called from many threads at once.
class SharedThreshold {
 public:
  float Get() const { return value_.load(std::memory_order_relaxed); }
  void Raise(float t) {
    float current = Get();
    while (t > current && !value_.compare_exchange_weak(
                              current, t, std::memory_order_relaxed)) {
    }
  }

 private:
  std::atomic<float> value_{-std::numeric_limits<float>::infinity()};
};

}  // namespace retrieval_internal

}  // namespace tailor

#endif  // TAILOR_CORE_RETRIEVAL_SCAN_PARTS_H_

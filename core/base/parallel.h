// A minimal parallel-for over an index range, for the training loops.
#ifndef TAILOR_CORE_BASE_PARALLEL_H_
#define TAILOR_CORE_BASE_PARALLEL_H_

#include <cstdint>
#include <functional>

namespace tailor {

// Number of worker threads to use: `requested`, or when the caller asks for
// "all cores" (0) the CPUs the process may use (UsableCpus(), read once).
int ResolveThreadCount(int requested);

// Calls fn(begin, end) on disjoint chunks that cover [0, n), using up to
// `num_threads` threads (0 = all hardware threads). Chunks are handed out
// dynamically in pieces of `grain` indices, so uneven work balances out.
// Blocks until every chunk is done. `fn` must be safe to call concurrently
// on disjoint ranges. With num_threads == 1 everything runs on the caller's
// thread, in order, which makes results bit-for-bit reproducible.
void ParallelFor(int64_t n, int num_threads, int64_t grain,
                 const std::function<void(int64_t begin, int64_t end)>& fn);

}  // namespace tailor

#endif  // TAILOR_CORE_BASE_PARALLEL_H_

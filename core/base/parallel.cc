#include "core/base/parallel.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "core/base/cpus.h"

namespace tailor {

int ResolveThreadCount(int requested) {
  return requested > 0 ? requested : UsableCpus();
}

void ParallelFor(int64_t n, int num_threads, int64_t grain,
                 const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  const int threads = static_cast<int>(std::min<int64_t>(
      ResolveThreadCount(num_threads), (n + grain - 1) / grain));
  if (threads <= 1) {
    fn(0, n);
    return;
  }
  std::atomic<int64_t> next{0};
  auto worker = [&] {
    for (;;) {
      const int64_t begin = next.fetch_add(grain, std::memory_order_relaxed);
      if (begin >= n) return;
      fn(begin, std::min(n, begin + grain));
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
}

}  // namespace tailor

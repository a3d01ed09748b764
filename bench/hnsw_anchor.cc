#include "bench/hnsw_anchor.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "hnswlib/hnswlib.h"

namespace tailor {

struct HnswAnchor::Impl {
  explicit Impl(int dim) : space(dim) {}
  hnswlib::InnerProductSpace space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> index;
};

HnswAnchor::HnswAnchor(const float* data, int64_t n, int dim, int m,
                       int ef_construction, int threads)
    : impl_(std::make_unique<Impl>(dim)) {
  impl_->index = std::make_unique<hnswlib::HierarchicalNSW<float>>(
      &impl_->space, n, m, ef_construction);
  // The first point alone, then the rest concurrently (hnswlib supports
  // concurrent insertion).
  impl_->index->addPoint(data, 0);
  std::atomic<int64_t> next{1};
  std::vector<std::thread> pool;
  for (int t = 0; t < std::max(1, threads); ++t) {
    pool.emplace_back([&] {
      for (int64_t i = next++; i < n; i = next++) {
        impl_->index->addPoint(data + i * dim, static_cast<size_t>(i));
      }
    });
  }
  for (std::thread& t : pool) t.join();
}

HnswAnchor::~HnswAnchor() = default;

void HnswAnchor::Search(const float* query, int k, int ef,
                        std::vector<int32_t>* out) const {
  // setEf is not thread-safe in hnswlib 0.6; callers search with one ef
  // at a time.
  impl_->index->setEf(std::max(ef, k));
  auto result = impl_->index->searchKnn(query, k);
  out->resize(result.size());
  for (size_t i = result.size(); i-- > 0;) {
    (*out)[i] = static_cast<int32_t>(result.top().second);
    result.pop();
  }
}

}  // namespace tailor

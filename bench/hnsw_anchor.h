// hnswlib (Debian's libhnswlib-dev), the library anchor for the approximate
// path. Compiled in its own translation unit with AVX2 + FMA, which is how
// hnswlib picks its SIMD distance functions (at compile time); the rest of
// the benchmark keeps the default flags, so no Eigen object crosses the two.
#ifndef TAILOR_BENCH_HNSW_ANCHOR_H_
#define TAILOR_BENCH_HNSW_ANCHOR_H_

#include <cstdint>
#include <memory>
#include <vector>

namespace tailor {

// An hnswlib inner-product index over rows of `dim` floats.
// Thread safety: Search may be called from many threads once built.
class HnswAnchor {
 public:
  // Builds over n rows of `data` (row-major), inserting on `threads`
  // threads.
  HnswAnchor(const float* data, int64_t n, int dim, int m, int ef_construction,
             int threads);
  ~HnswAnchor();
  // The k best items (best first) with search width `ef`.
  void Search(const float* query, int k, int ef,
              std::vector<int32_t>* out) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tailor

#endif  // TAILOR_BENCH_HNSW_ANCHOR_H_

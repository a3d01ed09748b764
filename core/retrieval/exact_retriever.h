// Exact top-N in fp32 over aligned rows stored by decreasing norm.
#ifndef TAILOR_CORE_RETRIEVAL_EXACT_RETRIEVER_H_
#define TAILOR_CORE_RETRIEVAL_EXACT_RETRIEVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/base/matrix.h"
#include "core/retrieval/aligned_rows.h"
#include "core/retrieval/collectors.h"
#include "core/retrieval/retriever.h"
#include "core/retrieval/simd.h"

namespace tailor {

class RequiredSetCache;
struct CompactSet;

struct ExactOptions {
  // Threads one search may use (0: all cores). A catalog is split only when
  // each part has at least min_items_per_thread items.
  int threads = 0;
  int64_t min_items_per_thread = int64_t{1} << 18;
  // Rows are stored by decreasing norm, and a scan stops at the first block
  // whose largest possible score (|query| times the block's largest norm)
  // cannot beat the k-th best score found: exact, and on trained factors
  // (whose norms follow popularity) most of the catalog is never read.
  // false scans everything (for benchmarks).
  bool prune_by_norm = true;
  // A search requiring a set that keeps at most this share of the catalog
  // (a category, a rare size) scores only that set's members, by
  // decreasing norm from a cached copy of their positions (see
  // required_sets.h), instead of scanning the catalog; 0: never. The int8
  // path copies their codes too.
  double compact_share = 0.125;
  // Kernels to use; null means BestKernels().
  const DotKernels* kernels = nullptr;
};

// Scores eligible items with SIMD inner products over aligned rows and
// keeps a bounded heap; splits large catalogs across threads, which share
// their thresholds. Returns exactly the brute-force answer (up to float
// summation order).
// Thread safety: Search may be called from many threads at once; the
// cache of selective sets' copies is guarded by a mutex, the rest is
// immutable after construction.
class ExactRetriever : public Retriever {
 public:
  // Copies `items` into aligned rows, by decreasing norm.
  explicit ExactRetriever(const RowMatrix& items, ExactOptions options = {});
  ~ExactRetriever() override;
  int32_t num_items() const override {
    return static_cast<int32_t>(rows_.rows());
  }
  int dim() const override { return rows_.dim(); }
  void Search(const float* query, const SearchParams& params,
              std::vector<ScoredItem>* out) const override;
  size_t memory_bytes() const override;
  // Scans the catalog once for all the batch's full-catalog searches, on
  // the calling thread: each block of rows is scored for every search that
  // can still improve while it is in cache.
  void SearchBatch(const std::vector<BatchQuery>& batch) const override;

  // Exact scores of `items` (any order, valid indexes) for a query already
  // padded to the row stride.
  void ScoreItems(const float* padded_query, const int32_t* items, int64_t n,
                  float* out) const;
  // Item `item`'s aligned, padded row.
  const float* row_of(int32_t item) const { return rows_.row(position_[item]); }
  int64_t stride() const { return rows_.stride(); }
  const ExactOptions& options() const { return options_; }
  const DotKernels& kernels() const { return *kernels_; }
  // Storage order: order()[position] is the item stored there; norms()
  // (non-increasing when pruning) are by position.
  const std::vector<int32_t>& order() const { return order_; }
  const std::vector<float>& norms() const { return norm_; }

 private:
  // Scores rows at positions [begin, begin + len) against a padded query
  // into `scores` and offers `top` each eligible item not below
  // `threshold` (raised as `top` fills), then refreshes `top`.
  void ScanBlock(int64_t begin, int64_t len, const float* padded_query,
                 float threshold, const ItemFilter& filter,
                 CappedCollector* top, float* scores) const;
  // Scores the members of filter.require[set_index] (`set`), by decreasing
  // norm until none can reach the k-th best score.
  void SearchCompact(const float* query, const SearchParams& params,
                     const CompactSet& set, int set_index,
                     std::vector<ScoredItem>* out) const;

  AlignedRows<float> rows_;  // by position
  std::vector<int32_t> order_;
  std::vector<int32_t> position_;  // by item
  std::vector<float> norm_;        // by position
  ExactOptions options_;
  const DotKernels* kernels_;
  std::unique_ptr<RequiredSetCache> required_sets_;  // positions only
};

}  // namespace tailor

#endif  // TAILOR_CORE_RETRIEVAL_EXACT_RETRIEVER_H_

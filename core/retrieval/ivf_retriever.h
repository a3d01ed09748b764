// Approximate top-N for large catalogs: an inverted file (IVF). The trainer
// splits the items into k-means lists (an IvfPartition, built by
// core/models/ivf_build.h and stored in the snapshot); a search scores the list
// centroids, scans the items of the most promising lists with int8 codes, and
// re-scores in fp32 only the items whose error bounds say they might be in the
// answer. Within the lists it scans, the answer is exact; what it may miss are
// items in lists it did not probe, which is what the `probe` knob trades
// against speed and what the trainer's recall measurement reports.
#ifndef TAILOR_CORE_RETRIEVAL_IVF_RETRIEVER_H_
#define TAILOR_CORE_RETRIEVAL_IVF_RETRIEVER_H_

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/matrix.h"
#include "core/retrieval/aligned_rows.h"
#include "core/retrieval/collectors.h"
#include "core/retrieval/int8_rows.h"
#include "core/retrieval/ivf_partition.h"
#include "core/retrieval/required_sets.h"
#include "core/retrieval/retriever.h"

namespace tailor {

struct IvfOptions {
  // Search width: lists scanned per search, at least (the best-scoring
  // centroids first). More lists: higher recall, slower searches. Lists
  // are stored by decreasing norm and a list's scan stops where its norms
  // cannot beat the k-th best score, so extra lists are cheap.
  int probe = 32;
  // The width for searches with a filter (required sets or a value
  // range), whose answer reaches further down the ranking; 0 means twice
  // `probe`.
  int filtered_probe = 0;
  // Filtered searches also go on until the lists scanned hold, by the
  // share of eligible items seen so far, at least this many eligible items
  // per requested item, so that a filter keeping 0.1% of the catalog still
  // finds a full list.
  int min_eligible_per_k = 10;
  // Required sets keeping at most this share of the catalog are searched
  // exactly through a compact copy of their codes (0: never), and the
  // copies kept take at most compact_bytes.
  double compact_share = 0.125;
  size_t compact_bytes = size_t{256} << 20;
  const DotKernels* kernels = nullptr;  // null: BestKernels()
};

// Searches an IvfPartition. Searches with a candidate list score exactly
// those candidates (exact answer). A search whose required sets
// (ItemFilter::require) include a selective one (at most
// IvfOptions::compact_share of the catalog) scans that set's compact copy
// instead of the lists: exact, and it reads only the set's codes (see
// required_sets.h). The other searches are approximate as described above;
// a zero query returns the lowest eligible indexes. Required sets are
// tested in list order: each set is copied once into the retriever's
// position order (about 1 ms at 1 M items) and the copy is reused while a
// set with the same contents comes back (the per-snapshot stock, size and
// category sets do), so a block's eligibility is a word of bits instead of
// a lookup per item.
// Thread safety: Search may be called from many threads at once; the
// cache of set copies is guarded by a mutex, the rest is immutable after
// construction.
class IvfRetriever : public Retriever {
 public:
  // `partition` must be valid for `items` (IvfPartition::Validate).
  IvfRetriever(const RowMatrix& items, const IvfPartition& partition,
               IvfOptions options = {});
  int32_t num_items() const override {
    return static_cast<int32_t>(rows_.rows());
  }
  int dim() const override { return rows_.dim(); }
  void Search(const float* query, const SearchParams& params,
              std::vector<ScoredItem>* out) const override;
  size_t memory_bytes() const override;
  // Search with other widths than options()' (the trainer uses it to
  // choose them); filtered_probe 0 means twice probe.
  void SearchWithProbe(const float* query, const SearchParams& params,
                       int probe, int filtered_probe,
                       std::vector<ScoredItem>* out) const;

  int lists() const { return static_cast<int>(centroids_.codes.rows()); }
  const IvfOptions& options() const { return options_; }

  // What the last search on this thread did (for benchmarks and tests).
  struct Stats {
    int lists_scanned = 0;
    int64_t items_scanned = 0;  // codes scored
    int64_t rescored = 0;       // fp32 re-scores
  };
  static Stats last_stats();

 private:
  void SearchCandidates(const float* query, const SearchParams& params,
                        std::vector<ScoredItem>* out) const;
  void SearchZero(const SearchParams& params,
                  std::vector<ScoredItem>* out) const;
  // Pass 1 over the lists, best centroids first, for probe_lists (or, with
  // a filter, filtered_probe_lists) lists or more: offers `lower` the
  // guaranteed scores and appends (position, upper bound) of the items
  // that might be in the answer to `maybe`. `required` holds the copies of
  // params.filter.require, and `rest` the filter without them.
  void ScanLists(
      const Int8Query& q8, const SearchParams& params, int probe_lists,
      int filtered_probe_lists,
      const std::vector<std::shared_ptr<const RequiredSetCopy>>& required,
      const ItemFilter& rest, CappedCollector* lower,
      std::vector<std::pair<int32_t, float>>* maybe, Stats* stats) const;

  IvfOptions options_;
  const DotKernels* kernels_;
  Int8Rows centroids_;  // slack unused
  std::vector<int64_t> list_begin_;
  std::vector<float> list_norm_;  // each list's largest norm
  // By position: lists one after another, each by decreasing norm.
  AlignedRows<float> rows_;
  Int8Rows codes_;
  std::vector<float> norm_;
  std::vector<int32_t> item_;       // by position
  std::vector<int32_t> position_;   // by item
  RequiredSetCache required_sets_;  // over item_, norm_ and codes_
};

}  // namespace tailor

#endif  // TAILOR_CORE_RETRIEVAL_IVF_RETRIEVER_H_

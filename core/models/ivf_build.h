// Building and tuning the approximate index: the trainer splits the item
// factors into k-means lists (an IvfPartition) and chooses the search widths
// that keep recall against exact search above its targets.
#ifndef TAILOR_CORE_MODELS_IVF_BUILD_H_
#define TAILOR_CORE_MODELS_IVF_BUILD_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "core/base/matrix.h"
#include "core/retrieval/ivf_partition.h"
#include "core/retrieval/retriever.h"

namespace tailor {

struct IvfBuildOptions {
  // Number of lists; 0 picks about 2 sqrt(items) (2,000 at 1 M items:
  // lists small enough that the scan of a probed list stops early), at
  // least 1.
  int lists = 0;
  // k-means runs on at most this many sampled items per list (then every
  // item is assigned to its nearest centroid).
  int sample_per_list = 64;
  int iterations = 15;
  int threads = 0;
  uint64_t seed = 42;
};

// k-means lists of the rows of `items`. Deterministic for a seed. Fails on
// an empty matrix or a non-finite value.
absl::StatusOr<IvfPartition> BuildIvfPartition(const RowMatrix& items,
                                               const IvfBuildOptions& options);

// The share of `truth`'s items that `got` contains (1 when truth is empty):
// recall of an approximate answer against the exact one.
double RecallOf(const std::vector<ScoredItem>& truth,
                const std::vector<ScoredItem>& got);

struct IvfTuneOptions {
  // The smallest width (1, 2, 3, ... growing by a quarter, up to every
  // list) meeting both recalls is chosen as probe; then the smallest
  // filtered width (from probe, growing the same way) meeting both with a
  // filter that keeps filter_share of the catalog (random items). The
  // default is just above IvfOptions::compact_share: the most selective
  // filter the lists serve (more selective sets are searched exactly).
  double min_recall_at_10 = 0.99;
  double min_recall_at_100 = 0.97;
  double filter_share = 0.15;
  uint64_t seed = 42;
};

// Recall of an IvfRetriever against the exact answer, averaged over
// queries (the share of the exact top k it returns).
struct IvfEvaluation {
  int probe = 0;
  int filtered_probe = 0;
  int queries = 0;
  double recall_at_10 = 0;
  double recall_at_100 = 0;
  // With IvfTuneOptions::filter_share, at filtered_probe.
  double recall_at_10_filtered = 0;
  double recall_at_100_filtered = 0;
  double items_scanned = 0;  // per search, at count 100
};

// Chooses the search widths for `partition` on `queries` (rows of the
// items' dimension, e.g. sampled user embeddings). When no width meets the
// targets, the widest (every list: exact) is chosen. Fails on an invalid
// partition or no queries.
absl::StatusOr<IvfEvaluation> TuneIvfProbe(const RowMatrix& items,
                                           const IvfPartition& partition,
                                           const RowMatrix& queries,
                                           const IvfTuneOptions& options = {});

}  // namespace tailor

#endif  // TAILOR_CORE_MODELS_IVF_BUILD_H_

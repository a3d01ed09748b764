// The inverted-file (IVF) partition of a catalog's item factors: k-means
// lists that the trainer builds (core/models/ivf_build.h), the snapshot
// stores and IvfRetriever searches.
#ifndef TAILOR_CORE_RETRIEVAL_IVF_PARTITION_H_
#define TAILOR_CORE_RETRIEVAL_IVF_PARTITION_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "core/base/matrix.h"

namespace tailor {

// The items split into lists: list l holds items[list_begin[l] ..
// list_begin[l + 1]), and centroids.row(l) is their mean.
// Thread safety: a plain value; immutable once built.
struct IvfPartition {
  RowMatrix centroids;              // lists x dim
  std::vector<int64_t> list_begin;  // lists + 1 offsets into items
  std::vector<int32_t> items;       // every item exactly once
  // The search widths the trainer chose for this partition, unfiltered and
  // filtered (0: none; see IvfOptions and TuneIvfProbe).
  int probe = 0;
  int filtered_probe = 0;

  int lists() const { return static_cast<int>(centroids.rows()); }
  bool empty() const { return centroids.rows() == 0; }
  // Checks that the partition covers exactly `num_items` items of `dim`
  // factors, that offsets are consistent and every centroid is finite.
  absl::Status Validate(int32_t num_items, int dim) const;
};

}  // namespace tailor

#endif  // TAILOR_CORE_RETRIEVAL_IVF_PARTITION_H_

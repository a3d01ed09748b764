// Exact top-N that reads a quarter of the bytes: an int8 first pass, then
// fp32 re-scoring of the items that might be in the answer.
#ifndef TAILOR_CORE_RETRIEVAL_QUANTIZED_RETRIEVER_H_
#define TAILOR_CORE_RETRIEVAL_QUANTIZED_RETRIEVER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "core/base/matrix.h"
#include "core/retrieval/exact_retriever.h"
#include "core/retrieval/int8_rows.h"
#include "core/retrieval/retriever.h"

namespace tailor {

class RequiredSetCache;
struct CompactSet;

// int8 codes with a per-item scale for a first pass over the whole
// catalog (a quarter of the fp32 bytes), then fp32 re-scoring of the items
// that might be in the answer. Each item also stores a bound on its
// quantization error, so an item is dropped only when its best possible
// score is below the k-th best guaranteed score: the answer equals the
// exact one (up to float summation order), not just most of it. A search
// requiring a selective set (ExactOptions::compact_share) scans
// only that set's members, through a cached compact copy of their codes
// (see required_sets.h).
// Thread safety: Search may be called from many threads at once; the
// cache of set copies is guarded by a mutex, the rest is immutable.
class QuantizedRetriever : public Retriever {
 public:
  explicit QuantizedRetriever(const RowMatrix& items,
                              ExactOptions options = {});
  ~QuantizedRetriever() override;
  int32_t num_items() const override { return exact_.num_items(); }
  int dim() const override { return exact_.dim(); }
  void Search(const float* query, const SearchParams& params,
              std::vector<ScoredItem>* out) const override;
  size_t memory_bytes() const override;

  // How many items the last search on this thread re-scored in fp32 (for
  // benchmarks and tests).
  static int64_t last_rescored();

 private:
  // Pass 1 over a compact copy of filter.require[set_index], then pass 2.
  void SearchCompact(const float* query, const Int8Query& q8,
                     const SearchParams& params, const CompactSet& set,
                     int set_index, std::vector<ScoredItem>* out) const;
  // Pass 2: the best of `items` by exact fp32 score.
  void Rescore(const float* query, const SearchParams& params,
               const std::vector<int32_t>& items,
               std::vector<ScoredItem>* out) const;

  ExactRetriever exact_;
  // By position, in exact_'s storage order.
  Int8Rows codes_;
  std::unique_ptr<RequiredSetCache> required_sets_;  // over codes_
};

}  // namespace tailor

#endif  // TAILOR_CORE_RETRIEVAL_QUANTIZED_RETRIEVER_H_

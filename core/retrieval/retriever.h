// Top-N retrieval over item factors: one small interface (Retriever) and
// what a search asks for (SearchParams, ItemFilter). The implementations,
// one per file, all honour the same filters and per-group caps inside the
// scan: exact_retriever.h (fp32), quantized_retriever.h (int8 first pass,
// fp32 re-scoring), ivf_retriever.h (approximate), batching_retriever.h
// (micro-batches over any of them).
#ifndef TAILOR_CORE_RETRIEVAL_RETRIEVER_H_
#define TAILOR_CORE_RETRIEVAL_RETRIEVER_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/retrieval/item_set.h"

namespace tailor {

// One item of a top-N answer: its index and its score (an inner product).
struct ScoredItem {
  int32_t item;
  float score;
  bool operator==(const ScoredItem&) const = default;
};

// The order of every top-N list: higher score first, ties broken by the
// lower item index.
inline bool RanksBefore(const ScoredItem& a, const ScoredItem& b) {
  return a.score > b.score || (a.score == b.score && a.item < b.item);
}

// Which items a search may return. Every part is optional; an item is
// eligible when it passes all of them. The sets are typically shared by
// every request of a snapshot (in stock, per size, per category) and only
// `exclude` is built per request.
// Thread safety: a plain value; Accepts may be called concurrently.
struct ItemFilter {
  // Never these (already seen, on the page, ...).
  const ItemSet* exclude = nullptr;
  // Only items in every one of these sets.
  std::vector<const ItemSet*> require;
  // Only items whose value (e.g. price) lies in [min_value, max_value].
  const float* values = nullptr;
  float min_value = -std::numeric_limits<float>::infinity();
  float max_value = std::numeric_limits<float>::infinity();
  // When set, only these items (ascending, unique, valid indexes) are
  // considered at all: the search scores just them instead of scanning the
  // catalog, which is what makes a filter that keeps 1% of the catalog
  // cheap.
  const std::vector<int32_t>* candidates = nullptr;

  // Whether `item` passes everything but `candidates` (the scans check
  // candidates by construction).
  bool Accepts(int32_t item) const {
    if (exclude != nullptr && exclude->Contains(item)) return false;
    for (const ItemSet* s : require) {
      if (!s->Contains(item)) return false;
    }
    if (values != nullptr &&
        !(values[item] >= min_value && values[item] <= max_value)) {
      return false;
    }
    return true;
  }
  // Whether `item` passes everything, `candidates` included.
  bool Eligible(int32_t item) const {
    return (candidates == nullptr ||
            std::binary_search(candidates->begin(), candidates->end(), item)) &&
           Accepts(item);
  }
};

// What to search for.
struct SearchParams {
  explicit SearchParams(int k = 10) : k(k) {}
  // How many items to return.
  int k;
  ItemFilter filter;
  // Per-group caps (e.g. at most 3 items per category): when group_of is
  // set and max_per_group > 0, at most max_per_group items of each group
  // (group_of[item] >= 0) are returned; items with a negative group are not
  // capped. The answer is the best list that respects the caps.
  const int32_t* group_of = nullptr;
  int max_per_group = 0;
};

// One search of a batch: its query, what to search for, and where the
// answer goes.
struct BatchQuery {
  const float* query;
  const SearchParams* params;
  std::vector<ScoredItem>* out;
};

// Finds the items with the highest inner product with a query vector.
// Thread safety: implementations are immutable after construction and Search
// may be called from many threads at once.
class Retriever {
 public:
  virtual ~Retriever() = default;
  virtual int32_t num_items() const = 0;
  virtual int dim() const = 0;
  // Writes the best min(k, eligible items) items, ordered by RanksBefore, to
  // `out`: only items params.filter accepts, and respecting the group caps.
  // `query` has dim() floats.
  virtual void Search(const float* query, const SearchParams& params,
                      std::vector<ScoredItem>* out) const = 0;
  // Bytes held for searching (factors, codes, side tables).
  virtual size_t memory_bytes() const = 0;
  // Runs several searches; each answer equals what Search gives for it.
  // Implementations may share work between them (ExactRetriever reads each
  // block of rows once for the whole batch); this default runs them one by
  // one.
  virtual void SearchBatch(const std::vector<BatchQuery>& batch) const {
    for (const BatchQuery& q : batch) Search(q.query, *q.params, q.out);
  }
};

}  // namespace tailor

#endif  // TAILOR_CORE_RETRIEVAL_RETRIEVER_H_

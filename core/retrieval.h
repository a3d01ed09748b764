// Top-N retrieval over item factors: one small interface, many
// implementations (exact today; compressed and approximate later).
#ifndef TAILOR_CORE_RETRIEVAL_H_
#define TAILOR_CORE_RETRIEVAL_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "core/matrix.h"

namespace tailor {

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

// A set of item indexes, as a bitmap.
// Thread safety: const methods may be called concurrently.
class ItemSet {
 public:
  explicit ItemSet(int32_t size = 0) : bits_((size + 63) / 64, 0) {}
  void Insert(int32_t i) { bits_[i >> 6] |= uint64_t{1} << (i & 63); }
  bool Contains(int32_t i) const { return (bits_[i >> 6] >> (i & 63)) & 1; }

 private:
  std::vector<uint64_t> bits_;
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
  // `out`, skipping items in `exclude` (may be null). `query` has dim()
  // floats.
  virtual void Search(const float* query, int k, const ItemSet* exclude,
                      std::vector<ScoredItem>* out) const = 0;
};

// Scores every item (blocked matrix-vector products) and keeps a bounded
// heap. Returns exactly BruteForceTopN's answer.
class ExactRetriever : public Retriever {
 public:
  // `items` must outlive the retriever.
  explicit ExactRetriever(const RowMatrix* items) : items_(items) {}
  int32_t num_items() const override {
    return static_cast<int32_t>(items_->rows());
  }
  int dim() const override { return static_cast<int>(items_->cols()); }
  void Search(const float* query, int k, const ItemSet* exclude,
              std::vector<ScoredItem>* out) const override;

 private:
  const RowMatrix* items_;
};

// The reference answer: scores every item one by one and sorts them all.
std::vector<ScoredItem> BruteForceTopN(const RowMatrix& items,
                                       const float* query, int k,
                                       const ItemSet* exclude);

// Keeps the best `k` items seen so far under RanksBefore.
// Thread safety: not thread-safe.
class TopNCollector {
 public:
  explicit TopNCollector(int k) : k_(k) { heap_.reserve(k); }
  // Worst score still kept, or -inf while not full.
  float threshold() const;
  void Push(ScoredItem s);
  // Moves the kept items, best first, into `out`.
  void Finish(std::vector<ScoredItem>* out);

 private:
  int k_;
  std::vector<ScoredItem> heap_;  // min-heap: the worst kept item on top
};

}  // namespace tailor

#endif  // TAILOR_CORE_RETRIEVAL_H_

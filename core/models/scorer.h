// Ranking models behind one small interface: given a user's history, score
// every item. Factor models (ALS, BPR), item-item models (item-kNN, EASE)
// and the popularity baselines all implement it, so the evaluation harness
// ranks, tunes and compares them the same way.
#ifndef TAILOR_CORE_MODELS_SCORER_H_
#define TAILOR_CORE_MODELS_SCORER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/types/span.h"
#include "core/base/interactions.h"
#include "core/base/matrix.h"
#include "core/retrieval/item_set.h"
#include "core/retrieval/retriever.h"

namespace tailor {

// One user's history: item indexes and their (positive) weights, parallel.
struct HistoryView {
  absl::Span<const int32_t> items;
  absl::Span<const float> weights;
};

// Row `user` of `m` as a HistoryView.
HistoryView HistoryOf(const InteractionMatrix& m, int32_t user);

// Scores all items for a user.
// Thread safety: implementations are immutable after construction and Score
// may be called from many threads at once.
class Scorer {
 public:
  virtual ~Scorer() = default;
  virtual int32_t num_items() const = 0;
  // Writes one score per item (higher is better) to `scores`
  // (num_items() floats). `user` is the user's training row, or -1 for a
  // user the model was not trained on; `history` is what the user did.
  virtual void Score(int32_t user, HistoryView history,
                     absl::Span<float> scores) const = 0;
};

// The best min(k, eligible) items of `scores` under RanksBefore, skipping
// `exclude` (may be null).
std::vector<ScoredItem> TopK(absl::Span<const float> scores, int k,
                             const ItemSet* exclude);

// Dot products of the user's factor row with every item's factors; users
// without a row score 0 everywhere.
class FactorScorer : public Scorer {
 public:
  FactorScorer(RowMatrix user_factors, RowMatrix item_factors)
      : users_(std::move(user_factors)), items_(std::move(item_factors)) {}
  int32_t num_items() const override {
    return static_cast<int32_t>(items_.rows());
  }
  void Score(int32_t user, HistoryView history,
             absl::Span<float> scores) const override;
  const RowMatrix& user_factors() const { return users_; }
  const RowMatrix& item_factors() const { return items_; }

 private:
  RowMatrix users_;
  RowMatrix items_;
};

// The same fixed score per item for everyone (popularity baselines).
class StaticScorer : public Scorer {
 public:
  explicit StaticScorer(std::vector<float> scores)
      : scores_(std::move(scores)) {}
  int32_t num_items() const override {
    return static_cast<int32_t>(scores_.size());
  }
  void Score(int32_t user, HistoryView history,
             absl::Span<float> scores) const override;

 private:
  std::vector<float> scores_;
};

// Popularity within the categories the user favours: score(i) =
// share(category(i)) * popularity(i), where share is the user's
// Laplace-smoothed fraction of history in that category, so items of the
// user's categories come first and popularity orders them.
class CategoryPopularityScorer : public Scorer {
 public:
  // `category[i]` in [0, num_categories) for every item; -1 = none.
  CategoryPopularityScorer(std::vector<float> popularity,
                           std::vector<int32_t> category);
  int32_t num_items() const override {
    return static_cast<int32_t>(popularity_.size());
  }
  void Score(int32_t user, HistoryView history,
             absl::Span<float> scores) const override;

 private:
  std::vector<float> popularity_;
  std::vector<int32_t> category_;
  int32_t num_categories_ = 0;
};

// A sparse item x item weight matrix (CSR): row i lists (neighbour, weight).
struct ItemNeighbors {
  std::vector<int64_t> row_ptr;
  std::vector<int32_t> neighbor;
  std::vector<float> weight;
  int32_t num_items() const {
    return static_cast<int32_t>(row_ptr.empty() ? 0 : row_ptr.size() - 1);
  }
};

// score(j) = sum over history items i of weight(i, j), optionally scaled by
// the history weight.
class NeighborScorer : public Scorer {
 public:
  NeighborScorer(ItemNeighbors neighbors, bool use_history_weights)
      : neighbors_(std::move(neighbors)),
        use_history_weights_(use_history_weights) {}
  int32_t num_items() const override { return neighbors_.num_items(); }
  void Score(int32_t user, HistoryView history,
             absl::Span<float> scores) const override;
  const ItemNeighbors& neighbors() const { return neighbors_; }

 private:
  ItemNeighbors neighbors_;
  bool use_history_weights_;
};

// score = history (binary) x B for a dense item x item matrix B (EASE).
class DenseItemScorer : public Scorer {
 public:
  explicit DenseItemScorer(RowMatrix weights) : b_(std::move(weights)) {}
  int32_t num_items() const override { return static_cast<int32_t>(b_.rows()); }
  void Score(int32_t user, HistoryView history,
             absl::Span<float> scores) const override;
  const RowMatrix& weights() const { return b_; }

 private:
  RowMatrix b_;
};

}  // namespace tailor

#endif  // TAILOR_CORE_MODELS_SCORER_H_

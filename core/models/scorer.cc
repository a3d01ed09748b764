#include "core/models/scorer.h"

#include <algorithm>
#include <limits>

#include "core/retrieval/collectors.h"

namespace tailor {

HistoryView HistoryOf(const InteractionMatrix& m, int32_t user) {
  const int64_t begin = m.row_ptr[user], end = m.row_ptr[user + 1];
  return {absl::MakeConstSpan(m.item.data() + begin, end - begin),
          absl::MakeConstSpan(m.weight.data() + begin, end - begin)};
}

std::vector<ScoredItem> TopK(absl::Span<const float> scores, int k,
                             const ItemSet* exclude) {
  TopNCollector top(k);
  const int32_t n = static_cast<int32_t>(scores.size());
  for (int32_t i = 0; i < n; ++i) {
    if (exclude != nullptr && exclude->Contains(i)) continue;
    if (scores[i] < top.threshold()) continue;
    top.Push({i, scores[i]});
  }
  std::vector<ScoredItem> out;
  top.Finish(&out);
  return out;
}

void FactorScorer::Score(int32_t user, HistoryView,
                         absl::Span<float> scores) const {
  Eigen::Map<Vector> out(scores.data(), items_.rows());
  if (user < 0 || user >= users_.rows()) {
    out.setZero();
    return;
  }
  out.noalias() = items_ * users_.row(user).transpose();
}

void StaticScorer::Score(int32_t, HistoryView, absl::Span<float> scores) const {
  std::copy(scores_.begin(), scores_.end(), scores.begin());
}

CategoryPopularityScorer::CategoryPopularityScorer(
    std::vector<float> popularity, std::vector<int32_t> category)
    : popularity_(std::move(popularity)), category_(std::move(category)) {
  for (int32_t c : category_)
    num_categories_ = std::max(num_categories_, c + 1);
}

void CategoryPopularityScorer::Score(int32_t, HistoryView history,
                                     absl::Span<float> scores) const {
  std::vector<float> share(num_categories_ + 1, 1.0f);  // +1: no category
  for (int32_t i : history.items) {
    const int32_t c = category_[i];
    share[c < 0 ? num_categories_ : c] += 1.0f;
  }
  const float total = static_cast<float>(history.items.size()) +
                      static_cast<float>(share.size());
  for (size_t i = 0; i < popularity_.size(); ++i) {
    const int32_t c = category_[i];
    scores[i] = share[c < 0 ? num_categories_ : c] / total * popularity_[i];
  }
}

void NeighborScorer::Score(int32_t, HistoryView history,
                           absl::Span<float> scores) const {
  std::fill(scores.begin(), scores.end(), 0.0f);
  for (size_t h = 0; h < history.items.size(); ++h) {
    const int32_t i = history.items[h];
    const float scale = use_history_weights_ ? history.weights[h] : 1.0f;
    for (int64_t p = neighbors_.row_ptr[i]; p < neighbors_.row_ptr[i + 1];
         ++p) {
      scores[neighbors_.neighbor[p]] += scale * neighbors_.weight[p];
    }
  }
}

void DenseItemScorer::Score(int32_t, HistoryView history,
                            absl::Span<float> scores) const {
  Eigen::Map<Eigen::RowVectorXf> out(scores.data(), b_.cols());
  out.setZero();
  for (int32_t i : history.items) out += b_.row(i);
}

}  // namespace tailor

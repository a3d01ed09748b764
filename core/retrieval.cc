#include "core/retrieval.h"

#include <algorithm>
#include <limits>

namespace tailor {
namespace {
constexpr Eigen::Index kBlock = 4096;
}  // namespace

float TopNCollector::threshold() const {
  return static_cast<int>(heap_.size()) < k_
             ? -std::numeric_limits<float>::infinity()
             : heap_.front().score;
}

void TopNCollector::Push(ScoredItem s) {
  if (k_ <= 0) return;
  if (static_cast<int>(heap_.size()) < k_) {
    heap_.push_back(s);
    std::push_heap(heap_.begin(), heap_.end(), RanksBefore);
  } else if (RanksBefore(s, heap_.front())) {
    std::pop_heap(heap_.begin(), heap_.end(), RanksBefore);
    heap_.back() = s;
    std::push_heap(heap_.begin(), heap_.end(), RanksBefore);
  }
}

void TopNCollector::Finish(std::vector<ScoredItem>* out) {
  std::sort_heap(heap_.begin(), heap_.end(), RanksBefore);
  *out = std::move(heap_);
  heap_.clear();
}

void ExactRetriever::Search(const float* query, int k, const ItemSet* exclude,
                            std::vector<ScoredItem>* out) const {
  out->clear();
  const Eigen::Index n = items_->rows();
  if (k <= 0 || n == 0) return;
  Eigen::Map<const Vector> q(query, items_->cols());
  TopNCollector top(k);
  Vector scores(std::min(kBlock, n));
  for (Eigen::Index begin = 0; begin < n; begin += kBlock) {
    const Eigen::Index len = std::min(kBlock, n - begin);
    scores.head(len).noalias() = items_->middleRows(begin, len) * q;
    float threshold = top.threshold();
    for (Eigen::Index j = 0; j < len; ++j) {
      const float s = scores[j];
      if (s < threshold) continue;
      const auto item = static_cast<int32_t>(begin + j);
      if (exclude != nullptr && exclude->Contains(item)) continue;
      top.Push({item, s});
      threshold = top.threshold();
    }
  }
  top.Finish(out);
}

std::vector<ScoredItem> BruteForceTopN(const RowMatrix& items,
                                       const float* query, int k,
                                       const ItemSet* exclude) {
  std::vector<ScoredItem> all;
  for (Eigen::Index i = 0; i < items.rows(); ++i) {
    const auto item = static_cast<int32_t>(i);
    if (exclude != nullptr && exclude->Contains(item)) continue;
    float s = 0;
    for (Eigen::Index d = 0; d < items.cols(); ++d) s += items(i, d) * query[d];
    all.push_back({item, s});
  }
  std::sort(all.begin(), all.end(), RanksBefore);
  if (static_cast<int>(all.size()) > k) all.resize(std::max(k, 0));
  return all;
}

}  // namespace tailor

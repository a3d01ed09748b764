#include "core/retrieval/collectors.h"

#include <algorithm>

namespace tailor {

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

CappedCollector::CappedCollector(int k, const int32_t* group_of,
                                 int max_per_group)
    : k_(std::max(k, 0)),
      group_of_(max_per_group > 0 ? group_of : nullptr),
      cap_(std::min(max_per_group, k_)),
      uncapped_(k_) {}

void CappedCollector::Push(ScoredItem s) {
  if (group_of_ == nullptr) {
    uncapped_.Push(s);
    threshold_ = uncapped_.threshold();
    return;
  }
  const int32_t g = group_of_[s.item];
  if (g < 0) {
    uncapped_.Push(s);
  } else {
    groups_.try_emplace(g, cap_).first->second.Push(s);
  }
}

void CappedCollector::Refresh() {
  if (group_of_ == nullptr) return;
  std::vector<float> scores;
  for (const ScoredItem& s : uncapped_.kept()) scores.push_back(s.score);
  for (const auto& [g, top] : groups_) {
    for (const ScoredItem& s : top.kept()) scores.push_back(s.score);
  }
  if (k_ == 0 || static_cast<int>(scores.size()) < k_) return;
  std::nth_element(scores.begin(), scores.begin() + (k_ - 1), scores.end(),
                   std::greater<float>());
  threshold_ = std::max(threshold_, scores[k_ - 1]);
}

std::vector<ScoredItem> CappedCollector::Kept() const {
  std::vector<ScoredItem> all = uncapped_.kept();
  for (const auto& [g, top] : groups_) {
    all.insert(all.end(), top.kept().begin(), top.kept().end());
  }
  return all;
}

void CappedCollector::Finish(std::vector<ScoredItem>* out) {
  *out = Kept();
  // Each group holds at most its cap, so the best k of the union respect
  // the caps.
  std::sort(out->begin(), out->end(), RanksBefore);
  if (static_cast<int>(out->size()) > k_) out->resize(k_);
}

}  // namespace tailor

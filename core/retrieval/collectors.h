// Bounded top-N collection during a scan: the best k items under
// RanksBefore, with or without per-group caps.
#ifndef TAILOR_CORE_RETRIEVAL_COLLECTORS_H_
#define TAILOR_CORE_RETRIEVAL_COLLECTORS_H_

#include <cstdint>
#include <limits>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/retrieval/retriever.h"

namespace tailor {

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
  const std::vector<ScoredItem>& kept() const { return heap_; }

 private:
  int k_;
  std::vector<ScoredItem> heap_;  // min-heap: the worst kept item on top
};

// Keeps the best `k` items seen so far subject to SearchParams' group caps
// (a TopNCollector when there are none).
// Thread safety: not thread-safe.
class CappedCollector {
 public:
  CappedCollector(int k, const int32_t* group_of, int max_per_group);
  // A score below which an item cannot be in the answer; only rises.
  float threshold() const { return threshold_; }
  void Push(ScoredItem s);
  // Recomputes threshold() (cheap; call every few thousand items).
  void Refresh();
  // Moves the answer, best first, into `out`.
  void Finish(std::vector<ScoredItem>* out);
  // Every item currently kept, in no particular order.
  std::vector<ScoredItem> Kept() const;

 private:
  int k_;
  const int32_t* group_of_;
  int cap_;
  float threshold_ = -std::numeric_limits<float>::infinity();
  TopNCollector uncapped_;
  absl::flat_hash_map<int32_t, TopNCollector> groups_;
};

}  // namespace tailor

#endif  // TAILOR_CORE_RETRIEVAL_COLLECTORS_H_

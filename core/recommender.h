// Turns a model and a user's state into a ranked list: personalised scoring
// with the user's embedding, or the popularity fallback.
#ifndef TAILOR_CORE_RECOMMENDER_H_
#define TAILOR_CORE_RECOMMENDER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "core/model.h"
#include "core/retrieval.h"

namespace tailor {

struct Recommendation {
  enum class Source { kPersonalized, kSegmentPopular, kPopular };
  int32_t item;
  float score;
  Source source;
};

struct RecommendResult {
  std::vector<Recommendation> items;
  bool fallback_used = false;
};

// Serves top-N lists from one model.
// Thread safety: immutable after construction; Recommend may be called from
// many threads at once.
class Recommender {
 public:
  // Takes shared ownership of the model.
  explicit Recommender(std::shared_ptr<const Model> model);

  const Model& model() const { return *model_; }

  // The best `count` items for model user `user` (nullopt: unknown user),
  // never any item in `exclude` (may be null). Users the model cannot
  // personalise for (unknown, or an all-zero embedding) get the eligible
  // items of `segment_popular` (may be null: the user's segment's popular
  // items, best first, scored by rank), then the most popular eligible
  // items. Returns fewer than `count` only when fewer are eligible.
  RecommendResult Recommend(
      std::optional<int32_t> user, int count, const ItemSet* exclude,
      const std::vector<int32_t>* segment_popular = nullptr) const;

  // As Recommend, for a user whose embedding is `embedding` (factors()
  // floats, e.g. folded in since training) rather than a model row; null or
  // all zeros means the fallbacks.
  RecommendResult RecommendWith(
      const float* embedding, int count, const ItemSet* exclude,
      const std::vector<int32_t>* segment_popular = nullptr) const;

  // Whether Recommend personalises for `user`: a model user with a nonzero
  // embedding. Otherwise it uses the fallbacks.
  bool Personalizes(std::optional<int32_t> user) const {
    return user.has_value() && !model_->user_factors.row(*user).isZero(0);
  }

  // The `count` items whose embeddings have the highest cosine similarity
  // with item `item`'s (itself excluded). An item with an all-zero
  // embedding has no neighbours (empty result); so never appears in one.
  std::vector<ScoredItem> SimilarItems(int32_t item, int count) const;

 private:
  std::shared_ptr<const Model> model_;
  ExactRetriever retriever_;
  std::vector<int32_t> popular_order_;
  // Unit-length item embeddings (zero rows stay zero), for cosine search.
  RowMatrix unit_items_;
  ExactRetriever unit_retriever_;
};

}  // namespace tailor

#endif  // TAILOR_CORE_RECOMMENDER_H_

// Turns a model and a user's state into a ranked list: personalised scoring
// with the user's embedding, or the popularity fallback.
#ifndef TAILOR_CORE_SERVING_RECOMMENDER_H_
#define TAILOR_CORE_SERVING_RECOMMENDER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/retrieval/batching_retriever.h"
#include "core/retrieval/exact_retriever.h"
#include "core/retrieval/item_set.h"
#include "core/retrieval/ivf_retriever.h"
#include "core/retrieval/retriever.h"
#include "core/serving/snapshot.h"

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

// A campaign item to rank higher: its score is raised by `boost` times its
// magnitude (0.5: ranked as if it scored 50% better).
struct ItemBoost {
  int32_t item;
  float boost;
};

// Items added to the catalog since the model was trained: indexes from
// `first` (the model's item count) on, each with the vector its attributes
// predict. Searched exactly, beside the model's items, by every list.
// Thread safety: a plain value, shared read-only.
struct AddedItems {
  int32_t first = 0;
  RowMatrix factors;  // a row per added item (zero: no vector)
  RowMatrix unit;     // the rows at unit length (zero rows stay zero)

  int32_t size() const { return static_cast<int32_t>(factors.rows()); }
  bool empty() const { return factors.rows() == 0; }
};

// What a list may contain and how it is shaped.
struct RecommendOptions {
  int count = 10;
  // Exclusions and business filters (stock, size, category, price), applied
  // inside retrieval.
  ItemFilter filter;
  // At most max_per_group items per group (e.g. category; see
  // SearchParams). 0: no caps.
  const int32_t* group_of = nullptr;
  int max_per_group = 0;
  // 0..1: 0 ranks by score alone; higher values trade score for variety
  // (maximal marginal relevance over the items' embedding similarity).
  float diversity = 0;
  // Boosts (>= 0) for items the request names; the filter still applies.
  std::vector<ItemBoost> boosts;
  // Items added since training, listed beside the model's (may be null).
  // The filter's sets, values and group_of then cover them too.
  const AddedItems* added = nullptr;
};

// Which scoring path serves personalised lists.
enum class RetrievalPath {
  kAuto,   // the IVF path when the snapshot has a partition; otherwise
           // exact fp32 below RecommenderOptions::int8_min_items, else int8
  kExact,  // exact fp32
  kInt8,   // int8 first pass + fp32 re-scoring (same answers, less memory
           // traffic on large catalogs)
  kAnn,    // the IVF partition (approximate); requires one
};

struct RecommenderOptions {
  RetrievalPath path = RetrievalPath::kAuto;
  int64_t int8_min_items = 200'000;
  // The IVF path's search width (filtered searches: twice it); 0 uses the
  // widths the trainer chose for the partition (IvfPartition::probe and
  // filtered_probe), or IvfOptions' defaults.
  int ann_probe = 0;
  ExactOptions exact;
  // Micro-batching of concurrent personalised searches (off by default).
  BatchingOptions batching;
};

// Serves top-N lists from one model.
// Thread safety: immutable after construction; Recommend may be called from
// many threads at once.
class Recommender {
 public:
  // Takes shared ownership of the model. `ann` (may be null or empty: no
  // approximate path) is the IVF partition of the model's items, valid for
  // them (Snapshot::Validate checks it); it is copied. FAILED_PRECONDITION
  // for RetrievalPath::kAnn without a partition.
  static absl::StatusOr<std::unique_ptr<Recommender>> Create(
      std::shared_ptr<const Model> model, RecommenderOptions options = {},
      const IvfPartition* ann = nullptr);

  const Model& model() const { return *model_; }
  const std::shared_ptr<const Model>& shared_model() const { return model_; }
  const Retriever& retriever() const { return *retriever_; }
  // The path personalised lists are scored with: kExact, kInt8 or kAnn
  // (kAuto resolved).
  RetrievalPath path() const { return path_; }

  // The best options.count items for model user `user` (nullopt: unknown
  // user) that options.filter accepts, shaped by the caps, boosts and
  // diversity. Users the model cannot personalise for (unknown, or an
  // all-zero embedding) get the eligible items of `segment_popular` (may be
  // null: the user's segment's popular items, best first, scored by rank),
  // then the most popular eligible items. Returns fewer than count only when
  // fewer are eligible.
  RecommendResult Recommend(
      std::optional<int32_t> user, const RecommendOptions& options,
      const std::vector<int32_t>* segment_popular = nullptr) const;
  // Shorthand: `count` items, never any in `exclude` (may be null).
  RecommendResult Recommend(
      std::optional<int32_t> user, int count, const ItemSet* exclude,
      const std::vector<int32_t>* segment_popular = nullptr) const;

  // As Recommend, for a user whose embedding is `embedding` (factors()
  // floats, e.g. folded in since training) rather than a model row; null or
  // all zeros means the fallbacks.
  RecommendResult RecommendWith(
      const float* embedding, const RecommendOptions& options,
      const std::vector<int32_t>* segment_popular = nullptr) const;
  RecommendResult RecommendWith(
      const float* embedding, int count, const ItemSet* exclude,
      const std::vector<int32_t>* segment_popular = nullptr) const;

  // As RecommendWith, ranking the model's items by `scores` (one per model
  // item, e.g. EASE's history x weights; source kPersonalized) instead of
  // an embedding's dot products: the filter, caps and boosts apply alike,
  // and diversity measures similarity by the item embeddings. Items added
  // since training have no score and are left out. Empty or all-zero
  // `scores` (or not one per model item) mean the fallbacks.
  RecommendResult RecommendByScores(
      absl::Span<const float> scores, const RecommendOptions& options,
      const std::vector<int32_t>* segment_popular = nullptr) const;

  // The recent-popularity list: the eligible items by
  // model().recent_popularity (source kPopular, scored by it), those
  // without recent interactions after them by overall popularity, then the
  // items added since training; the caps hold, boosts and diversity do
  // not apply (as in the popularity fallback). Without recent popularity in
  // the model, the popularity fallback's list. fallback_used is set.
  RecommendResult RecommendRecent(const RecommendOptions& options) const;

  // Whether Recommend personalises for `user`: a model user with a nonzero
  // embedding. Otherwise it uses the fallbacks.
  bool Personalizes(std::optional<int32_t> user) const {
    return user.has_value() && !model_->user_factors.row(*user).isZero(0);
  }

  // The `count` items whose embeddings have the highest cosine similarity
  // with item `item`'s (itself excluded) that `filter` accepts (its
  // candidates are ignored). An item with an all-zero embedding has no
  // neighbours (empty result); so never appears in one. `added` (may be
  // null) are searched too, and `item` may be one of them.
  std::vector<ScoredItem> SimilarItems(int32_t item, int count,
                                       const ItemFilter& filter = {},
                                       const AddedItems* added = nullptr) const;

 private:
  Recommender(std::shared_ptr<const Model> model,
              const RecommenderOptions& options, const IvfPartition* ann);

  std::vector<ScoredItem> Personalized(const float* embedding,
                                       const RecommendOptions& options) const;
  // Greedy maximal-marginal-relevance order of `pool` (best first).
  std::vector<ScoredItem> Diversify(std::vector<ScoredItem> pool,
                                    const RecommendOptions& options) const;
  // The unit-length embedding of `item` (a model item, or one of `added`).
  const float* UnitRow(int32_t item, const AddedItems* added) const;
  // The fallback list: `segment_popular`'s eligible items (may be null),
  // then `order`'s scored by `score` (one per model item), then the added
  // items'.
  RecommendResult Fallback(const std::vector<int32_t>& order,
                           const std::vector<float>& score,
                           const RecommendOptions& options,
                           const std::vector<int32_t>* segment_popular) const;

  std::shared_ptr<const Model> model_;
  RetrievalPath path_;
  std::unique_ptr<const Retriever> retriever_;
  std::vector<int32_t> popular_order_;
  // By recent popularity, then popularity (empty: no recent popularity).
  std::vector<int32_t> recent_order_;
  // Unit-length item embeddings (zero rows stay zero), for cosine search.
  std::unique_ptr<const ExactRetriever> unit_retriever_;
  ItemSet nonzero_rows_;
};

}  // namespace tailor

#endif  // TAILOR_CORE_SERVING_RECOMMENDER_H_

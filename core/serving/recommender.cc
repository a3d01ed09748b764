#include "core/serving/recommender.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/memory/memory.h"
#include "core/retrieval/quantized_retriever.h"

namespace tailor {

namespace {

RowMatrix UnitRows(const RowMatrix& m) {
  RowMatrix out = m;
  for (Eigen::Index r = 0; r < out.rows(); ++r) {
    const float norm = out.row(r).norm();
    if (norm > 0) out.row(r) /= norm;
  }
  return out;
}

// The path `options` asks for, kAuto resolved.
RetrievalPath ResolvePath(const RowMatrix& items,
                          const RecommenderOptions& options,
                          const IvfPartition* ann) {
  const bool has_ann = ann != nullptr && !ann->empty();
  if (has_ann && (options.path == RetrievalPath::kAnn ||
                  options.path == RetrievalPath::kAuto)) {
    return RetrievalPath::kAnn;
  }
  if (options.path == RetrievalPath::kInt8 ||
      (options.path == RetrievalPath::kAuto &&
       items.rows() >= options.int8_min_items)) {
    return RetrievalPath::kInt8;
  }
  return RetrievalPath::kExact;
}

std::unique_ptr<const Retriever> MakeRetriever(
    const RowMatrix& items, const RecommenderOptions& options,
    const IvfPartition* ann) {
  const RetrievalPath path = ResolvePath(items, options, ann);
  std::unique_ptr<const Retriever> retriever;
  if (path == RetrievalPath::kAnn) {
    IvfOptions ivf;
    if (options.ann_probe > 0) {
      ivf.probe = options.ann_probe;
    } else if (ann->probe > 0) {
      ivf.probe = ann->probe;
      ivf.filtered_probe = ann->filtered_probe;
    }
    ivf.kernels = options.exact.kernels;
    retriever = std::make_unique<IvfRetriever>(items, *ann, ivf);
  } else if (path == RetrievalPath::kInt8) {
    retriever = std::make_unique<QuantizedRetriever>(items, options.exact);
  } else {
    retriever = std::make_unique<ExactRetriever>(items, options.exact);
  }
  if (options.batching.max_wait > absl::ZeroDuration()) {
    retriever = std::make_unique<BatchingRetriever>(std::move(retriever),
                                                    options.batching);
  }
  return retriever;
}

// A score raised by `boost` times its magnitude.
float Boosted(float score, float boost) {
  return score + boost * std::abs(score);
}

// The largest pool MMR re-ranks.
constexpr int kMaxDiversityPool = 2000;

// How many items a list gathers before it is shaped: `options.count`, or
// with diversity a pool MMR picks from (at most `end` items).
int PoolSize(const RecommendOptions& options, int32_t end) {
  if (options.diversity <= 0) return options.count;
  return static_cast<int>(std::min<int64_t>(
      {end, kMaxDiversityPool,
       std::max<int64_t>(int64_t{4} * options.count, options.count + 20)}));
}

// The boost of each boosted item below `end` the filter makes eligible:
// the largest the request gives it.
absl::flat_hash_map<int32_t, float> LargestBoosts(
    const RecommendOptions& options, int32_t end) {
  absl::flat_hash_map<int32_t, float> boost;
  for (const ItemBoost& b : options.boosts) {
    if (b.item < 0 || b.item >= end || !options.filter.Eligible(b.item)) {
      continue;
    }
    auto [it, inserted] = boost.try_emplace(b.item, b.boost);
    if (!inserted) it->second = std::max(it->second, b.boost);
  }
  return boost;
}

// Pushes the items of `added` that `filter` accepts (its candidates too),
// scored by `rows` (added.factors or added.unit) against `query`; with
// `skip_zero`, not those whose row is all zeros.
void ScanAdded(const AddedItems& added, const RowMatrix& rows,
               const float* query, const ItemFilter& filter, bool skip_zero,
               CappedCollector* out) {
  Eigen::Map<const Vector> q(query, rows.cols());
  auto push = [&](int32_t item) {
    if (!filter.Accepts(item)) return;
    if (skip_zero && rows.row(item - added.first).isZero(0)) return;
    out->Push({item, rows.row(item - added.first).dot(q)});
  };
  const int32_t end = added.first + added.size();
  if (filter.candidates != nullptr) {
    const std::vector<int32_t>& c = *filter.candidates;
    for (auto it = std::lower_bound(c.begin(), c.end(), added.first);
         it != c.end() && *it < end; ++it) {
      push(*it);
    }
    return;
  }
  for (int32_t item = added.first; item < end; ++item) push(item);
}

// `filter` for the model's items alone: candidates at or past `first` (the
// added items') left out, in `storage` when there are any.
ItemFilter ModelItemsOnly(const ItemFilter& filter, int32_t first,
                          std::vector<int32_t>* storage) {
  ItemFilter out = filter;
  if (filter.candidates != nullptr && !filter.candidates->empty() &&
      filter.candidates->back() >= first) {
    const std::vector<int32_t>& c = *filter.candidates;
    storage->assign(c.begin(), std::lower_bound(c.begin(), c.end(), first));
    out.candidates = storage;
  }
  return out;
}

// Items by recent popularity, those with none by overall popularity after
// them (empty when the model has no recent popularity).
std::vector<int32_t> RecentOrder(const Model& model) {
  if (model.recent_popularity.empty()) return {};
  std::vector<int32_t> order = PopularityOrder(model.popularity);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return model.recent_popularity[a] > model.recent_popularity[b];
  });
  return order;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Recommender>> Recommender::Create(
    std::shared_ptr<const Model> model, RecommenderOptions options,
    const IvfPartition* ann) {
  const bool has_ann = ann != nullptr && !ann->empty();
  if (options.path == RetrievalPath::kAnn && !has_ann) {
    return absl::FailedPreconditionError(
        "the approximate (ann) retrieval path needs an IVF partition in the "
        "snapshot; retrain with tailor-trainer --ann=on");
  }
  return absl::WrapUnique(new Recommender(std::move(model), options, ann));
}

Recommender::Recommender(std::shared_ptr<const Model> model,
                         const RecommenderOptions& options,
                         const IvfPartition* ann)
    : model_(std::move(model)),
      path_(ResolvePath(model_->item_factors, options, ann)),
      retriever_(MakeRetriever(model_->item_factors, options, ann)),
      popular_order_(PopularityOrder(model_->popularity)),
      recent_order_(RecentOrder(*model_)),
      unit_retriever_(std::make_unique<ExactRetriever>(
          UnitRows(model_->item_factors), options.exact)),
      nonzero_rows_(static_cast<int32_t>(model_->item_factors.rows())) {
  for (Eigen::Index r = 0; r < model_->item_factors.rows(); ++r) {
    if (!model_->item_factors.row(r).isZero(0)) {
      nonzero_rows_.Insert(static_cast<int32_t>(r));
    }
  }
}

std::vector<ScoredItem> Recommender::SimilarItems(
    int32_t item, int count, const ItemFilter& filter,
    const AddedItems* added) const {
  std::vector<ScoredItem> out;
  const int32_t n = static_cast<int32_t>(model_->item_factors.rows());
  const bool has_added = added != nullptr && !added->empty();
  const int32_t end = has_added ? added->first + added->size() : n;
  if (item < 0 || item >= end || count <= 0) return out;
  const float* query = UnitRow(item, added);
  if (std::all_of(query, query + model_->factors(),
                  [](float v) { return v == 0; })) {
    return out;
  }
  // Zero rows score 0 against everything: never neighbours. The item itself
  // is dropped from one extra result.
  SearchParams params;
  params.k = count + 1;
  params.filter = filter;
  params.filter.candidates = nullptr;
  params.filter.require.push_back(&nonzero_rows_);
  unit_retriever_->Search(query, params, &out);
  if (has_added) {
    CappedCollector merged(params.k, nullptr, 0);
    for (const ScoredItem& s : out) merged.Push(s);
    ItemFilter added_filter = filter;
    added_filter.candidates = nullptr;
    // Zero rows score 0 against everything: never neighbours.
    ScanAdded(*added, added->unit, query, added_filter, /*skip_zero=*/true,
              &merged);
    merged.Finish(&out);
  }
  out.erase(std::remove_if(out.begin(), out.end(),
                           [&](const ScoredItem& s) { return s.item == item; }),
            out.end());
  if (static_cast<int>(out.size()) > count) out.resize(count);
  return out;
}

const float* Recommender::UnitRow(int32_t item, const AddedItems* added) const {
  if (item < model_->item_factors.rows()) return unit_retriever_->row_of(item);
  return added->unit.row(item - added->first).data();
}

RecommendResult Recommender::Recommend(
    std::optional<int32_t> user, const RecommendOptions& options,
    const std::vector<int32_t>* segment_popular) const {
  return RecommendWith(
      Personalizes(user) ? model_->user_factors.row(*user).data() : nullptr,
      options, segment_popular);
}

RecommendResult Recommender::Recommend(
    std::optional<int32_t> user, int count, const ItemSet* exclude,
    const std::vector<int32_t>* segment_popular) const {
  RecommendOptions options;
  options.count = count;
  options.filter.exclude = exclude;
  return Recommend(user, options, segment_popular);
}

RecommendResult Recommender::RecommendWith(
    const float* embedding, int count, const ItemSet* exclude,
    const std::vector<int32_t>* segment_popular) const {
  RecommendOptions options;
  options.count = count;
  options.filter.exclude = exclude;
  return RecommendWith(embedding, options, segment_popular);
}

std::vector<ScoredItem> Recommender::Personalized(
    const float* embedding, const RecommendOptions& options) const {
  const int32_t n = retriever_->num_items();
  const AddedItems* added = options.added != nullptr && !options.added->empty()
                                ? options.added
                                : nullptr;
  const int32_t end = added != nullptr ? added->first + added->size() : n;
  SearchParams params;
  std::vector<int32_t> model_candidates;
  params.filter = added != nullptr
                      ? ModelItemsOnly(options.filter, n, &model_candidates)
                      : options.filter;
  params.group_of = options.group_of;
  params.max_per_group = options.max_per_group;
  params.k = PoolSize(options, end);
  std::vector<ScoredItem> top;
  retriever_->Search(embedding, params, &top);
  if (added != nullptr) {
    // The added items' best merged with the model items' answer under the
    // caps.
    CappedCollector pool(params.k, params.group_of, params.max_per_group);
    for (const ScoredItem& s : top) pool.Push(s);
    ScanAdded(*added, added->factors, embedding, options.filter,
              /*skip_zero=*/false, &pool);
    pool.Finish(&top);
  }
  if (!options.boosts.empty()) {
    // With boosts >= 0, every unboosted item of the boosted answer is also
    // in the unboosted answer: merging the boosted items' raised scores into
    // it and re-applying the caps gives the boosted answer exactly.
    const absl::flat_hash_map<int32_t, float> boost =
        LargestBoosts(options, end);
    absl::flat_hash_map<int32_t, float> scores;
    for (const ScoredItem& s : top) scores[s.item] = s.score;
    Eigen::Map<const Vector> q(embedding, model_->factors());
    for (const auto& [item, b] : boost) {
      const float score = item < n
                              ? model_->item_factors.row(item).dot(q)
                              : added->factors.row(item - added->first).dot(q);
      scores[item] = Boosted(score, b);
    }
    CappedCollector merged(params.k, params.group_of, params.max_per_group);
    for (const auto& [item, score] : scores) merged.Push({item, score});
    merged.Finish(&top);
  }
  if (options.diversity > 0) return Diversify(std::move(top), options);
  return top;
}

std::vector<ScoredItem> Recommender::Diversify(
    std::vector<ScoredItem> pool, const RecommendOptions& options) const {
  const int count = std::min<int>(options.count, pool.size());
  if (pool.empty()) return pool;
  const float lambda = std::clamp(options.diversity, 0.0f, 1.0f);
  const float hi = pool.front().score, lo = pool.back().score;
  const float span = hi > lo ? hi - lo : 1.0f;
  const int dim = model_->factors();
  // max_sim[i]: highest similarity of pool[i] to anything chosen so far.
  std::vector<float> max_sim(pool.size(), -1.0f);
  std::vector<bool> chosen(pool.size(), false);
  std::vector<ScoredItem> out;
  out.reserve(count);
  while (static_cast<int>(out.size()) < count) {
    int best = -1;
    float best_value = 0;
    for (size_t i = 0; i < pool.size(); ++i) {
      if (chosen[i]) continue;
      const float relevance = (pool[i].score - lo) / span;
      const float value =
          (1 - lambda) * relevance - lambda * std::max(max_sim[i], 0.0f);
      if (best < 0 || value > best_value) {
        best = static_cast<int>(i);
        best_value = value;
      }
    }
    chosen[best] = true;
    out.push_back(pool[best]);
    const float* b = UnitRow(pool[best].item, options.added);
    for (size_t i = 0; i < pool.size(); ++i) {
      if (chosen[i]) continue;
      const float* r = UnitRow(pool[i].item, options.added);
      float sim = 0;
      for (int d = 0; d < dim; ++d) sim += r[d] * b[d];
      max_sim[i] = std::max(max_sim[i], sim);
    }
  }
  return out;
}

RecommendResult Recommender::RecommendWith(
    const float* embedding, const RecommendOptions& options,
    const std::vector<int32_t>* segment_popular) const {
  using Source = Recommendation::Source;
  RecommendResult result;
  const int k = model_->factors();
  if (embedding != nullptr &&
      std::any_of(embedding, embedding + k, [](float v) { return v != 0; })) {
    const std::vector<ScoredItem> top = Personalized(embedding, options);
    result.items.reserve(top.size());
    for (const ScoredItem& s : top) {
      result.items.push_back({s.item, s.score, Source::kPersonalized});
    }
    return result;
  }
  return Fallback(popular_order_, model_->popularity, options, segment_popular);
}

RecommendResult Recommender::RecommendRecent(
    const RecommendOptions& options) const {
  if (recent_order_.empty()) {
    return Fallback(popular_order_, model_->popularity, options, nullptr);
  }
  return Fallback(recent_order_, model_->recent_popularity, options, nullptr);
}

RecommendResult Recommender::RecommendByScores(
    absl::Span<const float> scores, const RecommendOptions& options,
    const std::vector<int32_t>* segment_popular) const {
  const int32_t n = static_cast<int32_t>(model_->items.size());
  if (scores.size() != static_cast<size_t>(n) ||
      std::all_of(scores.begin(), scores.end(),
                  [](float v) { return v == 0; })) {
    return Fallback(popular_order_, model_->popularity, options,
                    segment_popular);
  }
  const absl::flat_hash_map<int32_t, float> boost = LargestBoosts(options, n);
  CappedCollector pool(PoolSize(options, n), options.group_of,
                       options.max_per_group);
  int64_t pushed = 0;
  auto push = [&](int32_t item) {
    if (!options.filter.Accepts(item)) return;
    float score = scores[item];
    if (!boost.empty()) {
      if (auto it = boost.find(item); it != boost.end()) {
        score = Boosted(score, it->second);
      }
    }
    pool.Push({item, score});
    if (++pushed % 4096 == 0) pool.Refresh();
  };
  if (const std::vector<int32_t>* c = options.filter.candidates) {
    for (int32_t item : *c) {
      if (item >= n) break;  // ascending: the rest are added items
      push(item);
    }
  } else {
    for (int32_t item = 0; item < n; ++item) push(item);
  }
  std::vector<ScoredItem> top;
  pool.Finish(&top);
  if (options.diversity > 0) top = Diversify(std::move(top), options);
  RecommendResult result;
  result.items.reserve(top.size());
  for (const ScoredItem& s : top) {
    result.items.push_back(
        {s.item, s.score, Recommendation::Source::kPersonalized});
  }
  return result;
}

RecommendResult Recommender::Fallback(
    const std::vector<int32_t>& order, const std::vector<float>& score,
    const RecommendOptions& options,
    const std::vector<int32_t>* segment_popular) const {
  using Source = Recommendation::Source;
  RecommendResult result;
  result.fallback_used = true;
  // Segment items first, then global popularity; an item taken from the
  // segment list is not repeated. Caps hold here too.
  absl::flat_hash_set<int32_t> taken;
  absl::flat_hash_map<int32_t, int> per_group;
  auto full = [&] {
    return static_cast<int>(result.items.size()) >= options.count;
  };
  auto take = [&](int32_t item) {
    if (!options.filter.Eligible(item) || taken.contains(item)) return false;
    if (options.group_of != nullptr && options.max_per_group > 0) {
      const int32_t g = options.group_of[item];
      if (g >= 0 && per_group[g] >= options.max_per_group) return false;
      if (g >= 0) ++per_group[g];
    }
    taken.insert(item);
    return true;
  };
  if (segment_popular != nullptr) {
    const float n = static_cast<float>(segment_popular->size());
    for (size_t rank = 0; rank < segment_popular->size() && !full(); ++rank) {
      const int32_t item = (*segment_popular)[rank];
      if (item < 0 || item >= model_->items.size() || !take(item)) continue;
      result.items.push_back(
          {item, (n - static_cast<float>(rank)) / n, Source::kSegmentPopular});
    }
  }
  for (int32_t item : order) {
    if (full()) break;
    if (!take(item)) continue;
    result.items.push_back({item, score[item], Source::kPopular});
  }
  // Items added since training have no popularity yet: they come last.
  if (options.added != nullptr) {
    const int32_t end = options.added->first + options.added->size();
    for (int32_t item = options.added->first; item < end && !full(); ++item) {
      if (take(item)) result.items.push_back({item, 0, Source::kPopular});
    }
  }
  return result;
}

}  // namespace tailor

#include "core/serving/recommender.h"

#include <random>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tailor {
namespace {

std::shared_ptr<Model> TinyModel() {
  auto m = std::make_shared<Model>();
  m->users = IdMap({"alice", "zero"});
  m->items = IdMap({"a", "b", "c", "d"});
  m->user_factors.resize(2, 2);
  m->user_factors << 1, 0, 0, 0;
  m->item_factors.resize(4, 2);
  m->item_factors << 0.1f, 1, 0.9f, 0, 0.5f, 0, 0.7f, 0;
  m->popularity = {5, 1, 9, 3};
  return m;
}

std::vector<int32_t> Items(const RecommendResult& r) {
  std::vector<int32_t> out;
  for (const auto& i : r.items) out.push_back(i.item);
  return out;
}

TEST(RecommenderTest, KnownUserIsPersonalised) {
  const std::unique_ptr<Recommender> rec = *Recommender::Create(TinyModel());
  RecommendResult r = rec->Recommend(0, 3, nullptr);
  EXPECT_FALSE(r.fallback_used);
  EXPECT_EQ(Items(r), (std::vector<int32_t>{1, 3, 2}));
  for (const auto& i : r.items)
    EXPECT_EQ(i.source, Recommendation::Source::kPersonalized);
  EXPECT_FLOAT_EQ(r.items[0].score, 0.9f);
}

TEST(RecommenderTest, UnknownOrEmptyUserGetsPopularItems) {
  const std::unique_ptr<Recommender> rec = *Recommender::Create(TinyModel());
  for (std::optional<int32_t> user :
       {std::optional<int32_t>(), std::optional<int32_t>(1)}) {
    RecommendResult r = rec->Recommend(user, 2, nullptr);
    EXPECT_TRUE(r.fallback_used);
    EXPECT_EQ(Items(r), (std::vector<int32_t>{2, 0}));
    EXPECT_EQ(r.items[0].source, Recommendation::Source::kPopular);
    EXPECT_EQ(r.items[0].score, 9.0f);
  }
}

TEST(RecommenderTest, ExclusionsApplyToBothPaths) {
  const std::unique_ptr<Recommender> rec = *Recommender::Create(TinyModel());
  ItemSet exclude(4);
  exclude.Insert(1);
  exclude.Insert(2);
  EXPECT_EQ(Items(rec->Recommend(0, 10, &exclude)),
            (std::vector<int32_t>{3, 0}));
  EXPECT_EQ(Items(rec->Recommend(std::nullopt, 10, &exclude)),
            (std::vector<int32_t>{0, 3}));
}

TEST(RecommenderTest, SegmentListComesFirstForUsersWithoutAnEmbedding) {
  const std::unique_ptr<Recommender> rec = *Recommender::Create(TinyModel());
  const std::vector<int32_t> segment = {3, 1, 1, 2};
  ItemSet exclude(4);
  exclude.Insert(1);
  // Unknown and all-zero users: the segment's eligible items in its order
  // (3, then 2; 1 is excluded), then the most popular item not yet listed.
  for (std::optional<int32_t> user :
       {std::optional<int32_t>(), std::optional<int32_t>(1)}) {
    RecommendResult r = rec->Recommend(user, 3, &exclude, &segment);
    EXPECT_TRUE(r.fallback_used);
    EXPECT_EQ(Items(r), (std::vector<int32_t>{3, 2, 0}));
    EXPECT_EQ(r.items[0].source, Recommendation::Source::kSegmentPopular);
    EXPECT_EQ(r.items[1].source, Recommendation::Source::kSegmentPopular);
    EXPECT_EQ(r.items[2].source, Recommendation::Source::kPopular);
    EXPECT_GT(r.items[0].score, r.items[1].score);
  }
  // A user with an embedding is personalised; the segment list is unused.
  RecommendResult known = rec->Recommend(0, 2, nullptr, &segment);
  EXPECT_FALSE(known.fallback_used);
  EXPECT_EQ(Items(known), (std::vector<int32_t>{1, 3}));
}

}  // namespace
}  // namespace tailor

namespace tailor {
namespace {

std::shared_ptr<Model> RandomModel(int items, int dim, std::mt19937_64* rng) {
  std::normal_distribution<float> normal;
  auto m = std::make_shared<Model>();
  std::vector<std::string> ids;
  for (int i = 0; i < items; ++i) ids.push_back(absl::StrCat("i", i));
  m->items = IdMap(ids);
  m->users = IdMap({"u"});
  m->item_factors.resize(items, dim);
  for (Eigen::Index i = 0; i < m->item_factors.size(); ++i) {
    m->item_factors.data()[i] = normal(*rng);
  }
  m->user_factors.resize(1, dim);
  for (int d = 0; d < dim; ++d) m->user_factors(0, d) = normal(*rng);
  m->popularity.assign(items, 1.0f);
  return m;
}

TEST(RecommenderOptionsTest, BoostsEqualRankingEverythingByBoostedScore) {
  std::mt19937_64 rng(21);
  for (RetrievalPath path : {RetrievalPath::kExact, RetrievalPath::kInt8}) {
    for (int trial = 0; trial < 10; ++trial) {
      auto model = RandomModel(600, 8, &rng);
      RecommenderOptions paths;
      paths.path = path;
      const std::unique_ptr<Recommender> rec =
          *Recommender::Create(model, paths);
      std::vector<int32_t> group(600);
      ItemSet exclude(600);
      for (int i = 0; i < 600; ++i) {
        group[i] = static_cast<int32_t>(rng() % 6) - 1;
        if (rng() % 5 == 0) exclude.Insert(i);
      }
      RecommendOptions options;
      options.count = 1 + static_cast<int>(rng() % 40);
      options.filter.exclude = &exclude;
      if (trial % 2 == 1) {
        options.group_of = group.data();
        options.max_per_group = 1 + static_cast<int>(rng() % 4);
      }
      std::vector<float> boost(600, 0.0f);
      for (int b = 0; b < 25; ++b) {
        const auto item = static_cast<int32_t>(rng() % 600);
        const float v = static_cast<float>(rng() % 300) / 100.0f + 0.01f;
        options.boosts.push_back({item, v});
        boost[item] = std::max(boost[item], v);
      }
      // Reference: every eligible item with its boosted score, sorted, caps
      // applied greedily.
      const Vector scores =
          model->item_factors * model->user_factors.row(0).transpose();
      std::vector<ScoredItem> all;
      for (int i = 0; i < 600; ++i) {
        if (exclude.Contains(i)) continue;
        all.push_back({i, scores[i] + boost[i] * std::abs(scores[i])});
      }
      std::sort(all.begin(), all.end(), RanksBefore);
      std::vector<int32_t> want;
      absl::flat_hash_map<int32_t, int> taken;
      for (const ScoredItem& s : all) {
        if (static_cast<int>(want.size()) == options.count) break;
        if (options.group_of != nullptr && group[s.item] >= 0 &&
            ++taken[group[s.item]] > options.max_per_group) {
          continue;
        }
        want.push_back(s.item);
      }
      EXPECT_EQ(Items(rec->Recommend(0, options)), want) << "trial " << trial;
    }
  }
}

TEST(RecommenderOptionsTest, DiversityKeepsFiltersAndCaps) {
  std::mt19937_64 rng(22);
  auto model = RandomModel(2000, 16, &rng);
  const std::unique_ptr<Recommender> rec = *Recommender::Create(model);
  std::vector<int32_t> group(2000);
  ItemSet exclude(2000);
  for (int i = 0; i < 2000; ++i) {
    group[i] = static_cast<int32_t>(i % 7);
    if (i % 3 == 0) exclude.Insert(i);
  }
  RecommendOptions plain;
  plain.count = 20;
  plain.filter.exclude = &exclude;
  plain.group_of = group.data();
  plain.max_per_group = 4;
  const RecommendResult ranked = rec->Recommend(0, plain);
  RecommendOptions diverse = plain;
  diverse.diversity = 0.7f;
  const RecommendResult varied = rec->Recommend(0, diverse);
  ASSERT_EQ(varied.items.size(), 20u);
  EXPECT_EQ(varied.items[0].item, ranked.items[0].item);  // best comes first
  EXPECT_NE(Items(varied), Items(ranked));
  absl::flat_hash_map<int32_t, int> per_group;
  for (const Recommendation& r : varied.items) {
    EXPECT_FALSE(exclude.Contains(r.item));
    EXPECT_LE(++per_group[group[r.item]], 4);
  }
  // Mean pairwise similarity of the picked items drops.
  auto mean_similarity = [&](const RecommendResult& r) {
    double sum = 0;
    int pairs = 0;
    for (size_t a = 0; a < r.items.size(); ++a) {
      for (size_t b = a + 1; b < r.items.size(); ++b) {
        const auto x = model->item_factors.row(r.items[a].item);
        const auto y = model->item_factors.row(r.items[b].item);
        sum += x.dot(y) / (x.norm() * y.norm());
        ++pairs;
      }
    }
    return sum / pairs;
  };
  EXPECT_LT(mean_similarity(varied), mean_similarity(ranked));
}

}  // namespace
}  // namespace tailor

namespace tailor {
namespace {

TEST(RecommenderTest, TheApproximatePathNeedsAPartition) {
  RecommenderOptions options;
  options.path = RetrievalPath::kAnn;
  const auto refused = Recommender::Create(TinyModel(), options);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), ::testing::HasSubstr("--ann=on"));
  const IvfPartition empty;
  EXPECT_FALSE(Recommender::Create(TinyModel(), options, &empty).ok());
  options.path = RetrievalPath::kAuto;
  EXPECT_TRUE(Recommender::Create(TinyModel(), options, &empty).ok());
}

// The scored path (EASE) ranks the model's items by the given scores
// under the same filter, caps and boosts; no usable scores mean the
// fallbacks.
TEST(RecommenderTest, ListsRankedByGivenScores) {
  const std::unique_ptr<Recommender> rec = *Recommender::Create(TinyModel());
  const std::vector<float> scores = {0.5f, -1, 2, 1};
  RecommendOptions options;
  options.count = 3;
  RecommendResult r = rec->RecommendByScores(scores, options);
  EXPECT_FALSE(r.fallback_used);
  EXPECT_EQ(Items(r), (std::vector<int32_t>{2, 3, 0}));
  EXPECT_EQ(r.items[0].source, Recommendation::Source::kPersonalized);
  EXPECT_EQ(r.items[0].score, 2.0f);
  ItemSet exclude(4);
  exclude.Insert(2);
  options.filter.exclude = &exclude;
  EXPECT_EQ(Items(rec->RecommendByScores(scores, options)),
            (std::vector<int32_t>{3, 0, 1}));
  // Candidates restrict, a boost raises by its magnitude (0.5 * 3 = 1.5 >
  // 1: item 0 overtakes item 3).
  const std::vector<int32_t> candidates = {0, 1, 3};
  options.filter.candidates = &candidates;
  options.boosts = {{0, 3.0f}, {2, 100.0f}};  // 2 stays excluded
  r = rec->RecommendByScores(scores, options);
  EXPECT_EQ(Items(r), (std::vector<int32_t>{0, 3, 1}));
  EXPECT_FLOAT_EQ(r.items[0].score, 2.0f);
  // Caps: one item per group.
  const std::vector<int32_t> group = {0, 0, 1, 1};
  RecommendOptions capped;
  capped.count = 3;
  capped.group_of = group.data();
  capped.max_per_group = 1;
  EXPECT_EQ(Items(rec->RecommendByScores(scores, capped)),
            (std::vector<int32_t>{2, 0}));
  // All zero, or not one per item: the popularity fallback.
  for (const std::vector<float>& bad :
       {std::vector<float>(4, 0.0f), std::vector<float>{1, 2}}) {
    r = rec->RecommendByScores(bad, capped);
    EXPECT_TRUE(r.fallback_used);
    EXPECT_EQ(Items(r), (std::vector<int32_t>{2, 0}));
  }
}

TEST(RecommenderTest, RecentPopularityComesBeforeOverallPopularity) {
  std::shared_ptr<Model> model = TinyModel();  // popularity 5, 1, 9, 3
  model->recent_popularity = {0, 4, 0, 7};
  const std::unique_ptr<Recommender> rec = *Recommender::Create(model);
  RecommendOptions options;
  options.count = 4;
  RecommendResult r = rec->RecommendRecent(options);
  EXPECT_TRUE(r.fallback_used);
  // 3 and 1 sold recently; 2 and 0 follow by overall popularity.
  EXPECT_EQ(Items(r), (std::vector<int32_t>{3, 1, 2, 0}));
  EXPECT_EQ(r.items[0].score, 7.0f);
  EXPECT_EQ(r.items[0].source, Recommendation::Source::kPopular);
  ItemSet exclude(4);
  exclude.Insert(3);
  options.filter.exclude = &exclude;
  options.count = 2;
  EXPECT_EQ(Items(rec->RecommendRecent(options)), (std::vector<int32_t>{1, 2}));
  // Without recent popularity: the popularity list.
  const std::unique_ptr<Recommender> plain = *Recommender::Create(TinyModel());
  EXPECT_EQ(Items(plain->RecommendRecent(options)),
            (std::vector<int32_t>{2, 0}));
}

}  // namespace
}  // namespace tailor

#include "core/recommender.h"

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
  Recommender rec(TinyModel());
  RecommendResult r = rec.Recommend(0, 3, nullptr);
  EXPECT_FALSE(r.fallback_used);
  EXPECT_EQ(Items(r), (std::vector<int32_t>{1, 3, 2}));
  for (const auto& i : r.items)
    EXPECT_EQ(i.source, Recommendation::Source::kPersonalized);
  EXPECT_FLOAT_EQ(r.items[0].score, 0.9f);
}

TEST(RecommenderTest, UnknownOrEmptyUserGetsPopularItems) {
  Recommender rec(TinyModel());
  for (std::optional<int32_t> user :
       {std::optional<int32_t>(), std::optional<int32_t>(1)}) {
    RecommendResult r = rec.Recommend(user, 2, nullptr);
    EXPECT_TRUE(r.fallback_used);
    EXPECT_EQ(Items(r), (std::vector<int32_t>{2, 0}));
    EXPECT_EQ(r.items[0].source, Recommendation::Source::kPopular);
    EXPECT_EQ(r.items[0].score, 9.0f);
  }
}

TEST(RecommenderTest, ExclusionsApplyToBothPaths) {
  Recommender rec(TinyModel());
  ItemSet exclude(4);
  exclude.Insert(1);
  exclude.Insert(2);
  EXPECT_EQ(Items(rec.Recommend(0, 10, &exclude)),
            (std::vector<int32_t>{3, 0}));
  EXPECT_EQ(Items(rec.Recommend(std::nullopt, 10, &exclude)),
            (std::vector<int32_t>{0, 3}));
}

TEST(RecommenderTest, SegmentListComesFirstForUsersWithoutAnEmbedding) {
  Recommender rec(TinyModel());
  const std::vector<int32_t> segment = {3, 1, 1, 2};
  ItemSet exclude(4);
  exclude.Insert(1);
  // Unknown and all-zero users: the segment's eligible items in its order
  // (3, then 2; 1 is excluded), then the most popular item not yet listed.
  for (std::optional<int32_t> user :
       {std::optional<int32_t>(), std::optional<int32_t>(1)}) {
    RecommendResult r = rec.Recommend(user, 3, &exclude, &segment);
    EXPECT_TRUE(r.fallback_used);
    EXPECT_EQ(Items(r), (std::vector<int32_t>{3, 2, 0}));
    EXPECT_EQ(r.items[0].source, Recommendation::Source::kSegmentPopular);
    EXPECT_EQ(r.items[1].source, Recommendation::Source::kSegmentPopular);
    EXPECT_EQ(r.items[2].source, Recommendation::Source::kPopular);
    EXPECT_GT(r.items[0].score, r.items[1].score);
  }
  // A user with an embedding is personalised; the segment list is unused.
  RecommendResult known = rec.Recommend(0, 2, nullptr, &segment);
  EXPECT_FALSE(known.fallback_used);
  EXPECT_EQ(Items(known), (std::vector<int32_t>{1, 3}));
}

}  // namespace
}  // namespace tailor

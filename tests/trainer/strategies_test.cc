#include "trainer/strategies.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;
using ::testing::Pair;

// Three shoppers over four items; item 3 is only bought long before the
// others' last events.
InteractionMatrix Matrix() {
  InteractionBuilder builder;
  const int64_t day = kSecondsPerDay, t = 1700000000;
  builder.Add({"u0", "a", EventType::kPurchase, t});
  builder.Add({"u0", "b", EventType::kClick, t + 40 * day});
  builder.Add({"u1", "a", EventType::kClick, t + 41 * day});
  builder.Add({"u1", "c", EventType::kPurchase, t + 42 * day});
  builder.Add({"u2", "d", EventType::kPurchase, t});
  builder.Add({"u2", "b", EventType::kClick, t + 42 * day});
  return std::move(builder).Build();
}

TEST(StrategiesTest, ParsesAutoAndLists) {
  StrategyOptions o;
  ASSERT_TRUE(ParseStrategies("ease", &o).ok());
  EXPECT_FALSE(o.recent_popularity);
  EXPECT_EQ(o.ease, StrategyOptions::Ease::kOn);
  ASSERT_TRUE(
      ParseStrategies(" recent-popularity, popularity,item-neighbours", &o)
          .ok());
  EXPECT_TRUE(o.recent_popularity);
  EXPECT_EQ(o.ease, StrategyOptions::Ease::kOff);
  ASSERT_TRUE(ParseStrategies("auto", &o).ok());
  EXPECT_TRUE(o.recent_popularity);
  EXPECT_EQ(o.ease, StrategyOptions::Ease::kAuto);
  absl::Status st = ParseStrategies("ease,slope-one", &o);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("--strategies: 'slope-one'"));
  EXPECT_THAT(ParseStrategies(" , ", &o).message(),
              HasSubstr("--strategies: empty"));
}

TEST(StrategiesTest, BuildsWhatIsAskedAndRecordsIt) {
  const InteractionMatrix m = Matrix();
  StrategyOptions o;  // auto: recent popularity, and EASE (4 items fit)
  o.recent_window_seconds = 7 * kSecondsPerDay;
  Model model;
  auto facts = BuildStrategies(m, o, &model);
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_THAT(*facts, ::testing::ElementsAre(
                          Pair("strategies",
                               "popularity,segment-popularity,item-neighbours,"
                               "recent-popularity,ease"),
                          Pair("recent_window_days", "7"),
                          Pair("ease_regularization", "500")));
  // Within the last week: a clicked once (1), b clicked twice (2), c
  // bought (2); d's purchase is older.
  ASSERT_EQ(model.recent_popularity.size(), 4u);
  const auto at = [&](const char* id) {
    return model.recent_popularity[*m.items.Find(id)];
  };
  EXPECT_EQ(at("a"), 1);
  EXPECT_EQ(at("b"), 2);
  EXPECT_EQ(at("c"), 2);
  EXPECT_EQ(at("d"), 0);
  ASSERT_NE(model.ease, nullptr);
  EXPECT_EQ(model.ease->rows(), 4);
  EXPECT_EQ(model.ease->diagonal().cwiseAbs().maxCoeff(), 0);
  // a and b share a shopper, a and d none: a's weight on b is the larger.
  const int32_t a = *m.items.Find("a"), b = *m.items.Find("b"),
                d = *m.items.Find("d");
  EXPECT_GT((*model.ease)(a, b), (*model.ease)(a, d));

  // auto skips EASE above the bound and says so; asked for, it is refused.
  o.ease_options.max_items = 3;
  facts = BuildStrategies(m, o, &model);
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_EQ(model.ease, nullptr);
  EXPECT_THAT(*facts,
              ::testing::Contains(
                  Pair("ease", "skipped: 4 items exceed --ease_max_items=3")));
  EXPECT_EQ(ValidationStrategies(o, 4).size(), 1u);
  o.ease = StrategyOptions::Ease::kOn;
  absl::Status st = BuildStrategies(m, o, &model).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(st.message(), HasSubstr("exceed --ease_max_items=3"));
  // Nothing asked: nothing built.
  o.ease = StrategyOptions::Ease::kOff;
  o.recent_popularity = false;
  facts = BuildStrategies(m, o, &model);
  ASSERT_TRUE(facts.ok());
  EXPECT_TRUE(model.recent_popularity.empty());
  EXPECT_EQ(model.ease, nullptr);
  EXPECT_TRUE(ValidationStrategies(o, 4).empty());
}

TEST(StrategiesTest, BadOptionsNameTheirFlag) {
  StrategyOptions o;
  o.recent_window_seconds = 0;
  EXPECT_THAT(ValidateStrategyOptions(o).message(),
              HasSubstr("--recent_window_days: must be > 0"));
  o = StrategyOptions();
  o.ease_options.regularization = -1;
  EXPECT_THAT(ValidateStrategyOptions(o).message(),
              HasSubstr("--ease_regularization: must be a positive number"));
  o = StrategyOptions();
  o.ease_options.max_items = 0;
  EXPECT_THAT(ValidateStrategyOptions(o).message(),
              HasSubstr("--ease_max_items: must be > 0"));
}

}  // namespace
}  // namespace tailor

#include "core/experiments/attribution.h"

#include <vector>

#include "gtest/gtest.h"

namespace tailor {
namespace {

constexpr int64_t kStart = 1'000'000;
constexpr int64_t kDay = 86400;

Exposure Shown(std::string id, int64_t t, std::vector<std::string> items) {
  return {.recommendation_id = std::move(id),
          .user_id = "ann",
          .experiment = "x",
          .arm = "a",
          .strategy = "als",
          .timestamp = t,
          .items = std::move(items)};
}

ShopperEvent Did(EventType type, std::string item, int64_t t,
                 std::string recommendation = "", double quantity = 1,
                 double price = 10) {
  return {.type = type,
          .item_id = std::move(item),
          .timestamp = t,
          .quantity = quantity,
          .unit_price = price,
          .recommendation_id = std::move(recommendation)};
}

TEST(AttributionTest, ExplicitIdsCountWithinTheWindowOnly) {
  const std::vector<Exposure> shown = {Shown("r1", kStart + 100, {"X", "Y"})};
  const ShopperOutcome o =
      Attribute(shown,
                {Did(EventType::kClick, "X", kStart + 110, "r1"),
                 // Any item: the storefront said where the click came from.
                 Did(EventType::kClick, "Q", kStart + 120, "r1"),
                 // Before the answer, or past the window: not earned.
                 Did(EventType::kClick, "X", kStart + 50, "r1"),
                 Did(EventType::kClick, "X", kStart + 100 + 7 * kDay + 1, "r1"),
                 // Another answer's id, or none: clicks only count by id.
                 Did(EventType::kClick, "X", kStart + 130, "r9"),
                 Did(EventType::kClick, "X", kStart + 140)},
                kStart);
  EXPECT_EQ(o.exposures, 1);
  EXPECT_EQ(o.first_exposure, kStart + 100);
  EXPECT_EQ(o.clicks, 2);
  ASSERT_EQ(o.credits.size(), 1u);
  EXPECT_EQ(o.credits[0].clicks, 2);
  EXPECT_FALSE(o.converted);
  EXPECT_FALSE(o.added_to_cart);
}

TEST(AttributionTest, CartsAndPurchasesOfShownItemsCountWithoutAnId) {
  const std::vector<Exposure> shown = {Shown("r2", kStart + 5 * kDay, {"Z"}),
                                       Shown("r1", kStart + 100, {"X", "Y"})};
  const ShopperOutcome o = Attribute(
      shown,
      {Did(EventType::kAddToCart, "Y", kStart + 200),
       // Two units of X at 25 within the window of r1.
       Did(EventType::kPurchase, "X", kStart + 3 * kDay, "", 2, 25),
       // Never shown; shown but bought before; tagged with another answer.
       Did(EventType::kPurchase, "W", kStart + 300),
       Did(EventType::kPurchase, "Z", kStart + 4 * kDay),
       Did(EventType::kPurchase, "Z", kStart + 5 * kDay + 10, "r0"),
       // Z within r2's window (r1's has passed by then for X).
       Did(EventType::kPurchase, "Z", kStart + 6 * kDay, "", 1, 40),
       Did(EventType::kPurchase, "X", kStart + 100 + 7 * kDay + 5),
       // Views are never attributed.
       Did(EventType::kView, "X", kStart + 150, "r1")},
      kStart);
  EXPECT_TRUE(o.added_to_cart);
  EXPECT_TRUE(o.converted);
  EXPECT_EQ(o.converted_at, kStart + 3 * kDay);
  EXPECT_DOUBLE_EQ(o.revenue, 2 * 25 + 40);
  EXPECT_EQ(o.first_exposure, kStart + 100);
  EXPECT_EQ(o.exposures, 2);
  // Each purchase is earned by one exposure, in the order given.
  ASSERT_EQ(o.credits.size(), 2u);
  EXPECT_TRUE(o.credits[0].purchased);
  EXPECT_DOUBLE_EQ(o.credits[0].revenue, 40);
  EXPECT_TRUE(o.credits[1].purchased);
  EXPECT_DOUBLE_EQ(o.credits[1].revenue, 50);
}

TEST(AttributionTest, SpendBeforeTheStartIsTheCovariate) {
  const ShopperOutcome o =
      Attribute({Shown("r1", kStart + 10, {"X"})},
                {Did(EventType::kPurchase, "A", kStart - 10 * kDay, "", 3, 20),
                 Did(EventType::kPurchase, "B", kStart - 1, "", 1, 5),
                 Did(EventType::kReturn, "B", kStart - 1, "", 1, 5),
                 Did(EventType::kPurchase, "X", kStart + 20, "", 1, 7)},
                kStart, /*window_seconds=*/60);
  EXPECT_DOUBLE_EQ(o.spend_before, 65);
  EXPECT_DOUBLE_EQ(o.revenue, 7);
  // A shorter window: a day later is too late.
  EXPECT_FALSE(Attribute({Shown("r1", kStart + 10, {"X"})},
                         {Did(EventType::kPurchase, "X", kStart + 10 + 61)},
                         kStart, 60)
                   .converted);
}

}  // namespace
}  // namespace tailor

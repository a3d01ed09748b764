// AdvanceProfile: a profile moved forward by events logged since it was
// built.
#include "core/customers/live_profile.h"

#include <optional>
#include <vector>

#include "gtest/gtest.h"

namespace tailor {
namespace {

TEST(AdvanceProfileTest, PurchasesAndReturnsMoveTheCountersForward) {
  constexpr int64_t kRef = 1767225600;  // 2026-01-01
  constexpr int64_t kDay = 86400;
  UserProfile p;
  p.orders = 2;
  p.gross = 100;
  p.returned = 10;
  p.recency_days = 3;  // last order on 2025-12-29
  p.events = 9;
  p.last_active_unix = kRef - kDay;
  auto price = [](absl::string_view id) -> std::optional<double> {
    if (id == "A") return 20.0;
    if (id == "B") return 5.0;
    return std::nullopt;
  };
  const std::vector<Event> events = {
      {"u", "A", EventType::kPurchase, kRef - 3 * kDay + 60, 1},  // same day
      {"u", "B", EventType::kPurchase, kRef + 2 * kDay, 2},       // new day
      {"u", "A", EventType::kPurchase, kRef + 2 * kDay + 60, 1},  // same day
      {"u", "A", EventType::kReturn, kRef + 3 * kDay, 1},
      {"u", "Z", EventType::kPurchase, kRef + 4 * kDay, 1},  // not priced
      {"u", "B", EventType::kView, kRef + 5 * kDay, 1},
  };
  AdvanceProfile(events, kRef, price, &p);
  EXPECT_EQ(p.orders, 3);
  EXPECT_DOUBLE_EQ(p.gross, 100 + 20 + 10 + 20);
  EXPECT_DOUBLE_EQ(p.returned, 30);
  EXPECT_DOUBLE_EQ(p.net(), 120);
  EXPECT_DOUBLE_EQ(p.recency_days, 0);  // bought after the reference time
  EXPECT_EQ(p.events, 15);
  EXPECT_EQ(p.last_active_unix, kRef + 5 * kDay);
  EXPECT_DOUBLE_EQ(p.average_order_value, 150.0 / 3);
  EXPECT_TRUE(HasRfm(p));

  // A shopper without a profile: one purchase makes a customer.
  UserProfile fresh;
  fresh.recency_days = -1;
  AdvanceProfile({{"v", "A", EventType::kPurchase, kRef + kDay, 3}}, kRef,
                 price, &fresh);
  EXPECT_EQ(fresh.orders, 1);
  EXPECT_DOUBLE_EQ(fresh.gross, 60);
  EXPECT_DOUBLE_EQ(fresh.recency_days, 0);
  EXPECT_DOUBLE_EQ(RfmValuesOf(fresh).recency_days, 0);
  // A price paid (a sale) counts instead of the catalog's.
  UserProfile sale;
  sale.recency_days = -1;
  Event discounted{"s", "A", EventType::kPurchase, kRef + kDay, 2};
  discounted.price = 12.5;
  AdvanceProfile({discounted}, kRef, price, &sale);
  EXPECT_DOUBLE_EQ(sale.gross, 25.0);
  UserProfile browser;
  browser.recency_days = -1;
  AdvanceProfile({{"w", "A", EventType::kView, kRef, 1}}, kRef, price,
                 &browser);
  EXPECT_FALSE(HasRfm(browser));
  EXPECT_EQ(RfmValuesOf(browser).recency_days, kNeverBoughtDays);
}

}  // namespace
}  // namespace tailor

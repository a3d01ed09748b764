// Customer profiles: spend, orders, returns, tenure and preference shares
// from a hand-made history; the reference time is a hard cut-off.
#include "core/customers/profiles.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tailor {
namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kT0 = 1700000000;

std::vector<Item> Catalog() {
  // Prices 10, 20, ..., 100: band edges at the 20/40/60/80% prices.
  std::vector<Item> c;
  const char* categories[] = {"dresses", "shoes"};
  for (int k = 0; k < 10; ++k) {
    Item item;
    item.item_id = absl::StrCat("i", k);
    item.category = categories[k % 2];
    item.brand = k < 5 ? "Flora" : "Kick";
    item.color = k % 3 == 0 ? "red" : "black";
    item.price = 10.0 * (k + 1);
    item.sizes = k % 2 == 0 ? std::vector<std::string>{"S", "M"}
                            : std::vector<std::string>{"M", "L"};
    c.push_back(item);
  }
  return c;
}

Event E(const char* user, const char* item, EventType type, int64_t t,
        double value = 1) {
  return {user, item, type, t, value};
}

TEST(ProfilesTest, SpendOrdersReturnsTenureAndShares) {
  const std::vector<Item> catalog = Catalog();
  ProfileOptions o;
  o.now_unix = kT0 + 30 * kDay;
  ProfileBuilder b(catalog, o);
  b.Add(E("u", "i0", EventType::kView, kT0));
  b.Add(E("u", "i0", EventType::kPurchase, kT0 + 60, 2));      // 2 x 10
  b.Add(E("u", "i2", EventType::kPurchase, kT0 + 120));        // same day: 30
  b.Add(E("u", "i4", EventType::kPurchase, kT0 + 10 * kDay));  // 50
  b.Add(E("u", "i0", EventType::kReturn, kT0 + 12 * kDay));    // -10
  b.Add(E("u", "i9", EventType::kView, kT0 + 20 * kDay));
  b.Add(E("u", "i9", EventType::kPurchase, kT0 + 40 * kDay));  // too late
  b.Add(E("u", "unknown", EventType::kPurchase, kT0));
  EXPECT_EQ(b.late_events(), 1);
  EXPECT_EQ(b.unpriced_events(), 1);
  const std::vector<UserProfile> p = b.Build();
  ASSERT_EQ(p.size(), 1u);
  const UserProfile& u = p[0];
  EXPECT_EQ(u.orders, 2);  // day 0 (two lines) and day 10
  EXPECT_DOUBLE_EQ(u.gross, 100);
  EXPECT_DOUBLE_EQ(u.returned, 10);
  EXPECT_DOUBLE_EQ(u.net(), 90);
  EXPECT_DOUBLE_EQ(u.average_order_value, 50);
  EXPECT_DOUBLE_EQ(u.return_rate, 1.0 / 4);  // 1 of 4 units
  EXPECT_DOUBLE_EQ(u.recency_days, 20);
  EXPECT_DOUBLE_EQ(u.tenure_days, 30);
  EXPECT_EQ(u.last_active_unix, kT0 + 20 * kDay);
  EXPECT_DOUBLE_EQ(u.days_since_active, 10);
  EXPECT_EQ(u.events, 7);  // the late event is not counted
  // Weighted interactions: dresses 1 (view) + 8 x 3 (purchases), shoes 1.
  ASSERT_EQ(u.categories.size(), 2u);
  EXPECT_EQ(u.categories[0].value, "dresses");
  EXPECT_NEAR(u.categories[0].share, 25.0 / 26.0, 1e-6);
  EXPECT_EQ(u.brands[0].value, "Flora");
  // Sizes from purchases only, as the share of purchases offered in each:
  // every purchased item comes in S and M, none in L.
  ASSERT_EQ(u.sizes.size(), 2u);
  EXPECT_EQ(u.sizes[0].value, "S");
  EXPECT_NEAR(u.sizes[0].share, 1.0, 1e-6);
  EXPECT_NEAR(u.sizes[1].share, 1.0, 1e-6);
  EXPECT_EQ(u.price_bands[0].value, "budget");  // i0 (10) bought, viewed
}

// The price an event says was paid (a sale) counts instead of the
// catalog's, for purchases and returns alike.
TEST(ProfilesTest, APricePaidOverridesTheCatalogPrice) {
  const std::vector<Item> catalog = Catalog();
  ProfileBuilder b(catalog, ProfileOptions());
  Event sale = E("u", "i4", EventType::kPurchase, kT0, 2);  // catalog 50
  sale.price = 35;
  Event refund = E("u", "i4", EventType::kReturn, kT0 + kDay);
  refund.price = 35;
  b.Add(sale);
  b.Add(refund);
  b.Add(E("u", "i0", EventType::kPurchase, kT0));  // catalog 10
  const std::vector<UserProfile> p = b.Build();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_DOUBLE_EQ(p[0].gross, 80);
  EXPECT_DOUBLE_EQ(p[0].returned, 35);
}

TEST(ProfilesTest, NeverBoughtAndShareFeatures) {
  const std::vector<Item> catalog = Catalog();
  ProfileOptions o;
  o.now_unix = kT0 + kDay;
  ProfileBuilder b(catalog, o);
  b.Add(E("v", "i1", EventType::kView, kT0));
  b.Add(E("v", "i3", EventType::kClick, kT0));
  const UserProfile p = b.Build()[0];
  EXPECT_EQ(p.recency_days, -1);
  EXPECT_EQ(p.orders, 0);
  EXPECT_EQ(p.average_order_value, 0);
  EXPECT_TRUE(p.sizes.empty());
  const std::vector<float> f = b.ShareFeatures(0);
  const std::vector<std::string> names = b.FeatureNames();
  ASSERT_EQ(f.size(), names.size());
  // 2 categories + 2 brands + 2 colours + 5 bands, each block sums to 1.
  ASSERT_EQ(f.size(), 11u);
  EXPECT_EQ(names[1], "category:shoes");
  EXPECT_FLOAT_EQ(f[1], 1.0f);  // only shoes
  EXPECT_FLOAT_EQ(f[2] + f[3], 1.0f);
  EXPECT_EQ(names[6], "price:budget");
}

TEST(ProfilesTest, WithoutACutOffTheLatestEventIsTheReference) {
  const std::vector<Item> catalog = Catalog();
  ProfileBuilder b(catalog, {});
  b.Add(E("a", "i0", EventType::kPurchase, kT0));
  b.Add(E("b", "i1", EventType::kView, kT0 + 5 * kDay));
  EXPECT_EQ(b.reference_unix(), kT0 + 5 * kDay);
  EXPECT_EQ(b.late_events(), 0);
  EXPECT_DOUBLE_EQ(b.Build()[0].recency_days, 5);
}

}  // namespace
}  // namespace tailor

#include "tools/datagen/store_generator.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/str_split.h"
#include "core/data/readers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace tailor {
namespace {

using testing::TempDir;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

StoreConfig Small() {
  StoreConfig c;
  c.users = 600;
  c.items = 400;
  c.events = 40000;
  c.seed = 99;
  return c;
}

// A generated store read back: catalog items by id, and each user's planted
// taste group and size from users.csv.
struct LoadedStore {
  std::vector<Item> catalog;
  std::map<std::string, const Item*> items;
  std::map<std::string, std::pair<int, std::string>> users;  // group, size
};

LoadedStore GenerateAndLoad(const TempDir& dir, int64_t events) {
  StoreConfig config = Small();
  config.events = events;
  EXPECT_TRUE(GenerateStore(config, dir.path()).ok());
  LoadedStore store;
  ReadReport r;
  store.catalog = *ReadCatalogCsv(dir.Join("catalog.csv"), {}, &r);
  for (const Item& it : store.catalog) store.items[it.item_id] = &it;
  std::istringstream users(Slurp(dir.Join("users.csv")));
  std::string line;
  std::getline(users, line);
  while (std::getline(users, line)) {
    std::vector<std::string> f = absl::StrSplit(line, ',');
    store.users[f[0]] = {std::stoi(f[1]), f[3]};
  }
  return store;
}

TEST(DatagenTest, SameSeedSameBytesOtherSeedOtherBytes) {
  TempDir a, b, c;
  ASSERT_TRUE(GenerateStore(Small(), a.path()).ok());
  ASSERT_TRUE(GenerateStore(Small(), b.path()).ok());
  StoreConfig other = Small();
  other.seed = 100;
  ASSERT_TRUE(GenerateStore(other, c.path()).ok());
  for (const char* f : {"catalog.csv", "events.csv", "users.csv"}) {
    EXPECT_EQ(Slurp(a.Join(f)), Slurp(b.Join(f))) << f;
    EXPECT_NE(Slurp(a.Join(f)), Slurp(c.Join(f))) << f;
  }
}

TEST(DatagenTest, FilesParseCleanlyWithExactCounts) {
  TempDir dir;
  auto stats = GenerateStore(Small(), dir.path());
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->events, 40000);

  ReadReport catalog_report;
  auto catalog = ReadCatalogCsv(dir.Join("catalog.csv"), {}, &catalog_report);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_EQ(catalog->size(), 400u);
  EXPECT_EQ(catalog_report.skipped, 0);
  std::set<std::string> item_ids;
  for (const Item& it : *catalog) {
    item_ids.insert(it.item_id);
    EXPECT_GT(it.price, 0);
    EXPECT_FALSE(it.sizes.empty());
    EXPECT_FALSE(it.title.empty());
  }

  ReadReport events_report;
  std::map<EventType, int64_t> by_type;
  int64_t last_ts = 0;
  std::string last_user;
  ASSERT_TRUE(ReadEventsCsv(
                  dir.Join("events.csv"), ReadOptions{true},
                  [&](Event&& e) {
                    ++by_type[e.type];
                    EXPECT_TRUE(item_ids.count(e.item_id)) << e.item_id;
                    // Grouped by user, in time order within a user.
                    if (e.user_id == last_user) {
                      EXPECT_GE(e.timestamp, last_ts);
                    }
                    last_user = e.user_id;
                    last_ts = e.timestamp;
                    EXPECT_GE(e.timestamp, 1735689600);
                    EXPECT_LT(e.timestamp, 1735689600 + 365 * 86400);
                  },
                  &events_report)
                  .ok());
  EXPECT_EQ(events_report.accepted, 40000);
  // The funnel narrows: views > carts > purchases > returns > 0.
  EXPECT_GT(by_type[EventType::kView], by_type[EventType::kAddToCart]);
  EXPECT_GT(by_type[EventType::kAddToCart], by_type[EventType::kPurchase]);
  EXPECT_GT(by_type[EventType::kPurchase], by_type[EventType::kReturn]);
  EXPECT_GT(by_type[EventType::kReturn], 0);
  EXPECT_EQ(by_type[EventType::kPurchase], stats->purchases);
}

TEST(DatagenTest, PlantedTasteGroupsShapeWhatUsersBuy) {
  TempDir dir;
  LoadedStore store = GenerateAndLoad(dir, 120000);
  ASSERT_EQ(store.users.size(), 600u);
  ReadReport r;
  // Share of each group's views that fall in "activewear": the sporty group
  // (2) must view far more of it than the office group (3).
  std::map<int, std::pair<int64_t, int64_t>> active;  // group -> (hits, all)
  ASSERT_TRUE(ReadEventsCsv(
                  dir.Join("events.csv"), {},
                  [&](Event&& e) {
                    auto& [hits, all] = active[store.users.at(e.user_id).first];
                    ++all;
                    hits += store.items.at(e.item_id)->category == "activewear";
                  },
                  &r)
                  .ok());
  auto share = [&](int g) {
    return static_cast<double>(active[g].first) / active[g].second;
  };
  EXPECT_GT(share(2), 3 * share(3)) << share(2) << " vs " << share(3);
  EXPECT_STREQ(TasteGroupName(2), "sporty");
}

TEST(DatagenTest, ShoppersBuyApparelOnlyInTheirSizeAndPreferTheirBrands) {
  TempDir dir;
  LoadedStore store = GenerateAndLoad(dir, 120000);
  ReadReport r;
  const std::set<std::string> apparel_sizes = {"XS", "S", "M", "L", "XL"};
  const std::set<std::string> sporty_brands = {"Peakform", "Stride",
                                               "FastLane"};
  int64_t apparel_purchases = 0, misfits = 0;
  std::map<bool, std::pair<int64_t, int64_t>> sporty_brand_views;
  ASSERT_TRUE(ReadEventsCsv(
                  dir.Join("events.csv"), {},
                  [&](Event&& e) {
                    const Item& item = *store.items.at(e.item_id);
                    const auto& [group, size] = store.users.at(e.user_id);
                    if (e.type == EventType::kPurchase &&
                        apparel_sizes.count(item.sizes[0])) {
                      ++apparel_purchases;
                      misfits += std::find(item.sizes.begin(), item.sizes.end(),
                                           size) == item.sizes.end();
                    }
                    if (e.type == EventType::kView) {
                      auto& [hits, all] = sporty_brand_views[group == 2];
                      ++all;
                      hits += sporty_brands.count(item.brand);
                    }
                  },
                  &r)
                  .ok());
  EXPECT_GT(apparel_purchases, 100);
  EXPECT_EQ(misfits, 0);
  auto share = [&](bool sporty) {
    return static_cast<double>(sporty_brand_views[sporty].first) /
           sporty_brand_views[sporty].second;
  };
  EXPECT_GT(share(true), 1.5 * share(false))
      << share(true) << " vs " << share(false);
}

TEST(DatagenTest, NewArrivalsAreInTheCatalogButInNoEvent) {
  TempDir dir;
  StoreConfig config = Small();
  config.new_arrivals = 0.05;
  auto stats = GenerateStore(config, dir.path());
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->new_arrivals, 20);
  ReadReport r;
  auto catalog = ReadCatalogCsv(dir.Join("catalog.csv"), {}, &r);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  ASSERT_EQ(catalog->size(), 400u);
  std::set<std::string> touched;
  ASSERT_TRUE(ReadEventsCsv(
                  dir.Join("events.csv"), {},
                  [&](Event&& e) { touched.insert(e.item_id); }, &r)
                  .ok());
  for (size_t i = 0; i < catalog->size(); ++i) {
    const bool is_new = i >= 380;
    EXPECT_EQ(touched.count((*catalog)[i].item_id), is_new ? 0u : 1u)
        << (*catalog)[i].item_id;
  }
}

TEST(DatagenTest, ShoppersAreActiveOnlyBetweenJoiningAndLapsing) {
  TempDir dir;
  StoreConfig config = Small();
  ASSERT_TRUE(GenerateStore(config, dir.path()).ok());
  std::istringstream users(Slurp(dir.Join("users.csv")));
  std::string line;
  std::getline(users, line);
  ASSERT_EQ(line,
            "user_id,taste_group,taste_name,size,activity,first_day,last_day");
  std::map<std::string, std::pair<int, int>> window;
  int lapsed = 0, joined_late = 0;
  while (std::getline(users, line)) {
    std::vector<std::string> f = absl::StrSplit(line, ',');
    ASSERT_EQ(f.size(), 7u) << line;
    const int first = std::stoi(f[5]), last = std::stoi(f[6]);
    ASSERT_LE(0, first);
    ASSERT_LE(first, last);
    ASSERT_LT(last, config.days);
    window[f[0]] = {first, last};
    lapsed += last < config.days - 1;
    joined_late += first > 0;
  }
  // Both ends of the lifecycle are planted in earnest.
  EXPECT_GT(lapsed, 600 / 3);
  EXPECT_GT(joined_late, 600 / 2);
  ReadReport r;
  int64_t checked = 0;
  ASSERT_TRUE(ReadEventsCsv(
                  dir.Join("events.csv"), {},
                  [&](Event&& e) {
                    const auto [first, last] = window.at(e.user_id);
                    const int64_t day =
                        (e.timestamp - config.start_unix) / 86400;
                    // Returns may come up to three weeks after a purchase.
                    const int64_t slack = e.type == EventType::kReturn ? 21 : 0;
                    EXPECT_GE(day, first) << e.user_id;
                    EXPECT_LE(day, last + slack) << e.user_id;
                    ++checked;
                  },
                  &r)
                  .ok());
  EXPECT_EQ(checked, config.events);

  // Without lapsing, everyone stays to the last day.
  config.mean_lifetime_days = 0;
  TempDir all;
  ASSERT_TRUE(GenerateStore(config, all.path()).ok());
  std::istringstream again(Slurp(all.Join("users.csv")));
  std::getline(again, line);
  while (std::getline(again, line)) {
    std::vector<std::string> f = absl::StrSplit(line, ',');
    EXPECT_EQ(std::stoi(f[6]), config.days - 1) << line;
  }
}

TEST(DatagenTest, RejectsNonsenseSizes) {
  TempDir dir;
  StoreConfig c = Small();
  c.users = 0;
  EXPECT_EQ(GenerateStore(c, dir.path()).status().code(),
            absl::StatusCode::kInvalidArgument);
  c = Small();
  c.new_arrivals = 0.9;
  EXPECT_THAT(std::string(GenerateStore(c, dir.path()).status().message()),
              ::testing::HasSubstr("new_arrivals"));
  c = Small();
  c.mean_lifetime_days = -1;
  EXPECT_THAT(std::string(GenerateStore(c, dir.path()).status().message()),
              ::testing::HasSubstr("mean_lifetime_days"));
}

}  // namespace
}  // namespace tailor

#include "core/serving/catalog_view.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tailor {
namespace {

using ::testing::ElementsAre;

// Three model items (A, B, C) along two axes; a map that puts "dresses" at
// (2, 0) and everything else at the intercept (0, 1).
struct Fixture {
  std::shared_ptr<const Model> model;
  std::shared_ptr<const AttributeMap> map;
  std::vector<Item> catalog;
};

Fixture MakeFixture() {
  auto model = std::make_shared<Model>();
  model->users = IdMap({"u"});
  model->items = IdMap({"A", "B", "C"});
  model->user_factors.resize(1, 2);
  model->user_factors << 1, 0;
  model->item_factors.resize(3, 2);
  model->item_factors << 3, 0, 1, 0, 0, 1;
  model->popularity = {1, 2, 3};
  AttributeMapParts parts;
  parts.category = {{"dresses", 1}};
  parts.band_offset = 2;
  parts.cross_offset = 2;
  parts.weights.resize(2, 2);
  parts.weights << 0, 1, 2, -1;
  Fixture f;
  f.model = model;
  f.map = std::make_shared<const AttributeMap>(
      *AttributeMap::FromParts(std::move(parts)));
  f.catalog = {{"A", "a", "dresses", "", "", 10, {"S", "M"}, true},
               {"B", "b", "tops", "", "", 20, {"S"}, true},
               {"Z", "not in the model", "tops", "", "", 1, {}, true}};
  return f;
}

LiveItem Entry(Item item, uint64_t seq, bool retired = false) {
  LiveItem e;
  e.item = std::move(item);
  e.seq = seq;
  e.retired = retired;
  return e;
}

// Whether two indexes answer every filter alike (category ids may be
// numbered differently: compared by name).
void ExpectSameIndex(const CatalogIndex& a, const CatalogIndex& b,
                     const std::vector<std::string>& categories,
                     const std::vector<std::string>& sizes) {
  ASSERT_EQ(a.num_items(), b.num_items());
  EXPECT_EQ(a.has_catalog(), b.has_catalog());
  EXPECT_EQ(a.sellable().words(), b.sellable().words());
  EXPECT_EQ(a.listable() == nullptr, b.listable() == nullptr);
  if (a.listable() != nullptr && b.listable() != nullptr) {
    EXPECT_EQ(a.listable()->words(), b.listable()->words());
  }
  for (const std::string& size : sizes) {
    const ItemSet* x = a.in_size(size);
    const ItemSet* y = b.in_size(size);
    if (y == nullptr) {
      // A size no item lists any more may keep an empty set.
      EXPECT_TRUE(x == nullptr || x->Count() == 0) << size;
    } else {
      ASSERT_NE(x, nullptr) << size;
      EXPECT_EQ(x->words(), y->words()) << size;
    }
  }
  for (const std::string& c : categories) {
    const int32_t x = a.category_id(c), y = b.category_id(c);
    if (y < 0) {
      EXPECT_TRUE(x < 0 || a.category_items(x).empty()) << c;
      continue;
    }
    ASSERT_GE(x, 0) << c;
    EXPECT_EQ(a.category_items(x), b.category_items(y)) << c;
    EXPECT_EQ(a.category_set(x).words(), b.category_set(y).words()) << c;
  }
  for (int32_t i = 0; i < a.num_items(); ++i) {
    const int32_t x = a.category_of()[i], y = b.category_of()[i];
    EXPECT_EQ(x < 0, y < 0) << i;
    const float p = a.prices()[i], q = b.prices()[i];
    EXPECT_TRUE(p == q || (std::isnan(p) && std::isnan(q))) << i;
  }
}

TEST(CatalogIndexTest, UpdatedEqualsARebuildOnRandomChanges) {
  std::mt19937 rng(11);
  const std::vector<std::string> categories = {"dresses", "tops", "shoes",
                                               "bags", "hats"};
  const std::vector<std::string> sizes = {"XS", "S", "M", "L", "42"};
  auto random_item = [&](int32_t i) {
    Item item;
    if (rng() % 6 == 0) return item;  // unlisted
    item.item_id = absl::StrCat("I", i);
    item.category = rng() % 8 == 0 ? "" : categories[rng() % 4 + (i > 300)];
    item.price = 5.0 + rng() % 200;
    item.in_stock = rng() % 5 != 0;
    for (const std::string& size : sizes) {
      if (rng() % 3 == 0) item.sizes.push_back(size);
    }
    if (rng() % 2 == 0) {
      for (size_t k = 0; k < item.sizes.size(); ++k) {
        item.size_stock.push_back(static_cast<int32_t>(rng() % 3));
      }
    }
    return item;
  };
  std::vector<Item> items;
  for (int32_t i = 0; i < 300; ++i) items.push_back(random_item(i));
  std::vector<bool> retired(items.size(), false);
  auto retired_list = [&] {
    std::vector<int32_t> out;
    for (size_t i = 0; i < retired.size(); ++i) {
      if (retired[i]) out.push_back(static_cast<int32_t>(i));
    }
    return out;
  };
  std::unique_ptr<CatalogIndex> index =
      std::make_unique<CatalogIndex>(items, retired_list());
  for (int round = 0; round < 20; ++round) {
    // Change some items, retire or bring back others, add a few.
    std::vector<IndexedItem> changed;
    const int32_t grow = static_cast<int32_t>(rng() % 5);
    for (int32_t k = 0; k < grow; ++k) {
      items.push_back(random_item(static_cast<int32_t>(items.size())));
      retired.push_back(false);
    }
    std::vector<int32_t> touched;
    for (int k = 0; k < 30; ++k) {
      touched.push_back(static_cast<int32_t>(rng() % items.size()));
    }
    for (int32_t k = 0; k < grow; ++k) {
      touched.push_back(static_cast<int32_t>(items.size()) - 1 - k);
    }
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    for (int32_t i : touched) {
      if (rng() % 4 == 0) {
        retired[i] = !retired[i];
      } else {
        items[i] = random_item(i);
      }
      changed.push_back({i, &items[i], retired[i]});
    }
    index = index->Updated(static_cast<int32_t>(items.size()), changed);
    SCOPED_TRACE(round);
    ExpectSameIndex(*index, CatalogIndex(items, retired_list()), categories,
                    sizes);
  }
}

TEST(CatalogViewTest, LaysLiveEntriesOverTheSnapshotCatalog) {
  Fixture f = MakeFixture();
  Item a = f.catalog[0];
  a.size_stock = {4, 0};  // sold out in M
  Item n{"N", "new", "dresses", "", "", 30, {"M"}, true};
  auto view =
      CatalogView::Build(f.model, f.catalog, {Entry(a, 1), Entry(n, 2)}, f.map);
  ASSERT_EQ(view->num_items(), 4);
  EXPECT_EQ(view->model_items(), 3);
  EXPECT_EQ(view->Find("N"), 3);
  EXPECT_EQ(view->Find("Z"), std::nullopt);  // neither model nor live
  EXPECT_EQ(view->id(3), "N");
  EXPECT_EQ(view->id(2), "C");
  EXPECT_EQ(view->item(2).item_id, "");  // C is not in the catalog
  // N's vector is what the map gives dresses: intercept + dresses.
  ASSERT_EQ(view->added().size(), 1);
  EXPECT_EQ(view->added().first, 3);
  EXPECT_FLOAT_EQ(view->added().factors(0, 0), 2);
  EXPECT_FLOAT_EQ(view->added().factors(0, 1), 0);
  EXPECT_FLOAT_EQ(view->added().unit(0, 0), 1);
  // Size M: A is sold out in it, N and nothing else lists it.
  const ItemSet* in_m = view->index().in_size("M");
  ASSERT_NE(in_m, nullptr);
  EXPECT_FALSE(in_m->Contains(0));
  EXPECT_TRUE(in_m->Contains(3));
  EXPECT_TRUE(view->index().in_size("S")->Contains(0));
  EXPECT_EQ(view->index().listable(), nullptr);
}

TEST(CatalogViewTest, EntriesApplyByTheirNumberNotTheirArrival) {
  Fixture f = MakeFixture();
  auto view = CatalogView::Build(f.model, f.catalog, {}, f.map);
  Item cheap = f.catalog[1];
  cheap.price = 5;
  Item dear = f.catalog[1];
  dear.price = 50;
  auto later = view->With({Entry(dear, 9)});
  auto stale = later->With({Entry(cheap, 8)});
  EXPECT_EQ(stale->item(1).price, 50);
  EXPECT_EQ(view->item(1).price, 20);  // the old view is untouched
  // Retired: in no set, and listable leaves it out; its index stays.
  auto retired = stale->With({Entry(dear, 10, true)});
  ASSERT_NE(retired->index().listable(), nullptr);
  EXPECT_FALSE(retired->index().listable()->Contains(1));
  EXPECT_FALSE(retired->index().sellable().Contains(1));
  EXPECT_TRUE(retired->retired(1));
  EXPECT_EQ(retired->retired_count(), 1);
  EXPECT_EQ(retired->Find("B"), 1);
  // A product retired before it was ever listed is not added.
  auto unlisted = retired->With({Entry({"Q", "q", "tops"}, 11, true)});
  EXPECT_EQ(unlisted->num_items(), 3);
}

TEST(CatalogViewTest, RecommenderListsAddedItemsBesideTheModels) {
  Fixture f = MakeFixture();
  Item n{"N", "new", "dresses", "", "", 30, {}, true};
  Item m{"M", "other", "tops", "", "", 30, {}, true};
  auto view =
      CatalogView::Build(f.model, f.catalog, {Entry(n, 1), Entry(m, 2)}, f.map);
  auto recommender = Recommender::Create(f.model);
  ASSERT_TRUE(recommender.ok());
  RecommendOptions options;
  options.count = 3;
  options.added = &view->added();
  // u = (1, 0): A 3, N 2, B 1, C 0, M 0.
  auto ids = [&](const RecommendResult& r) {
    std::vector<std::string> out;
    for (const Recommendation& x : r.items) out.push_back(view->id(x.item));
    return out;
  };
  EXPECT_THAT(ids((*recommender)->Recommend(0, options)),
              ElementsAre("A", "N", "B"));
  // Candidates (a category) reach the added items too.
  std::vector<int32_t> candidates = {1, 4};
  options.filter.candidates = &candidates;
  EXPECT_THAT(ids((*recommender)->Recommend(0, options)),
              ElementsAre("B", "M"));
  options.filter.candidates = nullptr;
  // A boost lifts an added item: M scores 0, raised by 5 x |0| stays 0;
  // N (2) boosted by 1 becomes 4, above A.
  options.boosts = {{3, 1.0f}};
  EXPECT_THAT(ids((*recommender)->Recommend(0, options)),
              ElementsAre("N", "A", "B"));
  // Similar to A (along the first axis): N and B, in index order on ties.
  std::vector<std::string> similar;
  for (const ScoredItem& s :
       (*recommender)->SimilarItems(0, 2, {}, &view->added())) {
    similar.push_back(view->id(s.item));
  }
  EXPECT_THAT(similar, ElementsAre("B", "N"));
}

}  // namespace
}  // namespace tailor

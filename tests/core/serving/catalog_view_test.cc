#include "core/serving/catalog_view.h"

#include <memory>
#include <vector>

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

// The cold-start hybrid: attributes map to sensible factor vectors, and a
// product nobody has touched yet lands among the products it resembles.
#include "core/models/attribute_embedding.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "core/models/als.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;

// Indexes of the `k` rows of `factors` (skipping `self`) with the highest
// cosine similarity to `v`.
std::vector<int32_t> Nearest(const RowMatrix& factors, const Vector& v, int k,
                             int32_t self = -1) {
  std::vector<std::pair<float, int32_t>> sims;
  for (int32_t r = 0; r < factors.rows(); ++r) {
    if (r == self) continue;
    const float norm = factors.row(r).norm() * v.norm();
    sims.emplace_back(norm > 0 ? factors.row(r).dot(v) / norm : -2.0f, r);
  }
  std::partial_sort(sims.begin(), sims.begin() + k, sims.end(),
                    [](const auto& a, const auto& b) { return a > b; });
  std::vector<int32_t> out;
  for (int i = 0; i < k; ++i) out.push_back(sims[i].second);
  return out;
}

// 400 items over 4 categories x 5 brands x 3 colors; each item's factors
// are category + brand + color directions plus noise.
struct PlantedCatalog {
  std::vector<Item> items;
  RowMatrix factors;
  RowMatrix category, brand, color;  // the planted directions
};

PlantedCatalog MakeCatalog(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0, 1);
  PlantedCatalog c;
  const int dims = 16;
  auto random_rows = [&](int rows, float scale) {
    RowMatrix m(rows, dims);
    for (Eigen::Index k = 0; k < m.size(); ++k) {
      m.data()[k] = scale * normal(rng);
    }
    return m;
  };
  c.category = random_rows(4, 1.0f);
  c.brand = random_rows(5, 0.6f);
  c.color = random_rows(3, 0.2f);
  const RowMatrix noise = random_rows(400, 0.15f);
  c.factors.resize(400, dims);
  for (int i = 0; i < 400; ++i) {
    const int cat = i % 4, brand = (i / 4) % 5, color = (i / 20) % 3;
    Item item;
    item.item_id = absl::StrCat("sku", i);
    item.category = absl::StrCat("cat", cat);
    item.brand = absl::StrCat("brand", brand);
    item.color = absl::StrCat("color", color);
    item.price = 20.0 * (cat + 1) * (1.0 + 0.1 * (i % 7));
    c.items.push_back(item);
    c.factors.row(i) = c.category.row(cat) + c.brand.row(brand) +
                       c.color.row(color) + noise.row(i);
  }
  return c;
}

std::vector<const Item*> Pointers(const std::vector<Item>& items) {
  std::vector<const Item*> out;
  for (const Item& i : items) out.push_back(&i);
  return out;
}

TEST(AttributeEmbeddingTest,
     NewItemsNearestNeighboursShareItsCategoryAndBrand) {
  const PlantedCatalog c = MakeCatalog(7);
  auto e = AttributeEmbedding::Fit(Pointers(c.items), c.factors,
                                   std::vector<bool>(400, true), {});
  ASSERT_TRUE(e.ok()) << e.status();
  // 1 intercept + 4 categories + 5 brands + 3 colors + 5 price bands + 4x5.
  EXPECT_EQ(e->num_features(), 1 + 4 + 5 + 3 + 5 + 20);
  EXPECT_LT(e->holdout_mse(), 0.25 * e->holdout_mse_of_mean());

  for (int cat = 0; cat < 4; ++cat) {
    for (int brand = 0; brand < 5; ++brand) {
      Item fresh;
      fresh.item_id = "brand-new";
      fresh.category = absl::StrCat("cat", cat);
      fresh.brand = absl::StrCat("brand", brand);
      fresh.color = "color1";
      fresh.price = 20.0 * (cat + 1);
      const Vector v = e->Embed(fresh);
      for (int32_t n : Nearest(c.factors, v, 5)) {
        EXPECT_EQ(c.items[n].category, fresh.category) << "neighbour " << n;
        EXPECT_EQ(c.items[n].brand, fresh.brand) << "neighbour " << n;
      }
    }
  }
}

TEST(AttributeEmbeddingTest, UnknownAttributesFallBackToTheKnownOnes) {
  const PlantedCatalog c = MakeCatalog(8);
  auto e = AttributeEmbedding::Fit(Pointers(c.items), c.factors,
                                   std::vector<bool>(400, true), {});
  ASSERT_TRUE(e.ok()) << e.status();
  Item known_category;
  known_category.category = "cat2";
  known_category.brand = "a brand never seen";
  known_category.color = "";
  known_category.price = 0;  // no price: no band
  for (int32_t n : Nearest(c.factors, e->Embed(known_category), 10)) {
    EXPECT_EQ(c.items[n].category, "cat2");
  }
  Item nothing_known;
  nothing_known.category = "hats";
  const Vector mean = c.factors.colwise().mean().transpose();
  EXPECT_LT((e->Embed(nothing_known) - mean).norm(), 0.5 * mean.norm() + 0.1);
}

TEST(AttributeEmbeddingTest, FitsOnlyTheMarkedItems) {
  PlantedCatalog c = MakeCatalog(9);
  std::vector<bool> fit(400, true);
  // Items of cat3 are not fitted on and their rows are garbage: the map must
  // not learn from them, so cat0's direction stays where the others put it.
  for (int i = 3; i < 400; i += 4) {
    fit[i] = false;
    c.factors.row(i).setConstant(1000.0f);
  }
  auto e = AttributeEmbedding::Fit(Pointers(c.items), c.factors, fit, {});
  ASSERT_TRUE(e.ok()) << e.status();
  Item fresh;
  fresh.category = "cat0";
  fresh.brand = "brand1";
  fresh.color = "color0";
  EXPECT_LT(e->Embed(fresh).norm(), 20.0f);
}

TEST(AttributeEmbeddingTest, RejectsBadOptionsAndTooLittleData) {
  const PlantedCatalog c = MakeCatalog(10);
  AttributeEmbeddingOptions o;
  o.price_bands = 50;
  EXPECT_THAT(AttributeEmbedding::Fit(Pointers(c.items), c.factors,
                                      std::vector<bool>(400, true), o)
                  .status()
                  .message(),
              HasSubstr("price_bands"));
  o = {};
  o.regularizations = {1, -2};
  EXPECT_THAT(ValidateAttributeEmbeddingOptions(o).message(),
              HasSubstr("regularizations"));
  std::vector<bool> few(400, false);
  for (int i = 0; i < 9; ++i) few[i] = true;
  const auto status =
      AttributeEmbedding::Fit(Pointers(c.items), c.factors, few, {}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("at least 10 items"));
  EXPECT_THAT(AttributeEmbedding::Fit(Pointers(c.items), c.factors,
                                      std::vector<bool>(3, true), {})
                  .status()
                  .message(),
              HasSubstr("one entry per item factor row"));
}

// End to end with ALS: shoppers in 4 taste groups, each group's products in
// its own category and two brands of its own; one product per group is in
// the catalog but nobody has touched it yet.
TEST(EmbedColdItemsTest, ColdProductsJoinTheirGroupAfterAls) {
  std::mt19937_64 rng(3);
  const int groups = 4, per_group = 30, users = 400;
  InteractionBuilder builder;
  std::vector<Item> catalog;
  for (int g = 0; g < groups; ++g) {
    for (int k = 0; k <= per_group; ++k) {  // k == per_group: the cold one
      Item item;
      item.item_id = k == per_group ? absl::StrCat("new", g)
                                    : absl::StrCat("g", g, "-", k);
      item.category = absl::StrCat("category", g);
      item.brand = absl::StrCat("brand", g, "-", k % 2);
      item.color = k % 3 == 0 ? "black" : "white";
      item.price = 30.0 + 10.0 * g + k;
      catalog.push_back(item);
      builder.AddItem(item.item_id);
    }
  }
  std::uniform_int_distribution<int> pick(0, per_group - 1);
  for (int u = 0; u < users; ++u) {
    const int g = u % groups;
    for (int e = 0; e < 12; ++e) {
      Event event;
      event.user_id = absl::StrCat("u", u);
      event.item_id = absl::StrCat("g", g, "-", pick(rng));
      event.type = EventType::kPurchase;
      event.timestamp = 1000 + e;
      builder.Add(event);
    }
  }
  const InteractionMatrix m = std::move(builder).Build();
  AlsOptions als;
  als.factors = 8;
  als.regularization = 1;
  als.threads = 1;
  auto f = TrainImplicitAls(m, als);
  ASSERT_TRUE(f.ok()) << f.status();
  RowMatrix items = f->item_factors;
  std::vector<int32_t> cold;
  for (int g = 0; g < groups; ++g) {
    cold.push_back(*m.items.Find(absl::StrCat("new", g)));
    // ALS leaves an item without interactions at (almost) nothing.
    EXPECT_LT(items.row(cold.back()).norm(), 1e-3);
  }

  auto report = EmbedColdItems(m, catalog, /*cold_below_users=*/1, {}, &items);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->embedded_items, groups);
  EXPECT_EQ(report->fitted_items, groups * per_group);
  EXPECT_EQ(report->cold_without_attributes, 0);
  for (int32_t i = 0; i < m.num_items(); ++i) {
    if (std::find(cold.begin(), cold.end(), i) == cold.end()) {
      EXPECT_EQ(items.row(i), f->item_factors.row(i)) << "warm item " << i;
    }
  }
  for (int g = 0; g < groups; ++g) {
    const Vector v = items.row(cold[g]).transpose();
    for (int32_t n : Nearest(items, v, 5, cold[g])) {
      EXPECT_EQ(catalog[n].category, absl::StrCat("category", g))
          << "neighbour " << m.items.id(n) << " of new" << g;
    }
  }
  // Each shopper scores their own group's new product above the others'.
  int right = 0;
  for (int u = 0; u < users; ++u) {
    const int g = u % groups;
    const auto user = f->user_factors.row(*m.users.Find(absl::StrCat("u", u)));
    int best = 0;
    for (int h = 1; h < groups; ++h) {
      if (user.dot(items.row(cold[h])) > user.dot(items.row(cold[best]))) {
        best = h;
      }
    }
    right += best == g;
  }
  EXPECT_GE(right, users * 95 / 100) << right << " of " << users;
}

TEST(EmbedColdItemsTest,
     ItemsWithoutAttributesAreCountedAndUntouchedOnesZeroed) {
  InteractionBuilder builder;
  for (int u = 0; u < 20; ++u) {
    for (int i = 0; i < 3; ++i) {
      Event event;
      event.user_id = absl::StrCat("u", u);
      event.item_id = absl::StrCat("i", i);
      event.type = EventType::kView;
      event.timestamp = 1;
      builder.Add(event);
    }
  }
  builder.AddItem("orphan");  // no events, no catalog entry
  const InteractionMatrix m = std::move(builder).Build();
  RowMatrix items = RowMatrix::Ones(m.num_items(), 4);
  auto report = EmbedColdItems(m, {}, 1, {}, &items);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->embedded_items, 0);
  EXPECT_EQ(report->cold_without_attributes, 1);
  const int32_t orphan = *m.items.Find("orphan");
  for (int32_t i = 0; i < m.num_items(); ++i) {
    EXPECT_EQ(items.row(i).sum(), i == orphan ? 0.0f : 4.0f) << "item " << i;
  }
  EXPECT_THAT(EmbedColdItems(m, {}, -1, {}, &items).status().message(),
              HasSubstr("cold_below_users"));
}

}  // namespace
}  // namespace tailor

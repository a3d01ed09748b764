#include "tools/sim/shopper_model.h"

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tools/datagen/store_generator.h"

namespace tailor {
namespace {

// Items in the generator's vocabulary: what "sporty" shoppers (group 2)
// like, and what they do not.
std::vector<Item> Catalog() {
  std::vector<Item> items;
  for (int i = 0; i < 10; ++i) {
    Item sporty;
    sporty.item_id = "run" + std::to_string(i);
    sporty.category = "activewear";
    sporty.brand = "Peakform";
    sporty.color = "black";
    sporty.price = 40;
    items.push_back(sporty);
    Item gown;
    gown.item_id = "gown" + std::to_string(i);
    gown.category = "dresses";
    gown.brand = "Castellane";
    gown.color = "burgundy";
    gown.price = 300;
    items.push_back(gown);
  }
  return items;
}

TEST(ShopperModelTest, AnswersFollowThePlantedTaste) {
  ASSERT_EQ(std::string(TasteGroupName(2)), "sporty");
  const ShopperModel model(Catalog());
  const SimShopper runner{"u", 2, 1.0};
  const std::vector<std::string> sporty = {"run0", "run1", "run2"};
  const std::vector<std::string> gowns = {"gown0", "gown1", "gown2"};
  EXPECT_GT(model.ConversionChance(runner, sporty, 0),
            5 * model.ConversionChance(runner, gowns, 0));
  // Unknown items are never clicked.
  EXPECT_EQ(model.ConversionChance(runner, {"nope"}, 0), 0.0);
  // The history lies in the 30 days before the given time, and buys.
  std::mt19937_64 rng(1);
  int purchases = 0;
  for (int i = 0; i < 200; ++i) {
    for (const SimEvent& e : model.History(runner, 1'000'000'000, rng)) {
      EXPECT_LT(e.timestamp, 1'000'000'000);
      EXPECT_GE(e.timestamp, 1'000'000'000 - 31 * 86400);
      purchases += e.type == 4;
    }
  }
  EXPECT_NEAR(purchases / 200.0, 3.0, 0.5);  // Poisson(3 * propensity 1)
}

// The planted effect is exact on the chance of a purchase: simulated
// responses convert as often as ConversionChance says, with and without it.
TEST(ShopperModelTest, ThePlantedEffectScalesConversionExactly) {
  const ShopperModel model(Catalog());
  const SimShopper runner{"u", 2, 0.8};
  const std::vector<std::string> list = {"run0", "gown0", "run1", "run2"};
  std::mt19937_64 rng(5);
  for (double effect : {0.0, 0.1, -0.2}) {
    constexpr int kTrials = 200000;
    int converted = 0;
    for (int i = 0; i < kTrials; ++i) {
      bool bought = false;
      for (const SimEvent& e :
           model.Respond(runner, list, "r", effect, 100, rng)) {
        bought |= e.type == 4;
        if (e.type == 2) EXPECT_EQ(e.recommendation_id, "r");
      }
      converted += bought;
    }
    const double p = model.ConversionChance(runner, list, effect);
    EXPECT_NEAR(p, model.ConversionChance(runner, list, 0) * (1 + effect),
                1e-12);
    // Within 4 standard errors.
    EXPECT_NEAR(converted / double(kTrials), p,
                4 * std::sqrt(p * (1 - p) / kTrials))
        << effect;
  }
}

}  // namespace
}  // namespace tailor

#include "tools/sim/shopper_model.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "tools/datagen/store_generator.h"

namespace tailor {
namespace {

constexpr int kView = 1;
constexpr int kClick = 2;
constexpr int kPurchase = 4;
constexpr int64_t kDay = 86400;

}  // namespace

ShopperModel::ShopperModel(std::vector<Item> catalog,
                           ShopperModelOptions options)
    : catalog_(std::move(catalog)), options_(options) {
  for (size_t i = 0; i < catalog_.size(); ++i) {
    index_.emplace(catalog_[i].item_id, static_cast<int32_t>(i));
  }
  std::vector<double> shares;
  for (int g = 0; g < NumTasteGroups(); ++g) {
    shares.push_back(TasteGroupShare(g));
    std::vector<double> appeal;
    double sum = 0;
    for (const Item& item : catalog_) {
      appeal.push_back(TasteAffinity(g, item));
      sum += appeal.back();
    }
    const double mean =
        sum > 0 ? sum / static_cast<double>(appeal.size()) : 1.0;
    for (double& a : appeal) a /= mean;
    picks_.emplace_back(sum > 0 ? appeal
                                : std::vector<double>(appeal.size(), 1.0));
    appeal_.push_back(std::move(appeal));
  }
  groups_ = AliasTable(shares);
}

SimShopper ShopperModel::Draw(std::string id, std::mt19937_64& rng) const {
  SimShopper s;
  s.id = std::move(id);
  s.group = groups_.Sample(rng);
  std::gamma_distribution<double> propensity(options_.propensity_shape,
                                             1 / options_.propensity_shape);
  s.propensity = propensity(rng);
  return s;
}

std::vector<SimEvent> ShopperModel::History(const SimShopper& shopper,
                                            int64_t before_unix,
                                            std::mt19937_64& rng) const {
  std::vector<SimEvent> out;
  if (catalog_.empty()) return out;
  std::poisson_distribution<int> purchases(options_.history_purchases *
                                           shopper.propensity);
  std::uniform_int_distribution<int64_t> when(before_unix - 30 * kDay,
                                              before_unix - kDay);
  const int bought = purchases(rng);
  const AliasTable& pick = picks_[shopper.group];
  for (int v = 0; v < bought + options_.history_views; ++v) {
    const Item& item = catalog_[pick.Sample(rng)];
    const int64_t t = when(rng);
    out.push_back({item.item_id, kView, t, -1, ""});
    if (v < bought)
      out.push_back({item.item_id, kPurchase, t + 60, item.price, ""});
  }
  return out;
}

double ShopperModel::Appeal(int group, const std::string& item_id) const {
  auto it = index_.find(item_id);
  return it == index_.end() ? 0.0 : appeal_[group][it->second];
}

double ShopperModel::ClickChance(int group, const std::string& item_id,
                                 int position) const {
  const double look = 1 / (1 + options_.position_decay * (position - 1));
  return std::min(options_.max_click,
                  options_.click_rate * Appeal(group, item_id)) *
         look;
}

double ShopperModel::BuyChance(const SimShopper& shopper) const {
  return std::min(options_.max_buy, options_.buy_rate * shopper.propensity);
}

std::vector<SimEvent> ShopperModel::Respond(
    const SimShopper& shopper, absl::Span<const std::string> items,
    const std::string& recommendation_id, double effect, int64_t now_unix,
    std::mt19937_64& rng) const {
  std::vector<SimEvent> out;
  std::uniform_real_distribution<double> uni(0, 1);
  const double buy = BuyChance(shopper);
  auto price = [&](const std::string& id) {
    auto it = index_.find(id);
    return it != index_.end() ? catalog_[it->second].price : 0.0;
  };
  bool bought = false;
  std::vector<double> clicks;
  for (size_t k = 0; k < items.size(); ++k) {
    clicks.push_back(
        ClickChance(shopper.group, items[k], static_cast<int>(k) + 1));
    if (uni(rng) >= clicks.back()) continue;
    out.push_back({items[k], kClick, now_unix, -1, recommendation_id});
    if (uni(rng) < buy) {
      out.push_back({items[k], kPurchase, now_unix + 30, price(items[k]), ""});
      bought = true;
    }
  }
  if (effect < 0 && bought && uni(rng) < -effect) {
    std::erase_if(out, [](const SimEvent& e) { return e.type == kPurchase; });
  } else if (effect > 0 && !bought && !items.empty()) {
    const double p = ConversionChance(shopper, items, 0);
    if (p < 1 && uni(rng) < effect * p / (1 - p)) {
      // A shown item, as likely as it is to be clicked.
      const size_t k = AliasTable(clicks).Sample(rng);
      out.push_back({items[k], kClick, now_unix, -1, recommendation_id});
      out.push_back({items[k], kPurchase, now_unix + 30, price(items[k]), ""});
    }
  }
  return out;
}

double ShopperModel::ConversionChance(const SimShopper& shopper,
                                      absl::Span<const std::string> items,
                                      double effect) const {
  const double buy = BuyChance(shopper);
  double none = 1;
  for (size_t k = 0; k < items.size(); ++k) {
    none *=
        1 - ClickChance(shopper.group, items[k], static_cast<int>(k) + 1) * buy;
  }
  return std::clamp((1 - none) * (1 + effect), 0.0, 1.0);
}

}  // namespace tailor

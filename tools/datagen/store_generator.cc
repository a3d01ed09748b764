#include "tools/datagen/store_generator.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/base/alias_table.h"
#include "core/base/catalog.h"
#include "core/base/status_macros.h"
#include "core/base/time.h"
#include "core/data/readers.h"

namespace tailor {
namespace {

enum SizeKind { kApparel, kWaist, kShoe, kOneSize };

struct Category {
  const char* name;
  double median_price;
  double price_sigma;
  SizeKind sizes;
  std::vector<const char*> nouns;
  double winter;  // demand multiplier in winter
  double summer;  // and in summer
  double share;   // of the catalog
  double return_mult;
};

const std::vector<Category>& Categories() {
  static const auto* c = new std::vector<Category>{
      {"tops",
       25,
       0.45,
       kApparel,
       {"T-Shirt", "Tank Top", "Blouse", "Crop Top", "Long-Sleeve Tee"},
       0.9,
       1.2,
       0.16,
       1.0},
      {"shirts",
       45,
       0.40,
       kApparel,
       {"Oxford Shirt", "Linen Shirt", "Poplin Shirt", "Flannel Shirt"},
       1.0,
       1.0,
       0.08,
       1.0},
      {"dresses",
       60,
       0.50,
       kApparel,
       {"Midi Dress", "Maxi Dress", "Wrap Dress", "Slip Dress", "Shirt Dress"},
       0.6,
       1.8,
       0.10,
       1.6},
      {"skirts",
       40,
       0.45,
       kApparel,
       {"Pleated Skirt", "Mini Skirt", "A-Line Skirt", "Denim Skirt"},
       0.7,
       1.5,
       0.05,
       1.2},
      {"jeans",
       70,
       0.40,
       kWaist,
       {"Slim Jeans", "Straight Jeans", "Wide-Leg Jeans", "Mom Jeans",
        "Skinny Jeans"},
       1.0,
       1.0,
       0.09,
       1.4},
      {"trousers",
       55,
       0.40,
       kWaist,
       {"Chinos", "Tailored Trousers", "Cargo Pants", "Linen Trousers"},
       1.0,
       1.0,
       0.07,
       1.2},
      {"knitwear",
       65,
       0.50,
       kApparel,
       {"Crewneck Sweater", "Cardigan", "Turtleneck", "Cable-Knit Jumper"},
       1.8,
       0.4,
       0.08,
       1.0},
      {"outerwear",
       140,
       0.55,
       kApparel,
       {"Wool Coat", "Puffer Jacket", "Trench Coat", "Denim Jacket", "Parka",
        "Blazer"},
       2.0,
       0.3,
       0.08,
       1.1},
      {"activewear",
       40,
       0.40,
       kApparel,
       {"Leggings", "Sports Bra", "Running Shorts", "Track Jacket",
        "Training Tee"},
       1.0,
       1.2,
       0.08,
       0.8},
      {"shoes",
       90,
       0.50,
       kShoe,
       {"Sneakers", "Ankle Boots", "Loafers", "Sandals", "Heels",
        "Running Shoes"},
       1.0,
       1.0,
       0.11,
       1.6},
      {"accessories",
       30,
       0.60,
       kOneSize,
       {"Scarf", "Belt", "Tote Bag", "Beanie", "Sunglasses", "Crossbody Bag"},
       1.1,
       1.1,
       0.10,
       0.5},
  };
  return *c;
}

struct Brand {
  const char* name;
  int tier;  // 0 budget, 1 mid, 2 premium
};
constexpr Brand kBrands[] = {
    {"Basico", 0},       {"UrbanThread", 0}, {"DailyWear", 0},
    {"Kooma", 0},        {"FastLane", 0},    {"Cotton & Co", 0},
    {"Northwind", 1},    {"Marlow", 1},      {"Avenue 9", 1},
    {"Stride", 1},       {"Linea", 1},       {"Bluefield", 1},
    {"Peakform", 1},     {"Maison Vert", 2}, {"Atelier Nord", 2},
    {"Halden", 2},       {"Castellane", 2},  {"Aurelio", 2},
    {"Kinsey & Rowe", 2}};
constexpr int kNumBrands = sizeof(kBrands) / sizeof(kBrands[0]);
constexpr double kTierPrice[3] = {0.6, 1.0, 2.2};

constexpr const char* kColors[] = {"black",  "white",  "navy",       "grey",
                                   "beige",  "camel",  "olive",      "burgundy",
                                   "red",    "pink",   "sky blue",   "green",
                                   "yellow", "floral", "denim blue", "brown"};
constexpr int kNumColors = sizeof(kColors) / sizeof(kColors[0]);

int ColorIndex(const char* name) {
  for (int i = 0; i < kNumColors; ++i) {
    if (std::string_view(kColors[i]) == name) return i;
  }
  return -1;
}

int BrandIndex(const char* name) {
  for (int i = 0; i < kNumBrands; ++i) {
    if (std::string_view(kBrands[i].name) == name) return i;
  }
  return -1;
}

int CategoryIndex(const char* name) {
  const auto& cats = Categories();
  for (size_t i = 0; i < cats.size(); ++i) {
    if (std::string_view(cats[i].name) == name) return static_cast<int>(i);
  }
  return -1;
}

// A planted taste: which categories, price tiers and colours a group of
// shoppers likes.
struct TasteGroup {
  const char* name;
  double share;
  std::vector<std::pair<const char*, double>> categories;
  std::array<double, 3> tiers;
  std::vector<const char*> colors;
  std::vector<const char*> brands;  // favourite labels
};

const std::vector<TasteGroup>& Groups() {
  // name, share of shoppers, category weights (others 0.1), price-tier
  // weights (budget, mid, premium), favourite colours, favourite brands.
  static const auto* g = new std::vector<TasteGroup>{
      {"budget basics",
       0.20,
       {{"tops", 3}, {"jeans", 3}, {"activewear", 1}, {"shoes", 1}},
       {3, 1, 0.1},
       {"black", "white", "grey", "navy"},
       {"Basico", "DailyWear", "Cotton & Co"}},
      {"premium outerwear",
       0.08,
       {{"outerwear", 4}, {"knitwear", 3}, {"shoes", 1.5}, {"accessories", 1}},
       {0.1, 0.6, 3},
       {"camel", "black", "grey", "navy", "burgundy"},
       {"Atelier Nord", "Halden", "Maison Vert"}},
      {"sporty",
       0.14,
       {{"activewear", 5}, {"shoes", 3}, {"tops", 1.5}},
       {1, 2, 0.5},
       {"black", "grey", "sky blue", "green", "red"},
       {"Peakform", "Stride", "FastLane"}},
      {"office classic",
       0.12,
       {{"shirts", 4}, {"trousers", 3.5}, {"outerwear", 1.5}, {"shoes", 1.5}},
       {0.3, 2, 1.5},
       {"white", "navy", "grey", "black", "beige"},
       {"Marlow", "Linea", "Castellane"}},
      {"boho summer",
       0.13,
       {{"dresses", 4}, {"skirts", 3}, {"accessories", 2}},
       {1, 1.5, 0.5},
       {"floral", "beige", "yellow", "pink", "white"},
       {"Avenue 9", "Bluefield", "Aurelio"}},
      {"streetwear",
       0.14,
       {{"tops", 2.5},
        {"jeans", 2.5},
        {"shoes", 2.5},
        {"outerwear", 1},
        {"accessories", 1}},
       {1.5, 2, 0.3},
       {"black", "olive", "red", "denim blue", "white"},
       {"UrbanThread", "Kooma", "Northwind"}},
      {"evening glam",
       0.07,
       {{"dresses", 4}, {"shoes", 2.5}, {"accessories", 2.5}},
       {0.2, 1, 3},
       {"black", "red", "burgundy", "pink"},
       {"Castellane", "Kinsey & Rowe", "Aurelio"}},
      {"cosy knit",
       0.12,
       {{"knitwear", 4},
        {"trousers", 1.5},
        {"accessories", 1.5},
        {"outerwear", 1}},
       {1, 2, 0.5},
       {"beige", "camel", "green", "brown", "burgundy"},
       {"Northwind", "Marlow", "Halden"}},
  };
  return *g;
}

constexpr double kMonthWeight[12] = {1.1, 0.8, 0.9, 0.9, 1.0, 1.0,
                                     1.1, 0.9, 0.9, 1.0, 1.4, 1.5};
constexpr const char* kApparelSizes[] = {"XS", "S", "M", "L", "XL"};
constexpr double kApparelSizeShare[] = {0.10, 0.25, 0.30, 0.22, 0.13};

// Season of a day: 0 winter (Dec-Feb), 1 spring, 2 summer, 3 autumn.
int SeasonOfMonth(int month0) {
  if (month0 == 11 || month0 <= 1) return 0;
  if (month0 <= 4) return 1;
  if (month0 <= 7) return 2;
  return 3;
}

double SeasonMultiplier(const Category& c, int season) {
  switch (season) {
    case 0:
      return c.winter;
    case 2:
      return c.summer;
    case 1:
      return (1.0 + c.summer) / 2.0;
    default:
      return (1.0 + c.winter) / 2.0;
  }
}

// Buffered file output that reports write errors once, at Close().
class Output {
 public:
  absl::Status Open(const std::string& path) {
    path_ = path;
    file_ = std::fopen(path.c_str(), "wb");
    if (file_ == nullptr) {
      return absl::UnavailableError(absl::StrCat("cannot create '", path, "'"));
    }
    buf_.reserve(kFlushAt + 4096);
    return absl::OkStatus();
  }
  void Append(std::string_view s) {
    buf_.append(s);
    if (buf_.size() >= kFlushAt) Flush();
  }
  void AppendInt(int64_t v) {
    char tmp[24];
    auto [end, ec] = std::to_chars(tmp, tmp + sizeof(tmp), v);
    buf_.append(tmp, end);
  }
  void MaybeFlush() {
    if (buf_.size() >= kFlushAt) Flush();
  }
  int64_t bytes() const { return bytes_ + static_cast<int64_t>(buf_.size()); }
  absl::Status Close() {
    Flush();
    const bool failed = file_ == nullptr || error_ || std::fclose(file_) != 0;
    file_ = nullptr;
    if (failed) {
      return absl::UnavailableError(
          absl::StrCat("writing '", path_, "' failed (disk full?)"));
    }
    return absl::OkStatus();
  }
  ~Output() {
    if (file_ != nullptr) std::fclose(file_);
  }

 private:
  static constexpr size_t kFlushAt = 4 << 20;
  void Flush() {
    if (file_ != nullptr && !buf_.empty() &&
        std::fwrite(buf_.data(), 1, buf_.size(), file_) != buf_.size()) {
      error_ = true;
    }
    bytes_ += static_cast<int64_t>(buf_.size());
    buf_.clear();
  }
  std::string path_;
  std::FILE* file_ = nullptr;
  std::string buf_;
  int64_t bytes_ = 0;
  bool error_ = false;
};

std::string PaddedId(const char* prefix, int64_t n, int64_t count) {
  const int width =
      std::max<int>(6, static_cast<int>(std::to_string(count).size()));
  return absl::StrFormat("%s%0*d", prefix, width, n);
}

struct GeneratedItem {
  int category;
  int brand;
  int color;
  uint8_t apparel_sizes;  // bit s: kApparelSizes[s] offered (all bits: n/a)
};

struct Raw {
  int64_t ts;
  int32_t item;
  uint8_t type;  // 0 view 1 click 2 cart 3 purchase 4 return
  uint8_t qty;
};

absl::Status ValidateConfig(const StoreConfig& config) {
  if (config.users < 1 || config.items < 1 || config.events < 0 ||
      config.days < 28) {
    return absl::InvalidArgumentError(
        "users and items must be >= 1, events >= 0, days >= 28");
  }
  if (!(config.new_arrivals >= 0 && config.new_arrivals <= 0.5)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "new_arrivals: must be in [0, 0.5], got ", config.new_arrivals));
  }
  if (!(config.mean_lifetime_days >= 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "mean_lifetime_days: must be >= 0, got ", config.mean_lifetime_days));
  }
  return absl::OkStatus();
}

// One run of the generator. Its sections run in this order and draw from
// one random stream, so the order is part of the output: the catalog, each
// taste group's picks per season, the calendar, the shoppers' lifecycles,
// then each shopper's sessions.
// Thread safety: not thread-safe; one run, one thread.
class StoreBuilder {
 public:
  StoreBuilder(const StoreConfig& config, std::string out_dir)
      : config_(config),
        out_dir_(std::move(out_dir)),
        new_arrivals_(static_cast<int64_t>(std::floor(
            config.new_arrivals * static_cast<double>(config.items)))),
        rng_(config.seed) {
    stats_.new_arrivals = new_arrivals_;
  }

  // catalog.csv: every item's category, brand, colour, title, price, sizes
  // and stock, and its base popularity (0 for the new arrivals).
  absl::Status WriteCatalog();
  // What each taste group picks in each season, and the global popularity.
  void BuildTastes();
  // Session days weighted by month and weekday, and each day's season.
  void BuildCalendar();
  // Each shopper's event rate and the days they are active: from the day
  // they join (a third were customers before the data starts) until they
  // lapse, after an exponentially distributed lifetime; some are still
  // active at the end. Their events fall within those days, as many as
  // their rate times the days they were active.
  void DrawLifecycles();
  // users.csv (the planted truth) and events.csv, one shopper at a time.
  absl::Status WriteShoppers();

  GeneratorStats& stats() { return stats_; }

 private:
  // A day in [first, last], drawn by the calendar's weights.
  int DrawDay(int first, int last);
  // `n` events of one shopper: browsing sessions on their active days, with
  // clicks, carts, purchases of what fits them and returns.
  void DrawSessions(int64_t n, int group, int size, int first_day, int last_day,
                    std::vector<Raw>* raw);
  void AppendEvents(const std::string& uid, const std::vector<Raw>& raw,
                    Output* events) const;

  const StoreConfig& config_;
  const std::string out_dir_;
  const int64_t new_arrivals_;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> uni_{0.0, 1.0};
  GeneratorStats stats_;
  // Catalog.
  std::vector<GeneratedItem> items_;
  std::vector<std::string> item_ids_;
  std::vector<double> base_pop_;
  // Tastes: taste_[group * 4 + season].
  std::vector<AliasTable> taste_;
  AliasTable global_pop_;
  // Calendar: cumulative day weights (a day is drawn by bisection).
  std::vector<double> day_cum_;
  std::vector<int> day_season_;
  // Lifecycles.
  std::vector<double> rate_, activity_;
  std::vector<int> first_day_, last_day_;
  double activity_sum_ = 0;
};

absl::Status StoreBuilder::WriteCatalog() {
  const auto& cats = Categories();
  std::vector<double> cat_share;
  for (const auto& c : cats) cat_share.push_back(c.share);
  AliasTable cat_alias(cat_share);
  items_.resize(config_.items);
  item_ids_.resize(config_.items);
  base_pop_.resize(config_.items);
  std::vector<int64_t> rank(config_.items);
  for (int64_t i = 0; i < config_.items; ++i) rank[i] = i;
  std::shuffle(rank.begin(), rank.end(), rng_);
  Output out;
  TAILOR_RETURN_IF_ERROR(out.Open(out_dir_ + "/catalog.csv"));
  out.Append(CatalogCsvHeader());
  out.Append("\n");
  for (int64_t i = 0; i < config_.items; ++i) {
    GeneratedItem& g = items_[i];
    g.category = cat_alias.Sample(rng_);
    g.brand = static_cast<int>(rng_() % kNumBrands);
    g.color = static_cast<int>(rng_() % kNumColors);
    g.apparel_sizes = 0xFF;
    // New arrivals have no popularity yet: no event ever samples them.
    base_pop_[i] = i >= config_.items - new_arrivals_
                       ? 0.0
                       : std::pow(static_cast<double>(rank[i]) + 10.0, -0.9);
    const Category& c = cats[g.category];
    Item item;
    item.item_id = item_ids_[i] = PaddedId("SKU", i, config_.items);
    item.category = c.name;
    item.brand = kBrands[g.brand].name;
    item.color = kColors[g.color];
    std::string color = item.color;
    color[0] = static_cast<char>(std::toupper(color[0]));
    item.title = absl::StrCat(item.brand, " ", color, " ",
                              c.nouns[rng_() % c.nouns.size()]);
    std::lognormal_distribution<double> price(
        std::log(c.median_price * kTierPrice[kBrands[g.brand].tier]),
        c.price_sigma);
    item.price = std::max(4.99, std::floor(price(rng_)) + 0.99);  // x.99
    switch (c.sizes) {
      case kApparel:
        g.apparel_sizes = 0;
        for (int s = 0; s < 5; ++s) {
          if (uni_(rng_) < 0.9) {
            item.sizes.emplace_back(kApparelSizes[s]);
            g.apparel_sizes |= 1 << s;
          }
        }
        break;
      case kWaist:
        for (int w = 26; w <= 36; w += 2) {
          if (uni_(rng_) < 0.9) item.sizes.push_back(absl::StrCat(w));
        }
        break;
      case kShoe:
        for (int s = 36; s <= 45; ++s) {
          if (uni_(rng_) < 0.9) item.sizes.push_back(absl::StrCat(s));
        }
        break;
      case kOneSize:
        item.sizes.emplace_back("One Size");
        break;
    }
    if (item.sizes.empty()) {
      item.sizes.emplace_back("M");
      g.apparel_sizes = 1 << 2;
    }
    item.in_stock = uni_(rng_) < 0.92;
    out.Append(CatalogCsvRow(item));
    out.Append("\n");
  }
  return out.Close();
}

// A taste group's weights by category, colour and brand (indexes into
// Categories(), kColors and kBrands).
struct GroupWeights {
  std::vector<double> category;
  std::vector<double> color;
  std::vector<double> brand;
};

GroupWeights WeightsOf(int group) {
  const TasteGroup& g = Groups()[group];
  GroupWeights w;
  w.category.assign(Categories().size(), 0.1);
  for (const auto& [name, weight] : g.categories) {
    w.category[CategoryIndex(name)] = weight;
  }
  w.color.assign(kNumColors, 1.0);
  for (const char* c : g.colors) w.color[ColorIndex(c)] = 3.0;
  w.brand.assign(kNumBrands, 1.0);
  for (const char* b : g.brands) w.brand[BrandIndex(b)] = 2.5;
  return w;
}

void StoreBuilder::BuildTastes() {
  const auto& cats = Categories();
  const auto& groups = Groups();
  const int num_groups = static_cast<int>(groups.size());
  taste_.resize(num_groups * 4);
  for (int g = 0; g < num_groups; ++g) {
    const GroupWeights weights = WeightsOf(g);
    const std::vector<double>& cat_w = weights.category;
    const std::vector<double>& color_w = weights.color;
    const std::vector<double>& brand_w = weights.brand;
    for (int season = 0; season < 4; ++season) {
      std::vector<double> w(config_.items);
      for (int64_t i = 0; i < config_.items; ++i) {
        const GeneratedItem& it = items_[i];
        w[i] = base_pop_[i] * cat_w[it.category] *
               groups[g].tiers[kBrands[it.brand].tier] * brand_w[it.brand] *
               color_w[it.color] * SeasonMultiplier(cats[it.category], season);
      }
      taste_[g * 4 + season] = AliasTable(w);
    }
  }
  global_pop_ = AliasTable(base_pop_);
}

void StoreBuilder::BuildCalendar() {
  std::vector<double> day_w(config_.days);
  day_season_.resize(config_.days);
  for (int d = 0; d < config_.days; ++d) {
    const absl::CivilDay day = absl::ToCivilDay(
        absl::FromUnixSeconds(config_.start_unix + d * kSecondsPerDay),
        absl::UTCTimeZone());
    const int month0 = day.month() - 1;
    const absl::Weekday wd = absl::GetWeekday(day);
    const bool weekend =
        wd == absl::Weekday::saturday || wd == absl::Weekday::sunday;
    day_w[d] = kMonthWeight[month0] * (weekend ? 1.25 : 1.0);
    day_season_[d] = SeasonOfMonth(month0);
  }
  day_cum_.assign(config_.days + 1, 0.0);
  for (int d = 0; d < config_.days; ++d) {
    day_cum_[d + 1] = day_cum_[d] + day_w[d];
  }
}

int StoreBuilder::DrawDay(int first, int last) {
  const double x =
      day_cum_[first] + uni_(rng_) * (day_cum_[last + 1] - day_cum_[first]);
  const int d =
      static_cast<int>(std::upper_bound(day_cum_.begin(), day_cum_.end(), x) -
                       day_cum_.begin() - 1);
  return std::clamp(d, first, last);
}

void StoreBuilder::DrawLifecycles() {
  const int64_t users = config_.users;
  rate_.resize(users);
  activity_.resize(users);
  first_day_.resize(users);
  last_day_.resize(users);
  std::exponential_distribution<double> lifetime(1.0 /
                                                 config_.mean_lifetime_days);
  for (int64_t u = 0; u < users; ++u) {
    rate_[u] = std::min(200.0, std::pow(1.0 - uni_(rng_), -1.0 / 1.3));
    const double j = uni_(rng_) * 1.5 - 0.5;
    first_day_[u] = j <= 0 ? 0 : static_cast<int>(j * (config_.days - 1));
    const double life = config_.mean_lifetime_days > 0
                            ? lifetime(rng_)
                            : static_cast<double>(config_.days);
    last_day_[u] = static_cast<int>(
        std::min<double>(config_.days - 1, first_day_[u] + std::floor(life)));
    activity_[u] = rate_[u] * (last_day_[u] - first_day_[u] + 1) / config_.days;
    activity_sum_ += activity_[u];
  }
}

void StoreBuilder::DrawSessions(int64_t n, int group, int size, int first_day,
                                int last_day, std::vector<Raw>* raw) {
  const auto& cats = Categories();
  const double buy = 0.5 + 1.5 * uni_(rng_);
  const double return_rate = 0.04 + 0.16 * uni_(rng_);
  const int64_t horizon_end =
      config_.start_unix + config_.days * kSecondsPerDay;
  raw->clear();
  while (static_cast<int64_t>(raw->size()) < n) {
    const int day = DrawDay(first_day, last_day);
    int64_t t = config_.start_unix + day * kSecondsPerDay + 8 * 3600 +
                static_cast<int64_t>(uni_(rng_) * 15 * 3600);
    const AliasTable& pick = taste_[group * 4 + day_season_[day]];
    auto sample = [&] {
      return uni_(rng_) < 0.12 ? global_pop_.Sample(rng_) : pick.Sample(rng_);
    };
    const int32_t anchor = sample();
    int views = 1;
    while (views < 8 && uni_(rng_) < 0.65) ++views;
    std::vector<int32_t> carted;
    for (int v = 0; v < views && static_cast<int64_t>(raw->size()) < n; ++v) {
      int32_t item = anchor;
      if (v > 0) {
        item = sample();
        if (uni_(rng_) < 0.5) {
          for (int tries = 0;
               tries < 4 && items_[item].category != items_[anchor].category;
               ++tries) {
            item = pick.Sample(rng_);
          }
        }
      }
      t += 20 + static_cast<int64_t>(uni_(rng_) * 120);
      raw->push_back({t, item, 0, 0});
      if (static_cast<int64_t>(raw->size()) < n && uni_(rng_) < 0.35) {
        raw->push_back(
            {t + 5 + static_cast<int64_t>(uni_(rng_) * 40), item, 1, 0});
      }
      // Nobody buys clothes that do not come in their size.
      const bool fits = (items_[item].apparel_sizes >> size) & 1;
      if (fits && static_cast<int64_t>(raw->size()) < n &&
          uni_(rng_) < 0.12 * buy) {
        raw->push_back(
            {t + 30 + static_cast<int64_t>(uni_(rng_) * 60), item, 2, 0});
        carted.push_back(item);
      }
    }
    t += 300;
    for (int32_t item : carted) {
      if (static_cast<int64_t>(raw->size()) >= n || uni_(rng_) >= 0.6) {
        continue;
      }
      const uint8_t qty = uni_(rng_) < 0.1 ? 2 : 1;
      raw->push_back({t, item, 3, qty});
      ++stats_.purchases;
      const double p_return =
          return_rate * cats[items_[item].category].return_mult;
      const int64_t back =
          t + (3 + static_cast<int64_t>(uni_(rng_) * 18)) * kSecondsPerDay;
      if (static_cast<int64_t>(raw->size()) < n && uni_(rng_) < p_return &&
          back < horizon_end) {
        raw->push_back({back, item, 4, qty});
        ++stats_.returns;
      }
    }
  }
  std::stable_sort(raw->begin(), raw->end(),
                   [](const Raw& a, const Raw& b) { return a.ts < b.ts; });
}

void StoreBuilder::AppendEvents(const std::string& uid,
                                const std::vector<Raw>& raw,
                                Output* events) const {
  static constexpr std::string_view kTypeNames[] = {
      "view", "click", "add_to_cart", "purchase", "return"};
  for (const Raw& r : raw) {
    events->Append(uid);
    events->Append(",");
    events->Append(item_ids_[r.item]);
    events->Append(",");
    events->Append(kTypeNames[r.type]);
    events->Append(",");
    events->AppendInt(r.ts);
    if (r.qty > 0) {
      events->Append(",");
      events->AppendInt(r.qty);
    }
    events->Append("\n");
  }
}

absl::Status StoreBuilder::WriteShoppers() {
  const auto& groups = Groups();
  std::vector<double> group_share;
  for (const auto& g : groups) group_share.push_back(g.share);
  AliasTable group_alias(group_share);
  AliasTable size_alias(std::vector<double>(std::begin(kApparelSizeShare),
                                            std::end(kApparelSizeShare)));
  // Everybody gets one event if there are enough, the rest by activity.
  const int64_t base = config_.events >= config_.users ? 1 : 0;
  const double spread =
      static_cast<double>(config_.events - base * config_.users);

  Output truth, events;
  TAILOR_RETURN_IF_ERROR(truth.Open(out_dir_ + "/users.csv"));
  TAILOR_RETURN_IF_ERROR(events.Open(out_dir_ + "/events.csv"));
  truth.Append(
      "user_id,taste_group,taste_name,size,activity,first_day,last_day\n");
  events.Append("user_id,item_id,event_type,timestamp,value\n");

  double cum = 0;
  int64_t assigned = 0;
  std::vector<Raw> raw;
  for (int64_t u = 0; u < config_.users; ++u) {
    cum = u == config_.users - 1 ? spread
                                 : cum + spread * activity_[u] / activity_sum_;
    const int64_t upto = static_cast<int64_t>(std::floor(cum + 1e-6));
    const int64_t n = base + upto - assigned;
    assigned = upto;
    const int group = group_alias.Sample(rng_);
    const int size = size_alias.Sample(rng_);
    const std::string uid = PaddedId("U", u, config_.users);
    truth.Append(uid);
    truth.Append(",");
    truth.AppendInt(group);
    truth.Append(",");
    truth.Append(groups[group].name);
    truth.Append(",");
    truth.Append(kApparelSizes[size]);
    truth.Append(absl::StrFormat(",%.3f,%d,%d\n", rate_[u], first_day_[u],
                                 last_day_[u]));
    DrawSessions(n, group, size, first_day_[u], last_day_[u], &raw);
    AppendEvents(uid, raw, &events);
    stats_.events += static_cast<int64_t>(raw.size());
  }
  TAILOR_RETURN_IF_ERROR(truth.Close());
  stats_.bytes = events.bytes();
  return events.Close();
}

}  // namespace

int NumTasteGroups() { return static_cast<int>(Groups().size()); }

double TasteGroupShare(int group) { return Groups()[group].share; }

double TasteAffinity(int group, const Item& item) {
  const int category = CategoryIndex(item.category.c_str());
  const int brand = BrandIndex(item.brand.c_str());
  const int color = ColorIndex(item.color.c_str());
  if (group < 0 || group >= NumTasteGroups() || category < 0 || brand < 0 ||
      color < 0) {
    return 0;
  }
  const GroupWeights w = WeightsOf(group);
  return w.category[category] * Groups()[group].tiers[kBrands[brand].tier] *
         w.brand[brand] * w.color[color];
}
const char* TasteGroupName(int group) { return Groups()[group].name; }

absl::StatusOr<GeneratorStats> GenerateStore(const StoreConfig& config,
                                             const std::string& out_dir) {
  TAILOR_RETURN_IF_ERROR(ValidateConfig(config));
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot create '", out_dir, "': ", ec.message()));
  }
  StoreBuilder builder(config, out_dir);
  TAILOR_RETURN_IF_ERROR(builder.WriteCatalog());
  builder.BuildTastes();
  builder.BuildCalendar();
  builder.DrawLifecycles();
  TAILOR_RETURN_IF_ERROR(builder.WriteShoppers());
  GeneratorStats stats = builder.stats();
  stats.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return stats;
}

}  // namespace tailor

#include "core/customers/profiles.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "core/base/time.h"

namespace tailor {
namespace {

constexpr int kBands = 5;

// The top `n` entries of a weight block, as shares of `denominator`, or of
// the block's sum when it is 0.
std::vector<Share> TopShares(const float* w, const IdMap& names, int n,
                             double denominator = 0) {
  const int32_t size = names.size();
  double total = denominator;
  if (total == 0) {
    for (int32_t i = 0; i < size; ++i) total += w[i];
  }
  std::vector<Share> out;
  if (!(total > 0)) return out;
  std::vector<int32_t> order(size);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return w[a] > w[b]; });
  for (int32_t i : order) {
    if (static_cast<int>(out.size()) >= n || !(w[i] > 0)) break;
    out.push_back({names.id(i), static_cast<float>(w[i] / total)});
  }
  return out;
}

void AppendNormalized(const float* w, int32_t size, std::vector<float>* out) {
  double total = 0;
  for (int32_t i = 0; i < size; ++i) total += w[i];
  for (int32_t i = 0; i < size; ++i) {
    out->push_back(total > 0 ? static_cast<float>(w[i] / total) : 0.0f);
  }
}

}  // namespace

const std::vector<std::string>& PriceBandNames() {
  static const auto* names = new std::vector<std::string>{
      "budget", "value", "mid-range", "upper", "premium"};
  return *names;
}

ProfileBuilder::ProfileBuilder(const std::vector<Item>& catalog,
                               ProfileOptions options)
    : options_(std::move(options)) {
  std::vector<double> prices;
  for (const Item& item : catalog) {
    if (item.price > 0) prices.push_back(item.price);
  }
  std::sort(prices.begin(), prices.end());
  for (int b = 1; b < kBands && !prices.empty(); ++b) {
    band_edges_.push_back(prices[prices.size() * b / kBands]);
  }
  for (const Item& item : catalog) {
    if (!item_index_.try_emplace(item.item_id, items_.size()).second) continue;
    items_.push_back(&item);
    item_category_.push_back(
        item.category.empty() ? -1 : categories_.Insert(item.category));
    item_brand_.push_back(item.brand.empty() ? -1 : brands_.Insert(item.brand));
    item_color_.push_back(item.color.empty() ? -1 : colors_.Insert(item.color));
    item_band_.push_back(
        item.price > 0 ? static_cast<int32_t>(
                             std::upper_bound(band_edges_.begin(),
                                              band_edges_.end(), item.price) -
                             band_edges_.begin())
                       : -1);
    std::vector<int32_t> sizes;
    for (const std::string& s : item.sizes) sizes.push_back(sizes_.Insert(s));
    item_sizes_.push_back(std::move(sizes));
  }
}

int32_t ProfileBuilder::UserIndex(const std::string& user_id) {
  const int32_t before = users_.size();
  const int32_t u = users_.Insert(user_id);
  if (u == before) {
    counters_.emplace_back();
    category_w_.resize(category_w_.size() + categories_.size(), 0.0f);
    brand_w_.resize(brand_w_.size() + brands_.size(), 0.0f);
    color_w_.resize(color_w_.size() + colors_.size(), 0.0f);
    size_w_.resize(size_w_.size() + sizes_.size(), 0.0f);
    band_w_.resize(band_w_.size() + kBands, 0.0f);
  }
  return u;
}

void ProfileBuilder::Add(const Event& e) {
  if (e.timestamp > options_.now_unix) {
    ++late_events_;
    return;
  }
  latest_ = std::max(latest_, e.timestamp);
  const int32_t u = UserIndex(e.user_id);
  Counters& c = counters_[u];
  if (c.events == 0) c.first = c.last = e.timestamp;
  ++c.events;
  c.first = std::min(c.first, e.timestamp);
  c.last = std::max(c.last, e.timestamp);
  const bool purchase = e.type == EventType::kPurchase;
  const bool ret = e.type == EventType::kReturn;
  auto it = item_index_.find(e.item_id);
  if (it == item_index_.end()) {
    if (purchase || ret) ++unpriced_;
    return;
  }
  const int32_t i = it->second;
  const double quantity = e.value > 0 ? e.value : 1.0;
  const float w = std::max(0.0f, options_.weights.of(e.type));
  if (w > 0) {
    if (item_category_[i] >= 0) {
      category_w_[int64_t{u} * categories_.size() + item_category_[i]] += w;
    }
    if (item_brand_[i] >= 0)
      brand_w_[int64_t{u} * brands_.size() + item_brand_[i]] += w;
    if (item_color_[i] >= 0)
      color_w_[int64_t{u} * colors_.size() + item_color_[i]] += w;
    if (item_band_[i] >= 0) band_w_[int64_t{u} * kBands + item_band_[i]] += w;
  }
  const double price = e.price >= 0 ? e.price : items_[i]->price;
  if (purchase) {
    c.gross += quantity * price;
    c.units += quantity;
    c.last_purchase = std::max(c.last_purchase, e.timestamp);
    const int64_t day = UtcDayOf(e.timestamp);
    if (order_days_.emplace(u, day).second) ++c.orders;
    for (int32_t s : item_sizes_[i])
      size_w_[int64_t{u} * sizes_.size() + s] += 1.0f;
    if (!item_sizes_[i].empty()) ++c.sized_purchases;
  } else if (ret) {
    c.returned += quantity * price;
    c.returned_units += quantity;
  }
}

int64_t ProfileBuilder::reference_unix() const {
  if (options_.now_unix != ProfileOptions::kLatestEvent) {
    return options_.now_unix;
  }
  return latest_ == INT64_MIN ? 0 : latest_;
}

std::vector<UserProfile> ProfileBuilder::Build() const {
  std::vector<UserProfile> out(users_.size());
  const double now = static_cast<double>(reference_unix());
  IdMap bands(PriceBandNames());
  for (int32_t u = 0; u < users_.size(); ++u) {
    const Counters& c = counters_[u];
    UserProfile& p = out[u];
    p.recency_days =
        c.last_purchase >= 0 ? (now - c.last_purchase) / kSecondsPerDay : -1;
    p.orders = c.orders;
    p.gross = c.gross;
    p.returned = c.returned;
    p.tenure_days = (now - c.first) / kSecondsPerDay;
    p.average_order_value = c.orders > 0 ? c.gross / c.orders : 0;
    p.return_rate = c.units > 0 ? c.returned_units / c.units : 0;
    p.last_active_unix = c.last;
    p.days_since_active = (now - c.last) / kSecondsPerDay;
    p.events = c.events;
    const int n = options_.top_n;
    p.categories = TopShares(
        category_w_.data() + int64_t{u} * categories_.size(), categories_, n);
    p.brands =
        TopShares(brand_w_.data() + int64_t{u} * brands_.size(), brands_, n);
    p.colors =
        TopShares(color_w_.data() + int64_t{u} * colors_.size(), colors_, n);
    // Events do not say which size was bought; a size every purchase was
    // offered in is the shopper's (share 1).
    p.sizes = TopShares(size_w_.data() + int64_t{u} * sizes_.size(), sizes_, n,
                        static_cast<double>(c.sized_purchases));
    p.price_bands = TopShares(band_w_.data() + int64_t{u} * kBands, bands, n);
  }
  return out;
}

std::vector<float> ProfileBuilder::ShareFeatures(int32_t u) const {
  std::vector<float> out;
  AppendNormalized(category_w_.data() + int64_t{u} * categories_.size(),
                   categories_.size(), &out);
  AppendNormalized(brand_w_.data() + int64_t{u} * brands_.size(),
                   brands_.size(), &out);
  AppendNormalized(color_w_.data() + int64_t{u} * colors_.size(),
                   colors_.size(), &out);
  AppendNormalized(band_w_.data() + int64_t{u} * kBands, kBands, &out);
  return out;
}

std::vector<std::string> ProfileBuilder::FeatureNames() const {
  std::vector<std::string> out;
  for (const std::string& v : categories_.ids()) {
    out.push_back(absl::StrCat("category:", v));
  }
  for (const std::string& v : brands_.ids()) {
    out.push_back(absl::StrCat("brand:", v));
  }
  for (const std::string& v : colors_.ids()) {
    out.push_back(absl::StrCat("color:", v));
  }
  for (const std::string& v : PriceBandNames()) {
    out.push_back(absl::StrCat("price:", v));
  }
  return out;
}

}  // namespace tailor

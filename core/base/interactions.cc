#include "core/base/interactions.h"

#include <algorithm>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tailor {

InteractionBuilder::InteractionBuilder(EventWeights weights)
    : weights_(weights) {}

EventContribution ContributionOf(const Event& event,
                                 const EventWeights& weights) {
  EventContribution c;
  c.weight = weights.of(event.type);
  if (event.type == EventType::kRating) {
    c.weight *= static_cast<float>(event.value);
  }
  c.purchases = event.type == EventType::kPurchase ? 1
                : event.type == EventType::kReturn ? -1
                                                   : 0;
  c.type_flag = TypeFlag(event.type);
  return c;
}

bool IsConsumed(uint8_t flags, int net_purchases, ConsumedTypes rule) {
  constexpr uint8_t kPurchase = TypeFlag(EventType::kPurchase);
  constexpr uint8_t kReturn = TypeFlag(EventType::kReturn);
  if ((rule & kPurchase) != 0 && net_purchases > 0) return true;
  return (flags & rule & ~(kPurchase | kReturn)) != 0;
}

absl::StatusOr<ConsumedTypes> ParseConsumedTypes(absl::string_view spec) {
  ConsumedTypes rule = 0;
  for (absl::string_view name : absl::StrSplit(spec, ',', absl::SkipEmpty())) {
    absl::StatusOr<EventType> type =
        ParseEventType(absl::StripAsciiWhitespace(name));
    if (!type.ok() || *type == EventType::kReturn) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", name,
          "' is not a consumption event type (view, click, add_to_cart, "
          "purchase, rating)"));
    }
    rule |= TypeFlag(*type);
  }
  return rule;
}

std::string ConsumedTypesName(ConsumedTypes rule) {
  std::string out;
  for (int t = 0; t < kNumEventTypes; ++t) {
    const auto type = static_cast<EventType>(t);
    if (rule & TypeFlag(type)) {
      absl::StrAppend(&out, out.empty() ? "" : ",", EventTypeName(type));
    }
  }
  return out;
}

void InteractionBuilder::Add(const Event& event) {
  Raw r{};
  r.user = users_.Insert(event.user_id);
  r.item = items_.Insert(event.item_id);
  const EventContribution c = ContributionOf(event, weights_);
  r.weight = c.weight;
  r.purchases = c.purchases;
  r.type_flag = c.type_flag;
  r.time = event.timestamp;
  raw_.push_back(r);
}

InteractionMatrix InteractionBuilder::Build() && {
  InteractionMatrix m;
  const int32_t nu = users_.size();
  // Counting sort by user, then sort each row by item and merge duplicates.
  std::vector<int64_t> count(nu + 1, 0);
  for (const Raw& r : raw_) ++count[r.user + 1];
  for (int32_t u = 0; u < nu; ++u) count[u + 1] += count[u];
  std::vector<Raw> sorted(raw_.size());
  {
    std::vector<int64_t> fill(count.begin(), count.end() - 1);
    for (const Raw& r : raw_) sorted[fill[r.user]++] = r;
  }
  raw_.clear();
  raw_.shrink_to_fit();

  m.row_ptr.assign(nu + 1, 0);
  m.item.reserve(sorted.size());
  m.weight.reserve(sorted.size());
  m.weight_sum.reserve(sorted.size());
  m.net_purchases.reserve(sorted.size());
  m.flags.reserve(sorted.size());
  m.time.reserve(sorted.size());
  for (int32_t u = 0; u < nu; ++u) {
    auto begin = sorted.begin() + count[u];
    auto end = sorted.begin() + count[u + 1];
    std::stable_sort(
        begin, end, [](const Raw& a, const Raw& b) { return a.item < b.item; });
    for (auto it = begin; it != end;) {
      const int32_t item = it->item;
      double w = 0;
      int net_purchases = 0;
      uint8_t types = 0;
      int64_t last = it->time;
      for (; it != end && it->item == item; ++it) {
        w += it->weight;
        net_purchases += it->purchases;
        types |= it->type_flag;
        last = std::max(last, it->time);
      }
      m.item.push_back(item);
      m.weight.push_back(static_cast<float>(std::max(0.0, w)));
      m.weight_sum.push_back(static_cast<float>(w));
      m.net_purchases.push_back(static_cast<int16_t>(std::clamp(
          net_purchases, static_cast<int>(std::numeric_limits<int16_t>::min()),
          static_cast<int>(std::numeric_limits<int16_t>::max()))));
      m.flags.push_back(kInteracted | (net_purchases > 0 ? kPurchased : 0) |
                        types);
      m.time.push_back(last);
    }
    m.row_ptr[u + 1] = static_cast<int64_t>(m.item.size());
  }
  m.users = std::move(users_);
  m.items = std::move(items_);
  return m;
}

CsrView TransposeToItemMajor(const InteractionMatrix& m) {
  CsrView t;
  const int32_t ni = m.num_items();
  t.row_ptr.assign(ni + 1, 0);
  for (int32_t i : m.item) ++t.row_ptr[i + 1];
  for (int32_t i = 0; i < ni; ++i) t.row_ptr[i + 1] += t.row_ptr[i];
  t.col.resize(m.item.size());
  t.weight.resize(m.item.size());
  std::vector<int64_t> fill(t.row_ptr.begin(), t.row_ptr.end() - 1);
  for (int32_t u = 0; u < m.num_users(); ++u) {
    for (int64_t p = m.row_ptr[u]; p < m.row_ptr[u + 1]; ++p) {
      const int64_t dst = fill[m.item[p]]++;
      t.col[dst] = u;
      t.weight[dst] = m.weight[p];
    }
  }
  return t;
}

}  // namespace tailor

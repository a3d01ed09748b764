#include "core/customer_segments.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"

namespace tailor {
namespace {

bool InUnit(float v) { return std::isnan(v) || (v >= 0.0f && v <= 1.0f); }

// User indexes by descending `score` (NaN last), ties by index.
template <typename Score>
std::vector<int32_t> OrderBy(int32_t n, Score score) {
  std::vector<double> s(n);
  for (int32_t u = 0; u < n; ++u) {
    const double v = score(u);
    s[u] = std::isnan(v) ? -std::numeric_limits<double>::infinity() : v;
  }
  std::vector<int32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return s[a] > s[b]; });
  return order;
}

// Adds `v` to a (sum, count) pair, unless it is NaN (no score).
void Accumulate(float v, double* sum, int64_t* count) {
  if (std::isnan(v)) return;
  *sum += v;
  ++*count;
}

}  // namespace

absl::Status CustomerSegments::Validate(int32_t num_items) const {
  if (records.size() != static_cast<size_t>(users.size())) {
    return absl::DataLossError(absl::StrCat(
        "segments: ", records.size(), " records for ", users.size(), " users"));
  }
  const int32_t k = static_cast<int32_t>(clusters.size());
  for (int32_t u = 0; u < users.size(); ++u) {
    const CustomerRecord& r = records[u];
    if (r.cluster < -1 || r.cluster >= k) {
      return absl::DataLossError(absl::StrCat("segments: user '", users.id(u),
                                              "' has cluster ", r.cluster,
                                              " of ", k));
    }
    if (r.rfm.has_value()) {
      const RfmScores& s = *r.rfm;
      for (int v : {s.r, s.f, s.m, s.fm}) {
        if (v < 1 || v > 5) {
          return absl::DataLossError(absl::StrCat(
              "segments: user '", users.id(u), "' has an RFM score ", v));
        }
      }
      if (static_cast<int>(s.segment) < 0 ||
          static_cast<int>(s.segment) >= kNumRfmSegments) {
        return absl::DataLossError(absl::StrCat("segments: user '", users.id(u),
                                                "' has a bad RFM segment"));
      }
    }
    if (!InUnit(r.purchase_propensity) || !InUnit(r.churn_risk)) {
      return absl::DataLossError(absl::StrCat("segments: user '", users.id(u),
                                              "' has a score outside [0, 1]"));
    }
  }
  for (int32_t c = 0; c < k; ++c) {
    for (int32_t item : clusters[c].popular_items) {
      if (item < 0 || item >= num_items) {
        return absl::DataLossError(absl::StrCat("segments: cluster ", c,
                                                " lists item index ", item,
                                                " of ", num_items));
      }
    }
  }
  return absl::OkStatus();
}

std::optional<RfmSegment> RfmSegmentFromName(absl::string_view name) {
  for (int s = 0; s < kNumRfmSegments; ++s) {
    if (name == RfmSegmentName(static_cast<RfmSegment>(s))) {
      return static_cast<RfmSegment>(s);
    }
  }
  return std::nullopt;
}

RfmValues RfmValuesOf(const UserProfile& p) {
  return {p.recency_days >= 0 ? p.recency_days : kNeverBoughtDays, p.orders,
          p.net()};
}

void AdvanceProfile(
    absl::Span<const Event> events, int64_t reference_unix,
    const std::function<std::optional<double>(absl::string_view)>& price,
    UserProfile* p) {
  constexpr int64_t kDaySeconds = 86400;
  auto day_of = [](int64_t t) {
    return t >= 0 ? t / kDaySeconds : (t - kDaySeconds + 1) / kDaySeconds;
  };
  // The last purchase day the profile knows (none: never bought).
  std::optional<int64_t> last_order_day;
  if (p->recency_days >= 0) {
    last_order_day = day_of(
        reference_unix -
        static_cast<int64_t>(std::llround(p->recency_days * kDaySeconds)));
  }
  std::vector<int64_t> new_days;
  for (const Event& e : events) {
    ++p->events;
    p->last_active_unix = std::max(p->last_active_unix, e.timestamp);
    if (e.type != EventType::kPurchase && e.type != EventType::kReturn) {
      continue;
    }
    const std::optional<double> unit_price =
        e.price >= 0 ? std::optional<double>(e.price) : price(e.item_id);
    if (!unit_price.has_value()) continue;
    const double value = (e.value > 0 ? e.value : 1.0) * *unit_price;
    if (e.type == EventType::kReturn) {
      p->returned += value;
      continue;
    }
    p->gross += value;
    const int64_t day = day_of(e.timestamp);
    if ((!last_order_day.has_value() || day > *last_order_day) &&
        std::find(new_days.begin(), new_days.end(), day) == new_days.end()) {
      new_days.push_back(day);
      ++p->orders;
    }
    const double recency = std::max(
        0.0, static_cast<double>(reference_unix - e.timestamp) / kDaySeconds);
    p->recency_days =
        p->recency_days < 0 ? recency : std::min(p->recency_days, recency);
  }
  p->average_order_value = p->orders > 0 ? p->gross / p->orders : 0;
  if (p->last_active_unix > 0) {
    p->days_since_active = std::max(
        0.0, static_cast<double>(reference_unix - p->last_active_unix) /
                 kDaySeconds);
  }
}

SegmentIndex::SegmentIndex(CustomerSegments segments)
    : segments_(std::move(segments)) {
  const int32_t n = segments_.users.size();
  const auto& rec = segments_.records;
  {
    std::vector<RfmValues> base;
    for (const CustomerRecord& r : rec) {
      if (r.rfm.has_value()) base.push_back(RfmValuesOf(r.profile));
    }
    rfm_scorer_ = RfmScorer(base);
  }
  by_propensity_ = MakeOrder(
      OrderBy(n, [&](int32_t u) { return rec[u].purchase_propensity; }));
  by_churn_ =
      MakeOrder(OrderBy(n, [&](int32_t u) { return rec[u].churn_risk; }));
  by_monetary_ =
      MakeOrder(OrderBy(n, [&](int32_t u) { return rec[u].profile.net(); }));

  struct Acc {
    int64_t users = 0, np = 0, nc = 0;
    double sp = 0, sc = 0;
  };
  std::vector<Acc> rfm(kNumRfmSegments), cl(segments_.clusters.size());
  auto add = [](Acc& a, const CustomerRecord& r) {
    ++a.users;
    Accumulate(r.purchase_propensity, &a.sp, &a.np);
    Accumulate(r.churn_risk, &a.sc, &a.nc);
  };
  for (const CustomerRecord& r : rec) {
    if (r.rfm.has_value()) add(rfm[static_cast<int>(r.rfm->segment)], r);
    if (r.cluster >= 0) add(cl[r.cluster], r);
  }
  auto summarize = [](const std::vector<Acc>& in) {
    std::vector<SegmentSummary> out(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
      out[i].users = in[i].users;
      if (in[i].np > 0) out[i].mean_purchase_propensity = in[i].sp / in[i].np;
      if (in[i].nc > 0) out[i].mean_churn_risk = in[i].sc / in[i].nc;
    }
    return out;
  };
  rfm_summaries_ = summarize(rfm);
  cluster_summaries_ = summarize(cl);
}

SegmentIndex::Order SegmentIndex::MakeOrder(std::vector<int32_t> users) const {
  Order o;
  o.keys.reserve(users.size());
  for (int32_t u : users) {
    const CustomerRecord& r = segments_.records[u];
    o.keys.push_back(
        {r.purchase_propensity, r.churn_risk, r.cluster,
         r.rfm.has_value() ? static_cast<int32_t>(r.rfm->segment) : -1});
  }
  o.users = std::move(users);
  return o;
}

absl::StatusOr<AudiencePage> SegmentIndex::Audience(const AudienceQuery& q,
                                                    int64_t start,
                                                    int limit) const {
  const int32_t k = static_cast<int32_t>(segments_.clusters.size());
  for (int32_t c : q.clusters) {
    if (c < 0 || c >= k) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cluster_ids: ", c, " is not a cluster (there are ", k, ")"));
    }
  }
  for (const auto& [name, t] :
       {std::pair{"min_purchase_propensity", q.min_purchase_propensity},
        std::pair{"min_churn_risk", q.min_churn_risk}}) {
    if (t.has_value() && !(*t >= 0.0f && *t <= 1.0f)) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": must be in [0, 1], got ", *t));
    }
  }
  if (limit < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit: must be >= 1, got ", limit));
  }
  const Order& order = q.order == AudienceQuery::Order::kChurnRisk ? by_churn_
                       : q.order == AudienceQuery::Order::kMonetary
                           ? by_monetary_
                           : by_propensity_;
  const int64_t n = static_cast<int64_t>(order.users.size());
  if (start < 0 || start > n) {
    return absl::InvalidArgumentError(
        absl::StrCat("start: ", start, " is outside 0..", n));
  }
  // The filters as lookup tables; index 0 is "no RFM" / "no cluster".
  std::vector<char> rfm_ok(kNumRfmSegments + 1, q.rfm_segments.empty());
  for (RfmSegment seg : q.rfm_segments) rfm_ok[static_cast<int>(seg) + 1] = 1;
  std::vector<char> cluster_ok(k + 1, q.clusters.empty());
  for (int32_t c : q.clusters) cluster_ok[c + 1] = 1;
  // NaN fails every comparison, so a missing score fails its threshold.
  const bool need_p = q.min_purchase_propensity.has_value();
  const bool need_c = q.min_churn_risk.has_value();
  const float min_p = q.min_purchase_propensity.value_or(0.0f);
  const float min_c = q.min_churn_risk.value_or(0.0f);
  AudiencePage page;
  for (int64_t i = 0; i < n; ++i) {
    const Key& key = order.keys[i];
    if (!rfm_ok[key.rfm + 1] || !cluster_ok[key.cluster + 1] ||
        (need_p && !(key.purchase_propensity >= min_p)) ||
        (need_c && !(key.churn_risk >= min_c))) {
      continue;
    }
    ++page.total;
    if (i < start) continue;
    if (static_cast<int>(page.users.size()) < limit) {
      page.users.push_back(order.users[i]);
    } else if (!page.next.has_value()) {
      page.next = i;
    }
  }
  return page;
}

}  // namespace tailor

#include "core/customers/segment_index.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "core/customers/live_profile.h"

namespace tailor {
namespace {

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

// A profile's preference lists, in CompactRecord::share_count's order.
std::array<std::vector<Share>*, 5> ShareLists(UserProfile* p) {
  return {&p->categories, &p->brands, &p->colors, &p->sizes, &p->price_bands};
}

}  // namespace

void SegmentIndex::Compact(std::vector<CustomerRecord> records) {
  absl::flat_hash_map<std::string, uint32_t> value_ids;
  compact_.resize(records.size());
  for (size_t u = 0; u < records.size(); ++u) {
    CustomerRecord& r = records[u];
    const UserProfile& p = r.profile;
    CompactRecord& c = compact_[u];
    c = {p.recency_days,
         p.gross,
         p.returned,
         p.tenure_days,
         p.average_order_value,
         p.return_rate,
         p.days_since_active,
         p.orders,
         p.last_active_unix,
         p.events,
         r.purchase_propensity,
         r.churn_risk,
         r.cluster,
         static_cast<uint32_t>(share_.size()),
         {},
         {0, 0, 0, 0, -1}};
    if (r.rfm.has_value()) {
      c.rfm[0] = static_cast<int8_t>(r.rfm->r);
      c.rfm[1] = static_cast<int8_t>(r.rfm->f);
      c.rfm[2] = static_cast<int8_t>(r.rfm->m);
      c.rfm[3] = static_cast<int8_t>(r.rfm->fm);
      c.rfm[4] = static_cast<int8_t>(r.rfm->segment);
    }
    const auto lists = ShareLists(&r.profile);
    for (size_t l = 0; l < lists.size(); ++l) {
      c.share_count[l] = static_cast<uint8_t>(lists[l]->size());
      for (const Share& sh : *lists[l]) {
        auto [it, inserted] = value_ids.try_emplace(
            sh.value, static_cast<uint32_t>(values_.size()));
        if (inserted) values_.push_back(sh.value);
        share_value_.push_back(it->second);
        share_.push_back(sh.share);
      }
    }
    // Free this user's strings now, so that peak memory stays near one
    // copy.
    r = CustomerRecord();
  }
  share_value_.shrink_to_fit();
  share_.shrink_to_fit();
}

UserProfile SegmentIndex::ScalarsOf(const CompactRecord& c) {
  UserProfile p;
  p.recency_days = c.recency_days;
  p.gross = c.gross;
  p.returned = c.returned;
  p.tenure_days = c.tenure_days;
  p.average_order_value = c.average_order_value;
  p.return_rate = c.return_rate;
  p.days_since_active = c.days_since_active;
  p.orders = c.orders;
  p.last_active_unix = c.last_active_unix;
  p.events = c.events;
  return p;
}

CustomerRecord SegmentIndex::record(int32_t user) const {
  const CompactRecord& c = compact_[user];
  CustomerRecord r;
  r.profile = ScalarsOf(c);
  UserProfile& p = r.profile;
  r.purchase_propensity = c.purchase_propensity;
  r.churn_risk = c.churn_risk;
  r.cluster = c.cluster;
  if (c.rfm[4] >= 0) {
    r.rfm = RfmScores{c.rfm[0], c.rfm[1], c.rfm[2], c.rfm[3],
                      static_cast<RfmSegment>(c.rfm[4])};
  }
  uint32_t next = c.shares_begin;
  const auto lists = ShareLists(&p);
  for (size_t l = 0; l < lists.size(); ++l) {
    lists[l]->reserve(c.share_count[l]);
    for (int i = 0; i < c.share_count[l]; ++i, ++next) {
      lists[l]->push_back({values_[share_value_[next]], share_[next]});
    }
  }
  return r;
}

size_t SegmentIndex::records_bytes() const {
  size_t bytes = compact_.capacity() * sizeof(CompactRecord) +
                 share_value_.capacity() * sizeof(uint32_t) +
                 share_.capacity() * sizeof(float);
  for (const std::string& v : values_) bytes += sizeof(v) + v.capacity();
  return bytes;
}

SegmentIndex::SegmentIndex(CustomerSegments segments)
    : segments_(std::move(segments)) {
  const int32_t n = segments_.users.size();
  Compact(std::move(segments_.records));
  segments_.records.clear();
  segments_.records.shrink_to_fit();
  const auto& rec = compact_;
  {
    std::vector<RfmValues> base;
    for (const CompactRecord& r : rec) {
      if (r.rfm[4] >= 0) base.push_back(RfmValuesOf(ScalarsOf(r)));
    }
    rfm_scorer_ = RfmScorer(base);
  }
  by_propensity_ = MakeOrder(
      OrderBy(n, [&](int32_t u) { return rec[u].purchase_propensity; }));
  by_churn_ =
      MakeOrder(OrderBy(n, [&](int32_t u) { return rec[u].churn_risk; }));
  by_monetary_ = MakeOrder(
      OrderBy(n, [&](int32_t u) { return rec[u].gross - rec[u].returned; }));

  struct Acc {
    int64_t users = 0, np = 0, nc = 0;
    double sp = 0, sc = 0;
  };
  std::vector<Acc> rfm(kNumRfmSegments), cl(segments_.clusters.size());
  auto add = [](Acc& a, const CompactRecord& r) {
    ++a.users;
    Accumulate(r.purchase_propensity, &a.sp, &a.np);
    Accumulate(r.churn_risk, &a.sc, &a.nc);
  };
  for (const CompactRecord& r : rec) {
    if (r.rfm[4] >= 0) add(rfm[r.rfm[4]], r);
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
  for (int32_t u : users) o.keys.push_back(KeyOf(u));
  o.users = std::move(users);
  return o;
}

CustomerMoves::CustomerMoves(int32_t users, std::vector<MovedCustomer> moved)
    : by_monetary_(std::move(moved)), moved_bits_(users, false) {
  std::sort(by_monetary_.begin(), by_monetary_.end(),
            [](const MovedCustomer& a, const MovedCustomer& b) {
              return a.monetary > b.monetary ||
                     (a.monetary == b.monetary && a.user < b.user);
            });
  slot_.reserve(by_monetary_.size());
  for (size_t k = 0; k < by_monetary_.size(); ++k) {
    moved_bits_[by_monetary_[k].user] = true;
    slot_[by_monetary_[k].user] = static_cast<int32_t>(k);
  }
}

std::vector<SegmentSummary> SegmentIndex::RfmSummaries(
    const CustomerMoves* moves) const {
  if (moves == nullptr || moves->size() == 0) return rfm_summaries_;
  // Sums back from the means, then each moved customer taken out of the
  // snapshot's segment and put into the live one.
  struct Acc {
    int64_t users = 0, np = 0, nc = 0;
    double sp = 0, sc = 0;
  };
  std::vector<Acc> acc(kNumRfmSegments);
  for (const CompactRecord& r : compact_) {
    if (r.rfm[4] < 0) continue;
    Acc& a = acc[r.rfm[4]];
    ++a.users;
    Accumulate(r.purchase_propensity, &a.sp, &a.np);
    Accumulate(r.churn_risk, &a.sc, &a.nc);
  }
  for (const MovedCustomer& m : moves->by_monetary()) {
    const CompactRecord& r = compact_[m.user];
    if (r.rfm[4] == m.rfm) continue;
    if (r.rfm[4] >= 0) {
      Acc& a = acc[r.rfm[4]];
      --a.users;
      if (!std::isnan(r.purchase_propensity)) {
        a.sp -= r.purchase_propensity;
        --a.np;
      }
      if (!std::isnan(r.churn_risk)) {
        a.sc -= r.churn_risk;
        --a.nc;
      }
    }
    if (m.rfm >= 0) {
      Acc& a = acc[m.rfm];
      ++a.users;
      Accumulate(r.purchase_propensity, &a.sp, &a.np);
      Accumulate(r.churn_risk, &a.sc, &a.nc);
    }
  }
  std::vector<SegmentSummary> out(kNumRfmSegments);
  for (int s = 0; s < kNumRfmSegments; ++s) {
    out[s].users = acc[s].users;
    if (acc[s].np > 0) out[s].mean_purchase_propensity = acc[s].sp / acc[s].np;
    if (acc[s].nc > 0) out[s].mean_churn_risk = acc[s].sc / acc[s].nc;
  }
  return out;
}

absl::StatusOr<AudiencePage> SegmentIndex::Audience(
    const AudienceQuery& q, const AudienceCursor* after, int limit,
    const CustomerMoves* moves) const {
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
  if (moves != nullptr && moves->size() == 0) moves = nullptr;
  const bool monetary = q.order == AudienceQuery::Order::kMonetary;
  const Order& order = q.order == AudienceQuery::Order::kChurnRisk ? by_churn_
                       : monetary ? by_monetary_
                                  : by_propensity_;
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
  // A score as the orders sort it: no score last.
  auto sort_score = [](double v) {
    return std::isnan(v) ? -std::numeric_limits<double>::infinity() : v;
  };
  AudiencePage page;
  // Visits one customer of the live order with their key and score.
  auto visit = [&](int32_t user, const Key& key, double score) {
    if (!rfm_ok[key.rfm + 1] || !cluster_ok[key.cluster + 1] ||
        (need_p && !(key.purchase_propensity >= min_p)) ||
        (need_c && !(key.churn_risk >= min_c))) {
      return;
    }
    ++page.total;
    if (after != nullptr && !(score < after->score ||
                              (score == after->score && user > after->user))) {
      return;
    }
    if (static_cast<int>(page.users.size()) < limit) {
      page.users.push_back(user);
      page.next = AudienceCursor{score, user};
    } else {
      page.more = true;
    }
  };
  const int64_t n = static_cast<int64_t>(order.users.size());
  // Moved customers leave the monetary order and come back at their live
  // net spend (merged in); in the others they keep their place.
  const std::vector<MovedCustomer> none;
  const std::vector<MovedCustomer>& moved =
      monetary && moves != nullptr ? moves->by_monetary() : none;
  size_t m = 0;
  auto live_key = [&](const MovedCustomer& c) {
    Key key = KeyOf(c.user);
    key.rfm = c.rfm;
    return key;
  };
  for (int64_t i = 0; i < n; ++i) {
    const int32_t user = order.users[i];
    Key key = order.keys[i];
    const double score =
        monetary ? compact_[user].gross - compact_[user].returned
                 : sort_score(q.order == AudienceQuery::Order::kChurnRisk
                                  ? key.churn_risk
                                  : key.purchase_propensity);
    for (; m < moved.size() &&
           (moved[m].monetary > score ||
            (moved[m].monetary == score && moved[m].user < user));
         ++m) {
      visit(moved[m].user, live_key(moved[m]), moved[m].monetary);
    }
    if (const MovedCustomer* c =
            moves != nullptr ? moves->Find(user) : nullptr) {
      if (monetary) continue;  // visited at its live place
      key.rfm = c->rfm;
    }
    visit(user, key, score);
  }
  for (; m < moved.size(); ++m) {
    visit(moved[m].user, live_key(moved[m]), moved[m].monetary);
  }
  if (!page.more) page.next.reset();
  return page;
}

SegmentIndex::Key SegmentIndex::KeyOf(int32_t user) const {
  const CompactRecord& r = compact_[user];
  return {r.purchase_propensity, r.churn_risk, static_cast<int16_t>(r.cluster),
          r.rfm[4]};
}

}  // namespace tailor

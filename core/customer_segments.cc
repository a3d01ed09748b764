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

// Adds a score to a running mean kept as (sum, count) in `mean` / `count`.
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

SegmentIndex::SegmentIndex(CustomerSegments segments)
    : segments_(std::move(segments)) {
  const int32_t n = segments_.users.size();
  const auto& rec = segments_.records;
  by_propensity_ =
      OrderBy(n, [&](int32_t u) { return rec[u].purchase_propensity; });
  by_churn_ = OrderBy(n, [&](int32_t u) { return rec[u].churn_risk; });
  by_monetary_ = OrderBy(n, [&](int32_t u) { return rec[u].profile.net(); });

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

bool SegmentIndex::Matches(const AudienceQuery& q, int32_t user) const {
  const CustomerRecord& r = segments_.records[user];
  if (!q.rfm_segments.empty() &&
      (!r.rfm.has_value() ||
       std::find(q.rfm_segments.begin(), q.rfm_segments.end(),
                 r.rfm->segment) == q.rfm_segments.end())) {
    return false;
  }
  if (!q.clusters.empty() && std::find(q.clusters.begin(), q.clusters.end(),
                                       r.cluster) == q.clusters.end()) {
    return false;
  }
  // NaN fails every comparison, so a missing score fails its threshold.
  if (q.min_purchase_propensity.has_value() &&
      !(r.purchase_propensity >= *q.min_purchase_propensity)) {
    return false;
  }
  if (q.min_churn_risk.has_value() && !(r.churn_risk >= *q.min_churn_risk)) {
    return false;
  }
  return true;
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
  const std::vector<int32_t>& order =
      q.order == AudienceQuery::Order::kChurnRisk  ? by_churn_
      : q.order == AudienceQuery::Order::kMonetary ? by_monetary_
                                                   : by_propensity_;
  const int64_t n = static_cast<int64_t>(order.size());
  if (start < 0 || start > n) {
    return absl::InvalidArgumentError(
        absl::StrCat("start: ", start, " is outside 0..", n));
  }
  AudiencePage page;
  for (int64_t i = 0; i < n; ++i) {
    if (!Matches(q, order[i])) continue;
    ++page.total;
    if (i < start) continue;
    if (static_cast<int>(page.users.size()) < limit) {
      page.users.push_back(order[i]);
    } else if (!page.next.has_value()) {
      page.next = i;
    }
  }
  return page;
}

}  // namespace tailor

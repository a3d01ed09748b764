#include "core/customers/rfm.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"

namespace tailor {

const char* RfmSegmentName(RfmSegment segment) {
  switch (segment) {
    case RfmSegment::kChampions:
      return "Champions";
    case RfmSegment::kLoyal:
      return "Loyal";
    case RfmSegment::kPotentialLoyalist:
      return "Potential Loyalist";
    case RfmSegment::kNewCustomers:
      return "New Customers";
    case RfmSegment::kPromising:
      return "Promising";
    case RfmSegment::kNeedAttention:
      return "Need Attention";
    case RfmSegment::kAboutToSleep:
      return "About to Sleep";
    case RfmSegment::kAtRisk:
      return "At Risk";
    case RfmSegment::kCantLoseThem:
      return "Can't Lose Them";
    case RfmSegment::kHibernating:
      return "Hibernating";
    case RfmSegment::kLost:
      return "Lost";
  }
  return "?";
}

RfmSegment RfmSegmentOf(int r, int fm) {
  using S = RfmSegment;
  // kGrid[5 - r][fm - 1], as drawn in the header.
  static constexpr S kGrid[5][5] = {
      {S::kNewCustomers, S::kPotentialLoyalist, S::kPotentialLoyalist,
       S::kChampions, S::kChampions},
      {S::kPromising, S::kPotentialLoyalist, S::kPotentialLoyalist, S::kLoyal,
       S::kChampions},
      {S::kAboutToSleep, S::kNeedAttention, S::kNeedAttention, S::kLoyal,
       S::kLoyal},
      {S::kHibernating, S::kAboutToSleep, S::kAtRisk, S::kAtRisk,
       S::kCantLoseThem},
      {S::kLost, S::kHibernating, S::kAtRisk, S::kCantLoseThem,
       S::kCantLoseThem},
  };
  r = std::clamp(r, 1, 5);
  fm = std::clamp(fm, 1, 5);
  return kGrid[5 - r][fm - 1];
}

std::vector<int> QuintileScores(const std::vector<double>& values) {
  const size_t n = values.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<int> scores(n, 1);
  size_t below = 0;  // values strictly lower than the current run's
  for (size_t k = 0; k < n;) {
    size_t end = k;
    while (end < n && values[order[end]] == values[order[k]]) ++end;
    const int score = 1 + static_cast<int>((5 * below) / n);
    for (size_t j = k; j < end; ++j) scores[order[j]] = score;
    below = end;
    k = end;
  }
  return scores;
}

absl::StatusOr<std::vector<RfmScores>> ScoreRfm(
    const std::vector<RfmValues>& customers) {
  const size_t n = customers.size();
  std::vector<double> recency(n), frequency(n), monetary(n);
  for (size_t c = 0; c < n; ++c) {
    const RfmValues& v = customers[c];
    if (!std::isfinite(v.recency_days) || !std::isfinite(v.monetary)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "customers[", c, "]: recency and monetary must be finite"));
    }
    recency[c] = -v.recency_days;  // fewer days is better
    frequency[c] = static_cast<double>(v.frequency);
    monetary[c] = v.monetary;
  }
  const std::vector<int> r = QuintileScores(recency);
  const std::vector<int> f = QuintileScores(frequency);
  const std::vector<int> m = QuintileScores(monetary);
  std::vector<RfmScores> out(n);
  for (size_t c = 0; c < n; ++c) {
    RfmScores& s = out[c];
    s.r = r[c];
    s.f = f[c];
    s.m = m[c];
    s.fm = (f[c] + m[c] + 1) / 2;
    s.segment = RfmSegmentOf(s.r, s.fm);
  }
  return out;
}

RfmScorer::RfmScorer(const std::vector<RfmValues>& base) {
  for (const RfmValues& v : base) {
    recency_.push_back(-v.recency_days);
    frequency_.push_back(static_cast<double>(v.frequency));
    monetary_.push_back(v.monetary);
  }
  std::sort(recency_.begin(), recency_.end());
  std::sort(frequency_.begin(), frequency_.end());
  std::sort(monetary_.begin(), monetary_.end());
}

RfmScores RfmScorer::Score(const RfmValues& v) const {
  auto score = [](const std::vector<double>& sorted, double x) {
    if (sorted.empty()) return 1;
    const auto below = static_cast<size_t>(
        std::lower_bound(sorted.begin(), sorted.end(), x) - sorted.begin());
    // Above every member of the base (below == size): 5, as the best.
    return std::min(5, 1 + static_cast<int>((5 * below) / sorted.size()));
  };
  RfmScores s;
  s.r = score(recency_, -v.recency_days);
  s.f = score(frequency_, static_cast<double>(v.frequency));
  s.m = score(monetary_, v.monetary);
  s.fm = (s.f + s.m + 1) / 2;
  s.segment = RfmSegmentOf(s.r, s.fm);
  return s;
}

std::optional<RfmSegment> RfmSegmentFromName(absl::string_view name) {
  for (int s = 0; s < kNumRfmSegments; ++s) {
    if (name == RfmSegmentName(static_cast<RfmSegment>(s))) {
      return static_cast<RfmSegment>(s);
    }
  }
  return std::nullopt;
}

}  // namespace tailor

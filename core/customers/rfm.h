// RFM (recency, frequency, monetary) scoring and the named RFM segments.
//
// Each customer's recency, frequency and monetary value is scored 1..5 by
// quintile over the whole customer base: score = 1 + floor(5 * share of
// customers with a strictly worse value). Equal values therefore always
// get equal scores, even across a quintile border, and a value shared by
// many customers (say, the 60% who ordered once) gets the score of where
// that group starts. For recency, lower days are better; for frequency and
// monetary, higher is better.
//
// The named segment comes from R and FM = round((F + M) / 2) (halves round
// up) through this grid, which names every combination:
//
// clang-format off
//   R \ FM  1               2                   3                   4                 5
//   5       New Customers   Potential Loyalist  Potential Loyalist  Champions         Champions
//   4       Promising       Potential Loyalist  Potential Loyalist  Loyal             Champions
//   3       About to Sleep  Need Attention      Need Attention      Loyal             Loyal
//   2       Hibernating     About to Sleep      At Risk             At Risk           Can't Lose Them
//   1       Lost            Hibernating         At Risk             Can't Lose Them   Can't Lose Them
// clang-format on
#ifndef TAILOR_CORE_CUSTOMERS_RFM_H_
#define TAILOR_CORE_CUSTOMERS_RFM_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tailor {

enum class RfmSegment {
  kChampions,
  kLoyal,
  kPotentialLoyalist,
  kNewCustomers,
  kPromising,
  kNeedAttention,
  kAboutToSleep,
  kAtRisk,
  kCantLoseThem,
  kHibernating,
  kLost,
};
inline constexpr int kNumRfmSegments = 11;

// "Champions", "Loyal", ..., "Can't Lose Them", "Lost".
const char* RfmSegmentName(RfmSegment segment);

// The grid above; r and fm in 1..5.
RfmSegment RfmSegmentOf(int r, int fm);

// The recency of a customer who never bought (only returns, say): larger
// than any real one, so it scores R = 1.
inline constexpr double kNeverBoughtDays = 1e9;

// One customer's raw values.
struct RfmValues {
  // Days from the last purchase to the reference time (kNeverBoughtDays
  // for a customer who never bought).
  double recency_days = 0;
  int64_t frequency = 0;  // orders
  double monetary = 0;    // net spend: purchases minus returns (may be < 0)
};

struct RfmScores {
  int r = 1, f = 1, m = 1;
  int fm = 1;  // round((f + m) / 2), halves up
  RfmSegment segment = RfmSegment::kLost;
  bool operator==(const RfmScores&) const = default;
};

// Scores every customer against the others. Fails on a non-finite value
// (naming the customer's index).
absl::StatusOr<std::vector<RfmScores>> ScoreRfm(
    const std::vector<RfmValues>& customers);

// Scores new values against a fixed customer base exactly as ScoreRfm
// scores each member of that base (a customer whose counters changed
// since, say).
// Thread safety: immutable after construction; Score may be called from
// many threads at once.
class RfmScorer {
 public:
  RfmScorer() = default;
  // Values must be finite (as ScoreRfm requires).
  explicit RfmScorer(const std::vector<RfmValues>& base);
  bool empty() const { return recency_.empty(); }
  // Scores 1 for everything when the base is empty.
  RfmScores Score(const RfmValues& v) const;

 private:
  // Sorted ascending; recency negated (fewer days is better).
  std::vector<double> recency_, frequency_, monetary_;
};

// The quintile score of each value, higher values scoring higher: 1 +
// floor(5 * (values strictly lower) / n).
std::vector<int> QuintileScores(const std::vector<double>& values);

// The named RFM segment with this name ("Champions", ...), exactly as
// RfmSegmentName spells it.
std::optional<RfmSegment> RfmSegmentFromName(absl::string_view name);

}  // namespace tailor

#endif  // TAILOR_CORE_CUSTOMERS_RFM_H_

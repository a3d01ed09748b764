#include "core/experiments/results.h"

#include <algorithm>
#include <limits>

namespace tailor {
namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kMaxDays = 366;

// One metric's values per shopper, by arm, and its CUPED-adjusted values.
struct MetricValues {
  std::vector<std::vector<double>> raw;
  std::vector<std::vector<double>> adjusted;
};

// `value(outcome)` per shopper of each arm, and adjusted by a CUPED fit
// over all of them; `reduction` (may be null) gets the share of variance
// the fit removed.
template <typename Value>
MetricValues ValuesOf(absl::Span<const ArmOutcome> shoppers, size_t arms,
                      Value value, double* reduction) {
  std::vector<double> y;
  std::vector<double> x;
  for (const ArmOutcome& s : shoppers) {
    y.push_back(value(s.outcome));
    x.push_back(s.outcome.spend_before);
  }
  const CupedFit fit = CupedFit::Of(y, x);
  MetricValues out;
  out.raw.resize(arms);
  out.adjusted.resize(arms);
  std::vector<double> all_adjusted;
  for (size_t i = 0; i < shoppers.size(); ++i) {
    const auto arm = static_cast<size_t>(shoppers[i].arm);
    out.raw[arm].push_back(y[i]);
    out.adjusted[arm].push_back(fit.Adjust(y[i], x[i]));
    all_adjusted.push_back(out.adjusted[arm].back());
  }
  if (reduction != nullptr) {
    const double before = Moments::Of(y).variance;
    *reduction =
        before > 0 ? 1 - Moments::Of(all_adjusted).variance / before : 0.0;
  }
  return out;
}

void CompareToControl(const MetricValues& values, size_t arm, int control,
                      const ComparisonOptions& options, MetricResult* out) {
  if (control < 0 || static_cast<int>(arm) == control) return;
  const auto c = static_cast<size_t>(control);
  out->vs_control = Compare(Moments::Of(values.raw[arm]),
                            Moments::Of(values.raw[c]), options);
  out->cuped_vs_control = Compare(Moments::Of(values.adjusted[arm]),
                                  Moments::Of(values.adjusted[c]), options);
}

std::vector<DailyConversion> Timeline(absl::Span<const ArmOutcome> shoppers,
                                      int arm, int64_t first, int64_t last) {
  std::vector<int64_t> exposed;
  std::vector<int64_t> converted;
  for (const ArmOutcome& s : shoppers) {
    if (s.arm != arm) continue;
    exposed.push_back(s.outcome.first_exposure);
    if (s.outcome.converted) converted.push_back(s.outcome.converted_at);
  }
  std::sort(exposed.begin(), exposed.end());
  std::sort(converted.begin(), converted.end());
  std::vector<DailyConversion> out;
  int64_t days = (last - first) / kDay + 1;
  int64_t day = std::max<int64_t>(0, days - kMaxDays);
  for (; day < days; ++day) {
    DailyConversion d;
    d.day_end = first + (day + 1) * kDay;
    d.shoppers = std::lower_bound(exposed.begin(), exposed.end(), d.day_end) -
                 exposed.begin();
    d.converted =
        std::lower_bound(converted.begin(), converted.end(), d.day_end) -
        converted.begin();
    d.interval = WilsonInterval(d.converted, d.shoppers);
    out.push_back(d);
  }
  return out;
}

}  // namespace

ExperimentResults SummariseExperiment(
    const Experiment& experiment, absl::Span<const ArmOutcome> shoppers,
    absl::Span<const ExposureRecord> exposures, const ResultsOptions& options) {
  const size_t arms = experiment.arms.size();
  std::vector<ArmOutcome> kept;
  kept.reserve(shoppers.size());
  int64_t first = std::numeric_limits<int64_t>::max();
  for (const ArmOutcome& s : shoppers) {
    if (s.arm < 0 || static_cast<size_t>(s.arm) >= arms) continue;
    kept.push_back(s);
    first = std::min(first, s.outcome.first_exposure);
  }
  ExperimentResults results;
  const int control = experiment.control();
  const MetricValues cart = ValuesOf(
      kept, arms,
      [](const ShopperOutcome& o) { return o.added_to_cart ? 1.0 : 0.0; },
      nullptr);
  const MetricValues conversion = ValuesOf(
      kept, arms,
      [](const ShopperOutcome& o) { return o.converted ? 1.0 : 0.0; }, nullptr);
  const MetricValues revenue = ValuesOf(
      kept, arms, [](const ShopperOutcome& o) { return o.revenue; },
      &results.cuped_variance_reduction);

  std::vector<int64_t> observed;
  std::vector<double> shares;
  for (size_t a = 0; a < arms; ++a) {
    const ExperimentArm& arm = experiment.arms[a];
    ArmResult& r = results.arms.emplace_back();
    r.name = arm.name;
    r.strategy = arm.strategy;
    r.control = arm.control;
    r.share = arm.share;
    std::vector<double> clicks;
    std::vector<double> shown;
    for (const ArmOutcome& s : kept) {
      if (s.arm != static_cast<int>(a)) continue;
      clicks.push_back(static_cast<double>(s.outcome.clicks));
      shown.push_back(static_cast<double>(s.outcome.exposures));
      r.exposures += s.outcome.exposures;
    }
    r.shoppers = static_cast<int64_t>(clicks.size());
    const RatioEstimate ctr = RatioOf(clicks, shown);
    r.click_through = {ctr.value, ctr.interval};
    auto rate = [&](const MetricValues& v, MetricResult* out) {
      const Moments m = Moments::Of(v.raw[a]);
      const auto successes = static_cast<int64_t>(m.mean * m.n + 0.5);
      out->estimate = {m.mean, WilsonInterval(successes, m.n)};
      CompareToControl(v, a, control, options.comparison, out);
    };
    rate(cart, &r.add_to_cart);
    rate(conversion, &r.conversion);
    const Moments rm = Moments::Of(revenue.raw[a]);
    r.revenue.estimate = {rm.mean, MeanInterval(rm)};
    CompareToControl(revenue, a, control, options.comparison, &r.revenue);
    if (!kept.empty()) {
      r.timeline = Timeline(kept, static_cast<int>(a), first,
                            std::max(first, options.now_unix));
    }
    observed.push_back(r.shoppers);
    shares.push_back(arm.share);

    // Self-normalised IPS: every exposure, weighted 1/p when it served
    // this arm and 0 otherwise.
    std::vector<double> weight;
    std::vector<double> purchases;
    std::vector<double> revenue_weighted;
    weight.reserve(exposures.size());
    for (const ExposureRecord& x : exposures) {
      const bool mine = x.arm == static_cast<int>(a) && x.probability > 0;
      const double w = mine ? 1 / x.probability : 0.0;
      weight.push_back(w);
      purchases.push_back(x.purchased ? w : 0.0);
      revenue_weighted.push_back(w * x.revenue);
      if (x.arm == static_cast<int>(a)) {
        ++r.evidence.exposures;
        r.evidence.conversions += x.purchased ? 1 : 0;
        r.evidence.revenue += x.revenue;
        r.evidence.revenue_squares += x.revenue * x.revenue;
      }
    }
    const RatioEstimate conversion_ips = RatioOf(purchases, weight);
    const RatioEstimate revenue_ips = RatioOf(revenue_weighted, weight);
    r.off_policy_conversion = {conversion_ips.value, conversion_ips.interval};
    r.off_policy_revenue = {revenue_ips.value, revenue_ips.interval};
  }
  if (experiment.allocation == Allocation::kFixed) {
    results.sample_ratio = CheckSampleRatio(observed, shares);
  }
  return results;
}

}  // namespace tailor

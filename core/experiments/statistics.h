// The statistics of experiment results: intervals for rates and means,
// arm-against-control comparisons (fixed-horizon and always-valid),
// CUPED variance reduction and the sample-ratio-mismatch check.
//
// Units are shoppers: each metric is one number per assigned shopper (0/1
// for a rate), summarised by Moments. Comparisons are on the relative
// difference (treatment mean / control mean - 1), its variance by the
// delta method:
//   V = s_t^2 / (n_t m_c^2) + m_t^2 s_c^2 / (n_c m_c^4).
// Fixed horizon (large-sample normal): z = rel / sqrt(V), two-sided p,
// interval rel +- z_{1-alpha/2} sqrt(V) (so the interval leaves out 0
// exactly when p < alpha).
// Always valid (a mixture sequential probability ratio test, normal
// mixture with standard deviation tau on the relative difference):
//   Lambda = sqrt(V / (V + tau^2)) exp(tau^2 rel^2 / (2 V (V + tau^2))),
//   p = min(1, 1 / Lambda), interval
//   rel +- sqrt(V (V + tau^2) / tau^2 (2 ln(1/alpha) + ln((V + tau^2)/V))).
// Under no difference Lambda is a martingale, so the chance that p ever
// falls to alpha, however often the results are looked at, is at most
// alpha (Ville's inequality).
#ifndef TAILOR_CORE_EXPERIMENTS_STATISTICS_H_
#define TAILOR_CORE_EXPERIMENTS_STATISTICS_H_

#include <cstdint>

#include "absl/types/span.h"

namespace tailor {

// z for a two-sided 95% interval.
inline constexpr double kZ95 = 1.959963984540054;

// Count, mean and sample variance (divided by n - 1; 0 below 2 units).
// Thread safety: a plain value.
struct Moments {
  int64_t n = 0;
  double mean = 0;
  double variance = 0;

  static Moments Of(absl::Span<const double> values);
  // The variance of the mean: variance / n (0 when n is 0).
  double MeanVariance() const;
};

struct Interval {
  double low = 0;
  double high = 0;
};

// The Wilson score interval of a proportion `successes` of `n` (z = 1.96:
// 95%); [0, 1] when n is 0.
Interval WilsonInterval(int64_t successes, int64_t n, double z = kZ95);

// mean +- z sqrt(variance / n).
Interval MeanInterval(const Moments& m, double z = kZ95);

// A ratio of sums over units, sum(y) / sum(x) (clicks per exposure over
// shoppers), with its delta-method interval:
//   var = (s_y^2 - 2 R s_xy + R^2 s_x^2) / (n mean(x)^2).
struct RatioEstimate {
  double value = 0;  // 0 when sum(x) is 0
  Interval interval;
};
RatioEstimate RatioOf(absl::Span<const double> y, absl::Span<const double> x,
                      double z = kZ95);

// The standard normal distribution function.
double NormalCdf(double x);

// The regularized upper incomplete gamma function Q(a, x) = Gamma(a, x) /
// Gamma(a), a > 0, x >= 0 (series below a + 1, continued fraction above;
// relative error below 1e-12).
double RegularizedGammaQ(double a, double x);

// P(X >= x) for X chi-squared with `dof` degrees of freedom (>= 1).
double ChiSquaredSurvival(double x, int dof);

// A chi-squared goodness-of-fit test of the shoppers each arm got against
// the shares it should get.
struct SampleRatioCheck {
  double chi_squared = 0;
  double p_value = 1;
  // p_value < kSampleRatioAlarm: the assignment or the logging is broken,
  // and the comparisons cannot be trusted.
  bool mismatch = false;
};
inline constexpr double kSampleRatioAlarm = 0.001;
// `observed[i]` shoppers in arm i, which should get `shares[i]` of them
// (any positive scale). p_value 1 with fewer than two arms or no
// shoppers.
SampleRatioCheck CheckSampleRatio(absl::Span<const int64_t> observed,
                                  absl::Span<const double> shares);

// One arm against the control, on one metric.
struct Comparison {
  // False when the control's mean is 0 or either arm has fewer than two
  // shoppers: nothing below is meaningful then.
  bool defined = false;
  double relative = 0;            // m_t / m_c - 1
  Interval interval;              // fixed horizon, 1 - alpha
  double p_value = 1;             // fixed horizon, two-sided
  Interval sequential_interval;   // always valid, 1 - alpha
  double sequential_p_value = 1;  // always valid
};

struct ComparisonOptions {
  double alpha = 0.05;
  // The mixture's standard deviation on the relative difference: the size
  // of effect the always-valid test is most sensitive to.
  double tau = 0.1;
};

Comparison Compare(const Moments& treatment, const Moments& control,
                   const ComparisonOptions& options = {});

// CUPED (controlled-experiment using pre-experiment data): y is replaced
// by y - theta (x - mean(x)), with x a quantity fixed before the
// experiment (the shopper's earlier spend) and theta = cov(x, y) /
// var(x) over the shoppers of every arm. The mean of each arm is
// unchanged in expectation; its variance shrinks by the squared
// correlation of x and y.
// Thread safety: a plain value.
struct CupedFit {
  double theta = 0;  // 0 when x does not vary
  double x_mean = 0;

  // Fits over paired values (same length).
  static CupedFit Of(absl::Span<const double> y, absl::Span<const double> x);
  double Adjust(double y, double x) const { return y - theta * (x - x_mean); }
};

}  // namespace tailor

#endif  // TAILOR_CORE_EXPERIMENTS_STATISTICS_H_

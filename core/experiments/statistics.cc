#include "core/experiments/statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tailor {

Moments Moments::Of(absl::Span<const double> values) {
  Moments m;
  m.n = static_cast<int64_t>(values.size());
  if (values.empty()) return m;
  // Welford's update: one pass, no cancellation on large sums.
  double mean = 0;
  double m2 = 0;
  int64_t k = 0;
  for (double v : values) {
    ++k;
    const double delta = v - mean;
    mean += delta / static_cast<double>(k);
    m2 += delta * (v - mean);
  }
  m.mean = mean;
  m.variance = m.n > 1 ? m2 / static_cast<double>(m.n - 1) : 0.0;
  return m;
}

double Moments::MeanVariance() const {
  return n > 0 ? variance / static_cast<double>(n) : 0.0;
}

Interval WilsonInterval(int64_t successes, int64_t n, double z) {
  if (n <= 0) return {0.0, 1.0};
  const double nn = static_cast<double>(n);
  const double p = static_cast<double>(successes) / nn;
  const double z2 = z * z;
  const double centre = (p + z2 / (2 * nn)) / (1 + z2 / nn);
  const double half =
      z * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / (1 + z2 / nn);
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

Interval MeanInterval(const Moments& m, double z) {
  const double half = z * std::sqrt(m.MeanVariance());
  return {m.mean - half, m.mean + half};
}

RatioEstimate RatioOf(absl::Span<const double> y, absl::Span<const double> x,
                      double z) {
  RatioEstimate r;
  const size_t n = std::min(x.size(), y.size());
  if (n == 0) return r;
  double sx = 0;
  double sy = 0;
  for (size_t i = 0; i < n; ++i) {
    sx += x[i];
    sy += y[i];
  }
  if (sx == 0) return r;
  r.value = sy / sx;
  const double mx = sx / static_cast<double>(n);
  const double my = sy / static_cast<double>(n);
  if (n < 2) {
    r.interval = {r.value, r.value};
    return r;
  }
  double vxx = 0;
  double vyy = 0;
  double vxy = 0;
  for (size_t i = 0; i < n; ++i) {
    vxx += (x[i] - mx) * (x[i] - mx);
    vyy += (y[i] - my) * (y[i] - my);
    vxy += (x[i] - mx) * (y[i] - my);
  }
  const double d = static_cast<double>(n - 1);
  const double var = std::max(
      0.0, (vyy / d - 2 * r.value * vxy / d + r.value * r.value * vxx / d) /
               (static_cast<double>(n) * mx * mx));
  const double half = z * std::sqrt(var);
  r.interval = {r.value - half, r.value + half};
  return r;
}

double NormalCdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double RegularizedGammaQ(double a, double x) {
  if (x <= 0) return 1.0;
  constexpr double kEpsilon = 1e-15;
  constexpr int kMaxTerms = 10000;
  const double log_prefix = -x + a * std::log(x) - std::lgamma(a);
  if (x < a + 1) {
    // P(a, x) = x^a e^-x / Gamma(a) * sum_n x^n / (a (a+1) ... (a+n)).
    double term = 1.0 / a;
    double sum = term;
    for (int n = 1; n < kMaxTerms; ++n) {
      term *= x / (a + n);
      sum += term;
      if (std::fabs(term) < std::fabs(sum) * kEpsilon) break;
    }
    return std::clamp(1.0 - sum * std::exp(log_prefix), 0.0, 1.0);
  }
  // Q(a, x) as a continued fraction, evaluated by the modified Lentz
  // method.
  constexpr double kTiny = std::numeric_limits<double>::min() / kEpsilon;
  double b = x + 1 - a;
  double c = 1 / kTiny;
  double d = 1 / b;
  double h = d;
  for (int i = 1; i < kMaxTerms; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = b + an / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double step = d * c;
    h *= step;
    if (std::fabs(step - 1) < kEpsilon) break;
  }
  return std::clamp(std::exp(log_prefix) * h, 0.0, 1.0);
}

double ChiSquaredSurvival(double x, int dof) {
  return RegularizedGammaQ(0.5 * dof, 0.5 * x);
}

SampleRatioCheck CheckSampleRatio(absl::Span<const int64_t> observed,
                                  absl::Span<const double> shares) {
  SampleRatioCheck check;
  if (observed.size() < 2 || observed.size() != shares.size()) return check;
  double total = 0;
  double share_total = 0;
  for (size_t i = 0; i < observed.size(); ++i) {
    total += static_cast<double>(observed[i]);
    share_total += shares[i];
  }
  if (total <= 0 || share_total <= 0) return check;
  for (size_t i = 0; i < observed.size(); ++i) {
    const double expected = total * shares[i] / share_total;
    if (expected <= 0) continue;
    const double diff = static_cast<double>(observed[i]) - expected;
    check.chi_squared += diff * diff / expected;
  }
  check.p_value = ChiSquaredSurvival(check.chi_squared,
                                     static_cast<int>(observed.size()) - 1);
  check.mismatch = check.p_value < kSampleRatioAlarm;
  return check;
}

Comparison Compare(const Moments& treatment, const Moments& control,
                   const ComparisonOptions& options) {
  Comparison c;
  if (treatment.n < 2 || control.n < 2 || control.mean == 0) return c;
  const double mt = treatment.mean;
  const double mc = control.mean;
  const double vt = treatment.MeanVariance();
  const double vc = control.MeanVariance();
  c.relative = mt / mc - 1;
  const double v = vt / (mc * mc) + mt * mt * vc / (mc * mc * mc * mc);
  if (v == 0) {
    // No variance at all: every shopper of both arms alike.
    c.defined = true;
    c.interval = c.sequential_interval = {c.relative, c.relative};
    c.p_value = c.sequential_p_value = mt == mc ? 1.0 : 0.0;
    return c;
  }
  c.defined = true;
  // The quantile for 1 - alpha/2, found from the distribution function
  // (bisection: a handful of alphas ever used, no table needed).
  double lo = 0;
  double hi = 40;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (2 * (1 - NormalCdf(mid)) > options.alpha ? lo : hi) = mid;
  }
  const double z = 0.5 * (lo + hi);
  const double half = z * std::sqrt(v);
  c.interval = {c.relative - half, c.relative + half};
  c.p_value = std::erfc(std::fabs(c.relative) / std::sqrt(2 * v));

  const double tau2 = options.tau * options.tau;
  const double log_lambda =
      0.5 * std::log(v / (v + tau2)) +
      tau2 * c.relative * c.relative / (2 * v * (v + tau2));
  c.sequential_p_value = std::min(1.0, std::exp(-log_lambda));
  const double seq_half =
      std::sqrt(v * (v + tau2) / tau2 *
                (2 * std::log(1 / options.alpha) + std::log((v + tau2) / v)));
  c.sequential_interval = {c.relative - seq_half, c.relative + seq_half};
  return c;
}

CupedFit CupedFit::Of(absl::Span<const double> y, absl::Span<const double> x) {
  CupedFit fit;
  const size_t n = std::min(x.size(), y.size());
  if (n < 2) return fit;
  double x_mean = 0;
  double y_mean = 0;
  for (size_t i = 0; i < n; ++i) {
    x_mean += x[i];
    y_mean += y[i];
  }
  x_mean /= static_cast<double>(n);
  y_mean /= static_cast<double>(n);
  double sxy = 0;
  double sxx = 0;
  for (size_t i = 0; i < n; ++i) {
    sxy += (x[i] - x_mean) * (y[i] - y_mean);
    sxx += (x[i] - x_mean) * (x[i] - x_mean);
  }
  fit.x_mean = x_mean;
  fit.theta = sxx > 0 ? sxy / sxx : 0.0;
  return fit;
}

}  // namespace tailor

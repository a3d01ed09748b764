#include "core/models/logistic.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "Eigen/Cholesky"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"

namespace tailor {
namespace {

double Sigmoid(double z) {
  return z >= 0 ? 1.0 / (1.0 + std::exp(-z))
                : std::exp(z) / (1.0 + std::exp(z));
}

}  // namespace

absl::Status ValidateLogisticOptions(const LogisticOptions& o) {
  if (!(o.l2 >= 0) || !std::isfinite(o.l2)) {
    return absl::InvalidArgumentError(
        absl::StrCat("l2: must be a finite number >= 0, got ", o.l2));
  }
  if (o.max_iterations < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_iterations: must be >= 1, got ", o.max_iterations));
  }
  if (!(o.tolerance > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("tolerance: must be > 0, got ", o.tolerance));
  }
  return absl::OkStatus();
}

absl::StatusOr<LogisticModel> LogisticModel::Fit(
    const Eigen::MatrixXd& features, const std::vector<int>& labels,
    const LogisticOptions& o) {
  TAILOR_RETURN_IF_ERROR(ValidateLogisticOptions(o));
  const int64_t n = features.rows();
  const int64_t d = features.cols();
  if (n == 0) return absl::InvalidArgumentError("features: no rows");
  if (static_cast<int64_t>(labels.size()) != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "labels: ", labels.size(), " labels for ", n, " feature rows"));
  }
  if (!features.allFinite()) {
    return absl::InvalidArgumentError("features: every value must be finite");
  }
  for (int64_t i = 0; i < n; ++i) {
    if (labels[i] != 0 && labels[i] != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("labels[", i, "]: must be 0 or 1, got ", labels[i]));
    }
  }
  // Column 0 is the intercept; the others are (standardized) features.
  Eigen::VectorXd mean = Eigen::VectorXd::Zero(d);
  Eigen::VectorXd scale = Eigen::VectorXd::Ones(d);
  if (o.standardize && n > 1) {
    mean = features.colwise().mean().transpose();
    for (int64_t j = 0; j < d; ++j) {
      const double sd = std::sqrt(
          (features.col(j).array() - mean(j)).square().sum() / (n - 1));
      scale(j) = sd > 0 ? sd : 1.0;
    }
  }
  Eigen::MatrixXd x(n, d + 1);
  x.col(0).setOnes();
  for (int64_t j = 0; j < d; ++j) {
    x.col(j + 1) = (features.col(j).array() - mean(j)) / scale(j);
  }
  Eigen::VectorXd y(n);
  for (int64_t i = 0; i < n; ++i) y(i) = labels[i];

  Eigen::VectorXd beta = Eigen::VectorXd::Zero(d + 1);
  Eigen::VectorXd penalty = Eigen::VectorXd::Constant(d + 1, o.l2);
  penalty(0) = 0;
  LogisticModel m;
  for (int it = 0; it < o.max_iterations; ++it) {
    const Eigen::VectorXd p =
        (x * beta).unaryExpr([](double z) { return Sigmoid(z); });
    const Eigen::VectorXd w = (p.array() * (1 - p.array())).max(1e-12);
    Eigen::VectorXd gradient = x.transpose() * (p - y);
    gradient.array() += penalty.array() * beta.array();
    Eigen::MatrixXd hessian = x.transpose() * w.asDiagonal() * x;
    hessian.diagonal() += penalty;
    hessian.diagonal().array() += 1e-10;  // separable data stays solvable
    const Eigen::VectorXd step = hessian.ldlt().solve(gradient);
    beta -= step;
    m.iterations_ = it + 1;
    if (!beta.allFinite()) {
      return absl::InternalError(
          "logistic regression diverged (non-finite weights); raise l2");
    }
    if (step.cwiseAbs().maxCoeff() < o.tolerance) break;
  }
  // Back to raw features: w_raw = w / scale, intercept absorbs the means.
  m.weights_ = beta.tail(d).cwiseQuotient(scale);
  m.intercept_ = beta(0) - m.weights_.dot(mean);
  return m;
}

double LogisticModel::Predict(
    const Eigen::Ref<const Eigen::VectorXd>& x) const {
  return Sigmoid(intercept_ + weights_.dot(x));
}

std::vector<double> LogisticModel::PredictAll(
    const Eigen::MatrixXd& features) const {
  std::vector<double> out(features.rows());
  for (int64_t i = 0; i < features.rows(); ++i) {
    out[i] = Predict(features.row(i).transpose());
  }
  return out;
}

double RocAuc(const std::vector<double>& scores,
              const std::vector<int>& labels) {
  const size_t n = std::min(scores.size(), labels.size());
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Mann-Whitney U: sum of the positives' (tie-averaged) ranks.
  double positive_rank_sum = 0;
  int64_t positives = 0;
  for (size_t k = 0; k < n;) {
    size_t end = k;
    while (end < n && scores[order[end]] == scores[order[k]]) ++end;
    const double rank = 0.5 * (k + 1 + end);  // mean of ranks k+1..end
    for (size_t j = k; j < end; ++j) {
      if (labels[order[j]] == 1) {
        positive_rank_sum += rank;
        ++positives;
      }
    }
    k = end;
  }
  const int64_t negatives = static_cast<int64_t>(n) - positives;
  if (positives == 0 || negatives == 0) return 0.5;
  return (positive_rank_sum - 0.5 * positives * (positives + 1)) /
         (static_cast<double>(positives) * negatives);
}

double LogLoss(const std::vector<double>& probabilities,
               const std::vector<int>& labels) {
  const size_t n = std::min(probabilities.size(), labels.size());
  if (n == 0) return 0;
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    const double p = std::clamp(probabilities[i], 1e-15, 1 - 1e-15);
    sum -= labels[i] == 1 ? std::log(p) : std::log(1 - p);
  }
  return sum / n;
}

std::vector<CalibrationBin> CalibrationTable(
    const std::vector<double>& probabilities, const std::vector<int>& labels,
    int bins) {
  bins = std::max(bins, 1);
  std::vector<CalibrationBin> out(bins);
  std::vector<double> positives(bins, 0), predicted(bins, 0);
  for (int b = 0; b < bins; ++b) {
    out[b].low = static_cast<double>(b) / bins;
    out[b].high = static_cast<double>(b + 1) / bins;
  }
  const size_t n = std::min(probabilities.size(), labels.size());
  for (size_t i = 0; i < n; ++i) {
    const double p = std::clamp(probabilities[i], 0.0, 1.0);
    const int b = std::min(bins - 1, static_cast<int>(p * bins));
    ++out[b].count;
    predicted[b] += p;
    positives[b] += labels[i] == 1;
  }
  for (int b = 0; b < bins; ++b) {
    if (out[b].count == 0) continue;
    out[b].mean_predicted = predicted[b] / out[b].count;
    out[b].observed_rate = positives[b] / out[b].count;
  }
  return out;
}

}  // namespace tailor

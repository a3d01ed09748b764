// L2-regularised logistic regression, fitted by Newton's method (iteratively
// reweighted least squares), for purchase-propensity and churn models; and
// the metrics that judge a probability: ROC AUC, log-loss, calibration.
#ifndef TAILOR_CORE_MODELS_LOGISTIC_H_
#define TAILOR_CORE_MODELS_LOGISTIC_H_

#include <cstdint>
#include <vector>

#include "Eigen/Core"
#include "absl/status/statusor.h"

namespace tailor {

struct LogisticOptions {
  // Penalty lambda * |w|^2 / 2 on the weights, never on the intercept.
  double l2 = 1.0;
  int max_iterations = 50;
  // Stops when the largest Newton step component falls below this.
  double tolerance = 1e-8;
  // Standardize each feature (mean 0, variance 1) before fitting, so one
  // lambda suits features of any scale; the returned weights are for the
  // raw features.
  bool standardize = true;
};

absl::Status ValidateLogisticOptions(const LogisticOptions& options);

// Thread safety: immutable after Fit; Predict may run concurrently.
class LogisticModel {
 public:
  // Fits P(y = 1 | x) = sigmoid(intercept + w . x) on the rows of
  // `features` (n x d, double) and labels 0/1. Fails on a non-finite
  // feature, a label other than 0 or 1, mismatched sizes, or no data.
  static absl::StatusOr<LogisticModel> Fit(const Eigen::MatrixXd& features,
                                           const std::vector<int>& labels,
                                           const LogisticOptions& options);

  double Predict(const Eigen::Ref<const Eigen::VectorXd>& x) const;
  std::vector<double> PredictAll(const Eigen::MatrixXd& features) const;

  double intercept() const { return intercept_; }
  const Eigen::VectorXd& weights() const { return weights_; }
  int iterations() const { return iterations_; }

 private:
  double intercept_ = 0;
  Eigen::VectorXd weights_;
  int iterations_ = 0;
};

// Area under the ROC curve: the probability that a random positive scores
// above a random negative (ties count half). 0.5 when one class is absent.
double RocAuc(const std::vector<double>& scores,
              const std::vector<int>& labels);

// Mean negative log-likelihood, probabilities clipped to [1e-15, 1 - 1e-15].
double LogLoss(const std::vector<double>& probabilities,
               const std::vector<int>& labels);

// Calibration: predictions grouped into `bins` equal-width probability
// bins; each with its count, mean prediction and observed positive rate.
struct CalibrationBin {
  double low = 0, high = 0;
  int64_t count = 0;
  double mean_predicted = 0;
  double observed_rate = 0;
};
std::vector<CalibrationBin> CalibrationTable(
    const std::vector<double>& probabilities, const std::vector<int>& labels,
    int bins);

}  // namespace tailor

#endif  // TAILOR_CORE_MODELS_LOGISTIC_H_

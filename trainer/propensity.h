// Purchase propensity (buys in the next 30 days) and churn risk (a customer
// who does not buy in the next 90 days), as L2 logistic regressions on
// profile features, trained and judged with time cut-offs so that features
// always come strictly before labels:
//
//   |--- features ---| T1 |-- train labels --| T2 |-- test labels --| end
//
// The model is fitted on profiles as of T1 with labels from (T1, T2], and
// scored on profiles as of T2 with labels from (T2, end], a later window it
// never saw. T2 = end - horizon and T1 = T2 - horizon, where end is the
// latest event.
#ifndef TAILOR_TRAINER_PROPENSITY_H_
#define TAILOR_TRAINER_PROPENSITY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/customers/profiles.h"
#include "core/models/logistic.h"
#include "trainer/pipeline.h"

namespace tailor {

// The model's inputs from one profile (same order as FeatureNames).
std::vector<double> PropensityFeatures(const UserProfile& p);
const std::vector<std::string>& PropensityFeatureNames();

struct PropensityOptions {
  int purchase_horizon_days = 30;
  int churn_horizon_days = 90;
  LogisticOptions logistic;
  int calibration_bins = 10;
  // The end of the data (Unix seconds), when the caller knows it already;
  // 0 makes RunPropensity find the latest event with an extra pass.
  int64_t end_unix = 0;
};

struct PropensityReport {
  // "purchase in 30 days", "churn (no purchase in 90 days)"
  std::string target;
  bool churn = false;  // which of the two models this is
  int64_t train_users = 0, test_users = 0;
  double train_rate = 0, test_rate = 0;  // positive share
  double auc = 0, log_loss = 0;
  double base_log_loss = 0;  // predicting the training rate for everyone
  std::vector<CalibrationBin> calibration;
  LogisticModel model;
  int64_t t1_unix = 0, t2_unix = 0, end_unix = 0;
};

// Reads the events (twice: once for the latest time, once to build the
// profiles at both cut-offs and the labels) and fits and scores both
// models. Purchase propensity covers every user active by the cut-off;
// churn covers the customers (a purchase by the cut-off).
absl::StatusOr<std::vector<PropensityReport>> RunPropensity(
    const TrainingInput& input, const PropensityOptions& options,
    const ProgressFn& progress = {});

// The report `tailor-trainer propensity` prints for one model: windows,
// populations, AUC and log-loss, the calibration table and the weights.
std::string FormatPropensityReport(const PropensityReport& report);

}  // namespace tailor

#endif  // TAILOR_TRAINER_PROPENSITY_H_

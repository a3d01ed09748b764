#include "trainer/propensity.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "core/base/status_macros.h"
#include "core/base/time.h"
#include "core/data/readers.h"

namespace tailor {
namespace {

struct Labeled {
  Eigen::MatrixXd x;
  std::vector<int> y;
};

// Rows for the users of `b` selected by `keep`, labelled by `positive`.
template <typename Keep, typename Positive>
Labeled MakeRows(const ProfileBuilder& b, Keep keep, Positive positive) {
  const std::vector<UserProfile> profiles = b.Build();
  std::vector<int32_t> rows;
  for (int32_t u = 0; u < b.users().size(); ++u) {
    if (keep(profiles[u])) rows.push_back(u);
  }
  Labeled out;
  out.x.resize(static_cast<int64_t>(rows.size()),
               static_cast<int64_t>(PropensityFeatureNames().size()));
  for (size_t i = 0; i < rows.size(); ++i) {
    const std::vector<double> f = PropensityFeatures(profiles[rows[i]]);
    for (size_t j = 0; j < f.size(); ++j) out.x(i, j) = f[j];
    out.y.push_back(positive(b.users().id(rows[i])) ? 1 : 0);
  }
  return out;
}

double Rate(const std::vector<int>& y) {
  if (y.empty()) return 0;
  double s = 0;
  for (int v : y) s += v;
  return s / y.size();
}

}  // namespace

const std::vector<std::string>& PropensityFeatureNames() {
  static const auto* names =
      new std::vector<std::string>{"log1p(orders)",
                                   "log1p(net spend)",
                                   "log1p(days since purchase)",
                                   "never bought",
                                   "log1p(tenure days)",
                                   "return rate",
                                   "log1p(average order)",
                                   "log1p(events)",
                                   "log1p(days since active)"};
  return *names;
}

std::vector<double> PropensityFeatures(const UserProfile& p) {
  const bool bought = p.recency_days >= 0;
  return {std::log1p(static_cast<double>(p.orders)),
          std::log1p(std::max(0.0, p.net())),
          bought ? std::log1p(p.recency_days) : 0.0,
          bought ? 0.0 : 1.0,
          std::log1p(std::max(0.0, p.tenure_days)),
          p.return_rate,
          std::log1p(p.average_order_value),
          std::log1p(static_cast<double>(p.events)),
          std::log1p(std::max(0.0, p.days_since_active))};
}

absl::StatusOr<std::vector<PropensityReport>> RunPropensity(
    const TrainingInput& input, const PropensityOptions& o,
    const ProgressFn& progress) {
  auto say = [&](const std::string& line) {
    if (progress) progress(line);
  };
  TAILOR_RETURN_IF_ERROR(ValidateLogisticOptions(o.logistic));
  if (o.purchase_horizon_days < 1 || o.churn_horizon_days < 1) {
    return absl::InvalidArgumentError("horizons: must be at least 1 day");
  }
  if (!HasCatalog(input)) {
    return absl::InvalidArgumentError(
        "propensity: needs a catalog for prices and attributes");
  }
  ReadReport report;
  TAILOR_ASSIGN_OR_RETURN(std::vector<Item> catalog,
                          ReadInputCatalog(input, &report));
  // Pass 1, unless the caller knows it: the latest event fixes the windows.
  int64_t end = o.end_unix;
  if (end == 0) {
    end = INT64_MIN;
    TAILOR_RETURN_IF_ERROR(ReadInputEvents(
        input, /*pipelined=*/false,
        [&](Event&& e) { end = std::max(end, e.timestamp); }, {}));
    if (end == INT64_MIN) {
      return absl::InvalidArgumentError("propensity: no events");
    }
  }
  struct Target {
    std::string name;
    int64_t horizon;
    bool churn;
    int64_t t1, t2;
    std::unique_ptr<ProfileBuilder> at_t1, at_t2;
    absl::flat_hash_set<std::string> bought_train, bought_test;
  };
  std::vector<Target> targets;
  for (bool churn : {false, true}) {
    Target t;
    t.churn = churn;
    t.horizon =
        int64_t{churn ? o.churn_horizon_days : o.purchase_horizon_days} *
        kSecondsPerDay;
    t.name =
        churn ? absl::StrCat("churn (no purchase in ", o.churn_horizon_days,
                             " days)")
              : absl::StrCat("purchase in ", o.purchase_horizon_days, " days");
    t.t2 = end - t.horizon;
    t.t1 = t.t2 - t.horizon;
    ProfileOptions p1, p2;
    p1.now_unix = t.t1;
    p2.now_unix = t.t2;
    p1.weights = p2.weights = input.weights;
    t.at_t1 = std::make_unique<ProfileBuilder>(catalog, p1);
    t.at_t2 = std::make_unique<ProfileBuilder>(catalog, p2);
    targets.push_back(std::move(t));
  }
  // Pass 2: profiles at both cut-offs (each builder ignores later events)
  // and who bought in each label window.
  TAILOR_RETURN_IF_ERROR(ReadInputEvents(
      input, /*pipelined=*/true,
      [&](Event&& e) {
        for (Target& t : targets) {
          t.at_t1->Add(e);
          t.at_t2->Add(e);
          if (e.type != EventType::kPurchase) continue;
          if (e.timestamp > t.t1 && e.timestamp <= t.t2) {
            t.bought_train.insert(e.user_id);
          } else if (e.timestamp > t.t2 && e.timestamp <= end) {
            t.bought_test.insert(e.user_id);
          }
        }
      },
      [&](ReadReport r) { say(r.Summary()); }));

  std::vector<PropensityReport> out;
  for (Target& t : targets) {
    auto keep = [&](const UserProfile& p) {
      return p.events > 0 && (!t.churn || p.orders > 0);
    };
    // Churn is the absence of a purchase; propensity its presence.
    const Labeled train = MakeRows(*t.at_t1, keep, [&](const std::string& u) {
      return t.bought_train.contains(u) != t.churn;
    });
    const Labeled test = MakeRows(*t.at_t2, keep, [&](const std::string& u) {
      return t.bought_test.contains(u) != t.churn;
    });
    if (train.y.empty() || test.y.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          t.name,
          ": no users before the cut-off; the events span too short "
          "a time for this horizon"));
    }
    PropensityReport rep;
    rep.target = t.name;
    rep.churn = t.churn;
    rep.t1_unix = t.t1;
    rep.t2_unix = t.t2;
    rep.end_unix = end;
    rep.train_users = static_cast<int64_t>(train.y.size());
    rep.test_users = static_cast<int64_t>(test.y.size());
    rep.train_rate = Rate(train.y);
    rep.test_rate = Rate(test.y);
    TAILOR_ASSIGN_OR_RETURN(rep.model,
                            LogisticModel::Fit(train.x, train.y, o.logistic));
    const std::vector<double> p = rep.model.PredictAll(test.x);
    rep.auc = RocAuc(p, test.y);
    rep.log_loss = LogLoss(p, test.y);
    rep.base_log_loss =
        LogLoss(std::vector<double>(test.y.size(), rep.train_rate), test.y);
    rep.calibration = CalibrationTable(p, test.y, o.calibration_bins);
    out.push_back(std::move(rep));
  }
  return out;
}

std::string FormatPropensityReport(const PropensityReport& r) {
  auto day = [](int64_t t) {
    return absl::FormatTime("%Y-%m-%d", absl::FromUnixSeconds(t),
                            absl::UTCTimeZone());
  };
  std::string out = absl::StrFormat(
      "%s\n  train: profiles as of %s, labels to %s: %d users, %.1f%% "
      "positive\n  test:  profiles as of %s, labels to %s: %d users, %.1f%% "
      "positive\n  AUC %.4f   log-loss %.4f (base rate alone %.4f)\n",
      r.target, day(r.t1_unix), day(r.t2_unix), r.train_users,
      100 * r.train_rate, day(r.t2_unix), day(r.end_unix), r.test_users,
      100 * r.test_rate, r.auc, r.log_loss, r.base_log_loss);
  absl::StrAppendFormat(&out, "  calibration: %-11s %8s %10s %9s\n",
                        "predicted", "users", "mean pred", "observed");
  for (const CalibrationBin& b : r.calibration) {
    if (b.count == 0) continue;
    absl::StrAppendFormat(
        &out, "               %.1f - %.1f   %8d %10.3f %9.3f\n", b.low, b.high,
        b.count, b.mean_predicted, b.observed_rate);
  }
  absl::StrAppendFormat(&out, "  weights (raw features): intercept %.3f",
                        r.model.intercept());
  for (size_t j = 0; j < PropensityFeatureNames().size(); ++j) {
    absl::StrAppendFormat(&out, ", %s %.3f", PropensityFeatureNames()[j],
                          r.model.weights()(j));
  }
  out += "\n";
  return out;
}

}  // namespace tailor

#include "core/models/als.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/base/parallel.h"
#include "core/base/status_macros.h"
#include "core/models/option_checks.h"

namespace tailor {
namespace {

constexpr int64_t kGrain = 64;

void InitFactors(RowMatrix* m, float stddev, std::mt19937_64* rng) {
  std::normal_distribution<float> normal(0.0f, stddev);
  for (Eigen::Index r = 0; r < m->rows(); ++r) {
    for (Eigen::Index c = 0; c < m->cols(); ++c) (*m)(r, c) = normal(*rng);
  }
}

// One half-step: recomputes every row of `x` against fixed `y`, row r
// penalised with reg[r].
void HalfStep(const std::vector<int64_t>& row_ptr,
              const std::vector<int32_t>& cols,
              const std::vector<float>& weights, const RowMatrix& y,
              const std::vector<float>& reg, const AlsOptions& options,
              RowMatrix* x) {
  const Eigen::MatrixXf gram = y.transpose() * y;
  ParallelFor(x->rows(), options.threads, kGrain,
              [&](int64_t begin, int64_t end) {
                Vector row(y.cols());
                RowSolveOptions row_options = RowSolveOptionsOf(options);
                for (int64_t r = begin; r < end; ++r) {
                  const int64_t b = row_ptr[r];
                  row = x->row(r).transpose();
                  row_options.regularization = reg[r];
                  SolveImplicitRow(y, gram, cols.data() + b, weights.data() + b,
                                   row_ptr[r + 1] - b, row_options, row);
                  x->row(r) = row.transpose();
                }
              });
}

}  // namespace

RowSolveOptions RowSolveOptionsOf(const AlsOptions& options) {
  RowSolveOptions r;
  r.alpha = options.alpha;
  r.regularization = options.regularization;
  r.solver = options.solver;
  r.cg_steps = options.cg_steps;
  return r;
}

absl::Status ValidateAlsOptions(const AlsOptions& o) {
  TAILOR_RETURN_IF_ERROR(CheckInRange("factors", o.factors, 1, 1024));
  TAILOR_RETURN_IF_ERROR(CheckAtLeast("iterations", o.iterations, 0));
  TAILOR_RETURN_IF_ERROR(CheckPositive("regularization", o.regularization));
  TAILOR_RETURN_IF_ERROR(CheckPositive("alpha", o.alpha));
  TAILOR_RETURN_IF_ERROR(
      CheckInInterval("frequency_scaling", o.frequency_scaling, 0, 2));
  TAILOR_RETURN_IF_ERROR(CheckAtLeast("cg_steps", o.cg_steps, 1));
  TAILOR_RETURN_IF_ERROR(CheckNonNegative("init_stddev", o.init_stddev));
  return CheckAtLeast("threads", o.threads, 0);
}

double MeanRowMass(const std::vector<int64_t>& row_ptr,
                   const std::vector<float>& weights, int64_t num_columns,
                   float alpha) {
  const int64_t rows = static_cast<int64_t>(row_ptr.size()) - 1;
  if (rows <= 0) return 0;
  double total = 0;
  for (int64_t r = 0; r < rows; ++r) {
    total += RowMass(weights.data() + row_ptr[r], row_ptr[r + 1] - row_ptr[r],
                     num_columns, alpha);
  }
  return total / rows;
}

std::vector<float> RowRegularization(const std::vector<int64_t>& row_ptr,
                                     const std::vector<float>& weights,
                                     int64_t num_columns,
                                     const AlsOptions& options) {
  const int64_t rows = static_cast<int64_t>(row_ptr.size()) - 1;
  std::vector<float> reg(std::max<int64_t>(rows, 0), options.regularization);
  if (options.frequency_scaling == 0 || rows <= 0) return reg;
  const double mean = MeanRowMass(row_ptr, weights, num_columns, options.alpha);
  for (int64_t r = 0; r < rows; ++r) {
    reg[r] = ScaledRegularization(
        RowMass(weights.data() + row_ptr[r], row_ptr[r + 1] - row_ptr[r],
                num_columns, options.alpha),
        mean, options.regularization, options.frequency_scaling);
  }
  return reg;
}

double ImplicitAlsLoss(const InteractionMatrix& m, const RowMatrix& x,
                       const RowMatrix& y, const AlsOptions& options) {
  const float alpha = options.alpha;
  const int threads = options.threads;
  // sum over all pairs of s^2, then correct the observed entries.
  const Eigen::MatrixXd xtx = (x.transpose() * x).cast<double>();
  const Eigen::MatrixXd yty = (y.transpose() * y).cast<double>();
  double loss = (xtx.array() * yty.array()).sum();
  const int64_t n = m.num_users();
  std::vector<double> partial((n + kGrain - 1) / kGrain, 0.0);
  ParallelFor(n, threads, kGrain, [&](int64_t begin, int64_t end) {
    double sum = 0;
    for (int64_t u = begin; u < end; ++u) {
      for (int64_t p = m.row_ptr[u]; p < m.row_ptr[u + 1]; ++p) {
        const double s = x.row(u).dot(y.row(m.item[p]));
        const double w = m.weight[p];
        const double c = 1.0 + alpha * w;
        const double pref = w > 0 ? 1.0 : 0.0;
        sum += c * (pref - s) * (pref - s) - s * s;
      }
    }
    partial[begin / kGrain] = sum;
  });
  for (double v : partial) loss += v;
  const std::vector<float> user_reg =
      RowRegularization(m.row_ptr, m.weight, m.num_items(), options);
  for (int64_t u = 0; u < x.rows(); ++u) {
    loss += user_reg[u] * static_cast<double>(x.row(u).squaredNorm());
  }
  const CsrView by_item = TransposeToItemMajor(m);
  const std::vector<float> item_reg = RowRegularization(
      by_item.row_ptr, by_item.weight, m.num_users(), options);
  for (int64_t i = 0; i < y.rows(); ++i) {
    loss += item_reg[i] * static_cast<double>(y.row(i).squaredNorm());
  }
  return loss;
}

absl::StatusOr<AlsFactors> TrainImplicitAls(
    const InteractionMatrix& m, const AlsOptions& options,
    const std::function<void(const AlsIteration&)>& on_iteration) {
  if (absl::Status s = ValidateAlsOptions(options); !s.ok()) return s;
  if (m.num_users() == 0 || m.num_items() == 0) {
    return absl::InvalidArgumentError(
        "training data: has no users or no items");
  }
  AlsFactors f;
  f.user_factors.resize(m.num_users(), options.factors);
  f.item_factors.resize(m.num_items(), options.factors);
  std::mt19937_64 rng(options.seed);
  InitFactors(&f.user_factors, options.init_stddev, &rng);
  InitFactors(&f.item_factors, options.init_stddev, &rng);
  const CsrView by_item = TransposeToItemMajor(m);
  const std::vector<float> user_reg =
      RowRegularization(m.row_ptr, m.weight, m.num_items(), options);
  const std::vector<float> item_reg = RowRegularization(
      by_item.row_ptr, by_item.weight, m.num_users(), options);

  for (int it = 1; it <= options.iterations; ++it) {
    const auto start = std::chrono::steady_clock::now();
    HalfStep(m.row_ptr, m.item, m.weight, f.item_factors, user_reg, options,
             &f.user_factors);
    HalfStep(by_item.row_ptr, by_item.col, by_item.weight, f.user_factors,
             item_reg, options, &f.item_factors);
    AlsIteration info;
    info.iteration = it;
    info.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    info.loss = options.compute_loss ? ImplicitAlsLoss(m, f.user_factors,
                                                       f.item_factors, options)
                                     : std::numeric_limits<double>::quiet_NaN();
    if (!std::isfinite(f.user_factors.sum()) ||
        !std::isfinite(f.item_factors.sum())) {
      return absl::InternalError(
          absl::StrCat("ALS diverged at iteration ", it,
                       " (non-finite factors); try a larger regularization"));
    }
    f.history.push_back(info);
    if (on_iteration) on_iteration(info);
  }
  return f;
}

}  // namespace tailor

#include "core/als.h"

#include <Eigen/Cholesky>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/parallel.h"

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
                AlsOptions row_options = options;
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

absl::Status ValidateAlsOptions(const AlsOptions& o) {
  if (o.factors < 1 || o.factors > 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("factors: must be in 1..1024, got ", o.factors));
  }
  if (o.iterations < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("iterations: must be >= 0, got ", o.iterations));
  }
  if (!(o.regularization > 0) || !std::isfinite(o.regularization)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "regularization: must be a positive number, got ", o.regularization));
  }
  if (!(o.alpha > 0) || !std::isfinite(o.alpha)) {
    return absl::InvalidArgumentError(
        absl::StrCat("alpha: must be a positive number, got ", o.alpha));
  }
  if (!(o.frequency_scaling >= 0 && o.frequency_scaling <= 2)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "frequency_scaling: must be in [0, 2], got ", o.frequency_scaling));
  }
  if (o.cg_steps < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("cg_steps: must be >= 1, got ", o.cg_steps));
  }
  return absl::OkStatus();
}

void SolveImplicitRow(const RowMatrix& y, const Eigen::MatrixXf& gram,
                      const int32_t* cols, const float* weights, int64_t n,
                      const AlsOptions& options, Eigen::Ref<Vector> x) {
  const int k = static_cast<int>(y.cols());
  const float reg = options.regularization;
  const float alpha = options.alpha;
  if (options.solver == AlsOptions::Solver::kCholesky) {
    Eigen::MatrixXf a = gram;
    a.diagonal().array() += reg;
    Vector b = Vector::Zero(k);
    for (int64_t j = 0; j < n; ++j) {
      const float w = weights[j];
      if (w <= 0) continue;  // c = 1, p = 0: same as unobserved
      const float c = 1.0f + alpha * w;
      const auto yj = y.row(cols[j]).transpose();
      a.selfadjointView<Eigen::Lower>().rankUpdate(yj, c - 1.0f);
      b.noalias() += c * yj;
    }
    x = a.selfadjointView<Eigen::Lower>().llt().solve(b);
    return;
  }
  // Conjugate gradient on A x = b, A = gram + reg I + sum (c-1) y y^T,
  // b = sum c p y, warm-started from x. The row's positive item vectors are
  // gathered once into a contiguous block, so every CG pass is two
  // matrix-vector products over memory in cache instead of a scattered walk
  // over the whole factor matrix.
  thread_local RowMatrix rows;
  thread_local Vector confidence_minus_one, t;
  int64_t m = 0;
  for (int64_t j = 0; j < n; ++j) m += weights[j] > 0;
  if (rows.rows() < m || rows.cols() != k) {
    rows.resize(std::max<int64_t>(m, rows.cols() == k ? rows.rows() : 0), k);
  }
  if (confidence_minus_one.size() < m) confidence_minus_one.resize(m);
  if (t.size() < m) t.resize(m);
  for (int64_t j = 0, q = 0; j < n; ++j) {
    const float w = weights[j];
    if (w <= 0) continue;  // c = 1, p = 0: same as unobserved
    rows.row(q) = y.row(cols[j]);
    confidence_minus_one(q) = alpha * w;
    ++q;
  }
  const auto yr = rows.topRows(m);
  const auto cm1 = confidence_minus_one.head(m);
  auto tm = t.head(m);
  // r = b - A x = Yr^T (c - (c-1) * (Yr x)) - gram x - reg x.
  tm.noalias() = yr * x;
  tm = (1.0f + cm1.array() - cm1.array() * tm.array()).matrix();
  Vector r = -(gram * x) - reg * x;
  r.noalias() += yr.transpose() * tm;
  Vector p = r;
  float rs_old = r.squaredNorm();
  Vector ap(k);
  for (int step = 0; step < options.cg_steps; ++step) {
    if (rs_old < 1e-20f) break;
    ap.noalias() = gram * p;
    ap += reg * p;
    tm.noalias() = yr * p;
    tm.array() *= cm1.array();
    ap.noalias() += yr.transpose() * tm;
    const float step_size = rs_old / p.dot(ap);
    x += step_size * p;
    r -= step_size * ap;
    const float rs_new = r.squaredNorm();
    p = r + (rs_new / rs_old) * p;
    rs_old = rs_new;
  }
}

double RowMass(const float* weights, int64_t n, int64_t num_columns,
               float alpha) {
  double m = static_cast<double>(num_columns);
  for (int64_t p = 0; p < n; ++p) {
    if (weights[p] > 0) m += alpha * weights[p];
  }
  return m;
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

float ScaledRegularization(double mass, double mean_mass, float regularization,
                           float frequency_scaling) {
  if (frequency_scaling == 0) return regularization;
  return static_cast<float>(regularization *
                            std::pow(mass / mean_mass, frequency_scaling));
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

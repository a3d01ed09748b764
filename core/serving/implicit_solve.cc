#include "core/serving/implicit_solve.h"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>

namespace tailor {

void SolveImplicitRow(const RowMatrix& y, const Eigen::MatrixXf& gram,
                      const int32_t* cols, const float* weights, int64_t n,
                      const RowSolveOptions& options, Eigen::Ref<Vector> x) {
  const int k = static_cast<int>(y.cols());
  const float reg = options.regularization;
  const float alpha = options.alpha;
  if (options.solver == RowSolver::kCholesky) {
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

float ScaledRegularization(double mass, double mean_mass, float regularization,
                           float frequency_scaling) {
  if (frequency_scaling == 0) return regularization;
  return static_cast<float>(regularization *
                            std::pow(mass / mean_mass, frequency_scaling));
}

}  // namespace tailor

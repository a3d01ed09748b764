// The implicit-ALS least-squares step for one row (Hu, Koren & Volinsky
// 2008): training (core/models/als.h) runs it for every user and item in
// each half-step; the server runs it for one shopper against the snapshot's
// fixed item factors (the fold-in, core/serving/fold_in.h).
#ifndef TAILOR_CORE_SERVING_IMPLICIT_SOLVE_H_
#define TAILOR_CORE_SERVING_IMPLICIT_SOLVE_H_

#include <cstdint>

#include "core/base/matrix.h"

namespace tailor {

enum class RowSolver { kCholesky, kConjugateGradient };

struct RowSolveOptions {
  float alpha = 0.5f;
  float regularization = 100.0f;
  RowSolver solver = RowSolver::kCholesky;
  int cg_steps = 3;  // kConjugateGradient only
};

// A row's total confidence: num_columns + alpha * (sum of its positive
// weights), which frequency_scaling compares with the mean over rows.
double RowMass(const float* weights, int64_t n, int64_t num_columns,
               float alpha);
// The regularization of a row of the given mass: regularization x
// (mass / mean_mass)^frequency_scaling (see AlsOptions::frequency_scaling).
float ScaledRegularization(double mass, double mean_mass, float regularization,
                           float frequency_scaling);

// Solves one row of the half-step: the x minimising
// sum_j c_j (p_j - x . y_j)^2 + (sum over all other items of (x . y)^2) +
// reg |x|^2, given the fixed factors `y` and gram = y^T y, with reg =
// options.regularization (not frequency-scaled: the caller scales it). `x` is
// the warm start for CG and receives the result. This is also the "fold-in"
// of a user's interactions against fixed item factors.
void SolveImplicitRow(const RowMatrix& y, const Eigen::MatrixXf& gram,
                      const int32_t* cols, const float* weights, int64_t n,
                      const RowSolveOptions& options, Eigen::Ref<Vector> x);

}  // namespace tailor

#endif  // TAILOR_CORE_SERVING_IMPLICIT_SOLVE_H_

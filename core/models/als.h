// Implicit-feedback alternating least squares (Hu, Koren & Volinsky 2008).
//
// Minimises  sum_{u,i} c_ui (p_ui - x_u . y_i)^2 + reg (|X|^2 + |Y|^2)
// over all user/item pairs, with preference p_ui = [w_ui > 0] and confidence
// c_ui = 1 + alpha * w_ui, where w_ui is the summed event weight. Each
// half-step solves every user (item) exactly (Cholesky) or approximately with
// a few warm-started conjugate-gradient steps (Takacs et al. 2011), both of
// which never increase the objective.
#ifndef TAILOR_CORE_MODELS_ALS_H_
#define TAILOR_CORE_MODELS_ALS_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "core/base/interactions.h"
#include "core/base/matrix.h"
#include "core/serving/implicit_solve.h"

namespace tailor {

struct AlsOptions {
  using Solver = RowSolver;
  int factors = 32;
  int iterations = 15;
  float regularization = 100.0f;
  // Frequency-scaled regularization ("Revisiting the Performance of iALS on
  // Item Recommendation Benchmarks", Rendle et al., RecSys 2022): row r is
  // penalised with regularization * (mass_r / mean mass)^frequency_scaling,
  // where mass_r = (number of columns) + alpha * (sum of r's positive
  // weights) is the row's total confidence. 0 = the same for every row; 1 =
  // proportional to how much the row is observed, so heavy users and popular
  // items are not under-regularized.
  float frequency_scaling = 0.0f;
  float alpha = 0.5f;
  Solver solver = Solver::kConjugateGradient;
  int cg_steps = 3;
  float init_stddev = 0.01f;
  uint64_t seed = 42;
  int threads = 0;  // 0 = all cores
  // Computing the objective costs about one extra pass over the data.
  bool compute_loss = true;
};

// The options of one row's solve in a half-step (regularization not yet
// frequency-scaled).
RowSolveOptions RowSolveOptionsOf(const AlsOptions& options);

// Checks ranges; the message names the option.
absl::Status ValidateAlsOptions(const AlsOptions& options);

struct AlsIteration {
  int iteration = 0;  // 1-based
  double loss = 0.0;  // NaN when compute_loss is false
  double seconds = 0.0;
};

struct AlsFactors {
  RowMatrix user_factors;  // users x factors
  RowMatrix item_factors;  // items x factors
  std::vector<AlsIteration> history;
};

// Trains on `m`. Deterministic for a given seed: factors do not depend on the
// thread count. `on_iteration`, if set, is called after each iteration.
absl::StatusOr<AlsFactors> TrainImplicitAls(
    const InteractionMatrix& m, const AlsOptions& options,
    const std::function<void(const AlsIteration&)>& on_iteration = {});

// The objective above for given factors (double precision), with each
// row's (frequency-scaled) regularization.
double ImplicitAlsLoss(const InteractionMatrix& m,
                       const RowMatrix& user_factors,
                       const RowMatrix& item_factors,
                       const AlsOptions& options);

// The mean RowMass over the rows of a CSR (row_ptr, weights); 0 for none.
double MeanRowMass(const std::vector<int64_t>& row_ptr,
                   const std::vector<float>& weights, int64_t num_columns,
                   float alpha);
// Per row of a CSR (row_ptr, weights) against `num_columns` columns: the
// regularization the options give that row (see frequency_scaling).
std::vector<float> RowRegularization(const std::vector<int64_t>& row_ptr,
                                     const std::vector<float>& weights,
                                     int64_t num_columns,
                                     const AlsOptions& options);

}  // namespace tailor

#endif  // TAILOR_CORE_MODELS_ALS_H_

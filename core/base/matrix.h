// Dense matrix types shared by the models and retrieval.
#ifndef TAILOR_CORE_BASE_MATRIX_H_
#define TAILOR_CORE_BASE_MATRIX_H_

#include <Eigen/Core>

namespace tailor {

// Factor matrices: one row per user or item, stored contiguously row-major.
using RowMatrix =
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXf;

}  // namespace tailor

#endif  // TAILOR_CORE_BASE_MATRIX_H_

#include "core/retrieval/aligned_rows.h"

#include <algorithm>
#include <cmath>

namespace tailor {

std::vector<float> PadQuery(const float* query, int dim, int64_t stride) {
  std::vector<float> q(stride, 0.0f);
  std::copy(query, query + dim, q.begin());
  return q;
}

AlignedRows<float> AlignRows(const RowMatrix& m) {
  AlignedRows<float> out(m.rows(), static_cast<int>(m.cols()));
  for (Eigen::Index r = 0; r < m.rows(); ++r) {
    std::copy(m.row(r).data(), m.row(r).data() + m.cols(), out.row(r));
  }
  return out;
}

float QueryNorm(const float* v, int dim) {
  double s = 0;
  for (int d = 0; d < dim; ++d) s += double{v[d]} * v[d];
  return static_cast<float>(std::sqrt(s));
}

}  // namespace tailor

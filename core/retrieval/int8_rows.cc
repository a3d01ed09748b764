#include "core/retrieval/int8_rows.h"

#include <algorithm>
#include <cmath>

namespace tailor {

namespace {

// Relative error bound of a query quantised to int16 with scale
// max|q| / 32767: each coordinate is off by at most half a step, so
// |q - q16| <= sqrt(dim) * max|q| / 65534 <= sqrt(dim) * |q| / 65534.
constexpr float kQueryStep = 32767.0f;
// Float rounding in the scores themselves, per unit of |q| |x|.
constexpr float kRoundingSlack = 1e-5f;
}  // namespace

Int8Rows QuantizeRows(int64_t n, int dim,
                      const std::function<const float*(int64_t)>& row,
                      const std::vector<float>& norms) {
  Int8Rows out{AlignedRows<int8_t>(n, dim), std::vector<float>(n),
               std::vector<float>(n)};
  const float query_error =
      std::sqrt(static_cast<float>(dim)) / (2 * kQueryStep);
  for (int64_t r = 0; r < n; ++r) {
    const float* x = row(r);
    float max_abs = 0;
    for (int d = 0; d < dim; ++d) max_abs = std::max(max_abs, std::abs(x[d]));
    const float scale = max_abs > 0 ? max_abs / 127.0f : 0.0f;
    out.scale[r] = scale;
    int8_t* code = out.codes.row(r);
    double err2 = 0, hat2 = 0;
    for (int d = 0; d < dim; ++d) {
      const float c = scale > 0 ? std::round(x[d] / scale) : 0.0f;
      code[d] = static_cast<int8_t>(std::clamp(c, -127.0f, 127.0f));
      const double hat = static_cast<double>(code[d]) * scale;
      err2 += (x[d] - hat) * (x[d] - hat);
      hat2 += hat * hat;
    }
    // |q.x - q16.xhat| <= |q| |x - xhat| + |q - q16| |xhat|, plus rounding.
    out.slack[r] = static_cast<float>(std::sqrt(err2)) * 1.0001f +
                   query_error * static_cast<float>(std::sqrt(hat2)) +
                   kRoundingSlack * norms[r];
  }
  return out;
}

bool QuantizeQuery(const float* query, int dim, int64_t stride,
                   Int8Query* out) {
  float max_abs = 0;
  for (int d = 0; d < dim; ++d) max_abs = std::max(max_abs, std::abs(query[d]));
  if (max_abs == 0) return false;
  out->scale = max_abs / kQueryStep;
  out->q16.assign(stride, 0);
  for (int d = 0; d < dim; ++d) {
    out->q16[d] = static_cast<int16_t>(std::lround(query[d] / out->scale));
  }
  out->norm = QueryNorm(query, dim);
  return true;
}

void Int8Bounds(const Int8Rows& rows, int64_t begin, int64_t len,
                const Int8Query& query, const DotKernels& kernels, int32_t* acc,
                float* upper, float* lower) {
  kernels.dot_i8(rows.codes.row(begin), len, rows.codes.stride(),
                 query.q16.data(), acc);
  const float* sc = rows.scale.data() + begin;
  const float* sl = rows.slack.data() + begin;
  for (int64_t j = 0; j < len; ++j) {
    const float approx = static_cast<float>(acc[j]) * (sc[j] * query.scale);
    const float bound = query.norm * sl[j];
    upper[j] = approx + bound;
    lower[j] = approx - bound;
  }
}

}  // namespace tailor

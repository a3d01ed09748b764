// int8 codes of rows with per-row scales and error bounds, and int16
// queries against them: the first pass of the int8 and IVF paths.
#ifndef TAILOR_CORE_RETRIEVAL_INT8_ROWS_H_
#define TAILOR_CORE_RETRIEVAL_INT8_ROWS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/retrieval/aligned_rows.h"
#include "core/retrieval/simd.h"

namespace tailor {

// Rows as int8 codes with a per-row scale, for a first pass that reads a
// quarter of the fp32 bytes, and per row a bound on the error of its
// approximate score per unit of |query| (codes and query rounding, float
// rounding), so callers can tell which rows might still beat a threshold.
// Thread safety: a plain value; const use may be concurrent.
struct Int8Rows {
  AlignedRows<int8_t> codes;
  std::vector<float> scale;  // value = code * scale
  std::vector<float> slack;  // score error bound per unit of |query|
  size_t memory_bytes() const {
    return codes.memory_bytes() + (scale.size() + slack.size()) * sizeof(float);
  }
};

// Quantises `n` rows of `dim` floats; row(r) returns row r and norms[r] is
// its length.
Int8Rows QuantizeRows(int64_t n, int dim,
                      const std::function<const float*(int64_t)>& row,
                      const std::vector<float>& norms);

// A query quantised for DotKernels::dot_i8.
struct Int8Query {
  std::vector<int16_t> q16;  // padded to the rows' stride
  float scale = 0;           // query ~= q16 * scale
  float norm = 0;            // |query|
};

// Quantises `query` (dim floats) for rows of stride `stride`. Returns false
// for an all-zero query (which has no order to approximate).
bool QuantizeQuery(const float* query, int dim, int64_t stride, Int8Query* out);

// For rows [begin, begin + len) of `rows`: upper and lower bounds on their
// exact scores against `query` (acc is scratch; all three hold len values).
void Int8Bounds(const Int8Rows& rows, int64_t begin, int64_t len,
                const Int8Query& query, const DotKernels& kernels, int32_t* acc,
                float* upper, float* lower);

}  // namespace tailor

#endif  // TAILOR_CORE_RETRIEVAL_INT8_ROWS_H_

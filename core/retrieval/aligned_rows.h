// Rows laid out for the SIMD kernels: each starts on a 64-byte boundary
// and is zero-padded to a multiple of 16 elements.
#ifndef TAILOR_CORE_RETRIEVAL_ALIGNED_ROWS_H_
#define TAILOR_CORE_RETRIEVAL_ALIGNED_ROWS_H_

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "core/base/matrix.h"

namespace tailor {

// A matrix whose rows each start on a 64-byte boundary: the row width is
// padded with zeros to a multiple of 16 elements (the SIMD kernels' step).
// Thread safety: const methods may be called concurrently.
template <typename T>
class AlignedRows {
 public:
  AlignedRows() = default;
  // Zero-filled.
  AlignedRows(int64_t rows, int dim)
      : rows_(rows), dim_(dim), stride_((dim + 15) / 16 * 16) {
    // 64-byte rows for floats; int8 rows are 16-byte aligned.
    const size_t bytes =
        (static_cast<size_t>(rows_ * stride_) * sizeof(T) + 63) / 64 * 64;
    data_.reset(
        static_cast<T*>(std::aligned_alloc(64, bytes == 0 ? 64 : bytes)));
    std::fill(data_.get(), data_.get() + rows_ * stride_, T{0});
  }
  int64_t rows() const { return rows_; }
  int dim() const { return dim_; }
  int64_t stride() const { return stride_; }
  T* row(int64_t r) { return data_.get() + r * stride_; }
  const T* row(int64_t r) const { return data_.get() + r * stride_; }
  const T* data() const { return data_.get(); }
  size_t memory_bytes() const {
    return static_cast<size_t>(rows_ * stride_) * sizeof(T);
  }

 private:
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  int64_t rows_ = 0;
  int dim_ = 0;
  int64_t stride_ = 0;
  std::unique_ptr<T[], Free> data_;
};

// A copy of `m` in aligned, zero-padded rows.
AlignedRows<float> AlignRows(const RowMatrix& m);

// `query` (dim floats) copied into a zero-padded buffer of `stride`
// floats, as the kernels read it.
std::vector<float> PadQuery(const float* query, int dim, int64_t stride);

// The Euclidean length of `v` (dim floats), summed in double.
float QueryNorm(const float* v, int dim);

// A row's score is at most |q| |x|; the factor covers float rounding, so
// |q| |x| * kNormSlack bounds a computed score.
inline constexpr float kNormSlack = 1.0f + 1e-5f;

}  // namespace tailor

#endif  // TAILOR_CORE_RETRIEVAL_ALIGNED_ROWS_H_

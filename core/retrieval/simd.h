// Inner-product kernels for retrieval, chosen at run time by what the CPU
// supports. The shipped build targets x86-64-v2; the AVX2+FMA versions are
// compiled with per-function target attributes and only called when the
// running CPU has them, so one binary runs everywhere and fast where it can.
#ifndef TAILOR_CORE_RETRIEVAL_SIMD_H_
#define TAILOR_CORE_RETRIEVAL_SIMD_H_

#include <cstdint>
#include <string_view>

namespace tailor {

enum class SimdLevel { kScalar, kAvx2 };

// Both kernels read `stride` elements per row, so rows and the query must be
// padded with zeros from `dim` up to a multiple of 16 (AlignedRows does
// this); `stride` is that padded width.
struct DotKernels {
  SimdLevel level;
  // out[i] = <rows[i * stride ..], q> for i in [0, n).
  void (*dot_f32)(const float* rows, int64_t n, int64_t stride, const float* q,
                  float* out);
  // out[i] = <rows[ids[i] * stride ..], q> for i in [0, n): the same product
  // for a list of rows.
  void (*dot_f32_gather)(const float* base, const int32_t* ids, int64_t n,
                         int64_t stride, const float* q, float* out);
  // out[i] = sum_d rows[i * stride + d] * q[d], exactly, in 32-bit integers
  // (callers keep |q| <= 32767 and stride <= 4096 so nothing overflows).
  void (*dot_i8)(const int8_t* rows, int64_t n, int64_t stride,
                 const int16_t* q, int32_t* out);
};

// The fastest kernels this CPU runs. Thread safety: the result is a
// constant; the kernels are pure functions.
const DotKernels& BestKernels();
// The kernels of one level; `level` must be supported (SimdSupported).
const DotKernels& KernelsFor(SimdLevel level);
bool SimdSupported(SimdLevel level);
std::string_view SimdLevelName(SimdLevel level);

}  // namespace tailor

#endif  // TAILOR_CORE_RETRIEVAL_SIMD_H_

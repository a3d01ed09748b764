#include "core/retrieval/simd.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define TAILOR_X86 1
#endif

namespace tailor {
namespace {

// ---- Portable versions (vectorised by the compiler for the baseline ISA).

float DotScalar(const float* a, const float* b, int64_t n) {
  float s = 0;
  for (int64_t d = 0; d < n; ++d) s += a[d] * b[d];
  return s;
}

void DotF32Scalar(const float* rows, int64_t n, int64_t stride, const float* q,
                  float* out) {
  for (int64_t i = 0; i < n; ++i)
    out[i] = DotScalar(rows + i * stride, q, stride);
}

void DotF32GatherScalar(const float* base, const int32_t* ids, int64_t n,
                        int64_t stride, const float* q, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    out[i] = DotScalar(base + int64_t{ids[i]} * stride, q, stride);
  }
}

void DotI8Scalar(const int8_t* rows, int64_t n, int64_t stride,
                 const int16_t* q, int32_t* out) {
  for (int64_t i = 0; i < n; ++i) {
    const int8_t* r = rows + i * stride;
    int32_t s = 0;
    for (int64_t d = 0; d < stride; ++d) s += int32_t{r[d]} * int32_t{q[d]};
    out[i] = s;
  }
}

constexpr DotKernels kScalar = {SimdLevel::kScalar, DotF32Scalar,
                                DotF32GatherScalar, DotI8Scalar};

#ifdef TAILOR_X86
// ---- AVX2 + FMA. Four rows at a time, two accumulators per row, so that
// eight independent FMA chains hide the FMA latency.

#define TAILOR_AVX2 __attribute__((target("avx2,fma")))

TAILOR_AVX2 inline __m256 RowSum(const float* r, const float* q,
                                 int64_t stride) {
  __m256 a = _mm256_setzero_ps();
  __m256 b = _mm256_setzero_ps();
  for (int64_t d = 0; d < stride; d += 16) {
    a = _mm256_fmadd_ps(_mm256_loadu_ps(r + d), _mm256_loadu_ps(q + d), a);
    b = _mm256_fmadd_ps(_mm256_loadu_ps(r + d + 8), _mm256_loadu_ps(q + d + 8),
                        b);
  }
  return _mm256_add_ps(a, b);
}

// The four horizontal sums of a0..a3.
TAILOR_AVX2 inline __m128 HorizontalSums(__m256 a0, __m256 a1, __m256 a2,
                                         __m256 a3) {
  const __m256 s =
      _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
  return _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
}

// The same sum in the same order as HorizontalSums' first lane, so that a
// row's score does not depend on where it falls in a batch.
TAILOR_AVX2 inline float HorizontalSum(__m256 a) {
  return _mm_cvtss_f32(HorizontalSums(a, a, a, a));
}

template <typename RowAt>
TAILOR_AVX2 inline void DotF32Avx2Impl(RowAt row_at, int64_t n, int64_t stride,
                                       const float* q, float* out) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float* r0 = row_at(i);
    const float* r1 = row_at(i + 1);
    const float* r2 = row_at(i + 2);
    const float* r3 = row_at(i + 3);
    __m256 a0 = _mm256_setzero_ps(), b0 = a0, a1 = a0, b1 = a0, a2 = a0,
           b2 = a0, a3 = a0, b3 = a0;
    for (int64_t d = 0; d < stride; d += 16) {
      const __m256 qa = _mm256_loadu_ps(q + d);
      const __m256 qb = _mm256_loadu_ps(q + d + 8);
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + d), qa, a0);
      b0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + d + 8), qb, b0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + d), qa, a1);
      b1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + d + 8), qb, b1);
      a2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + d), qa, a2);
      b2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + d + 8), qb, b2);
      a3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + d), qa, a3);
      b3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + d + 8), qb, b3);
    }
    _mm_storeu_ps(out + i,
                  HorizontalSums(_mm256_add_ps(a0, b0), _mm256_add_ps(a1, b1),
                                 _mm256_add_ps(a2, b2), _mm256_add_ps(a3, b3)));
  }
  for (; i < n; ++i) out[i] = HorizontalSum(RowSum(row_at(i), q, stride));
}

TAILOR_AVX2 void DotF32Avx2(const float* rows, int64_t n, int64_t stride,
                            const float* q, float* out) {
  DotF32Avx2Impl([=](int64_t i) { return rows + i * stride; }, n, stride, q,
                 out);
}

TAILOR_AVX2 void DotF32GatherAvx2(const float* base, const int32_t* ids,
                                  int64_t n, int64_t stride, const float* q,
                                  float* out) {
  DotF32Avx2Impl(
      [=](int64_t i) {
        if (i + 8 < n) {
          _mm_prefetch(reinterpret_cast<const char*>(
                           base + int64_t{ids[i + 8]} * stride),
                       _MM_HINT_T0);
        }
        return base + int64_t{ids[i]} * stride;
      },
      n, stride, q, out);
}

TAILOR_AVX2 inline __m256i RowSumI8(const int8_t* r, const int16_t* q,
                                    int64_t stride) {
  __m256i a = _mm256_setzero_si256();
  for (int64_t d = 0; d < stride; d += 16) {
    const __m256i v = _mm256_cvtepi8_epi16(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(r + d)));
    a = _mm256_add_epi32(
        a, _mm256_madd_epi16(
               v, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + d))));
  }
  return a;
}

TAILOR_AVX2 void DotI8Avx2(const int8_t* rows, int64_t n, int64_t stride,
                           const int16_t* q, int32_t* out) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const int8_t* r = rows + i * stride;
    const __m256i a0 = RowSumI8(r, q, stride);
    const __m256i a1 = RowSumI8(r + stride, q, stride);
    const __m256i a2 = RowSumI8(r + 2 * stride, q, stride);
    const __m256i a3 = RowSumI8(r + 3 * stride, q, stride);
    const __m256i s =
        _mm256_hadd_epi32(_mm256_hadd_epi32(a0, a1), _mm256_hadd_epi32(a2, a3));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm_add_epi32(_mm256_castsi256_si128(s),
                                   _mm256_extracti128_si256(s, 1)));
  }
  for (; i < n; ++i) {
    const __m256i a = RowSumI8(rows + i * stride, q, stride);
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(a),
                              _mm256_extracti128_si256(a, 1));
    s = _mm_hadd_epi32(s, s);
    s = _mm_hadd_epi32(s, s);
    out[i] = _mm_cvtsi128_si32(s);
  }
}

constexpr DotKernels kAvx2 = {SimdLevel::kAvx2, DotF32Avx2, DotF32GatherAvx2,
                              DotI8Avx2};
#endif  // TAILOR_X86

}  // namespace

bool SimdSupported(SimdLevel level) {
  switch (level) {
    case SimdLevel::kScalar:
      return true;
    case SimdLevel::kAvx2:
#ifdef TAILOR_X86
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
      return false;
#endif
  }
  return false;
}

const DotKernels& KernelsFor(SimdLevel level) {
#ifdef TAILOR_X86
  if (level == SimdLevel::kAvx2) return kAvx2;
#endif
  return kScalar;
}

const DotKernels& BestKernels() {
  static const DotKernels& best = SimdSupported(SimdLevel::kAvx2)
                                      ? KernelsFor(SimdLevel::kAvx2)
                                      : KernelsFor(SimdLevel::kScalar);
  return best;
}

std::string_view SimdLevelName(SimdLevel level) {
  return level == SimdLevel::kAvx2 ? "avx2+fma" : "scalar";
}

}  // namespace tailor

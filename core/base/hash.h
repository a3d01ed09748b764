// FNV-1a (Fowler-Noll-Vo), the one non-cryptographic hash the project
// computes itself: stable across builds and platforms, unlike absl::Hash.
#ifndef TAILOR_CORE_BASE_HASH_H_
#define TAILOR_CORE_BASE_HASH_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace tailor {

inline constexpr uint64_t kFnvOffsetBasis = 14695981039346656037ull;
inline constexpr uint64_t kFnvPrime = 1099511628211ull;

// One FNV-1a step: folds `value` (a byte, or a whole 64-bit word) into `h`.
inline constexpr uint64_t FnvStep(uint64_t h, uint64_t value) {
  return (h ^ value) * kFnvPrime;
}

// FNV-1a over `bytes`, byte by byte.
inline constexpr uint64_t Fnv1a(absl::string_view bytes,
                                uint64_t h = kFnvOffsetBasis) {
  for (unsigned char c : bytes) h = FnvStep(h, c);
  return h;
}

}  // namespace tailor

#endif  // TAILOR_CORE_BASE_HASH_H_

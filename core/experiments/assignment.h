// Deterministic bucketing of shoppers, reproducible in any language.
//
// bucket(salt, user_id) = floor(murmur3_32(salt + ":" + user_id, seed 0) *
// 10000 / 2^32), where murmur3_32 is MurmurHash3_x86_32 (Austin Appleby)
// over the UTF-8 bytes of the key, read as an unsigned 32-bit number. The
// same function is mmh3.hash(key, 0, signed=False) in Python,
// Hashing.murmur3_32_fixed(0) in Guava and murmurhash3js' x86.hash32 in
// JavaScript. Test vectors are in docs/api.md#experiments and
// tests/core/experiments/experiment_test.cc.
#ifndef TAILOR_CORE_EXPERIMENTS_ASSIGNMENT_H_
#define TAILOR_CORE_EXPERIMENTS_ASSIGNMENT_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace tailor {

// Buckets per salt: traffic shares are given in basis points of them.
inline constexpr int32_t kBuckets = 10000;

// MurmurHash3_x86_32 of `data` with `seed`.
uint32_t Murmur3_32(absl::string_view data, uint32_t seed = 0);

// The shopper's bucket in [0, kBuckets) for `salt`: sticky (a function of
// the two strings only) and, for different salts, independent.
int32_t Bucket(absl::string_view salt, absl::string_view user_id);

}  // namespace tailor

#endif  // TAILOR_CORE_EXPERIMENTS_ASSIGNMENT_H_

#include "core/experiments/assignment.h"

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"

namespace tailor {
namespace {

constexpr uint32_t Rotl(uint32_t x, int r) {
  return (x << r) | (x >> (32 - r));
}

}  // namespace

uint32_t Murmur3_32(absl::string_view data, uint32_t seed) {
  constexpr uint32_t c1 = 0xcc9e2d51;
  constexpr uint32_t c2 = 0x1b873593;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  const size_t blocks = data.size() / 4;
  uint32_t h = seed;
  for (size_t i = 0; i < blocks; ++i) {
    // Little-endian, whatever the host.
    uint32_t k = static_cast<uint32_t>(bytes[4 * i]) |
                 static_cast<uint32_t>(bytes[4 * i + 1]) << 8 |
                 static_cast<uint32_t>(bytes[4 * i + 2]) << 16 |
                 static_cast<uint32_t>(bytes[4 * i + 3]) << 24;
    k *= c1;
    k = Rotl(k, 15);
    k *= c2;
    h ^= k;
    h = Rotl(h, 13);
    h = h * 5 + 0xe6546b64;
  }
  const unsigned char* tail = bytes + 4 * blocks;
  uint32_t k = 0;
  switch (data.size() & 3) {
    case 3:
      k ^= static_cast<uint32_t>(tail[2]) << 16;
      [[fallthrough]];
    case 2:
      k ^= static_cast<uint32_t>(tail[1]) << 8;
      [[fallthrough]];
    case 1:
      k ^= tail[0];
      k *= c1;
      k = Rotl(k, 15);
      k *= c2;
      h ^= k;
  }
  h ^= static_cast<uint32_t>(data.size());
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

int32_t Bucket(absl::string_view salt, absl::string_view user_id) {
  const std::string key = absl::StrCat(salt, ":", user_id);
  return static_cast<int32_t>(
      (static_cast<uint64_t>(Murmur3_32(key)) * kBuckets) >> 32);
}

}  // namespace tailor

#include "core/retrieval/item_set.h"

#include <bit>

#include "core/base/hash.h"

namespace tailor {

uint64_t ItemSet::Fingerprint() const {
  // FNV-1a style over four interleaved lanes (independent multiply chains,
  // so a 1 M-item set hashes in a few microseconds), then mixed.
  uint64_t h[4] = {kFnvOffsetBasis ^ bits_.size(), 2, 3, 4};
  size_t i = 0;
  for (; i + 4 <= bits_.size(); i += 4) {
    for (int l = 0; l < 4; ++l) h[l] = FnvStep(h[l], bits_[i + l]);
  }
  for (; i < bits_.size(); ++i) h[0] = FnvStep(h[0], bits_[i]);
  uint64_t x = h[0];
  for (int l = 1; l < 4; ++l)
    x = (x ^ (h[l] >> 17) ^ h[l]) * 0x9E3779B97F4A7C15ull;
  return x ^ (x >> 29);
}

int64_t ItemSet::Count() const {
  int64_t c = 0;
  for (uint64_t w : bits_) c += std::popcount(w);
  return c;
}

}  // namespace tailor

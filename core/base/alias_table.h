// O(1) sampling from a fixed discrete distribution (Vose's alias method).
#ifndef TAILOR_CORE_BASE_ALIAS_TABLE_H_
#define TAILOR_CORE_BASE_ALIAS_TABLE_H_

#include <cstdint>
#include <random>
#include <vector>

namespace tailor {

// Thread safety: immutable after construction; Sample may run concurrently
// with separate generators.
class AliasTable {
 public:
  AliasTable() = default;
  // Weights must be non-negative with a positive sum.
  explicit AliasTable(const std::vector<double>& weights);

  int32_t size() const { return static_cast<int32_t>(prob_.size()); }

  template <typename Rng>
  int32_t Sample(Rng& rng) const {
    const uint64_t r = rng();
    // High bits pick the column, low 32 bits decide column vs alias.
    const auto column = static_cast<int32_t>(
        (static_cast<unsigned __int128>(r >> 32) * prob_.size()) >> 32);
    const uint32_t coin = static_cast<uint32_t>(r);
    return coin < prob_[column] ? column : alias_[column];
  }

 private:
  std::vector<uint32_t> prob_;  // threshold scaled to 2^32
  std::vector<int32_t> alias_;
};

}  // namespace tailor

#endif  // TAILOR_CORE_BASE_ALIAS_TABLE_H_

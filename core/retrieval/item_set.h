// A set of item indexes as a bitmap: what filters require and exclude.
#ifndef TAILOR_CORE_RETRIEVAL_ITEM_SET_H_
#define TAILOR_CORE_RETRIEVAL_ITEM_SET_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tailor {

// A set of item indexes, as a bitmap.
// Thread safety: const methods may be called concurrently.
class ItemSet {
 public:
  explicit ItemSet(int32_t size = 0) : bits_((size + 63) / 64, 0) {}
  void Insert(int32_t i) { bits_[i >> 6] |= uint64_t{1} << (i & 63); }
  void Erase(int32_t i) { bits_[i >> 6] &= ~(uint64_t{1} << (i & 63)); }
  // Room for indexes below `size` (members kept; new indexes absent).
  void Resize(int32_t size) { bits_.resize((size + 63) / 64, 0); }
  bool Contains(int32_t i) const { return (bits_[i >> 6] >> (i & 63)) & 1; }
  // Number of indexes in the set.
  int64_t Count() const;
  size_t memory_bytes() const { return bits_.size() * sizeof(uint64_t); }
  // The bitmap, 64 indexes per word (index i is bit i % 64 of word i / 64).
  const std::vector<uint64_t>& words() const { return bits_; }
  // A hash of the contents: sets with different members differ (but for
  // hash collisions).
  uint64_t Fingerprint() const;

 private:
  std::vector<uint64_t> bits_;
};

}  // namespace tailor

#endif  // TAILOR_CORE_RETRIEVAL_ITEM_SET_H_

// Copies of the required item sets (ItemFilter::require) arranged for one
// int8 retriever's storage order, cached while the same sets come back.
//
// A storefront's required sets are few and shared by every request of a
// snapshot (in stock, per size, per category), so a retriever can afford to
// copy each one once into the form its scan wants:
//   - position bits: the set in storage order, so a block of rows tests its
//     eligibility with one word per set (IvfRetriever);
//   - a compact copy of a selective set: its members' int8 codes gathered
//     into their own rows by decreasing norm, so a search under a filter
//     that keeps 5% of the catalog reads 5% of the codes, stops early by
//     norm like an unfiltered one, and is still exact.
#ifndef TAILOR_CORE_RETRIEVAL_REQUIRED_SETS_H_
#define TAILOR_CORE_RETRIEVAL_REQUIRED_SETS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "core/base/mutex.h"
#include "core/retrieval/collectors.h"
#include "core/retrieval/int8_rows.h"
#include "core/retrieval/item_set.h"
#include "core/retrieval/retriever.h"

namespace tailor {

// A set's members by decreasing norm (ties: lower position): their
// positions in the owner's storage order, their norms and, when the owner
// has int8 codes, their codes (rows copied from the owner's, so the same
// error bounds hold).
// Thread safety: a plain value; immutable once built.
struct CompactSet {
  std::vector<int32_t> position;
  std::vector<float> norm;
  Int8Rows codes;
  size_t memory_bytes() const {
    return position.size() * sizeof(int32_t) + norm.size() * sizeof(float) +
           codes.memory_bytes();
  }
};

// What a cache holds for one set.
// Thread safety: a plain value; immutable once built.
struct RequiredSetCopy {
  int64_t count = 0;  // members
  // Bit p: the item at position p is a member (one word of padding at the
  // end). Empty unless RequiredSetOptions::position_bits.
  std::vector<uint64_t> bits;
  // Set when count <= compact_share of the catalog.
  std::optional<CompactSet> compact;
  size_t memory_bytes() const {
    return bits.size() * sizeof(uint64_t) +
           (compact.has_value() ? compact->memory_bytes() : 0);
  }
};

struct RequiredSetOptions {
  bool position_bits = false;
  // Sets keeping at most this share of the catalog get a compact copy.
  double compact_share = 0.125;
  // Bytes of copies, and copies, kept; the cache starts over when a new
  // copy would pass either (searches holding a copy keep it alive). The
  // count bounds what sets built per request (and never seen again) can
  // pile up.
  size_t max_bytes = size_t{256} << 20;
  size_t max_sets = 128;
};

// The copies of sets for a retriever whose position p holds item
// item_of[p] with norm norm[p] and codes row p of `codes` (null for an
// fp32 retriever: compact copies then hold positions and norms only). Copies
// are cached by the set's address and contents (ItemSet::Fingerprint), so a set
// changed in place gets a new copy. The first search with a set pays for
// its copy (about 1 ms at 1 M items).
// Thread safety: Get may be called from many threads at once; the cache is
// guarded by a mutex that is never held while a copy is built.
class RequiredSetCache {
 public:
  // The three tables must outlive the cache and not change.
  RequiredSetCache(const std::vector<int32_t>* item_of,
                   const std::vector<float>* norm, const Int8Rows* codes,
                   RequiredSetOptions options);

  std::shared_ptr<const RequiredSetCopy> Get(const ItemSet& set) const;
  // The required set of `filter` to search through its compact copy: the
  // smallest, when it keeps at most the compact share. Counts each set's
  // members (a popcount, a few microseconds at 1 M items) and copies only
  // that one, so sets built per request and too large to copy cost no
  // copy. Returns its index in filter.require and sets *copy, or -1.
  int SelectiveSet(const ItemFilter& filter,
                   std::shared_ptr<const RequiredSetCopy>* copy) const;
  // Bytes of the copies cached now.
  size_t memory_bytes() const;

 private:
  std::shared_ptr<const RequiredSetCopy> Build(const ItemSet& set) const;

  const std::vector<int32_t>* item_of_;
  const std::vector<float>* norm_;
  const Int8Rows* codes_;
  RequiredSetOptions options_;

  using Key = std::pair<const ItemSet*, uint64_t>;  // address, contents
  mutable Mutex mu_;
  mutable absl::flat_hash_map<Key, std::shared_ptr<const RequiredSetCopy>>
      copies_ ABSL_GUARDED_BY(mu_);
  mutable size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

// `filter` without filter.require[index]: what is left to check on the
// members of a set scanned through its compact copy.
ItemFilter WithoutRequired(const ItemFilter& filter, int index);

// Pass 1 of an int8 search over a compact set (see QuantizedRetriever):
// offers `lower` the guaranteed score of every member `rest` accepts whose
// best possible score reaches the k-th guaranteed score known when it is
// seen, and appends (position, upper bound) of each to `maybe`. Stops at
// the first block whose norms cannot reach that score. `item_of` maps
// positions to items. Returns the number of codes scored.
int64_t ScanCompactSet(const CompactSet& set,
                       const std::vector<int32_t>& item_of,
                       const Int8Query& query, const DotKernels& kernels,
                       const ItemFilter& rest, CappedCollector* lower,
                       std::vector<std::pair<int32_t, float>>* maybe);

}  // namespace tailor

#endif  // TAILOR_CORE_RETRIEVAL_REQUIRED_SETS_H_

// The user vectors one ServingState has folded in so far, so that a
// shopper's vector is solved again only after their next event.
#ifndef TAILOR_SERVER_FOLD_IN_CACHE_H_
#define TAILOR_SERVER_FOLD_IN_CACHE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "core/base/matrix.h"
#include "core/base/mutex.h"

namespace tailor {

// Folded-in user vectors of one ServingState, by user id, each valid for
// the newest live event it includes. Bounded: a full shard is emptied.
// Thread safety: all methods may be called concurrently.
class FoldInCache {
 public:
  explicit FoldInCache(size_t capacity = 1 << 18) : capacity_(capacity) {}

  // The cached vector when it was computed through event `last_seq`.
  std::optional<Vector> Find(absl::string_view user_id,
                             uint64_t last_seq) const;
  void Put(absl::string_view user_id, uint64_t last_seq, Vector x);

 private:
  struct Entry {
    uint64_t last_seq;
    Vector x;
  };
  struct Shard {
    mutable Mutex mu;
    absl::flat_hash_map<std::string, Entry> entries ABSL_GUARDED_BY(mu);
  };
  static constexpr size_t kShards = 16;
  const Shard& ShardOf(absl::string_view user_id) const;
  Shard& ShardOf(absl::string_view user_id);

  size_t capacity_;
  std::array<Shard, kShards> shards_;
};

}  // namespace tailor

#endif  // TAILOR_SERVER_FOLD_IN_CACHE_H_

// A shopper as of now: what the snapshot's training saw of them plus the
// events logged since, and their vector folded in against the snapshot's
// item factors when those events changed it.
#ifndef TAILOR_SERVER_LIVE_USER_H_
#define TAILOR_SERVER_LIVE_USER_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/base/matrix.h"
#include "core/base/mutex.h"
#include "core/serving/fold_in.h"
#include "storage/state_store.h"

namespace tailor {

struct ServingState;

// At most this many of a shopper's latest logged events (above their
// history's through_seq) are added to what training saw.
inline constexpr size_t kMaxLiveEvents = 1000;

struct LiveUser {
  // The user's row in the snapshot's model (nullopt: not a model user).
  std::optional<int32_t> user;
  // Per model item, sorted by item: training's aggregate plus the live
  // events' contributions (items outside the model are left out).
  std::vector<ItemActivity> activity;
  // The user's logged events above their history's through_seq, oldest
  // first (events on items outside the model included).
  std::vector<LoggedEvent> live_events;
};

// The user's logged events above sequence number `after` (the latest
// kMaxLiveEvents, oldest first); errors name the user.
absl::StatusOr<std::vector<LoggedEvent>> ReadEventsSince(
    StateStore* store, absl::string_view user_id, uint64_t after);

// The user's history and live events. A model user's history is the
// snapshot's, held in memory (ServingState::history); other users' (and
// everyone's when the snapshot has no histories) is read from `store`, as
// an earlier snapshot left it. The live events are read from `store`.
absl::StatusOr<LiveUser> ReadLiveUser(const ServingState& state,
                                      StateStore* store,
                                      absl::string_view user_id);

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

// The user's embedding for scoring: the fold-in of `live` when it has live
// events and the snapshot has fold-in parameters (cached in the state),
// else the model's row; nullopt when the user has neither (fallbacks).
std::optional<Vector> LiveEmbedding(const ServingState& state,
                                    absl::string_view user_id,
                                    const LiveUser& live);

}  // namespace tailor

#endif  // TAILOR_SERVER_LIVE_USER_H_

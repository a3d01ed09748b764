// The events each shopper has logged since one ServingState's snapshot,
// held decoded in memory.
#ifndef TAILOR_SERVER_LIVE_EVENTS_H_
#define TAILOR_SERVER_LIVE_EVENTS_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/base/mutex.h"
#include "storage/state_store.h"

namespace tailor {

// So that resolving a shopper (server/shopper.h) reads no event from the
// store: a request's cost stays flat however long the server has run since
// the snapshot, instead of growing with RocksDB's write buffers and level-0
// files. Filled as events are stored (RecordEvents, before it answers) and
// from the event log when the state is built and again once it is
// installed (NoteStored, NoteLogged in server/serving_state.h). At most
// `per_user` latest events per shopper are kept (what a request reads), and at
// most `budget_bytes` in all: beyond it, shoppers not held yet, and those whose
// next event does not fit, are left to the store (Get answers nullopt for
// them). Memory: each event is counted as about 160 bytes (the event, its ids,
// its place; resident memory grows by about 76 per event held,
// bench/live_memory.sh).
// Thread safety: all methods may be called concurrently.
class LiveEvents {
 public:
  // Holds events above sequence number `after_seq` (the snapshot's
  // event_log_seq).
  LiveEvents(uint64_t after_seq, int64_t budget_bytes, size_t per_user);
  LiveEvents(const LiveEvents&) = delete;
  LiveEvents& operator=(const LiveEvents&) = delete;

  // Adds stored events (with their sequence numbers); those at or below
  // after_seq, and those held already, are skipped.
  void Add(absl::Span<const LoggedEvent> events);

  // The user's events above `after`, by timestamp then sequence, at most
  // `limit` of the latest, as StateStore::UserEvents answers; nullopt when
  // this object may not hold all of them (`after` below after_seq, more
  // than per_user asked for, or a user beyond the budget).
  std::optional<std::vector<LoggedEvent>> Get(absl::string_view user_id,
                                              uint64_t after,
                                              size_t limit) const;

  int64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
  int64_t events() const { return events_.load(std::memory_order_relaxed); }

 private:
  struct UserLog {
    std::vector<LoggedEvent> events;  // by (timestamp, seq)
    // Events above after_seq were dropped (the oldest, beyond per_user).
    bool trimmed = false;
  };
  struct Shard {
    mutable Mutex mu;
    absl::flat_hash_map<std::string, UserLog> users ABSL_GUARDED_BY(mu);
    // Users left to the store.
    absl::flat_hash_set<std::string> outside ABSL_GUARDED_BY(mu);
  };
  static constexpr size_t kShards = 32;
  static int64_t BytesOf(const LoggedEvent& e);
  Shard& ShardOf(absl::string_view user_id);
  const Shard& ShardOf(absl::string_view user_id) const;

  const uint64_t after_seq_;
  const int64_t budget_bytes_;
  const size_t per_user_;
  std::atomic<int64_t> bytes_{0};
  std::atomic<int64_t> events_{0};
  // Once the budget was reached, users not held are left to the store.
  std::atomic<bool> full_{false};
  std::array<Shard, kShards> shards_;
};

}  // namespace tailor

#endif  // TAILOR_SERVER_LIVE_EVENTS_H_

#include "server/live_events.h"

#include <algorithm>
#include <utility>

#include "absl/hash/hash.h"

namespace tailor {

namespace {

bool Before(const LoggedEvent& a, const LoggedEvent& b) {
  return a.event.timestamp < b.event.timestamp ||
         (a.event.timestamp == b.event.timestamp && a.seq < b.seq);
}

}  // namespace

LiveEvents::LiveEvents(uint64_t after_seq, int64_t budget_bytes,
                       size_t per_user)
    : after_seq_(after_seq), budget_bytes_(budget_bytes), per_user_(per_user) {}

int64_t LiveEvents::BytesOf(const LoggedEvent& e) {
  // The struct, its strings beyond the small-string buffer, and a share of
  // the vector's spare room and the map's entry.
  auto heap = [](const std::string& s) {
    return s.size() > 15 ? static_cast<int64_t>(s.capacity()) + 1 : 0;
  };
  return static_cast<int64_t>(sizeof(LoggedEvent)) + heap(e.event_id) +
         heap(e.event.user_id) + heap(e.event.item_id) + 32;
}

LiveEvents::Shard& LiveEvents::ShardOf(absl::string_view user_id) {
  return shards_[absl::Hash<absl::string_view>()(user_id) % kShards];
}

const LiveEvents::Shard& LiveEvents::ShardOf(absl::string_view user_id) const {
  return shards_[absl::Hash<absl::string_view>()(user_id) % kShards];
}

void LiveEvents::Add(absl::Span<const LoggedEvent> events) {
  for (const LoggedEvent& e : events) {
    if (e.seq <= after_seq_) continue;
    Shard& shard = ShardOf(e.event.user_id);
    MutexLock lock(&shard.mu);
    if (shard.outside.contains(e.event.user_id)) continue;
    auto it = shard.users.find(e.event.user_id);
    const int64_t size = BytesOf(e);
    const bool fits =
        bytes_.load(std::memory_order_relaxed) + size <= budget_bytes_;
    if (it == shard.users.end()) {
      if (full_.load(std::memory_order_relaxed) || !fits) {
        full_.store(true, std::memory_order_relaxed);
        shard.outside.insert(e.event.user_id);
        continue;
      }
      it = shard.users.try_emplace(e.event.user_id).first;
    } else if (!fits) {
      // Not all of theirs fits: the store answers for them from now on.
      full_.store(true, std::memory_order_relaxed);
      for (const LoggedEvent& held : it->second.events) {
        bytes_.fetch_sub(BytesOf(held), std::memory_order_relaxed);
      }
      events_.fetch_sub(static_cast<int64_t>(it->second.events.size()),
                        std::memory_order_relaxed);
      shard.users.erase(it);
      shard.outside.insert(e.event.user_id);
      continue;
    }
    std::vector<LoggedEvent>& log = it->second.events;
    const auto at = std::lower_bound(log.begin(), log.end(), e, Before);
    if (at != log.end() && at->seq == e.seq) continue;  // held already
    log.insert(at, e);
    bytes_.fetch_add(size, std::memory_order_relaxed);
    events_.fetch_add(1, std::memory_order_relaxed);
    if (log.size() > per_user_) {
      bytes_.fetch_sub(BytesOf(log.front()), std::memory_order_relaxed);
      events_.fetch_sub(1, std::memory_order_relaxed);
      log.erase(log.begin());
      it->second.trimmed = true;
    }
  }
}

std::optional<std::vector<LoggedEvent>> LiveEvents::Get(
    absl::string_view user_id, uint64_t after, size_t limit) const {
  if (after < after_seq_ || limit > per_user_) return std::nullopt;
  const Shard& shard = ShardOf(user_id);
  MutexLock lock(&shard.mu);
  auto it = shard.users.find(user_id);
  if (it == shard.users.end()) {
    if (full_.load(std::memory_order_relaxed) &&
        shard.outside.contains(user_id)) {
      return std::nullopt;
    }
    return std::vector<LoggedEvent>();
  }
  // Trimmed: the latest events above a later `after` may include dropped
  // ones.
  if (it->second.trimmed && after != after_seq_) return std::nullopt;
  std::vector<LoggedEvent> out;
  const std::vector<LoggedEvent>& log = it->second.events;
  for (auto e = log.rbegin(); e != log.rend() && out.size() < limit; ++e) {
    if (e->seq > after) out.push_back(*e);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace tailor

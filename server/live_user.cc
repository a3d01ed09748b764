#include "server/live_user.h"

#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "server/serving_state.h"

namespace tailor {

namespace {

absl::Status WithUserContext(const absl::Status& s, absl::string_view what,
                             absl::string_view user_id) {
  return absl::Status(
      s.code(), absl::StrCat("reading the ", what, " of user_id '", user_id,
                             "': ", s.message()));
}

}  // namespace

absl::StatusOr<std::vector<LoggedEvent>> ReadEventsSince(
    StateStore* store, absl::string_view user_id, uint64_t after) {
  absl::StatusOr<std::vector<LoggedEvent>> events =
      store->UserEvents(user_id, after, kMaxLiveEvents);
  if (!events.ok()) return WithUserContext(events.status(), "events", user_id);
  return events;
}

absl::StatusOr<LiveUser> ReadLiveUser(const ServingState& state,
                                      StateStore* store,
                                      absl::string_view user_id) {
  const Model& model = state.recommender->model();
  const TrainingHistory& trained = state.history;
  LiveUser live;
  live.user = model.users.Find(user_id);
  uint64_t through_seq = 0;
  if (live.user.has_value() && !trained.row_ptr.empty()) {
    // The snapshot's own history, in memory: no disk read on this path.
    through_seq = state.online.event_log_seq;
    const int64_t begin = trained.row_ptr[*live.user];
    const int64_t end = trained.row_ptr[*live.user + 1];
    live.activity.reserve(end - begin);
    for (int64_t p = begin; p < end; ++p) {
      live.activity.push_back(
          {trained.item[p], trained.weight_sum[p], trained.net_purchases[p]});
    }
  } else {
    // Not a model user, or a snapshot without histories: what an earlier
    // snapshot left in the store, if anything.
    absl::StatusOr<UserHistory> history = store->GetHistory(user_id);
    if (!history.ok()) {
      return WithUserContext(history.status(), "history", user_id);
    }
    through_seq = history->through_seq;
    live.activity.reserve(history->entries.size());
    for (const HistoryEntry& e : history->entries) {
      if (auto index = model.items.Find(e.item_id)) {
        live.activity.push_back({*index, e.weight_sum, e.net_purchases});
      }
    }
  }
  std::sort(live.activity.begin(), live.activity.end(),
            [](const ItemActivity& a, const ItemActivity& b) {
              return a.item < b.item;
            });
  TAILOR_ASSIGN_OR_RETURN(std::vector<LoggedEvent> events,
                          ReadEventsSince(store, user_id, through_seq));
  std::vector<std::pair<int32_t, EventContribution>> contributions;
  for (const LoggedEvent& e : events) {
    if (auto index = model.items.Find(e.event.item_id)) {
      contributions.emplace_back(
          *index, ContributionOf(e.event, state.online.event_weights));
    }
  }
  AddContributions(contributions, &live.activity);
  live.live_events = std::move(events);
  return live;
}

const FoldInCache::Shard& FoldInCache::ShardOf(
    absl::string_view user_id) const {
  return shards_[absl::HashOf(user_id) % kShards];
}

FoldInCache::Shard& FoldInCache::ShardOf(absl::string_view user_id) {
  return shards_[absl::HashOf(user_id) % kShards];
}

std::optional<Vector> FoldInCache::Find(absl::string_view user_id,
                                        uint64_t last_seq) const {
  const Shard& shard = ShardOf(user_id);
  MutexLock lock(&shard.mu);
  auto it = shard.entries.find(user_id);
  if (it == shard.entries.end() || it->second.last_seq != last_seq) {
    return std::nullopt;
  }
  return it->second.x;
}

void FoldInCache::Put(absl::string_view user_id, uint64_t last_seq, Vector x) {
  Shard& shard = ShardOf(user_id);
  MutexLock lock(&shard.mu);
  if (shard.entries.size() >= capacity_ / kShards) shard.entries.clear();
  shard.entries.insert_or_assign(std::string(user_id),
                                 Entry{last_seq, std::move(x)});
}

std::optional<Vector> LiveEmbedding(const ServingState& state,
                                    absl::string_view user_id,
                                    const LiveUser& live) {
  const Model& model = state.recommender->model();
  const std::optional<int32_t>& user = live.user;
  if (!live.live_events.empty() && state.fold_in->enabled()) {
    uint64_t last_seq = 0;
    for (const LoggedEvent& e : live.live_events) {
      last_seq = std::max(last_seq, e.seq);
    }
    if (std::optional<Vector> x =
            state.fold_in_cache->Find(user_id, last_seq)) {
      return x;
    }
    Vector x = state.fold_in->Solve(live.activity);
    state.fold_in_cache->Put(user_id, last_seq, x);
    return x;
  }
  if (state.recommender->Personalizes(user)) {
    return Vector(model.user_factors.row(*user).transpose());
  }
  return std::nullopt;
}

}  // namespace tailor

#include "server/shopper.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/base/event.h"
#include "core/base/interactions.h"
#include "core/customers/live_profile.h"
#include "core/customers/segment_index.h"
#include "core/serving/snapshot.h"
#include "server/fold_in_cache.h"

namespace tailor {

namespace {

absl::Status WithUserContext(const absl::Status& s, absl::string_view what,
                             absl::string_view user_id) {
  return absl::Status(
      s.code(), absl::StrCat("reading the ", what, " of user_id '", user_id,
                             "': ", s.message()));
}

// Training's aggregate for the shopper, by item, and the event-log sequence
// number it runs through.
absl::StatusOr<uint64_t> ReadTrainingActivity(const ServingState& state,
                                              StateStore* store,
                                              absl::string_view user_id,
                                              Shopper* shopper) {
  const Model& model = state.recommender->model();
  const TrainingHistory& trained = state.history;
  std::vector<ItemActivity>& activity = shopper->activity;
  uint64_t through_seq = 0;
  if (shopper->model_user.has_value() && !trained.row_ptr.empty()) {
    // The snapshot's own history, in memory: no disk read on this path.
    through_seq = state.online.event_log_seq;
    const int64_t begin = trained.row_ptr[*shopper->model_user];
    const int64_t end = trained.row_ptr[*shopper->model_user + 1];
    activity.reserve(end - begin);
    for (int64_t p = begin; p < end; ++p) {
      activity.push_back({trained.item[p], trained.weight_sum[p],
                          trained.net_purchases[p],
                          static_cast<uint8_t>(trained.flags[p] & kTypeFlags)});
    }
  } else {
    // Not a model user, or a snapshot without histories: what an earlier
    // snapshot left in the store, if anything.
    absl::StatusOr<UserHistory> history = store->GetHistory(user_id);
    if (!history.ok()) {
      return WithUserContext(history.status(), "history", user_id);
    }
    through_seq = history->through_seq;
    activity.reserve(history->entries.size());
    for (const HistoryEntry& e : history->entries) {
      if (auto index = model.items.Find(e.item_id)) {
        activity.push_back({*index, e.weight_sum, e.net_purchases,
                            static_cast<uint8_t>(e.flags & kTypeFlags)});
      }
    }
  }
  std::sort(activity.begin(), activity.end(),
            [](const ItemActivity& a, const ItemActivity& b) {
              return a.item < b.item;
            });
  return through_seq;
}

// Adds the live events above `through_seq` to the shopper's activity and
// chooses the vector to score with (none unless `personalise`).
void ResolveItems(const ServingState& state, absl::string_view user_id,
                  const std::vector<LoggedEvent>& events, uint64_t through_seq,
                  ConsumedTypes also_consumed, bool personalise,
                  Shopper* shopper) {
  const Model& model = state.recommender->model();
  std::vector<std::pair<int32_t, EventContribution>> contributions;
  // Items outside the model (products added since training), numbered
  // here in order of appearance.
  std::vector<std::string> other_ids;
  absl::flat_hash_map<absl::string_view, int32_t> other_index;
  std::vector<std::pair<int32_t, EventContribution>> other_contributions;
  uint64_t last_seq = 0;
  for (const LoggedEvent& e : events) {
    if (e.seq <= through_seq) continue;
    ++shopper->live_events;
    last_seq = std::max(last_seq, e.seq);
    const EventContribution c =
        ContributionOf(e.event, state.online.event_weights);
    if (auto index = model.items.Find(e.event.item_id)) {
      contributions.emplace_back(*index, c);
    } else if (!e.event.item_id.empty()) {
      auto [it, inserted] = other_index.try_emplace(
          e.event.item_id, static_cast<int32_t>(other_ids.size()));
      if (inserted) other_ids.push_back(e.event.item_id);
      other_contributions.emplace_back(it->second, c);
    }
  }
  AddContributions(contributions, &shopper->activity);
  const ConsumedTypes rule = state.online.consumed | also_consumed;
  for (const ItemActivity& a : shopper->activity) {
    if (a.consumed(rule)) shopper->consumed.push_back(a.item);
  }
  if (!other_contributions.empty()) {
    std::vector<ItemActivity> other;
    AddContributions(other_contributions, &other);
    for (const ItemActivity& a : other) {
      if (a.consumed(rule)) {
        shopper->consumed_outside_model.push_back(std::move(other_ids[a.item]));
      }
    }
  }

  // A snapshot marked for the popularity fallback personalises nobody.
  personalise = personalise && !state.online.popularity_fallback;
  if (personalise && shopper->live_events > 0 && state.fold_in->enabled()) {
    shopper->embedding_source = Shopper::EmbeddingSource::kFoldedIn;
    if (std::optional<Vector> x =
            state.fold_in_cache->Find(user_id, last_seq)) {
      shopper->embedding = std::move(x);
    } else {
      const absl::Time start = absl::Now();
      Vector solved = state.fold_in->Solve(shopper->activity);
      shopper->fold_in_time = absl::Now() - start;
      shopper->solved_now = true;
      state.fold_in_cache->Put(user_id, last_seq, solved);
      shopper->embedding = std::move(solved);
    }
  } else if (personalise &&
             state.recommender->Personalizes(shopper->model_user)) {
    shopper->embedding_source = Shopper::EmbeddingSource::kTrained;
    shopper->embedding =
        Vector(model.user_factors.row(*shopper->model_user).transpose());
  }

  // Cold start for known customers: their cluster's popular items (looked
  // up only when there is no embedding to personalise with).
  if (!shopper->embedding.has_value()) {
    if (auto customer = state.segments->Find(user_id)) {
      const int32_t c = state.segments->cluster(*customer);
      if (c >= 0) {
        shopper->segment_popular =
            &state.segments->segments().clusters[c].popular_items;
      }
    }
  }
}

// The snapshot's record of the customer moved forward by the events above
// the snapshot's event-log sequence number.
void ResolveCustomer(const ServingState& state, absl::string_view user_id,
                     const std::vector<LoggedEvent>& logged, Shopper* shopper) {
  const SegmentIndex& index = *state.segments;
  const std::optional<int32_t> user = index.Find(user_id);
  std::vector<Event> events;
  for (const LoggedEvent& e : logged) {
    if (e.seq > state.online.event_log_seq) events.push_back(e.event);
  }
  if (!user.has_value() && events.empty()) return;
  CustomerRecord r = user.has_value() ? index.record(*user) : CustomerRecord();
  if (!events.empty()) {
    const std::shared_ptr<const CatalogView> catalog = state.catalog->Get();
    AdvanceProfile(
        events, index.segments().reference_unix,
        [&](absl::string_view id) -> std::optional<double> {
          const std::optional<int32_t> i = catalog->Find(id);
          if (!i.has_value() || catalog->item(*i).item_id.empty()) {
            return std::nullopt;
          }
          return catalog->item(*i).price;
        },
        &r.profile);
    if (HasRfm(r.profile) && !index.rfm_scorer().empty()) {
      r.rfm = index.rfm_scorer().Score(RfmValuesOf(r.profile));
    }
  }
  shopper->events_since_profile = static_cast<int64_t>(events.size());
  shopper->customer = std::move(r);
}

}  // namespace

absl::StatusOr<Shopper> ResolveShopper(const ServingState& state,
                                       StateStore* store,
                                       absl::string_view user_id,
                                       const ShopperParts& parts) {
  Shopper shopper;
  // Erased since the state was built: an unknown visitor, whatever the
  // state still holds of them (the store holds nothing).
  if (ErasedSince(state, store, user_id)) return shopper;
  shopper.model_user = state.recommender->model().users.Find(user_id);
  if (!parts.items && !parts.customer) return shopper;
  // One read of the event log serves both parts: the latest kMaxLiveEvents
  // above the lower of their starting points, of which each part takes the
  // events above its own (the latest kMaxLiveEvents above either).
  uint64_t after = state.online.event_log_seq;
  uint64_t through_seq = 0;
  if (parts.items) {
    absl::StatusOr<uint64_t> through =
        ReadTrainingActivity(state, store, user_id, &shopper);
    if (!through.ok()) return through.status();
    through_seq = *through;
    after = parts.customer ? std::min(after, through_seq) : through_seq;
  }
  // Held in memory, unless the shopper's are not all there.
  std::optional<std::vector<LoggedEvent>> held;
  if (state.live_events != nullptr) {
    held = state.live_events->Get(user_id, after, kMaxLiveEvents);
  }
  absl::StatusOr<std::vector<LoggedEvent>> events =
      held.has_value() ? *std::move(held)
                       : store->UserEvents(user_id, after, kMaxLiveEvents);
  if (!events.ok()) return WithUserContext(events.status(), "events", user_id);
  if (parts.items) {
    ResolveItems(state, user_id, *events, through_seq, parts.also_consumed,
                 parts.personalise, &shopper);
  }
  if (parts.customer) ResolveCustomer(state, user_id, *events, &shopper);
  return shopper;
}

}  // namespace tailor

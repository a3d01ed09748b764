#include "server/serving_state.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/base/logging.h"
#include "core/base/status_macros.h"
#include "core/customers/segment_index.h"
#include "server/shopper.h"

namespace tailor {

void CatalogViewHolder::Lay(const std::vector<LiveItem>& entries) {
  if (entries.empty()) return;
  MutexLock lay(&lay_mu_);
  std::shared_ptr<const CatalogView> old = Get()->With(entries);
  {
    MutexLock lock(&mu_);
    std::swap(view_, old);
  }
  // Requests still answering from the old view hold it for a millisecond or
  // so: wait (up to 100 ms) so that freeing it (a reference per item) falls
  // on this thread rather than on the last request's.
  const absl::Time until = absl::Now() + absl::Milliseconds(100);
  while (old.use_count() > 1 && absl::Now() < until) {
    absl::SleepFor(absl::Microseconds(500));
  }
}

void AttachDerived(ServingState* state, std::vector<Item> catalog,
                   const std::vector<LiveItem>& live,
                   std::shared_ptr<const AttributeMap> attributes) {
  state->catalog = std::make_unique<CatalogViewHolder>(
      CatalogView::Build(state->recommender->shared_model(), std::move(catalog),
                         live, std::move(attributes)));
  state->fold_in = std::make_unique<const FoldIn>(
      &state->recommender->model().item_factors, state->online);
  state->fold_in_cache = std::make_unique<FoldInCache>();
}

void NoteStored(const ServingState& state,
                absl::Span<const LoggedEvent> events) {
  if (state.live_events != nullptr) state.live_events->Add(events);
  if (state.live_customers != nullptr) {
    std::vector<std::string> users;
    users.reserve(events.size());
    for (const LoggedEvent& e : events) users.push_back(e.event.user_id);
    state.live_customers->Touch(users);
  }
}

absl::Status NoteLogged(const ServingState& state, StateStore* store) {
  if (state.live_events == nullptr && state.live_customers == nullptr) {
    return absl::OkStatus();
  }
  MutexLock lock(&state.logged->mu);
  uint64_t& after = state.logged->through;
  after = std::max(after, state.online.event_log_seq);
  constexpr size_t kPage = 10000;
  for (;;) {
    TAILOR_ASSIGN_OR_RETURN(std::vector<LoggedEvent> events,
                            store->EventsSince(after, kPage));
    NoteStored(state, events);
    if (!events.empty()) after = events.back().seq;
    if (events.size() < kPage) return absl::OkStatus();
  }
}

absl::Status NoteCatalog(const ServingState& state, StateStore* store) {
  TAILOR_ASSIGN_OR_RETURN(std::vector<LiveItem> live, store->LoadLiveCatalog());
  state.catalog->Lay(live);
  return absl::OkStatus();
}

bool ErasedSince(const ServingState& state, StateStore* store,
                 absl::string_view user_id) {
  return store->ErasureCount() > state.erasures_applied &&
         store->Erasures()->Contains(user_id);
}

absl::StatusOr<std::shared_ptr<const ServingState>> BuildServingState(
    Snapshot snapshot, StateStore* store, int64_t loaded_unix,
    const ServingOptions& options) {
  const std::shared_ptr<const ErasureList> erasures = store->Erasures();
  if (!erasures->empty()) {
    const RemovedUsers removed = RemoveUsers(
        [&](absl::string_view user_id) { return erasures->Contains(user_id); },
        &snapshot);
    if (removed.model_users > 0 || removed.customers > 0) {
      LogInfo(absl::StrCat("left out of snapshot ", snapshot.version,
                           " the erased users it held: ", removed.model_users,
                           " model users, ", removed.customers, " customers"));
    }
  }
  TAILOR_ASSIGN_OR_RETURN(bool imported, ImportSnapshotState(snapshot, store));
  if (imported) {
    LogInfo(
        absl::StrCat("imported the catalog, training histories and customer "
                     "records of snapshot ",
                     snapshot.version, " into the state store"));
  }
  TAILOR_ASSIGN_OR_RETURN(std::vector<Item> catalog, store->LoadCatalog());
  TAILOR_ASSIGN_OR_RETURN(std::vector<LiveItem> live, store->LoadLiveCatalog());

  auto state = std::make_shared<ServingState>();
  state->version = snapshot.version;
  state->created_unix = snapshot.created_unix;
  state->loaded_unix = loaded_unix;
  state->info = std::move(snapshot.info);
  state->rules = std::move(snapshot.rules);
  if (options.histories_in_memory) {
    state->history = std::move(snapshot.history);
  }
  // Customers are usually exactly the model's users: then one dictionary
  // serves both (about 40 MB at 1 M customers).
  if (snapshot.segments.users == snapshot.model.users) {
    snapshot.segments.users = snapshot.model.users;
  }
  state->segments =
      std::make_unique<const SegmentIndex>(std::move(snapshot.segments));
  auto model = std::make_shared<const Model>(std::move(snapshot.model));
  TAILOR_ASSIGN_OR_RETURN(
      state->recommender,
      Recommender::Create(std::move(model), options.retrieval, &snapshot.ann));
  state->online = snapshot.online;
  state->erasures_applied = erasures->size();
  AttachDerived(state.get(), std::move(catalog), live,
                std::move(snapshot.attributes));
  if (options.live_events_bytes > 0) {
    state->live_events = std::make_unique<LiveEvents>(
        state->online.event_log_seq, options.live_events_bytes, kMaxLiveEvents);
  }
  state->live_customers = std::make_unique<LiveCustomers>(state.get(), store);
  TAILOR_RETURN_IF_ERROR(NoteLogged(*state, store));
  return std::shared_ptr<const ServingState>(std::move(state));
}

}  // namespace tailor

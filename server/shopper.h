// Who a shopper is right now. Every request about one shopper (RecommendFor,
// GetSegment) resolves them once, here: what the snapshot's training saw of
// them plus the events logged since, the vector to score them with and how
// it was obtained, the items they already have, and their customer record
// moved forward by those events.
#ifndef TAILOR_SERVER_SHOPPER_H_
#define TAILOR_SERVER_SHOPPER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/base/matrix.h"
#include "core/customers/customer_record.h"
#include "core/serving/fold_in.h"
#include "server/serving_state.h"
#include "storage/state_store.h"

namespace tailor {

// At most this many of a shopper's latest logged events (above what the
// snapshot already counted) are added to it.
inline constexpr size_t kMaxLiveEvents = 1000;

// What a caller needs resolved; each part costs reads and work the other
// does not.
struct ShopperParts {
  // The shopper's items (training's aggregate plus the live events), the
  // vector to score them with, and their cluster's popular items when
  // there is no vector: what a recommendation needs.
  bool items = true;
  // The customer record as of now: the snapshot's, moved forward by the
  // events logged since its profiles were built.
  bool customer = true;
  // [items] Event types that make an item had besides the snapshot's rule
  // (OnlineParams::consumed): a request's widening of exclude_seen.
  ConsumedTypes also_consumed = 0;
  // [items] Whether to find a vector to score with. False (the popularity
  // strategy) leaves the shopper without one, as a snapshot marked for the
  // popularity fallback does for everyone: their lists are the segment and
  // popularity fallback, and no fold-in is solved for them.
  bool personalise = true;
};

// One shopper as of the request. Fields marked [items] or [customer] are
// filled only when that part was asked for.
// Thread safety: a plain value; segment_popular points into the
// ServingState it was resolved against, which must outlive it.
struct Shopper {
  enum class EmbeddingSource {
    kNone,      // no vector: the caller falls back to popular items
    kTrained,   // the snapshot's row for this user
    kFoldedIn,  // re-estimated from training's aggregate plus live events
  };

  // The user's row in the snapshot's model (nullopt: not a model user).
  std::optional<int32_t> model_user;
  // [items] Per model item, sorted by item: training's aggregate plus the
  // live events' contributions (items outside the model are left out).
  std::vector<ItemActivity> activity;
  // [items] Model item indexes the shopper has, ascending: those the
  // snapshot's consumption rule, widened by ShopperParts::also_consumed,
  // counts (by default purchased net of returns, or rated).
  std::vector<int32_t> consumed;
  // [items] The same for items outside the model (products added to the
  // catalog since training), by item id, from the live events.
  std::vector<std::string> consumed_outside_model;
  // [items] The vector to score with; nullopt when there is none.
  std::optional<Vector> embedding;
  EmbeddingSource embedding_source = EmbeddingSource::kNone;
  // [items] For kFoldedIn: whether the vector was solved for this request
  // (false: the fold-in cache had it), and how long that took.
  bool solved_now = false;
  absl::Duration fold_in_time;
  // [items] Without an embedding, a clustered customer's cluster's popular
  // items (model item indexes, best first); otherwise null.
  const std::vector<int32_t>* segment_popular = nullptr;
  // [items] How many events were logged above what training (or the
  // stored history) saw, events on items outside the model included.
  size_t live_events = 0;
  // [customer] The customer's record: nullopt when the snapshot has none
  // for them and no event was logged since.
  std::optional<CustomerRecord> customer;
  // [customer] Events logged since the snapshot's profiles, counted into
  // `customer`.
  int64_t events_since_profile = 0;
};

// Resolves `user_id` against `state`. A model user's training history is
// the snapshot's, held in memory (ServingState::history); other users'
// (and everyone's when the snapshot has no histories) is read from `store`,
// as an earlier snapshot left it. Live events are read once for both
// parts: from the state's LiveEvents when it holds all of the shopper's
// (model users), else from `store`. The vector is the fold-in of the shopper's
// activity when they have live events and the snapshot has fold-in parameters
// (cached in the state until their next event), else the model's row. A user
// erased since the state was built resolves to nothing (an unknown visitor).
// Errors (a store that cannot be read) name the user.
absl::StatusOr<Shopper> ResolveShopper(const ServingState& state,
                                       StateStore* store,
                                       absl::string_view user_id,
                                       const ShopperParts& parts = {});

}  // namespace tailor

#endif  // TAILOR_SERVER_SHOPPER_H_

// The trained recommendation model and everything a server snapshot holds.
#ifndef TAILOR_CORE_SERVING_SNAPSHOT_H_
#define TAILOR_CORE_SERVING_SNAPSHOT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/base/catalog.h"
#include "core/base/event.h"
#include "core/base/id_map.h"
#include "core/base/interactions.h"
#include "core/base/matrix.h"
#include "core/customers/customer_record.h"
#include "core/retrieval/ivf_partition.h"
#include "core/serving/attribute_map.h"
#include "core/serving/bought_together.h"

namespace tailor {

// Matrix-factorization model plus popularity for fallbacks, and the data of
// the optional serving strategies the trainer built beside it.
// Thread safety: immutable once built; safe to share between threads.
struct Model {
  IdMap users;
  IdMap items;
  RowMatrix user_factors;         // users.size() x factors
  RowMatrix item_factors;         // items.size() x factors
  std::vector<float> popularity;  // per item; higher is more popular
  // The "recent-popularity" strategy: per item, the popularity over the
  // trainer's recent window only (ComputeRecentPopularity); empty when not
  // built (and in snapshots of format 8 and older).
  std::vector<float> recent_popularity;
  // The "ease" strategy: EASE item-item weights, items x items (score =
  // the shopper's binary history x ease); null when not built.
  std::shared_ptr<const RowMatrix> ease;

  int factors() const { return static_cast<int>(item_factors.cols()); }
  // Checks that every part agrees on the number of users, items and factors
  // and that every factor and EASE weight is finite.
  absl::Status Validate() const;
};

// Item indexes ordered by descending popularity (ties: lower index first).
std::vector<int32_t> PopularityOrder(const std::vector<float>& popularity);

// Per-user history the trainer saw, for the server's history store:
// row u lists, for model user u, each item's kInteracted/kPurchased flags,
// summed event weight (before clamping at 0) and purchases minus returns:
// what the server adds live events to between retrains.
struct TrainingHistory {
  std::vector<int64_t> row_ptr;  // users + 1 offsets (empty: no history)
  std::vector<int32_t> item;
  std::vector<uint8_t> flags;
  std::vector<float> weight_sum;
  std::vector<int16_t> net_purchases;

  // Bytes of the arrays' entries.
  size_t memory_bytes() const {
    return row_ptr.size() * sizeof(int64_t) +
           item.size() * (sizeof(int32_t) + sizeof(uint8_t) + sizeof(float) +
                          sizeof(int16_t));
  }
};

// What the server needs to update a shopper between retrains (see
// core/online.h): how events were weighted, and for implicit ALS models
// the hyperparameters of the one-user least-squares solve ("fold-in").
struct OnlineParams {
  EventWeights event_weights;
  bool fold_in = false;  // false: a model without a fold-in (BPR)
  float alpha = 0;
  float regularization = 0;
  float frequency_scaling = 0;
  // The mean row mass (columns + alpha * positive weights) over the
  // training users, for frequency-scaled regularization.
  double mean_row_mass = 0;
  // The highest event-log sequence number the training data included (0:
  // trained from files only); logged events above it are new to the model.
  uint64_t event_log_seq = 0;
  // Which event types make an item one the shopper has, left out by
  // exclude_seen (interactions.h). Snapshots published before the rule was
  // recorded (format 5 and older) hold purchases only.
  ConsumedTypes consumed = kDefaultConsumedTypes;
  // Set by a tuned training whose model did not beat popularity on its
  // validation split: every list is served by the popularity fallback
  // (segment, then overall popularity), whatever the shopper's embedding.
  // Similar items still use the item embeddings. False in snapshots of
  // format 7 and older.
  bool popularity_fallback = false;
};

// Everything a trainer publishes as one snapshot version.
// Thread safety: immutable once loaded; safe to share between threads.
struct Snapshot {
  std::string version;
  int64_t created_unix = 0;
  // Free-form training facts (algorithm, hyperparameters, data counts,
  // loss, timings), kept in order and shown by admin tools.
  std::vector<std::pair<std::string, std::string>> info;
  Model model;
  std::vector<Item> catalog;
  TrainingHistory history;
  OnlineParams online;
  // "Frequently bought together" rules over model.items' indexes (may be
  // empty: no purchases, or a snapshot of an older format without rules).
  AssociationRules rules;
  // Customer profiles, RFM, clusters and propensity scores (empty when the
  // trainer had no catalog to price purchases with).
  CustomerSegments segments;
  // The IVF partition of model.items for approximate retrieval, with its
  // search width (empty: none; built by the trainer for large catalogs).
  IvfPartition ann;
  // The cold-start map from catalog attributes to item factors the trainer
  // fitted: the server embeds products added to the catalog after training
  // with it (null: none was fitted, or an older format).
  std::shared_ptr<const AttributeMap> attributes;

  absl::Status Validate() const;
};

// What RemoveUsers took out of a snapshot.
struct RemovedUsers {
  int64_t model_users = 0;  // rows of user factors (and training histories)
  int64_t customers = 0;    // customer records
};

// Removes from `snapshot` every user `removed` says yes to (an erasure
// list's check): their row of user factors and of training history, and
// their customer record; the other users keep theirs, in the same order.
// Items, popularity, rules and clusters, which aggregate many users, are
// left as trained. Calls `removed` once per distinct user id (once for a
// user who is both a model user and a customer, when the two share their
// dictionary).
RemovedUsers RemoveUsers(const std::function<bool(absl::string_view)>& removed,
                         Snapshot* snapshot);

}  // namespace tailor

#endif  // TAILOR_CORE_SERVING_SNAPSHOT_H_

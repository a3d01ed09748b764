// The snapshot the fuzzers serve and mutate: the server tests' tiny one
// (two shoppers, six items, two of them in the catalog, two factors,
// training histories) with fold-in parameters, a bought-together rule, two
// customer records in one cluster, an IVF partition of the items, a
// cold-start map, and the recent-popularity and EASE strategies' data.
#ifndef TAILOR_FUZZ_SMALL_SNAPSHOT_H_
#define TAILOR_FUZZ_SMALL_SNAPSHOT_H_

#include "core/serving/snapshot.h"
#include "tests/server/tiny_snapshot.h"

namespace tailor {

inline Snapshot SmallSnapshot() {
  Snapshot s = TinySnapshot();
  s.version = "00000001";
  s.model.user_factors << 1, 0, 0.5, 0.5;
  s.catalog[1].in_stock = false;
  s.online.fold_in = true;
  s.online.alpha = 1.0f;
  s.online.regularization = 0.1f;
  s.online.mean_row_mass = 8.0;
  s.rules.num_baskets = 10;
  s.rules.rules.push_back({{0}, 1, 3, 0.5f, 2.0f});
  s.segments.reference_unix = 1767225600;
  s.segments.users = IdMap({"alice", "bob"});
  s.segments.records.resize(2);
  for (CustomerRecord& r : s.segments.records) {
    r.profile.orders = 2;
    r.profile.gross = 50;
    r.profile.recency_days = 3;
    r.profile.events = 9;
    r.rfm = RfmScores{4, 4, 4, 4, RfmSegment::kLoyal};
    r.cluster = 0;
    r.purchase_propensity = 0.4f;
    r.churn_risk = 0.2f;
  }
  s.segments.clusters.push_back({"outerwear, premium", {0, 5}});
  s.ann.centroids.resize(2, 2);
  s.ann.centroids << 5, 0.5, 2, 0.5;
  s.ann.list_begin = {0, 3, 6};
  s.ann.items = {0, 1, 2, 3, 4, 5};
  s.ann.probe = 1;
  s.ann.filtered_probe = 2;
  {
    // A cold-start map: outerwear and one brand, two price bands.
    AttributeMapParts parts;
    parts.category = {{"outerwear", 1}};
    parts.brand = {{"Halden", 2}};
    parts.band_edges = {4.0};
    parts.num_bands = 2;
    parts.band_offset = 3;
    parts.cross_offset = 5;
    parts.weights.resize(7, 2);
    parts.weights << 0.1, 0.1, 2, 0, 0.5, 0.5, 0, 1, 1, 0, 0.3, 0, 0, 0.3;
    s.attributes = std::make_shared<const AttributeMap>(
        *AttributeMap::FromParts(std::move(parts)));
  }
  s.model.recent_popularity = {0, 3, 0, 1, 0, 2};
  {
    RowMatrix ease = RowMatrix::Zero(6, 6);
    ease(0, 2) = 0.5f;
    ease(1, 3) = 0.25f;
    ease(0, 4) = -0.125f;
    s.model.ease = std::make_shared<const RowMatrix>(std::move(ease));
  }
  return s;
}

}  // namespace tailor

#endif  // TAILOR_FUZZ_SMALL_SNAPSHOT_H_

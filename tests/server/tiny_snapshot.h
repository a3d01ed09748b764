// The tiny, hand-made snapshot the server tests (and the fuzzers) serve.
#ifndef TAILOR_TESTS_SERVER_TINY_SNAPSHOT_H_
#define TAILOR_TESTS_SERVER_TINY_SNAPSHOT_H_

#include "core/base/interactions.h"
#include "core/serving/snapshot.h"

namespace tailor {

// Users: alice (scores A > B > C > D > E > F), bob (same taste; purchased A,
// viewed B). Popularity: F > E > D > C > B > A.
inline Snapshot TinySnapshot(float scale = 1.0f) {
  Snapshot s;
  s.created_unix = 1700000000;
  s.model.users = IdMap({"alice", "bob"});
  s.model.items = IdMap({"A", "B", "C", "D", "E", "F"});
  s.model.user_factors.resize(2, 2);
  s.model.user_factors << 1, 0, 1, 0;
  s.model.item_factors.resize(6, 2);
  s.model.item_factors << 6 * scale, 0, 5 * scale, 0, 4 * scale, 0, 3 * scale,
      0, 2 * scale, 0, 1 * scale, 0;
  s.model.popularity = {1, 2, 3, 4, 5, 6};
  s.catalog = {
      {"A",
       "Wool Coat",
       "outerwear",
       "Halden",
       "camel",
       149.99,
       {"S", "M"},
       true,
       {}},
      {"F", "Basic Tee", "tops", "Basico", "white", 9.99, {"M"}, true, {}}};
  s.history.row_ptr = {0, 0, 2};
  s.history.item = {0, 1};
  s.history.flags = {kInteracted | kPurchased, kInteracted};
  s.history.weight_sum = {8.0f, 1.0f};
  s.history.net_purchases = {1, 0};
  return s;
}

}  // namespace tailor

#endif  // TAILOR_TESTS_SERVER_TINY_SNAPSHOT_H_

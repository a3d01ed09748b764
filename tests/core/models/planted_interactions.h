// Implicit-feedback data with planted taste groups, for the ranking-model
// tests.
#ifndef TAILOR_TESTS_CORE_MODELS_PLANTED_INTERACTIONS_H_
#define TAILOR_TESTS_CORE_MODELS_PLANTED_INTERACTIONS_H_

#include <algorithm>
#include <random>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/base/interactions.h"
#include "core/models/scorer.h"
#include "core/retrieval/item_set.h"
#include "core/retrieval/retriever.h"

namespace tailor {

// Users in `groups` taste groups; group g likes items [g*per, (g+1)*per).
// Each user has `per_user` interactions, 85% in the group's items, the rest
// drawn from a global Zipf popularity. `held_out` in-group items per user are
// kept aside as the test set.
struct Planted {
  InteractionMatrix train;
  std::vector<std::set<int32_t>> test;  // by user index of `train`
};

inline Planted MakePlanted(int users, int groups, int per_group, int per_user,
                           int held_out, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const int items = groups * per_group;
  std::vector<double> zipf(items);
  for (int i = 0; i < items; ++i) zipf[i] = 1.0 / (i + 1);
  std::discrete_distribution<int> popular(zipf.begin(), zipf.end());
  std::uniform_int_distribution<int> in_group(0, per_group - 1);
  std::uniform_real_distribution<double> uni(0, 1);

  InteractionBuilder builder;
  for (int i = 0; i < items; ++i) builder.AddItem(absl::StrCat("i", i));
  std::vector<std::set<int32_t>> test_by_user(users);
  for (int u = 0; u < users; ++u) {
    const int g = u % groups;
    std::set<int32_t> mine;
    while (static_cast<int>(mine.size()) < per_user) {
      mine.insert(uni(rng) < 0.85 ? g * per_group + in_group(rng)
                                  : popular(rng));
    }
    std::vector<int32_t> group_items;
    for (int32_t i : mine) {
      if (i / per_group == g) group_items.push_back(i);
    }
    std::shuffle(group_items.begin(), group_items.end(), rng);
    std::set<int32_t> test(group_items.begin(), group_items.begin() + held_out);
    for (int32_t i : mine) {
      if (test.count(i)) continue;
      Event e;
      e.user_id = absl::StrCat("u", u);
      e.item_id = absl::StrCat("i", i);
      e.type = EventType::kPurchase;
      builder.Add(e);
    }
    test_by_user[u] = std::move(test);
  }
  Planted p;
  p.train = std::move(builder).Build();
  p.test.resize(p.train.num_users());
  for (int u = 0; u < users; ++u) {
    p.test[*p.train.users.Find(absl::StrCat("u", u))] = test_by_user[u];
  }
  return p;
}

// Mean recall@k of the held-out items when `scorer` ranks every item the
// user has not seen in training.
inline double ScorerRecallAtK(const Planted& p, const Scorer& scorer, int k) {
  double sum = 0;
  std::vector<float> scores(scorer.num_items());
  for (int32_t u = 0; u < p.train.num_users(); ++u) {
    const HistoryView h = HistoryOf(p.train, u);
    ItemSet seen(p.train.num_items());
    for (int32_t i : h.items) seen.Insert(i);
    scorer.Score(u, h, absl::MakeSpan(scores));
    int hits = 0;
    for (const ScoredItem& s : TopK(scores, k, &seen)) {
      hits += p.test[u].count(s.item);
    }
    sum += static_cast<double>(hits) / p.test[u].size();
  }
  return sum / p.train.num_users();
}

}  // namespace tailor

#endif  // TAILOR_TESTS_CORE_MODELS_PLANTED_INTERACTIONS_H_

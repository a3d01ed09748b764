#include "core/models/association_rules.h"

#include <algorithm>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "core/base/time.h"

namespace tailor {
namespace {

// A prefix tree of transactions whose items are ordered by descending
// frequency, so that shared prefixes share nodes.
class FpTree {
 public:
  struct Node {
    int32_t rank;  // the item's position in frequency order
    int64_t count;
    int32_t parent;  // -1 for the root's children
  };

  // `rank_of` maps item -> rank for the frequent items (others absent).
  explicit FpTree(int32_t num_ranks) : heads_(num_ranks) {}

  // Inserts one transaction given as ascending ranks, `count` times.
  void Insert(const std::vector<int32_t>& ranks, int64_t count) {
    int32_t parent = -1;
    for (int32_t r : ranks) {
      auto [it, inserted] =
          children_.try_emplace(Key(parent, r), static_cast<int32_t>(0));
      if (inserted) {
        it->second = static_cast<int32_t>(nodes_.size());
        nodes_.push_back({r, 0, parent});
        heads_[r].push_back(it->second);
      }
      nodes_[it->second].count += count;
      parent = it->second;
    }
  }

  const std::vector<int32_t>& NodesOf(int32_t rank) const {
    return heads_[rank];
  }
  const Node& node(int32_t n) const { return nodes_[n]; }

 private:
  static uint64_t Key(int32_t parent, int32_t rank) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(parent)) << 32) |
           static_cast<uint32_t>(rank);
  }
  std::vector<Node> nodes_;
  std::vector<std::vector<int32_t>> heads_;  // rank -> its nodes
  absl::flat_hash_map<uint64_t, int32_t> children_;
};

struct WeightedTx {
  std::vector<int32_t> items;
  int64_t count;
};

// FP-growth on weighted transactions, every result extended by `suffix`.
void Grow(const std::vector<WeightedTx>& txs, std::vector<int32_t>* suffix,
          const FpGrowthOptions& o, std::vector<Itemset>* out) {
  absl::flat_hash_map<int32_t, int64_t> counts;
  for (const WeightedTx& t : txs) {
    for (int32_t i : t.items) counts[i] += t.count;
  }
  // Frequent items, most frequent first (ties: lower item).
  std::vector<std::pair<int32_t, int64_t>> frequent;
  for (const auto& [item, c] : counts) {
    if (c >= o.min_count) frequent.push_back({item, c});
  }
  std::sort(frequent.begin(), frequent.end(), [](const auto& a, const auto& b) {
    return a.second > b.second || (a.second == b.second && a.first < b.first);
  });
  if (frequent.empty()) return;
  absl::flat_hash_map<int32_t, int32_t> rank_of;
  for (size_t r = 0; r < frequent.size(); ++r) {
    rank_of[frequent[r].first] = static_cast<int32_t>(r);
  }
  FpTree tree(static_cast<int32_t>(frequent.size()));
  std::vector<int32_t> ranks;
  for (const WeightedTx& t : txs) {
    ranks.clear();
    for (int32_t i : t.items) {
      auto it = rank_of.find(i);
      if (it != rank_of.end()) ranks.push_back(it->second);
    }
    std::sort(ranks.begin(), ranks.end());
    if (!ranks.empty()) tree.Insert(ranks, t.count);
  }
  // Least frequent first: each item's conditional pattern base is the
  // prefix paths above its nodes.
  for (int32_t r = static_cast<int32_t>(frequent.size()) - 1; r >= 0; --r) {
    const int32_t item = frequent[r].first;
    suffix->push_back(item);
    Itemset s;
    s.items = *suffix;
    std::sort(s.items.begin(), s.items.end());
    s.count = frequent[r].second;
    out->push_back(std::move(s));
    if (static_cast<int>(suffix->size()) < o.max_size) {
      std::vector<WeightedTx> base;
      for (int32_t n : tree.NodesOf(r)) {
        WeightedTx t;
        t.count = tree.node(n).count;
        for (int32_t p = tree.node(n).parent; p >= 0; p = tree.node(p).parent) {
          t.items.push_back(frequent[tree.node(p).rank].first);
        }
        if (!t.items.empty()) base.push_back(std::move(t));
      }
      if (!base.empty()) Grow(base, suffix, o, out);
    }
    suffix->pop_back();
  }
}

}  // namespace

absl::Status ValidateFpGrowthOptions(const FpGrowthOptions& o) {
  if (o.min_count < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("min_count: must be >= 1, got ", o.min_count));
  }
  if (o.max_size < 1 || o.max_size > 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_size: must be in 1..8, got ", o.max_size));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Itemset>> MineFrequentItemsets(
    const std::vector<Basket>& baskets, const FpGrowthOptions& o) {
  if (absl::Status s = ValidateFpGrowthOptions(o); !s.ok()) return s;
  std::vector<WeightedTx> txs;
  txs.reserve(baskets.size());
  for (const Basket& b : baskets) {
    WeightedTx t{b, 1};
    std::sort(t.items.begin(), t.items.end());
    t.items.erase(std::unique(t.items.begin(), t.items.end()), t.items.end());
    txs.push_back(std::move(t));
  }
  std::vector<Itemset> out;
  std::vector<int32_t> suffix;
  Grow(txs, &suffix, o, &out);
  std::sort(out.begin(), out.end(), [](const Itemset& a, const Itemset& b) {
    return std::make_tuple(a.items.size(), std::cref(a.items)) <
           std::make_tuple(b.items.size(), std::cref(b.items));
  });
  return out;
}

AssociationRules MakeRules(const std::vector<Itemset>& itemsets,
                           int64_t num_baskets, const RuleOptions& o) {
  AssociationRules out;
  out.num_baskets = num_baskets;
  absl::flat_hash_map<std::vector<int32_t>, int64_t> count_of;
  for (const Itemset& s : itemsets) count_of[s.items] = s.count;
  for (const Itemset& s : itemsets) {
    if (s.items.size() < 2) continue;
    for (size_t k = 0; k < s.items.size(); ++k) {
      AssociationRule r;
      r.consequent = s.items[k];
      r.antecedent = s.items;
      r.antecedent.erase(r.antecedent.begin() + k);
      r.count = s.count;
      // Every subset of a frequent itemset is frequent (and mined).
      const int64_t ante = count_of.at(r.antecedent);
      const int64_t cons = count_of.at({r.consequent});
      r.confidence = static_cast<float>(static_cast<double>(s.count) / ante);
      r.lift = static_cast<float>(static_cast<double>(s.count) * num_baskets /
                                  (static_cast<double>(ante) * cons));
      if (r.confidence >= o.min_confidence && r.lift > o.min_lift) {
        out.rules.push_back(std::move(r));
      }
    }
  }
  std::sort(out.rules.begin(), out.rules.end(),
            [](const AssociationRule& a, const AssociationRule& b) {
              if (a.antecedent != b.antecedent) {
                return a.antecedent < b.antecedent;
              }
              if (a.lift != b.lift) return a.lift > b.lift;
              return a.consequent < b.consequent;
            });
  return out;
}

void BasketBuilder::Add(absl::string_view user_id, absl::string_view item_id,
                        int64_t timestamp) {
  raw_.push_back(
      {users_.Insert(user_id), items_.Insert(item_id), UtcDayOf(timestamp)});
}

std::vector<Basket> BasketBuilder::Build(const IdMap& items) && {
  std::vector<int32_t> remap(items_.size());
  for (int32_t i = 0; i < items_.size(); ++i) {
    remap[i] = items.Find(items_.id(i)).value_or(-1);
  }
  std::sort(raw_.begin(), raw_.end(), [](const Raw& a, const Raw& b) {
    return std::tie(a.user, a.day, a.item) < std::tie(b.user, b.day, b.item);
  });
  std::vector<Basket> out;
  for (size_t k = 0; k < raw_.size();) {
    size_t end = k;
    Basket b;
    while (end < raw_.size() && raw_[end].user == raw_[k].user &&
           raw_[end].day == raw_[k].day) {
      const int32_t item = remap[raw_[end].item];
      if (item >= 0 && (b.empty() || b.back() != item)) b.push_back(item);
      ++end;
    }
    std::sort(b.begin(), b.end());
    b.erase(std::unique(b.begin(), b.end()), b.end());
    if (!b.empty()) out.push_back(std::move(b));
    k = end;
  }
  raw_.clear();
  return out;
}

}  // namespace tailor

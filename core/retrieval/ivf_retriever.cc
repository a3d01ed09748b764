#include "core/retrieval/ivf_retriever.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numeric>
#include <tuple>

namespace tailor {
namespace {

// Rows scored per kernel call inside a list; the norm bound is checked
// before each block.
constexpr int64_t kBlock = 32;
// A block's eligibility is one 64-bit word of each required set.
static_assert(kBlock < 64);

thread_local IvfRetriever::Stats tls_stats;

// The 64 bits of `words` from bit `p` on (`words` has a word of padding).
inline uint64_t BitsAt(const std::vector<uint64_t>& words, int64_t p) {
  const int64_t i = p >> 6;
  const int shift = static_cast<int>(p & 63);
  uint64_t v = words[i] >> shift;
  if (shift != 0) v |= words[i + 1] << (64 - shift);
  return v;
}

}  // namespace

IvfRetriever::IvfRetriever(const RowMatrix& items,
                           const IvfPartition& partition, IvfOptions options)
    : options_(options),
      kernels_(options.kernels != nullptr ? options.kernels : &BestKernels()),
      centroids_(QuantizeRows(
          partition.centroids.rows(),
          static_cast<int>(partition.centroids.cols()),
          [&](int64_t l) { return partition.centroids.row(l).data(); },
          std::vector<float>(partition.centroids.rows(), 0.0f))),
      list_begin_(partition.list_begin),
      rows_(items.rows(), static_cast<int>(items.cols())),
      norm_(items.rows()),
      item_(partition.items),
      position_(items.rows()),
      required_sets_(&item_, &norm_, &codes_,
                     RequiredSetOptions{.position_bits = true,
                                        .compact_share = options.compact_share,
                                        .max_bytes = options.compact_bytes}) {
  const int64_t n = items.rows();
  const int dim = static_cast<int>(items.cols());
  std::vector<float> item_norm(n);
  for (int64_t i = 0; i < n; ++i) item_norm[i] = items.row(i).norm();
  // Each list by decreasing norm (ties: lower item), so a scan of a list
  // can stop at the first block whose norms cannot reach the threshold.
  for (size_t l = 0; l + 1 < list_begin_.size(); ++l) {
    std::sort(item_.begin() + list_begin_[l],
              item_.begin() + list_begin_[l + 1], [&](int32_t a, int32_t b) {
                return item_norm[a] > item_norm[b] ||
                       (item_norm[a] == item_norm[b] && a < b);
              });
  }
  for (int64_t p = 0; p < n; ++p) {
    const int32_t item = item_[p];
    position_[item] = static_cast<int32_t>(p);
    norm_[p] = item_norm[item];
    std::copy(items.row(item).data(), items.row(item).data() + dim,
              rows_.row(p));
  }
  codes_ = QuantizeRows(
      n, dim, [&](int64_t p) { return rows_.row(p); }, norm_);
  list_norm_.assign(list_begin_.size() - 1, 0.0f);
  for (size_t l = 0; l + 1 < list_begin_.size(); ++l) {
    if (list_begin_[l] < list_begin_[l + 1]) {
      list_norm_[l] = norm_[list_begin_[l]];
    }
  }
}

size_t IvfRetriever::memory_bytes() const {
  return centroids_.memory_bytes() + list_begin_.size() * sizeof(int64_t) +
         rows_.memory_bytes() + codes_.memory_bytes() +
         (norm_.size() + list_norm_.size()) * sizeof(float) +
         (item_.size() + position_.size()) * sizeof(int32_t);
}

IvfRetriever::Stats IvfRetriever::last_stats() { return tls_stats; }

void IvfRetriever::SearchCandidates(const float* query,
                                    const SearchParams& params,
                                    std::vector<ScoredItem>* out) const {
  const std::vector<float> q = PadQuery(query, dim(), rows_.stride());
  CappedCollector top(params.k, params.group_of, params.max_per_group);
  std::vector<int32_t> items, positions;
  std::vector<float> scores;
  const std::vector<int32_t>& candidates = *params.filter.candidates;
  for (size_t begin = 0; begin < candidates.size(); begin += 1024) {
    const size_t end = std::min(candidates.size(), begin + 1024);
    items.clear();
    positions.clear();
    for (size_t i = begin; i < end; ++i) {
      if (!params.filter.Accepts(candidates[i])) continue;
      items.push_back(candidates[i]);
      positions.push_back(position_[candidates[i]]);
    }
    scores.resize(items.size());
    kernels_->dot_f32_gather(rows_.data(), positions.data(),
                             static_cast<int64_t>(positions.size()),
                             rows_.stride(), q.data(), scores.data());
    for (size_t i = 0; i < items.size(); ++i) top.Push({items[i], scores[i]});
    top.Refresh();
  }
  tls_stats.rescored = static_cast<int64_t>(candidates.size());
  top.Finish(out);
}

void IvfRetriever::SearchZero(const SearchParams& params,
                              std::vector<ScoredItem>* out) const {
  // Every score is 0, so the order is by item index.
  CappedCollector top(params.k, params.group_of, params.max_per_group);
  for (int32_t item = 0; item < num_items(); ++item) {
    if (params.filter.Accepts(item)) top.Push({item, 0.0f});
  }
  top.Finish(out);
}

void IvfRetriever::ScanLists(
    const Int8Query& q8, const SearchParams& params, int probe_lists,
    int filtered_probe_lists,
    const std::vector<std::shared_ptr<const RequiredSetCopy>>& required,
    const ItemFilter& rest, CappedCollector* lower,
    std::vector<std::pair<int32_t, float>>* maybe, Stats* stats) const {
  const ItemFilter& filter = params.filter;
  const bool filtered = !filter.require.empty() || filter.values != nullptr;
  // Lists by decreasing centroid score, sorted a batch at a time.
  const int num_lists = lists();
  std::vector<float> centroid_score(num_lists);
  {
    // int8 centroids (a quarter of the bytes, so they stay in L2): the
    // order of lists only steers the search, it is never an answer.
    std::vector<int32_t> acc(num_lists);
    kernels_->dot_i8(centroids_.codes.data(), num_lists,
                     centroids_.codes.stride(), q8.q16.data(), acc.data());
    for (int l = 0; l < num_lists; ++l) {
      centroid_score[l] =
          static_cast<float>(acc[l]) * (centroids_.scale[l] * q8.scale);
    }
  }
  std::vector<int32_t> list_order(num_lists);
  std::iota(list_order.begin(), list_order.end(), 0);
  int sorted = 0;
  const auto sort_upto = [&](int upto) {
    upto = std::min(upto, num_lists);
    if (upto <= sorted) return;
    const auto better = [&](int32_t a, int32_t b) {
      return centroid_score[a] > centroid_score[b] ||
             (centroid_score[a] == centroid_score[b] && a < b);
    };
    // Select, then sort only the selected (linear + k log k).
    std::nth_element(list_order.begin() + sorted, list_order.begin() + upto - 1,
                     list_order.end(), better);
    std::sort(list_order.begin() + sorted, list_order.begin() + upto, better);
    sorted = upto;
  };
  const int probe = std::min(
      num_lists, std::max(1, !filtered                  ? probe_lists
                             : filtered_probe_lists > 0 ? filtered_probe_lists
                                                        : 2 * probe_lists));
  const int64_t want_eligible =
      filtered ? int64_t{params.k} * options_.min_eligible_per_k : 0;

  const float max_score = q8.norm * kNormSlack;
  int32_t acc[kBlock];
  float up[kBlock], lo[kBlock];
  // Filtered searches: eligible items among those scored, of how many,
  // and the items of the lists scanned (pruned ones included).
  int64_t eligible = 0, checked = 0, covered = 0;
  for (int i = 0; i < num_lists; ++i) {
    if (i >= probe &&
        (!filtered ||
         (checked > 0 && static_cast<double>(covered) * eligible >=
                             static_cast<double>(want_eligible) * checked))) {
      break;
    }
    if (i >= sorted) sort_upto(sorted + std::max(probe, 16));
    const int32_t l = list_order[i];
    ++stats->lists_scanned;
    covered += list_begin_[l + 1] - list_begin_[l];
    // Fetch the next lists' first rows while this one is scored: lists
    // lie far apart, so each would otherwise start with cache misses.
    for (int ahead = 1; ahead <= 2 && i + ahead < sorted; ++ahead) {
      const int32_t next = list_order[i + ahead];
      const int64_t first = list_begin_[next];
      if (first == list_begin_[next + 1]) continue;
      __builtin_prefetch(codes_.codes.row(first));
      __builtin_prefetch(codes_.codes.row(first) + 64);
      __builtin_prefetch(&norm_[first]);
      __builtin_prefetch(&codes_.scale[first]);
      __builtin_prefetch(&codes_.slack[first]);
      __builtin_prefetch(&item_[first]);
    }
    // A list whose largest norm cannot reach the threshold is skipped
    // without touching its rows.
    if (max_score * list_norm_[l] < lower->threshold()) continue;
    float threshold = lower->threshold();
    for (int64_t begin = list_begin_[l]; begin < list_begin_[l + 1];
         begin += kBlock) {
      if (max_score * norm_[begin] < threshold) break;
      const int64_t len = std::min(kBlock, list_begin_[l + 1] - begin);
      checked += len;
      if (filtered) {
        // Filter first, then score only the eligible rows: with a
        // selective filter most codes are never read.
        int64_t pick[kBlock];
        int m = 0;
        if (!required.empty()) {
          uint64_t mask = (uint64_t{1} << len) - 1;
          for (const auto& bits : required) mask &= BitsAt(bits->bits, begin);
          for (; mask != 0; mask &= mask - 1) {
            const int64_t p = begin + std::countr_zero(mask);
            if (rest.Accepts(item_[p])) pick[m++] = p;
          }
        } else {
          for (int64_t j = 0; j < len; ++j) {
            if (filter.Accepts(item_[begin + j])) pick[m++] = begin + j;
          }
        }
        eligible += m;
        stats->items_scanned += m;
        for (int t = 0; t < m; ++t) {
          Int8Bounds(codes_, pick[t], 1, q8, *kernels_, acc, up, lo);
          if (up[0] < threshold) continue;
          maybe->emplace_back(static_cast<int32_t>(pick[t]), up[0]);
          lower->Push({item_[pick[t]], lo[0]});
          threshold = std::max(threshold, lower->threshold());
        }
        continue;
      }
      Int8Bounds(codes_, begin, len, q8, *kernels_, acc, up, lo);
      stats->items_scanned += len;
      for (int64_t j = 0; j < len; ++j) {
        if (up[j] < threshold) continue;
        const int32_t item = item_[begin + j];
        if (!filter.Accepts(item)) continue;
        maybe->emplace_back(static_cast<int32_t>(begin + j), up[j]);
        lower->Push({item, lo[j]});
        threshold = std::max(threshold, lower->threshold());
      }
    }
    lower->Refresh();
  }
}

void IvfRetriever::Search(const float* query, const SearchParams& params,
                          std::vector<ScoredItem>* out) const {
  SearchWithProbe(query, params, options_.probe, options_.filtered_probe, out);
}

void IvfRetriever::SearchWithProbe(const float* query,
                                   const SearchParams& params, int probe_lists,
                                   int filtered_probe_lists,
                                   std::vector<ScoredItem>* out) const {
  out->clear();
  tls_stats = Stats();
  if (params.k <= 0 || num_items() == 0) return;
  if (params.filter.candidates != nullptr) {
    SearchCandidates(query, params, out);
    return;
  }
  Int8Query q8;
  if (!QuantizeQuery(query, dim(), codes_.codes.stride(), &q8)) {
    SearchZero(params, out);
    return;
  }
  const std::vector<float> q = PadQuery(query, dim(), rows_.stride());
  const ItemFilter& filter = params.filter;

  // Pass 1 (as in QuantizedRetriever): the k best guaranteed scores, and
  // every item whose best possible score reached the k-th of them when it
  // was seen.
  CappedCollector lower(params.k, params.group_of, params.max_per_group);
  std::vector<std::pair<int32_t, float>> maybe;  // (position, upper bound)
  Stats stats;
  std::shared_ptr<const RequiredSetCopy> selective;
  if (const int set = required_sets_.SelectiveSet(filter, &selective);
      set >= 0) {
    // Exact: every member of the selective set, by decreasing norm.
    stats.items_scanned =
        ScanCompactSet(*selective->compact, item_, q8, *kernels_,
                       WithoutRequired(filter, set), &lower, &maybe);
  } else {
    // Required sets in list order (a word per block and set); the rest of
    // the filter is checked per item that passes them.
    std::vector<std::shared_ptr<const RequiredSetCopy>> required;
    for (const ItemSet* s : filter.require) {
      required.push_back(required_sets_.Get(*s));
    }
    ItemFilter rest = filter;
    rest.require.clear();
    ScanLists(q8, params, probe_lists, filtered_probe_lists, required, rest,
              &lower, &maybe, &stats);
  }

  // Pass 2: exact fp32 scores of the items that might be in the answer.
  const float cut = lower.threshold();
  std::vector<int32_t> rescore;
  for (const auto& [position, bound] : maybe) {
    if (bound >= cut) rescore.push_back(position);
  }
  std::vector<float> exact(rescore.size());
  kernels_->dot_f32_gather(rows_.data(), rescore.data(),
                           static_cast<int64_t>(rescore.size()), rows_.stride(),
                           q.data(), exact.data());
  CappedCollector top(params.k, params.group_of, params.max_per_group);
  for (size_t i = 0; i < rescore.size(); ++i) {
    top.Push({item_[rescore[i]], exact[i]});
  }
  stats.rescored = static_cast<int64_t>(rescore.size());
  tls_stats = stats;
  top.Finish(out);
}

}  // namespace tailor

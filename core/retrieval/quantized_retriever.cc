#include "core/retrieval/quantized_retriever.h"

#include <algorithm>
#include <cmath>

#include "core/retrieval/collectors.h"
#include "core/retrieval/required_sets.h"
#include "core/retrieval/scan_parts.h"

namespace tailor {

using retrieval_internal::kBlock;
using retrieval_internal::PartsFor;
using retrieval_internal::RunParts;
using retrieval_internal::SharedThreshold;

namespace {

thread_local int64_t tls_last_rescored = 0;

}  // namespace

QuantizedRetriever::QuantizedRetriever(const RowMatrix& items,
                                       ExactOptions options)
    : exact_(items, options),
      codes_(QuantizeRows(
          items.rows(), static_cast<int>(items.cols()),
          [&](int64_t p) { return exact_.row_of(exact_.order()[p]); },
          exact_.norms())),
      required_sets_(std::make_unique<RequiredSetCache>(
          &exact_.order(), &exact_.norms(), &codes_,
          RequiredSetOptions{.compact_share = options.compact_share})) {}

QuantizedRetriever::~QuantizedRetriever() = default;

size_t QuantizedRetriever::memory_bytes() const {
  return exact_.memory_bytes() + codes_.memory_bytes();
}

int64_t QuantizedRetriever::last_rescored() { return tls_last_rescored; }

void QuantizedRetriever::Search(const float* query, const SearchParams& params,
                                std::vector<ScoredItem>* out) const {
  out->clear();
  tls_last_rescored = 0;
  const int64_t n = codes_.codes.rows();
  if (params.k <= 0 || n == 0) return;
  const int dim = codes_.codes.dim();
  Int8Query q8;
  // A sparse filter scores few items anyway; a zero query has no order to
  // approximate.
  if (params.filter.candidates != nullptr ||
      !QuantizeQuery(query, dim, codes_.codes.stride(), &q8)) {
    exact_.Search(query, params, out);
    return;
  }
  const ItemFilter& filter = params.filter;
  std::shared_ptr<const RequiredSetCopy> copy;
  if (const int set = required_sets_->SelectiveSet(filter, &copy); set >= 0) {
    SearchCompact(query, q8, params, *copy->compact, set, out);
    return;
  }
  const float max_score = q8.norm * kNormSlack;
  const std::vector<int32_t>& order = exact_.order();
  const std::vector<float>& norms = exact_.norms();
  const bool prune = exact_.options().prune_by_norm;

  // Pass 1, per part: keep the k best guaranteed scores (lower bounds) and
  // every item whose best possible score (upper bound) reached the k-th
  // lower bound known when it was seen. Parts share their k-th lower
  // bounds and stop at the first block whose norms cannot reach them.
  struct Part {
    CappedCollector lower;
    std::vector<std::pair<int32_t, float>> maybe;  // (item, upper bound)
  };
  const int parts = PartsFor(n, exact_.options());
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  SharedThreshold shared;
  std::vector<Part> state;
  state.reserve(parts);
  for (int p = 0; p < parts; ++p) {
    state.push_back(
        {CappedCollector(params.k, params.group_of, params.max_per_group), {}});
  }
  const DotKernels& kernels = exact_.kernels();
  RunParts(parts, [&](int part) {
    Part& s = state[part];
    std::vector<int32_t> acc(kBlock);
    std::vector<float> upper(kBlock), lower(kBlock);
    for (int64_t b = part; b < blocks; b += parts) {
      const int64_t begin = b * kBlock;
      const int64_t len = std::min(kBlock, n - begin);
      float threshold = std::max(s.lower.threshold(), shared.Get());
      if (prune && max_score * norms[begin] < threshold) break;
      Int8Bounds(codes_, begin, len, q8, kernels, acc.data(), upper.data(),
                 lower.data());
      for (int64_t j = 0; j < len; ++j) {
        if (upper[j] < threshold) continue;
        const int32_t item = order[begin + j];
        if (!filter.Accepts(item)) continue;
        s.maybe.emplace_back(item, upper[j]);
        s.lower.Push({item, lower[j]});
        threshold = std::max(threshold, s.lower.threshold());
      }
      s.lower.Refresh();
      shared.Raise(s.lower.threshold());
    }
  });
  // The k-th best guaranteed score over all parts.
  CappedCollector lower(params.k, params.group_of, params.max_per_group);
  for (const Part& s : state) {
    for (const ScoredItem& x : s.lower.Kept()) lower.Push(x);
  }
  lower.Refresh();
  const float cut = std::max(lower.threshold(), shared.Get());
  std::vector<int32_t> rescore;
  for (const Part& s : state) {
    for (const auto& [item, up] : s.maybe) {
      if (up >= cut) rescore.push_back(item);
    }
  }
  Rescore(query, params, rescore, out);
}

void QuantizedRetriever::SearchCompact(const float* query, const Int8Query& q8,
                                       const SearchParams& params,
                                       const CompactSet& set, int set_index,
                                       std::vector<ScoredItem>* out) const {
  CappedCollector lower(params.k, params.group_of, params.max_per_group);
  std::vector<std::pair<int32_t, float>> maybe;  // (position, upper bound)
  ScanCompactSet(set, exact_.order(), q8, exact_.kernels(),
                 WithoutRequired(params.filter, set_index), &lower, &maybe);
  const float cut = lower.threshold();
  std::vector<int32_t> rescore;
  for (const auto& [position, up] : maybe) {
    if (up >= cut) rescore.push_back(exact_.order()[position]);
  }
  Rescore(query, params, rescore, out);
}

void QuantizedRetriever::Rescore(const float* query, const SearchParams& params,
                                 const std::vector<int32_t>& items,
                                 std::vector<ScoredItem>* out) const {
  tls_last_rescored = static_cast<int64_t>(items.size());
  // Pass 2: exact fp32 scores of the survivors.
  const std::vector<float> q = PadQuery(query, dim(), exact_.stride());
  std::vector<float> exact(items.size());
  exact_.ScoreItems(q.data(), items.data(), static_cast<int64_t>(items.size()),
                    exact.data());
  CappedCollector top(params.k, params.group_of, params.max_per_group);
  for (size_t i = 0; i < items.size(); ++i) top.Push({items[i], exact[i]});
  top.Finish(out);
}

}  // namespace tailor

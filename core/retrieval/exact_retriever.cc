#include "core/retrieval/exact_retriever.h"

#include <algorithm>
#include <cmath>

#include "core/retrieval/required_sets.h"
#include "core/retrieval/scan_parts.h"

namespace tailor {

using retrieval_internal::kBlock;
using retrieval_internal::PartsFor;
using retrieval_internal::RunParts;
using retrieval_internal::SharedThreshold;

ExactRetriever::ExactRetriever(const RowMatrix& items, ExactOptions options)
    : rows_(items.rows(), static_cast<int>(items.cols())),
      order_(items.rows()),
      position_(items.rows()),
      norm_(items.rows()),
      options_(options),
      kernels_(options.kernels != nullptr ? options.kernels : &BestKernels()),
      required_sets_(std::make_unique<RequiredSetCache>(
          &order_, &norm_, /*codes=*/nullptr,
          RequiredSetOptions{.compact_share = options.compact_share})) {
  const int64_t n = items.rows();
  std::vector<float> item_norm(n);
  for (int64_t i = 0; i < n; ++i) item_norm[i] = items.row(i).norm();
  std::iota(order_.begin(), order_.end(), 0);
  if (options_.prune_by_norm) {
    std::stable_sort(order_.begin(), order_.end(), [&](int32_t a, int32_t b) {
      return item_norm[a] > item_norm[b];
    });
  }
  for (int64_t p = 0; p < n; ++p) {
    const int32_t item = order_[p];
    position_[item] = static_cast<int32_t>(p);
    norm_[p] = item_norm[item];
    std::copy(items.row(item).data(), items.row(item).data() + items.cols(),
              rows_.row(p));
  }
}

ExactRetriever::~ExactRetriever() = default;

size_t ExactRetriever::memory_bytes() const {
  return rows_.memory_bytes() +
         (order_.size() + position_.size()) * sizeof(int32_t) +
         norm_.size() * sizeof(float);
}

void ExactRetriever::ScoreItems(const float* padded_query, const int32_t* items,
                                int64_t n, float* out) const {
  std::vector<int32_t> positions(n);
  for (int64_t i = 0; i < n; ++i) positions[i] = position_[items[i]];
  kernels_->dot_f32_gather(rows_.data(), positions.data(), n, rows_.stride(),
                           padded_query, out);
}

void ExactRetriever::ScanBlock(int64_t begin, int64_t len,
                               const float* padded_query, float threshold,
                               const ItemFilter& filter, CappedCollector* top,
                               float* scores) const {
  kernels_->dot_f32(rows_.row(begin), len, rows_.stride(), padded_query,
                    scores);
  for (int64_t j = 0; j < len; ++j) {
    if (scores[j] < threshold) continue;
    const int32_t item = order_[begin + j];
    if (!filter.Accepts(item)) continue;
    top->Push({item, scores[j]});
    threshold = std::max(threshold, top->threshold());
  }
  top->Refresh();
}

void ExactRetriever::Search(const float* query, const SearchParams& params,
                            std::vector<ScoredItem>* out) const {
  out->clear();
  const int64_t n = rows_.rows();
  if (params.k <= 0 || n == 0) return;
  const std::vector<float> q = PadQuery(query, rows_.dim(), rows_.stride());
  const ItemFilter& filter = params.filter;

  if (filter.candidates != nullptr) {
    // Sparse: score only the candidate items.
    CappedCollector top(params.k, params.group_of, params.max_per_group);
    const std::vector<int32_t>& ids = *filter.candidates;
    std::vector<float> scores(kBlock);
    for (size_t begin = 0; begin < ids.size(); begin += kBlock) {
      const int64_t len =
          std::min<int64_t>(kBlock, static_cast<int64_t>(ids.size() - begin));
      ScoreItems(q.data(), ids.data() + begin, len, scores.data());
      for (int64_t j = 0; j < len; ++j) {
        const int32_t item = ids[begin + j];
        if (scores[j] < top.threshold() || !filter.Accepts(item)) continue;
        top.Push({item, scores[j]});
      }
      top.Refresh();
    }
    top.Finish(out);
    return;
  }
  std::shared_ptr<const RequiredSetCopy> copy;
  if (const int set = required_sets_->SelectiveSet(filter, &copy); set >= 0) {
    SearchCompact(query, params, *copy->compact, set, out);
    return;
  }

  // Dense: part p scans blocks p, p + parts, ... (so every part starts
  // with large norms) until no later block can beat the shared threshold.
  const float qnorm = QueryNorm(query, rows_.dim()) * kNormSlack;
  const bool prune = options_.prune_by_norm;
  const int parts = PartsFor(n, options_);
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  SharedThreshold shared;
  std::vector<CappedCollector> tops;
  tops.reserve(parts);
  for (int p = 0; p < parts; ++p) {
    tops.emplace_back(params.k, params.group_of, params.max_per_group);
  }
  RunParts(parts, [&](int part) {
    CappedCollector& top = tops[part];
    std::vector<float> scores(kBlock);
    for (int64_t b = part; b < blocks; b += parts) {
      const int64_t begin = b * kBlock;
      const int64_t len = std::min(kBlock, n - begin);
      float threshold = std::max(top.threshold(), shared.Get());
      if (prune && qnorm * norm_[begin] < threshold) break;
      ScanBlock(begin, len, q.data(), threshold, filter, &top, scores.data());
      shared.Raise(top.threshold());
    }
  });
  for (int p = 1; p < parts; ++p) {
    for (const ScoredItem& s : tops[p].Kept()) tops[0].Push(s);
  }
  tops[0].Finish(out);
}

void ExactRetriever::SearchCompact(const float* query,
                                   const SearchParams& params,
                                   const CompactSet& set, int set_index,
                                   std::vector<ScoredItem>* out) const {
  const ItemFilter others = WithoutRequired(params.filter, set_index);
  const std::vector<float> q = PadQuery(query, rows_.dim(), rows_.stride());
  const float qnorm = QueryNorm(query, rows_.dim()) * kNormSlack;
  CappedCollector top(params.k, params.group_of, params.max_per_group);
  // Members are gathered from the rows, 256 at a time.
  constexpr int64_t kGather = 256;
  std::vector<float> scores(kGather);
  const auto m = static_cast<int64_t>(set.position.size());
  for (int64_t begin = 0; begin < m; begin += kGather) {
    float threshold = top.threshold();
    if (qnorm * set.norm[begin] < threshold) break;
    const int64_t len = std::min(kGather, m - begin);
    kernels_->dot_f32_gather(rows_.data(), set.position.data() + begin, len,
                             rows_.stride(), q.data(), scores.data());
    for (int64_t j = 0; j < len; ++j) {
      if (scores[j] < threshold) continue;
      const int32_t item = order_[set.position[begin + j]];
      if (!others.Accepts(item)) continue;
      top.Push({item, scores[j]});
      threshold = std::max(threshold, top.threshold());
    }
    top.Refresh();
  }
  top.Finish(out);
}

void ExactRetriever::SearchBatch(const std::vector<BatchQuery>& batch) const {
  struct Scan {
    const BatchQuery* q;
    std::vector<float> padded;
    float qnorm;
    CappedCollector top;
    bool active = true;
  };
  std::vector<Scan> scans;
  scans.reserve(batch.size());
  const int64_t n = rows_.rows();
  for (const BatchQuery& q : batch) {
    const SearchParams& params = *q.params;
    if (params.filter.candidates != nullptr || params.k <= 0 || n == 0) {
      Search(q.query, params, q.out);  // sparse or empty: nothing to share
      continue;
    }
    std::shared_ptr<const RequiredSetCopy> copy;
    if (const int set = required_sets_->SelectiveSet(params.filter, &copy);
        set >= 0) {
      // A selective set's members: nothing to share either.
      SearchCompact(q.query, params, *copy->compact, set, q.out);
      continue;
    }
    scans.push_back(
        {&q, PadQuery(q.query, rows_.dim(), rows_.stride()),
         QueryNorm(q.query, rows_.dim()) * kNormSlack,
         CappedCollector(params.k, params.group_of, params.max_per_group)});
  }
  std::vector<float> scores(kBlock);
  const bool prune = options_.prune_by_norm;
  for (int64_t begin = 0; begin < n && !scans.empty(); begin += kBlock) {
    const int64_t len = std::min(kBlock, n - begin);
    bool any = false;
    for (Scan& s : scans) {
      if (!s.active) continue;
      float threshold = s.top.threshold();
      if (prune && s.qnorm * norm_[begin] < threshold) {
        s.active = false;
        continue;
      }
      any = true;
      ScanBlock(begin, len, s.padded.data(), threshold, s.q->params->filter,
                &s.top, scores.data());
    }
    if (!any) break;
  }
  for (Scan& s : scans) s.top.Finish(s.q->out);
}

}  // namespace tailor

#include "core/retrieval/retrieval.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <numeric>

#include "core/base/parallel.h"
#include "core/retrieval/required_sets.h"

namespace tailor {
namespace {

// Rows scored per kernel call: 1024 fp32 rows of 64 floats are 256 KiB,
// which stays in L2 while the block's scores are examined.
constexpr int64_t kBlock = 1024;

// Number of parts to split a scan of n rows into.
int PartsFor(int64_t n, const ExactOptions& options) {
  const int64_t by_size = std::max<int64_t>(
      1, n / std::max<int64_t>(1, options.min_items_per_thread));
  return static_cast<int>(
      std::min<int64_t>(ResolveThreadCount(options.threads), by_size));
}

// Runs fn(part) for part in [0, parts), one thread each (the caller's
// thread takes part 0).
template <typename Fn>
void RunParts(int parts, const Fn& fn) {
  if (parts <= 1) {
    fn(0);
    return;
  }
  ParallelFor(parts, parts, 1, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) fn(static_cast<int>(p));
  });
}

// The best k-th score any part of one search has found: every part's k-th
// best bounds the whole answer's k-th best from below, so all parts may
// skip what scores under the largest of them.
class SharedThreshold {
 public:
  float Get() const { return value_.load(std::memory_order_relaxed); }
  void Raise(float t) {
    float current = Get();
    while (t > current && !value_.compare_exchange_weak(
                              current, t, std::memory_order_relaxed)) {
    }
  }

 private:
  std::atomic<float> value_{-std::numeric_limits<float>::infinity()};
};

float Norm(const float* v, int dim) {
  double s = 0;
  for (int d = 0; d < dim; ++d) s += double{v[d]} * v[d];
  return static_cast<float>(std::sqrt(s));
}

thread_local int64_t tls_last_rescored = 0;

}  // namespace

uint64_t ItemSet::Fingerprint() const {
  // FNV-1a style over four interleaved lanes (independent multiply chains,
  // so a 1 M-item set hashes in a few microseconds), then mixed.
  uint64_t h[4] = {1469598103934665603ull ^ bits_.size(), 2, 3, 4};
  size_t i = 0;
  for (; i + 4 <= bits_.size(); i += 4) {
    for (int l = 0; l < 4; ++l) h[l] = (h[l] ^ bits_[i + l]) * 1099511628211ull;
  }
  for (; i < bits_.size(); ++i) h[0] = (h[0] ^ bits_[i]) * 1099511628211ull;
  uint64_t x = h[0];
  for (int l = 1; l < 4; ++l)
    x = (x ^ (h[l] >> 17) ^ h[l]) * 0x9E3779B97F4A7C15ull;
  return x ^ (x >> 29);
}

int64_t ItemSet::Count() const {
  int64_t c = 0;
  for (uint64_t w : bits_) c += std::popcount(w);
  return c;
}

std::vector<float> PadQuery(const float* query, int dim, int64_t stride) {
  std::vector<float> q(stride, 0.0f);
  std::copy(query, query + dim, q.begin());
  return q;
}

AlignedRows<float> AlignRows(const RowMatrix& m) {
  AlignedRows<float> out(m.rows(), static_cast<int>(m.cols()));
  for (Eigen::Index r = 0; r < m.rows(); ++r) {
    std::copy(m.row(r).data(), m.row(r).data() + m.cols(), out.row(r));
  }
  return out;
}

// ---- Collectors.

float TopNCollector::threshold() const {
  return static_cast<int>(heap_.size()) < k_
             ? -std::numeric_limits<float>::infinity()
             : heap_.front().score;
}

void TopNCollector::Push(ScoredItem s) {
  if (k_ <= 0) return;
  if (static_cast<int>(heap_.size()) < k_) {
    heap_.push_back(s);
    std::push_heap(heap_.begin(), heap_.end(), RanksBefore);
  } else if (RanksBefore(s, heap_.front())) {
    std::pop_heap(heap_.begin(), heap_.end(), RanksBefore);
    heap_.back() = s;
    std::push_heap(heap_.begin(), heap_.end(), RanksBefore);
  }
}

void TopNCollector::Finish(std::vector<ScoredItem>* out) {
  std::sort_heap(heap_.begin(), heap_.end(), RanksBefore);
  *out = std::move(heap_);
  heap_.clear();
}

CappedCollector::CappedCollector(int k, const int32_t* group_of,
                                 int max_per_group)
    : k_(std::max(k, 0)),
      group_of_(max_per_group > 0 ? group_of : nullptr),
      cap_(std::min(max_per_group, k_)),
      uncapped_(k_) {}

void CappedCollector::Push(ScoredItem s) {
  if (group_of_ == nullptr) {
    uncapped_.Push(s);
    threshold_ = uncapped_.threshold();
    return;
  }
  const int32_t g = group_of_[s.item];
  if (g < 0) {
    uncapped_.Push(s);
  } else {
    groups_.try_emplace(g, cap_).first->second.Push(s);
  }
}

void CappedCollector::Refresh() {
  if (group_of_ == nullptr) return;
  std::vector<float> scores;
  for (const ScoredItem& s : uncapped_.kept()) scores.push_back(s.score);
  for (const auto& [g, top] : groups_) {
    for (const ScoredItem& s : top.kept()) scores.push_back(s.score);
  }
  if (k_ == 0 || static_cast<int>(scores.size()) < k_) return;
  std::nth_element(scores.begin(), scores.begin() + (k_ - 1), scores.end(),
                   std::greater<float>());
  threshold_ = std::max(threshold_, scores[k_ - 1]);
}

std::vector<ScoredItem> CappedCollector::Kept() const {
  std::vector<ScoredItem> all = uncapped_.kept();
  for (const auto& [g, top] : groups_) {
    all.insert(all.end(), top.kept().begin(), top.kept().end());
  }
  return all;
}

void CappedCollector::Finish(std::vector<ScoredItem>* out) {
  *out = Kept();
  // Each group holds at most its cap, so the best k of the union respect
  // the caps.
  std::sort(out->begin(), out->end(), RanksBefore);
  if (static_cast<int>(out->size()) > k_) out->resize(k_);
}

// ---- Exact.

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
  const float qnorm = Norm(query, rows_.dim()) * kNormSlack;
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
  const float qnorm = Norm(query, rows_.dim()) * kNormSlack;
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
         Norm(q.query, rows_.dim()) * kNormSlack,
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

// ---- int8 first pass, fp32 re-scoring.

namespace {
// Relative error bound of a query quantised to int16 with scale
// max|q| / 32767: each coordinate is off by at most half a step, so
// |q - q16| <= sqrt(dim) * max|q| / 65534 <= sqrt(dim) * |q| / 65534.
constexpr float kQueryStep = 32767.0f;
// Float rounding in the scores themselves, per unit of |q| |x|.
constexpr float kRoundingSlack = 1e-5f;
}  // namespace

Int8Rows QuantizeRows(int64_t n, int dim,
                      const std::function<const float*(int64_t)>& row,
                      const std::vector<float>& norms) {
  Int8Rows out{AlignedRows<int8_t>(n, dim), std::vector<float>(n),
               std::vector<float>(n)};
  const float query_error =
      std::sqrt(static_cast<float>(dim)) / (2 * kQueryStep);
  for (int64_t r = 0; r < n; ++r) {
    const float* x = row(r);
    float max_abs = 0;
    for (int d = 0; d < dim; ++d) max_abs = std::max(max_abs, std::abs(x[d]));
    const float scale = max_abs > 0 ? max_abs / 127.0f : 0.0f;
    out.scale[r] = scale;
    int8_t* code = out.codes.row(r);
    double err2 = 0, hat2 = 0;
    for (int d = 0; d < dim; ++d) {
      const float c = scale > 0 ? std::round(x[d] / scale) : 0.0f;
      code[d] = static_cast<int8_t>(std::clamp(c, -127.0f, 127.0f));
      const double hat = static_cast<double>(code[d]) * scale;
      err2 += (x[d] - hat) * (x[d] - hat);
      hat2 += hat * hat;
    }
    // |q.x - q16.xhat| <= |q| |x - xhat| + |q - q16| |xhat|, plus rounding.
    out.slack[r] = static_cast<float>(std::sqrt(err2)) * 1.0001f +
                   query_error * static_cast<float>(std::sqrt(hat2)) +
                   kRoundingSlack * norms[r];
  }
  return out;
}

bool QuantizeQuery(const float* query, int dim, int64_t stride,
                   Int8Query* out) {
  float max_abs = 0;
  for (int d = 0; d < dim; ++d) max_abs = std::max(max_abs, std::abs(query[d]));
  if (max_abs == 0) return false;
  out->scale = max_abs / kQueryStep;
  out->q16.assign(stride, 0);
  for (int d = 0; d < dim; ++d) {
    out->q16[d] = static_cast<int16_t>(std::lround(query[d] / out->scale));
  }
  out->norm = Norm(query, dim);
  return true;
}

void Int8Bounds(const Int8Rows& rows, int64_t begin, int64_t len,
                const Int8Query& query, const DotKernels& kernels, int32_t* acc,
                float* upper, float* lower) {
  kernels.dot_i8(rows.codes.row(begin), len, rows.codes.stride(),
                 query.q16.data(), acc);
  const float* sc = rows.scale.data() + begin;
  const float* sl = rows.slack.data() + begin;
  for (int64_t j = 0; j < len; ++j) {
    const float approx = static_cast<float>(acc[j]) * (sc[j] * query.scale);
    const float bound = query.norm * sl[j];
    upper[j] = approx + bound;
    lower[j] = approx - bound;
  }
}

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

// ---- Reference.

std::vector<ScoredItem> BruteForceTopN(const RowMatrix& items,
                                       const float* query,
                                       const SearchParams& params) {
  std::vector<ScoredItem> all;
  const ItemFilter& filter = params.filter;
  for (Eigen::Index i = 0; i < items.rows(); ++i) {
    const auto item = static_cast<int32_t>(i);
    if (filter.candidates != nullptr &&
        !std::binary_search(filter.candidates->begin(),
                            filter.candidates->end(), item)) {
      continue;
    }
    if (!filter.Accepts(item)) continue;
    float s = 0;
    for (Eigen::Index d = 0; d < items.cols(); ++d) s += items(i, d) * query[d];
    all.push_back({item, s});
  }
  std::sort(all.begin(), all.end(), RanksBefore);
  std::vector<ScoredItem> out;
  absl::flat_hash_map<int32_t, int> taken;
  for (const ScoredItem& s : all) {
    if (static_cast<int>(out.size()) >= params.k) break;
    if (params.group_of != nullptr && params.max_per_group > 0) {
      const int32_t g = params.group_of[s.item];
      if (g >= 0 && ++taken[g] > params.max_per_group) continue;
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace tailor

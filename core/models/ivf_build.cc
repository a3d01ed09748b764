#include "core/models/ivf_build.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/models/kmeans.h"
#include "core/retrieval/exact_retriever.h"
#include "core/retrieval/ivf_retriever.h"

namespace tailor {

absl::StatusOr<IvfPartition> BuildIvfPartition(const RowMatrix& items,
                                               const IvfBuildOptions& options) {
  const int64_t n = items.rows();
  if (n == 0) return absl::InvalidArgumentError("no items to partition");
  if (!items.allFinite()) {
    return absl::InvalidArgumentError("item factors are not finite");
  }
  if (options.lists < 0 || options.sample_per_list <= 0 ||
      options.iterations <= 0) {
    return absl::InvalidArgumentError(
        "IVF build options: lists must be >= 0, sample_per_list and "
        "iterations > 0");
  }
  int lists = options.lists > 0
                  ? options.lists
                  : static_cast<int>(std::lround(2 * std::sqrt(double(n))));
  lists = static_cast<int>(std::clamp<int64_t>(lists, 1, n));

  // k-means on a sample, then every item to its nearest centroid.
  const int64_t m =
      std::min<int64_t>(n, int64_t{lists} * options.sample_per_list);
  std::vector<int32_t> pick(n);
  std::iota(pick.begin(), pick.end(), 0);
  std::mt19937_64 rng(options.seed);
  for (int64_t i = 0; i < m; ++i) {
    std::uniform_int_distribution<int64_t> d(i, n - 1);
    std::swap(pick[i], pick[d(rng)]);
  }
  RowMatrix sample(m, items.cols());
  for (int64_t i = 0; i < m; ++i) sample.row(i) = items.row(pick[i]);
  KMeansOptions k;
  k.k = lists;
  k.max_iterations = options.iterations;
  k.seeding_sample = m;
  k.threads = options.threads;
  k.seed = options.seed;
  absl::StatusOr<KMeansResult> fit = FitKMeans(sample, k);
  if (!fit.ok()) return fit.status();
  const std::vector<int32_t> assignment =
      AssignToCentroids(items, fit->centroids, options.threads);

  IvfPartition p;
  p.centroids = std::move(fit->centroids);
  p.list_begin.assign(lists + 1, 0);
  for (int32_t a : assignment) ++p.list_begin[a + 1];
  std::partial_sum(p.list_begin.begin(), p.list_begin.end(),
                   p.list_begin.begin());
  p.items.resize(n);
  std::vector<int64_t> next(p.list_begin.begin(), p.list_begin.end() - 1);
  for (int64_t i = 0; i < n; ++i) {
    p.items[next[assignment[i]]++] = static_cast<int32_t>(i);
  }
  return p;
}

double RecallOf(const std::vector<ScoredItem>& truth,
                const std::vector<ScoredItem>& got) {
  if (truth.empty()) return 1.0;
  absl::flat_hash_set<int32_t> found;
  for (const ScoredItem& s : got) found.insert(s.item);
  int hit = 0;
  for (const ScoredItem& s : truth) hit += found.contains(s.item);
  return static_cast<double>(hit) / static_cast<double>(truth.size());
}

absl::StatusOr<IvfEvaluation> TuneIvfProbe(const RowMatrix& items,
                                           const IvfPartition& partition,
                                           const RowMatrix& queries,
                                           const IvfTuneOptions& options) {
  const int dim = static_cast<int>(items.cols());
  if (absl::Status s =
          partition.Validate(static_cast<int32_t>(items.rows()), dim);
      !s.ok()) {
    return s;
  }
  if (queries.rows() == 0 || queries.cols() != dim) {
    return absl::InvalidArgumentError(
        "IVF tuning needs at least one query of the items' dimension");
  }
  const int nq = static_cast<int>(queries.rows());
  ExactRetriever exact(items);
  IvfRetriever ivf(items, partition);
  ItemSet kept(static_cast<int32_t>(items.rows()));
  std::mt19937_64 rng(options.seed);
  std::bernoulli_distribution keep(options.filter_share);
  for (int32_t i = 0; i < items.rows(); ++i) {
    if (keep(rng)) kept.Insert(i);
  }
  SearchParams top10(10), top100(100), filtered10(10), filtered100(100);
  filtered10.filter.require = {&kept};
  filtered100.filter.require = {&kept};
  std::vector<std::vector<ScoredItem>> want10(nq), want100(nq), wantf10(nq),
      wantf100(nq);
  for (int q = 0; q < nq; ++q) {
    exact.Search(queries.row(q).data(), top10, &want10[q]);
    exact.Search(queries.row(q).data(), top100, &want100[q]);
    exact.Search(queries.row(q).data(), filtered10, &wantf10[q]);
    exact.Search(queries.row(q).data(), filtered100, &wantf100[q]);
  }
  IvfEvaluation e;
  e.queries = nq;
  // Mean recall at 10 and at 100 of searches at the given widths, and the
  // items scanned per count-100 search.
  const auto measure = [&](const SearchParams& p10, const SearchParams& p100,
                           const std::vector<std::vector<ScoredItem>>& w10,
                           const std::vector<std::vector<ScoredItem>>& w100,
                           int probe, int filtered_probe) {
    double r10 = 0, r100 = 0;
    int64_t scanned = 0;
    std::vector<ScoredItem> got;
    for (int q = 0; q < nq; ++q) {
      const float* query = queries.row(q).data();
      ivf.SearchWithProbe(query, p10, probe, filtered_probe, &got);
      r10 += RecallOf(w10[q], got);
      ivf.SearchWithProbe(query, p100, probe, filtered_probe, &got);
      r100 += RecallOf(w100[q], got);
      scanned += IvfRetriever::last_stats().items_scanned;
    }
    return std::tuple(r10 / nq, r100 / nq, static_cast<double>(scanned) / nq);
  };
  const auto meets = [&](double r10, double r100) {
    return r10 >= options.min_recall_at_10 && r100 >= options.min_recall_at_100;
  };
  // Widths grow by a quarter at a time, so the one chosen is within 25% of
  // the smallest that meets the targets.
  const auto wider = [&](int w) {
    return std::min(partition.lists(), std::max(w + 1, w + w / 4));
  };
  for (int probe = 1;; probe = wider(probe)) {
    e.probe = probe;
    std::tie(e.recall_at_10, e.recall_at_100, e.items_scanned) =
        measure(top10, top100, want10, want100, probe, 0);
    if (meets(e.recall_at_10, e.recall_at_100) || probe >= partition.lists()) {
      break;
    }
  }
  for (int width = e.probe;; width = wider(width)) {
    e.filtered_probe = width;
    std::tie(e.recall_at_10_filtered, e.recall_at_100_filtered, std::ignore) =
        measure(filtered10, filtered100, wantf10, wantf100, e.probe, width);
    if (meets(e.recall_at_10_filtered, e.recall_at_100_filtered) ||
        width >= partition.lists()) {
      break;
    }
  }
  return e;
}
}  // namespace tailor

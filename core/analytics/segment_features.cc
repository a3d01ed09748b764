#include "core/analytics/segment_features.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/parallel.h"

namespace tailor {
namespace {

// Scales the columns [first, first + width) of `x` so that the block's mean
// squared row norm is weight^2 (a block of zeros stays zero).
void ScaleBlock(RowMatrix* x, int first, int width, float weight) {
  if (width == 0 || x->rows() == 0) return;
  auto block = x->middleCols(first, width);
  const double mean_sq = block.squaredNorm() / static_cast<double>(x->rows());
  if (mean_sq > 0) block *= static_cast<float>(weight / std::sqrt(mean_sq));
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * v.size()));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

}  // namespace

absl::StatusOr<RowMatrix> SegmentFeatures(
    const std::vector<UserProfile>& profiles,
    const std::vector<std::vector<float>>& share_rows,
    const RowMatrix& embeddings, const SegmentFeatureOptions& o) {
  const int64_t n = static_cast<int64_t>(profiles.size());
  if (static_cast<int64_t>(share_rows.size()) != n ||
      (embeddings.rows() != 0 && embeddings.rows() != n)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "segment features: ", n, " profiles, ", share_rows.size(),
        " share rows and ", embeddings.rows(), " embeddings must agree"));
  }
  constexpr int kBehaviour = 5;
  const int shares = n > 0 ? static_cast<int>(share_rows[0].size()) : 0;
  const int dims = static_cast<int>(embeddings.cols());
  RowMatrix x = RowMatrix::Zero(n, kBehaviour + shares + dims);
  for (int64_t u = 0; u < n; ++u) {
    const UserProfile& p = profiles[u];
    x(u, 0) = static_cast<float>(std::log1p(p.orders));
    x(u, 1) = static_cast<float>(std::log1p(std::max(0.0, p.net())));
    x(u, 2) = static_cast<float>(
        std::log1p(p.recency_days >= 0 ? p.recency_days : 3650.0));
    x(u, 3) = static_cast<float>(p.return_rate);
    x(u, 4) = static_cast<float>(std::log1p(p.average_order_value));
    if (static_cast<int>(share_rows[u].size()) != shares) {
      return absl::InvalidArgumentError(
          absl::StrCat("share_rows[", u, "]: ", share_rows[u].size(),
                       " values, expected ", shares));
    }
    for (int j = 0; j < shares; ++j) x(u, kBehaviour + j) = share_rows[u][j];
    if (dims > 0) {
      const float norm = embeddings.row(u).norm();
      if (norm > 0) {
        x.row(u).tail(dims) = embeddings.row(u) / norm;
      }
    }
  }
  if (!x.allFinite()) {
    return absl::InvalidArgumentError("segment features: non-finite value");
  }
  // Standardize the behaviour columns, then weight every block.
  for (int j = 0; j < kBehaviour && n > 1; ++j) {
    auto col = x.col(j);
    const float mean = col.mean();
    const float sd = std::sqrt((col.array() - mean).square().sum() / (n - 1));
    col = (col.array() - mean) / (sd > 0 ? sd : 1.0f);
  }
  ScaleBlock(&x, 0, kBehaviour, o.behaviour);
  ScaleBlock(&x, kBehaviour, shares, o.shares);
  ScaleBlock(&x, kBehaviour + shares, dims, o.embedding);
  return x;
}

std::vector<std::string> DescribeClusters(
    const std::vector<UserProfile>& profiles,
    const std::vector<int32_t>& assignment, int k) {
  std::vector<double> base_net, base_returns;
  std::map<std::string, double> base_category;
  double base_total = 0;
  for (const UserProfile& p : profiles) {
    base_net.push_back(p.net());
    base_returns.push_back(p.return_rate);
    for (const Share& s : p.categories) {
      base_category[s.value] += s.share;
      base_total += s.share;
    }
  }
  const double net_low = Quantile(base_net, 0.25);
  const double net_high = Quantile(base_net, 0.75);
  const double returns_low = Quantile(base_returns, 0.25);
  const double returns_high = Quantile(base_returns, 0.75);

  std::vector<std::string> out(k);
  for (int c = 0; c < k; ++c) {
    std::vector<double> net, returns;
    std::map<std::string, double> category, band;
    double total = 0;
    for (size_t u = 0; u < profiles.size(); ++u) {
      if (assignment[u] != c) continue;
      const UserProfile& p = profiles[u];
      net.push_back(p.net());
      returns.push_back(p.return_rate);
      for (const Share& s : p.categories) {
        category[s.value] += s.share;
        total += s.share;
      }
      if (!p.price_bands.empty()) band[p.price_bands[0].value] += 1;
    }
    if (net.empty()) {
      out[c] = "empty";
      continue;
    }
    // Categories by lift over the base, among those with a real share.
    std::vector<std::pair<double, std::string>> lifted;
    for (const auto& [name, weight] : category) {
      const double share = weight / total;
      const double base = base_category[name] / base_total;
      // Over-represented (lift >= 1.25) and a real part of the cluster.
      if (share >= 0.08 && base > 0 && share >= 1.25 * base) {
        lifted.push_back({share / base, name});
      }
    }
    std::sort(lifted.rbegin(), lifted.rend());
    std::vector<std::string> parts;
    std::vector<std::string> top;
    for (size_t i = 0; i < lifted.size() && i < 2; ++i) {
      top.push_back(lifted[i].second);
    }
    parts.push_back(top.empty() ? "mixed categories"
                                : absl::StrJoin(top, " & "));
    if (!band.empty()) {
      parts.push_back(std::max_element(band.begin(), band.end(),
                                       [](const auto& a, const auto& b) {
                                         return a.second < b.second;
                                       })
                          ->first);
    }
    // Levels against the base's quartiles (none when the quartiles meet,
    // e.g. when most of the base never returned anything).
    const double median_net = Median(net);
    if (net_high > net_low && median_net >= net_high) {
      parts.push_back("high spend");
    } else if (net_high > net_low && median_net <= net_low) {
      parts.push_back("low spend");
    } else {
      parts.push_back("mid spend");
    }
    const double median_returns = Median(returns);
    if (returns_high > returns_low && median_returns >= returns_high) {
      parts.push_back("high returns");
    } else if (returns_high > returns_low && median_returns <= returns_low) {
      parts.push_back("low returns");
    }
    out[c] = absl::StrJoin(parts, ", ");
  }
  return out;
}

std::vector<int64_t> RefineClustersByItems(const InteractionMatrix& m,
                                           const std::vector<int32_t>& rows,
                                           int k, const ClusterRefineOptions& o,
                                           std::vector<int32_t>* assignment) {
  const int64_t n = static_cast<int64_t>(rows.size());
  const int32_t num_items = m.items.size();
  auto count = [](float w) { return w > 0 ? std::log1p(w) : 0.0; };
  // The base's item distribution (add-one smoothed): the prior mean.
  std::vector<double> base(num_items, 1.0);
  double base_total = num_items;
  for (int64_t u = 0; u < n; ++u) {
    if (rows[u] < 0) continue;
    for (int64_t p = m.row_ptr[rows[u]]; p < m.row_ptr[rows[u] + 1]; ++p) {
      base[m.item[p]] += count(m.weight[p]);
      base_total += count(m.weight[p]);
    }
  }
  for (double& b : base) b /= base_total;

  std::vector<int64_t> moved;
  std::vector<double> log_p(static_cast<size_t>(k) * num_items);
  for (int round = 0; round < o.iterations; ++round) {
    std::vector<double> counts(static_cast<size_t>(k) * num_items, 0.0);
    std::vector<double> total(k, 0.0), size(k, 0.0);
    for (int64_t u = 0; u < n; ++u) {
      const int32_t c = (*assignment)[u];
      if (c < 0 || c >= k) continue;
      size[c] += 1;
      if (rows[u] < 0) continue;
      for (int64_t p = m.row_ptr[rows[u]]; p < m.row_ptr[rows[u] + 1]; ++p) {
        counts[static_cast<size_t>(c) * num_items + m.item[p]] +=
            count(m.weight[p]);
        total[c] += count(m.weight[p]);
      }
    }
    std::vector<double> log_share(k);
    for (int c = 0; c < k; ++c) {
      log_share[c] = std::log((size[c] + 1.0) / (static_cast<double>(n) + k));
      for (int32_t i = 0; i < num_items; ++i) {
        const size_t at = static_cast<size_t>(c) * num_items + i;
        log_p[at] = std::log((counts[at] + o.smoothing * base[i]) /
                             (total[c] + o.smoothing));
      }
    }
    std::vector<int64_t> moves(n, 0);
    ParallelFor(n, 0, 1024, [&](int64_t begin, int64_t end) {
      std::vector<double> score(k);
      for (int64_t u = begin; u < end; ++u) {
        const int32_t current = (*assignment)[u];
        if (rows[u] < 0 || current < 0 || current >= k) continue;
        score = log_share;
        for (int64_t p = m.row_ptr[rows[u]]; p < m.row_ptr[rows[u] + 1]; ++p) {
          const double w = count(m.weight[p]);
          if (w == 0) continue;
          for (int c = 0; c < k; ++c) {
            score[c] +=
                w * log_p[static_cast<size_t>(c) * num_items + m.item[p]];
          }
        }
        // Ties keep the current cluster.
        int32_t best = current;
        for (int c = 0; c < k; ++c) {
          if (score[c] > score[best]) best = c;
        }
        if (best != current) {
          (*assignment)[u] = best;
          moves[u] = 1;
        }
      }
    });
    moved.push_back(std::accumulate(moves.begin(), moves.end(), int64_t{0}));
    if (moved.back() == 0) break;
  }
  return moved;
}

}  // namespace tailor

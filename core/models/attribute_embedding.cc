#include "core/models/attribute_embedding.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <random>

#include "Eigen/Cholesky"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"

namespace tailor {
namespace {

using Values = absl::flat_hash_map<std::string, int32_t>;

// The values of one attribute kind worth a feature: shared by at least
// `min_items` items, at most `max_values` of them (most frequent first, ties
// by value so the layout is deterministic), numbered from `offset`.
Values Vocabulary(const std::vector<const std::string*>& values, int min_items,
                  int max_values, int32_t offset) {
  absl::flat_hash_map<std::string, int64_t> count;
  for (const std::string* v : values) {
    if (!v->empty()) ++count[*v];
  }
  std::vector<std::pair<std::string, int64_t>> kept;
  for (const auto& [value, n] : count) {
    if (n >= min_items) kept.emplace_back(value, n);
  }
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (static_cast<int>(kept.size()) > max_values) kept.resize(max_values);
  std::sort(kept.begin(), kept.end());
  Values out;
  for (const auto& [value, n] : kept) {
    out.emplace(value, offset + static_cast<int32_t>(out.size()));
  }
  return out;
}

// Ridge solution W = (X^T X + lambda I')^-1 X^T V over the items `rows`
// (I' leaves the intercept unpenalised).
Eigen::MatrixXd Ridge(const std::vector<std::vector<int32_t>>& features,
                      const RowMatrix& targets,
                      const std::vector<int32_t>& rows, int num_features,
                      double lambda) {
  const int k = static_cast<int>(targets.cols());
  Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(num_features, num_features);
  Eigen::MatrixXd rhs = Eigen::MatrixXd::Zero(num_features, k);
  for (int32_t r : rows) {
    const std::vector<int32_t>& f = features[r];
    const Eigen::RowVectorXd v = targets.row(r).cast<double>();
    for (int32_t a : f) {
      rhs.row(a) += v;
      for (int32_t b : f) gram(a, b) += 1.0;
    }
  }
  for (int a = 1; a < num_features; ++a) gram(a, a) += lambda;
  gram(0, 0) += 1e-9;  // keeps the system definite with no fitted rows
  return gram.ldlt().solve(rhs);
}

double MeanSquaredError(const std::vector<std::vector<int32_t>>& features,
                        const RowMatrix& targets,
                        const std::vector<int32_t>& rows,
                        const Eigen::MatrixXd& w) {
  double sse = 0;
  for (int32_t r : rows) {
    Eigen::RowVectorXd p = Eigen::RowVectorXd::Zero(targets.cols());
    for (int32_t a : features[r]) p += w.row(a);
    sse += (p - targets.row(r).cast<double>()).squaredNorm();
  }
  return rows.empty() ? 0.0
                      : sse / (static_cast<double>(rows.size()) *
                               static_cast<double>(targets.cols()));
}

}  // namespace

absl::Status ValidateAttributeEmbeddingOptions(
    const AttributeEmbeddingOptions& o) {
  if (o.fit_min_users < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("fit_min_users: must be >= 1, got ", o.fit_min_users));
  }
  if (o.min_value_items < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("min_value_items: must be >= 1, got ", o.min_value_items));
  }
  if (o.max_values_per_kind < 1 || o.max_values_per_kind > 5000) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_values_per_kind: must be in 1..5000, got ",
                     o.max_values_per_kind));
  }
  if (o.price_bands < 0 || o.price_bands > 20) {
    return absl::InvalidArgumentError(
        absl::StrCat("price_bands: must be in 0..20, got ", o.price_bands));
  }
  if (o.regularizations.empty()) {
    return absl::InvalidArgumentError("regularizations: must not be empty");
  }
  for (double r : o.regularizations) {
    if (!(r > 0) || !std::isfinite(r)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "regularizations: each must be positive and finite, got ", r));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<AttributeEmbedding> AttributeEmbedding::Fit(
    const std::vector<const Item*>& catalog, const RowMatrix& item_factors,
    const std::vector<bool>& fit, const AttributeEmbeddingOptions& o) {
  TAILOR_RETURN_IF_ERROR(ValidateAttributeEmbeddingOptions(o));
  const int64_t n = item_factors.rows();
  if (static_cast<int64_t>(catalog.size()) != n ||
      static_cast<int64_t>(fit.size()) != n) {
    return absl::InvalidArgumentError(
        absl::StrCat("catalog/fit: must have one entry per item factor row (",
                     n, "), got ", catalog.size(), " and ", fit.size()));
  }
  std::vector<int32_t> rows;
  for (int64_t i = 0; i < n; ++i) {
    if (fit[i] && catalog[i] != nullptr)
      rows.push_back(static_cast<int32_t>(i));
  }
  if (rows.size() < 10) {
    return absl::FailedPreconditionError(absl::StrCat(
        "attribute embedding: needs at least 10 items with interactions and "
        "catalog attributes to fit on, got ",
        rows.size()));
  }

  AttributeEmbedding e;
  AttributeMapParts parts;
  std::vector<const std::string*> categories, brands, colors;
  std::vector<double> log_prices;
  for (int32_t r : rows) {
    categories.push_back(&catalog[r]->category);
    brands.push_back(&catalog[r]->brand);
    colors.push_back(&catalog[r]->color);
    const double p = catalog[r]->price;
    if (p > 0 && std::isfinite(p)) log_prices.push_back(std::log(p));
  }
  int32_t next = 1;  // 0 is the intercept
  parts.category =
      Vocabulary(categories, o.min_value_items, o.max_values_per_kind, next);
  next += static_cast<int32_t>(parts.category.size());
  parts.brand =
      Vocabulary(brands, o.min_value_items, o.max_values_per_kind, next);
  next += static_cast<int32_t>(parts.brand.size());
  parts.color =
      Vocabulary(colors, o.min_value_items, o.max_values_per_kind, next);
  next += static_cast<int32_t>(parts.color.size());
  if (o.price_bands > 1 &&
      static_cast<int>(log_prices.size()) >= o.price_bands) {
    std::sort(log_prices.begin(), log_prices.end());
    for (int b = 1; b < o.price_bands; ++b) {
      const double edge = log_prices[log_prices.size() * b / o.price_bands];
      if (parts.band_edges.empty() || edge > parts.band_edges.back()) {
        parts.band_edges.push_back(edge);
      }
    }
    parts.num_bands = static_cast<int32_t>(parts.band_edges.size()) + 1;
  }
  parts.band_offset = next;
  next += parts.num_bands;
  parts.cross_offset = next;
  next += static_cast<int32_t>(parts.category.size()) * parts.num_bands;
  const int num_features = next;

  std::vector<std::vector<int32_t>> features(n);
  for (int32_t r : rows) features[r] = AttributeFeatures(parts, *catalog[r]);

  // Choose the penalty on a seeded 10% of the fitted items.
  std::vector<int32_t> shuffled = rows;
  std::mt19937_64 rng(o.seed);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  const size_t held = std::max<size_t>(1, shuffled.size() / 10);
  const std::vector<int32_t> holdout(shuffled.begin(), shuffled.begin() + held);
  const std::vector<int32_t> train(shuffled.begin() + held, shuffled.end());
  double best_mse = std::numeric_limits<double>::infinity();
  for (double lambda : o.regularizations) {
    const double mse = MeanSquaredError(
        features, item_factors, holdout,
        Ridge(features, item_factors, train, num_features, lambda));
    if (mse < best_mse) {
      best_mse = mse;
      e.regularization_ = lambda;
    }
  }
  e.holdout_mse_ = best_mse;
  {
    Eigen::RowVectorXd mean = Eigen::RowVectorXd::Zero(item_factors.cols());
    for (int32_t r : train) mean += item_factors.row(r).cast<double>();
    mean /= static_cast<double>(train.size());
    double sse = 0;
    for (int32_t r : holdout) {
      sse += (item_factors.row(r).cast<double>() - mean).squaredNorm();
    }
    e.holdout_mse_of_mean_ =
        sse / (static_cast<double>(holdout.size()) * item_factors.cols());
  }
  parts.weights =
      Ridge(features, item_factors, rows, num_features, e.regularization_)
          .cast<float>();
  if (!parts.weights.allFinite()) {
    return absl::InternalError("attribute embedding: non-finite weights");
  }
  TAILOR_ASSIGN_OR_RETURN(e.map_, AttributeMap::FromParts(std::move(parts)));
  return e;
}

absl::StatusOr<ColdStartReport> EmbedColdItems(
    const InteractionMatrix& m, const std::vector<Item>& catalog,
    int cold_below_users, const AttributeEmbeddingOptions& options,
    RowMatrix* item_factors) {
  if (cold_below_users < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cold_below_users: must be >= 0, got ", cold_below_users));
  }
  if (item_factors->rows() != m.num_items()) {
    return absl::InvalidArgumentError(
        absl::StrCat("item_factors: ", item_factors->rows(), " rows for ",
                     m.num_items(), " items"));
  }
  ColdStartReport report;
  std::vector<int64_t> users(m.num_items(), 0);  // positive interactions
  for (int64_t k = 0; k < m.nnz(); ++k) {
    if (m.weight[k] > 0) ++users[m.item[k]];
  }
  std::vector<const Item*> attributes(m.num_items(), nullptr);
  for (const Item& item : catalog) {
    if (std::optional<int32_t> i = m.items.Find(item.item_id)) {
      attributes[*i] = &item;
    }
  }
  std::vector<int32_t> cold;
  std::vector<bool> fit(m.num_items(), false);
  for (int32_t i = 0; i < m.num_items(); ++i) {
    if (users[i] < cold_below_users) {
      if (attributes[i] != nullptr) {
        cold.push_back(i);
      } else {
        ++report.cold_without_attributes;
        // No signal at all: what ALS left there is solver noise, which
        // would give the item random cosine neighbours.
        if (users[i] == 0) item_factors->row(i).setZero();
      }
    }
    fit[i] = users[i] >= options.fit_min_users && attributes[i] != nullptr;
    if (fit[i]) ++report.fitted_items;
  }
  absl::StatusOr<AttributeEmbedding> fitted =
      AttributeEmbedding::Fit(attributes, *item_factors, fit, options);
  // Without cold items the map is still fitted, for products added to the
  // catalog after training; too little catalog to fit on is then no error.
  if (cold.empty() && absl::IsFailedPrecondition(fitted.status())) {
    return report;
  }
  TAILOR_RETURN_IF_ERROR(fitted.status());
  const AttributeEmbedding& embedding = *fitted;
  report.num_features = embedding.num_features();
  report.regularization = embedding.regularization();
  report.holdout_mse = embedding.holdout_mse();
  report.holdout_mse_of_mean = embedding.holdout_mse_of_mean();
  for (int32_t i : cold) {
    item_factors->row(i) = embedding.Embed(*attributes[i]).transpose();
    ++report.embedded_items;
  }
  report.map = std::make_shared<const AttributeMap>(fitted->map());
  return report;
}

}  // namespace tailor

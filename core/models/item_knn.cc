#include "core/models/item_knn.h"

#include <algorithm>
#include <cmath>

#include "Eigen/Cholesky"
#include "absl/strings/str_cat.h"
#include "core/base/parallel.h"
#include "core/retrieval/collectors.h"
#include "core/retrieval/retriever.h"

namespace tailor {

absl::Status ValidateItemKnnOptions(const ItemKnnOptions& o) {
  if (o.neighbors < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("neighbors: must be >= 1, got ", o.neighbors));
  }
  if (!(o.shrinkage >= 0) || !std::isfinite(o.shrinkage)) {
    return absl::InvalidArgumentError(
        absl::StrCat("shrinkage: must be >= 0, got ", o.shrinkage));
  }
  if (o.threads < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("threads: must be >= 0, got ", o.threads));
  }
  return absl::OkStatus();
}

absl::StatusOr<ItemNeighbors> TrainItemKnn(const InteractionMatrix& m,
                                           const ItemKnnOptions& o) {
  if (absl::Status s = ValidateItemKnnOptions(o); !s.ok()) return s;
  const int32_t n = m.num_items();
  const CsrView by_item = TransposeToItemMajor(m);
  std::vector<float> norm(n);
  for (int32_t i = 0; i < n; ++i) {
    norm[i] = std::sqrt(
        static_cast<float>(by_item.row_ptr[i + 1] - by_item.row_ptr[i]));
  }
  std::vector<std::vector<ScoredItem>> rows(n);
  ParallelFor(n, o.threads, 16, [&](int64_t begin, int64_t end) {
    std::vector<float> co(n, 0.0f);
    std::vector<int32_t> touched;
    for (int64_t i = begin; i < end; ++i) {
      touched.clear();
      for (int64_t p = by_item.row_ptr[i]; p < by_item.row_ptr[i + 1]; ++p) {
        const int32_t u = by_item.col[p];
        for (int64_t q = m.row_ptr[u]; q < m.row_ptr[u + 1]; ++q) {
          const int32_t j = m.item[q];
          if (co[j] == 0.0f) touched.push_back(j);
          co[j] += 1.0f;
        }
      }
      TopNCollector top(o.neighbors);
      for (int32_t j : touched) {
        const float c = co[j];
        co[j] = 0.0f;
        if (j == i) continue;
        const float sim = c / (norm[i] * norm[j] + o.shrinkage);
        if (sim > 0 && sim >= top.threshold()) top.Push({j, sim});
      }
      top.Finish(&rows[i]);
    }
  });
  ItemNeighbors out;
  out.row_ptr.assign(n + 1, 0);
  for (int32_t i = 0; i < n; ++i) {
    out.row_ptr[i + 1] = out.row_ptr[i] + static_cast<int64_t>(rows[i].size());
  }
  out.neighbor.reserve(out.row_ptr[n]);
  out.weight.reserve(out.row_ptr[n]);
  for (const auto& row : rows) {
    for (const ScoredItem& s : row) {
      out.neighbor.push_back(s.item);
      out.weight.push_back(s.score);
    }
  }
  return out;
}

absl::Status ValidateEaseOptions(const EaseOptions& o) {
  if (!(o.regularization > 0) || !std::isfinite(o.regularization)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "regularization: must be a positive number, got ", o.regularization));
  }
  return absl::OkStatus();
}

absl::StatusOr<RowMatrix> TrainEase(const InteractionMatrix& m,
                                    const EaseOptions& o) {
  if (absl::Status s = ValidateEaseOptions(o); !s.ok()) return s;
  const int32_t n = m.num_items();
  if (n > o.max_items) {
    return absl::InvalidArgumentError(
        absl::StrCat("EASE: ", n, " items exceed max_items ", o.max_items,
                     " (the dense Gram matrix would need ",
                     8.0 * n * n / (1 << 30), " GiB)"));
  }
  // Gram matrix X^T X of the binary matrix, accumulated per user.
  Eigen::MatrixXd g = Eigen::MatrixXd::Zero(n, n);
  for (int32_t u = 0; u < m.num_users(); ++u) {
    for (int64_t p = m.row_ptr[u]; p < m.row_ptr[u + 1]; ++p) {
      for (int64_t q = m.row_ptr[u]; q <= p; ++q) {
        g(m.item[p], m.item[q]) += 1.0;
      }
    }
  }
  g = g.selfadjointView<Eigen::Lower>();
  g.diagonal().array() += o.regularization;
  const Eigen::MatrixXd p = g.llt().solve(Eigen::MatrixXd::Identity(n, n));
  RowMatrix b(n, n);
  for (int32_t j = 0; j < n; ++j) {
    const double d = p(j, j);
    for (int32_t i = 0; i < n; ++i) {
      b(i, j) = i == j ? 0.0f : static_cast<float>(-p(i, j) / d);
    }
  }
  if (!b.allFinite()) {
    return absl::InternalError("EASE: non-finite weights");
  }
  return b;
}

}  // namespace tailor

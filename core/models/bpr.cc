#include "core/models/bpr.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"
#include "core/base/parallel.h"
#include "core/base/status_macros.h"
#include "core/models/option_checks.h"

namespace tailor {

absl::Status ValidateBprOptions(const BprOptions& o) {
  TAILOR_RETURN_IF_ERROR(CheckInRange("factors", o.factors, 1, 1024));
  TAILOR_RETURN_IF_ERROR(CheckAtLeast("epochs", o.epochs, 1));
  TAILOR_RETURN_IF_ERROR(CheckPositive("learning_rate", o.learning_rate));
  TAILOR_RETURN_IF_ERROR(CheckNonNegative("regularization", o.regularization));
  TAILOR_RETURN_IF_ERROR(
      CheckNonNegative("bias_regularization", o.bias_regularization));
  TAILOR_RETURN_IF_ERROR(CheckNonNegative("init_stddev", o.init_stddev));
  return CheckAtLeast("threads", o.threads, 0);
}

absl::StatusOr<BprFactors> TrainBpr(const InteractionMatrix& m,
                                    const BprOptions& o) {
  if (absl::Status s = ValidateBprOptions(o); !s.ok()) return s;
  const int32_t num_items = m.num_items();
  // The positive pairs, as (user, item).
  std::vector<int32_t> pos_user, pos_item;
  for (int32_t u = 0; u < m.num_users(); ++u) {
    for (int64_t p = m.row_ptr[u]; p < m.row_ptr[u + 1]; ++p) {
      if (m.weight[p] > 0) {
        pos_user.push_back(u);
        pos_item.push_back(m.item[p]);
      }
    }
  }
  if (pos_user.empty()) {
    return absl::InvalidArgumentError(
        "interactions: no positive pairs to train BPR on");
  }
  const int f = o.factors;
  BprFactors out;
  out.user_factors.resize(m.num_users(), f + 1);
  out.item_factors.resize(num_items, f + 1);
  {
    std::mt19937_64 rng(o.seed);
    std::normal_distribution<float> normal(0.0f, o.init_stddev);
    for (Eigen::Index k = 0; k < out.user_factors.size(); ++k) {
      out.user_factors.data()[k] = normal(rng);
    }
    for (Eigen::Index k = 0; k < out.item_factors.size(); ++k) {
      out.item_factors.data()[k] = normal(rng);
    }
    out.user_factors.col(f).setOnes();
    out.item_factors.col(f).setZero();
  }
  const int64_t samples = static_cast<int64_t>(pos_user.size());
  const int threads = ResolveThreadCount(o.threads);
  const float lr = o.learning_rate, reg = o.regularization,
              reg_b = o.bias_regularization;
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    ParallelFor(threads, threads, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        std::mt19937_64 rng(o.seed ^ (uint64_t(epoch + 1) << 32) ^
                            uint64_t(t + 1) * 0x9E3779B97F4A7C15ull);
        std::uniform_int_distribution<int64_t> pick_pair(0, samples - 1);
        std::uniform_int_distribution<int32_t> pick_item(0, num_items - 1);
        Eigen::RowVectorXf pu_old(f);
        const int64_t count = samples / threads + (t < samples % threads);
        for (int64_t s = 0; s < count; ++s) {
          const int64_t pair = pick_pair(rng);
          const int32_t u = pos_user[pair], i = pos_item[pair];
          const auto row_begin = m.item.begin() + m.row_ptr[u];
          const auto row_end = m.item.begin() + m.row_ptr[u + 1];
          if (row_end - row_begin >= num_items) continue;  // no negatives
          int32_t j;
          do {
            j = pick_item(rng);
          } while (std::binary_search(row_begin, row_end, j));
          auto pu = out.user_factors.row(u).head(f);
          auto qi = out.item_factors.row(i);
          auto qj = out.item_factors.row(j);
          const float x = qi(f) - qj(f) + pu.dot(qi.head(f) - qj.head(f));
          const float z = 1.0f / (1.0f + std::exp(x));  // sigmoid(-x)
          pu_old = pu;
          pu += lr * (z * (qi.head(f) - qj.head(f)) - reg * pu);
          qi.head(f) += lr * (z * pu_old - reg * qi.head(f));
          qj.head(f) += lr * (-z * pu_old - reg * qj.head(f));
          qi(f) += lr * (z - reg_b * qi(f));
          qj(f) += lr * (-z - reg_b * qj(f));
        }
      }
    });
  }
  if (!out.user_factors.allFinite() || !out.item_factors.allFinite()) {
    return absl::InternalError(
        "BPR diverged (non-finite factors); lower the learning rate");
  }
  return out;
}

}  // namespace tailor

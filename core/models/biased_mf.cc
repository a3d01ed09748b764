#include "core/models/biased_mf.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/models/option_checks.h"

namespace tailor {

absl::Status ValidateBiasedMfOptions(const BiasedMfOptions& o) {
  TAILOR_RETURN_IF_ERROR(CheckInRange("factors", o.factors, 1, 1024));
  TAILOR_RETURN_IF_ERROR(CheckAtLeast("epochs", o.epochs, 1));
  TAILOR_RETURN_IF_ERROR(CheckPositive("learning_rate", o.learning_rate));
  if (!(o.learning_rate_decay > 0 && o.learning_rate_decay <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "learning_rate_decay: must be in (0, 1], got ", o.learning_rate_decay));
  }
  TAILOR_RETURN_IF_ERROR(CheckNonNegative("regularization", o.regularization));
  // Negative penalties mean "as regularization"; NaN is never meant.
  for (const auto& [name, value] :
       {std::pair<const char*, float>{"bias_regularization",
                                      o.bias_regularization},
        {"implicit_regularization", o.implicit_regularization}}) {
    if (std::isnan(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": must be a number, got nan"));
    }
  }
  return CheckNonNegative("init_stddev", o.init_stddev);
}

absl::StatusOr<BiasedMf> BiasedMf::Train(const std::vector<Rating>& ratings,
                                         int32_t num_users, int32_t num_items,
                                         const BiasedMfOptions& o) {
  if (absl::Status s = ValidateBiasedMfOptions(o); !s.ok()) return s;
  TAILOR_ASSIGN_OR_RETURN(const RatingRange range,
                          CheckRatings(ratings, num_users, num_items));
  BiasedMf m;
  m.min_rating_ = range.min;
  m.max_rating_ = range.max;
  m.global_mean_ = static_cast<float>(range.sum / ratings.size());
  m.user_bias_.assign(num_users, 0.0f);
  m.item_bias_.assign(num_items, 0.0f);
  std::mt19937_64 rng(o.seed);
  std::normal_distribution<float> normal(0.0f, o.init_stddev);
  m.user_factors_.resize(num_users, o.factors);
  m.item_factors_.resize(num_items, o.factors);
  for (Eigen::Index k = 0; k < m.user_factors_.size(); ++k) {
    m.user_factors_.data()[k] = normal(rng);
  }
  for (Eigen::Index k = 0; k < m.item_factors_.size(); ++k) {
    m.item_factors_.data()[k] = normal(rng);
  }

  float lr = o.learning_rate;
  const float reg = o.regularization;
  const float reg_bias =
      o.bias_regularization >= 0 ? o.bias_regularization : reg;
  if (!o.implicit_feedback) {
    std::vector<uint32_t> order(ratings.size());
    std::iota(order.begin(), order.end(), 0);
    Vector pu_old(o.factors);
    for (int epoch = 0; epoch < o.epochs; ++epoch) {
      std::shuffle(order.begin(), order.end(), rng);
      for (uint32_t idx : order) {
        const Rating& r = ratings[idx];
        auto pu = m.user_factors_.row(r.user);
        auto qi = m.item_factors_.row(r.item);
        float& bu = m.user_bias_[r.user];
        float& bi = m.item_bias_[r.item];
        const float err = r.value - (m.global_mean_ + bu + bi + pu.dot(qi));
        bu += lr * (err - reg_bias * bu);
        bi += lr * (err - reg_bias * bi);
        pu_old = pu.transpose();
        pu += lr * (err * qi - reg * pu);
        qi += lr * (err * pu_old.transpose() - reg * qi);
      }
      lr *= o.learning_rate_decay;
    }
  } else {
    TrainImplicitTerm(ratings, num_users, num_items, o, reg_bias, rng, &m);
  }
  if (!m.user_factors_.allFinite() || !m.item_factors_.allFinite()) {
    return absl::InternalError(
        "biased MF diverged (non-finite factors); lower the learning rate");
  }
  return m;
}

void BiasedMf::TrainImplicitTerm(const std::vector<Rating>& ratings,
                                 int32_t num_users, int32_t num_items,
                                 const BiasedMfOptions& o, float reg_bias,
                                 std::mt19937_64& rng, BiasedMf* m) {
  const int f = o.factors;
  const float reg = o.regularization;
  const float reg_y =
      o.implicit_regularization >= 0 ? o.implicit_regularization : reg;
  // Ratings grouped by user (CSR), in input order within a user.
  std::vector<int64_t> ptr(num_users + 1, 0);
  for (const Rating& r : ratings) ++ptr[r.user + 1];
  for (int32_t u = 0; u < num_users; ++u) ptr[u + 1] += ptr[u];
  std::vector<uint32_t> by_user(ratings.size());
  {
    std::vector<int64_t> next(ptr.begin(), ptr.end() - 1);
    for (uint32_t k = 0; k < ratings.size(); ++k) {
      by_user[next[ratings[k].user]++] = k;
    }
  }
  std::normal_distribution<float> normal(0.0f, o.init_stddev);
  RowMatrix y(num_items, f);
  for (Eigen::Index k = 0; k < y.size(); ++k) y.data()[k] = normal(rng);

  std::vector<int32_t> users(num_users);
  std::iota(users.begin(), users.end(), 0);
  Vector z(f), acc(f), pz(f), q_old(f);
  float lr = o.learning_rate;
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    std::shuffle(users.begin(), users.end(), rng);
    const float shrink_y = 1.0f - lr * reg_y;
    for (int32_t u : users) {
      const int64_t begin = ptr[u], end = ptr[u + 1];
      if (begin == end) continue;
      std::shuffle(by_user.begin() + begin, by_user.begin() + end, rng);
      const float norm = 1.0f / std::sqrt(static_cast<float>(end - begin));
      z.setZero();
      for (int64_t k = begin; k < end; ++k) {
        z += y.row(ratings[by_user[k]].item).transpose();
      }
      z *= norm;
      // Every y_j of N(u) receives the same update per rating:
      //   y_j <- (1 - lr reg_y) y_j + lr err norm q_i,
      // so after the user's ratings y_j = decay * y_j + acc, and their
      // normalised sum z moves by lr (err q_i - reg_y z) (norm^2 |N(u)| = 1).
      acc.setZero();
      float decay = 1.0f;
      auto pu = m->user_factors_.row(u);
      float& bu = m->user_bias_[u];
      for (int64_t k = begin; k < end; ++k) {
        const Rating& r = ratings[by_user[k]];
        auto qi = m->item_factors_.row(r.item);
        float& bi = m->item_bias_[r.item];
        pz = pu.transpose() + z;
        const float err = r.value - (m->global_mean_ + bu + bi + qi.dot(pz));
        bu += lr * (err - reg_bias * bu);
        bi += lr * (err - reg_bias * bi);
        q_old = qi.transpose();
        pu += lr * (err * q_old.transpose() - reg * pu);
        qi += lr * (err * pz.transpose() - reg * qi);
        acc = shrink_y * acc + (lr * err * norm) * q_old;
        z += lr * (err * q_old - reg_y * z);
        decay *= shrink_y;
      }
      for (int64_t k = begin; k < end; ++k) {
        auto yj = y.row(ratings[by_user[k]].item);
        yj = decay * yj + acc.transpose();
      }
    }
    lr *= o.learning_rate_decay;
  }
  // Fold the implicit term into the user vectors used for prediction.
  for (int32_t u = 0; u < num_users; ++u) {
    const int64_t begin = ptr[u], end = ptr[u + 1];
    if (begin == end) continue;
    z.setZero();
    for (int64_t k = begin; k < end; ++k) {
      z += y.row(ratings[by_user[k]].item).transpose();
    }
    m->user_factors_.row(u) +=
        z.transpose() / std::sqrt(static_cast<float>(end - begin));
  }
}

float BiasedMf::Predict(int32_t user, int32_t item) const {
  const bool known_user =
      user >= 0 && user < static_cast<int32_t>(user_bias_.size());
  const bool known_item =
      item >= 0 && item < static_cast<int32_t>(item_bias_.size());
  float r = global_mean_;
  if (known_user) r += user_bias_[user];
  if (known_item) r += item_bias_[item];
  if (known_user && known_item) {
    r += user_factors_.row(user).dot(item_factors_.row(item));
  }
  return std::clamp(r, min_rating_, max_rating_);
}

}  // namespace tailor

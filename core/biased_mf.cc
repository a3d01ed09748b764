#include "core/biased_mf.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "absl/strings/str_cat.h"

namespace tailor {

absl::Status ValidateBiasedMfOptions(const BiasedMfOptions& o) {
  if (o.factors < 1 || o.factors > 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("factors: must be in 1..1024, got ", o.factors));
  }
  if (o.epochs < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("epochs: must be >= 1, got ", o.epochs));
  }
  if (!(o.learning_rate > 0) || !std::isfinite(o.learning_rate)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "learning_rate: must be a positive number, got ", o.learning_rate));
  }
  if (!(o.regularization >= 0) || !std::isfinite(o.regularization)) {
    return absl::InvalidArgumentError(
        absl::StrCat("regularization: must be >= 0, got ", o.regularization));
  }
  return absl::OkStatus();
}

absl::StatusOr<BiasedMf> BiasedMf::Train(const std::vector<Rating>& ratings,
                                         int32_t num_users, int32_t num_items,
                                         const BiasedMfOptions& o) {
  if (absl::Status s = ValidateBiasedMfOptions(o); !s.ok()) return s;
  if (ratings.empty()) {
    return absl::InvalidArgumentError("ratings: none to train on");
  }
  BiasedMf m;
  double sum = 0;
  m.min_rating_ = m.max_rating_ = ratings[0].value;
  for (const Rating& r : ratings) {
    if (r.user < 0 || r.user >= num_users || r.item < 0 ||
        r.item >= num_items) {
      return absl::InvalidArgumentError(
          absl::StrCat("ratings: index out of range (user ", r.user, ", item ",
                       r.item, ")"));
    }
    sum += r.value;
    m.min_rating_ = std::min(m.min_rating_, r.value);
    m.max_rating_ = std::max(m.max_rating_, r.value);
  }
  m.global_mean_ = static_cast<float>(sum / ratings.size());
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

  std::vector<uint32_t> order(ratings.size());
  std::iota(order.begin(), order.end(), 0);
  const float lr = o.learning_rate, reg = o.regularization;
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
      bu += lr * (err - reg * bu);
      bi += lr * (err - reg * bi);
      pu_old = pu.transpose();
      pu += lr * (err * qi - reg * pu);
      qi += lr * (err * pu_old.transpose() - reg * qi);
    }
  }
  if (!m.user_factors_.allFinite() || !m.item_factors_.allFinite()) {
    return absl::InternalError(
        "biased MF diverged (non-finite factors); lower the learning rate");
  }
  return m;
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

#include "core/models/bayesian_mf.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "Eigen/Cholesky"
#include "absl/strings/str_cat.h"
#include "core/base/parallel.h"
#include "core/base/status_macros.h"
#include "core/models/option_checks.h"

namespace tailor {
namespace {

using MatrixXd = Eigen::MatrixXd;
using VectorXd = Eigen::VectorXd;

// A small, cheaply seeded random stream (SplitMix64) with Gaussian draws, so
// every row of every sweep can have its own stream.
class Stream {
 public:
  explicit Stream(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in (0, 1].
  double Uniform() { return ((Next() >> 11) + 1) * 0x1.0p-53; }
  double Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double r = std::sqrt(-2.0 * std::log(Uniform()));
    const double t = 2.0 * M_PI * Uniform();
    spare_ = r * std::sin(t);
    has_spare_ = true;
    return r * std::cos(t);
  }

 private:
  uint64_t state_;
  double spare_ = 0;
  bool has_spare_ = false;
};

uint64_t StreamSeed(uint64_t seed, int sweep, int side, int64_t row) {
  Stream s(seed ^ (static_cast<uint64_t>(sweep) << 40) ^
           (static_cast<uint64_t>(side) << 38) ^ static_cast<uint64_t>(row));
  s.Next();
  return s.Next();
}

// Ratings grouped by one side: row r's (other index, rating) pairs.
struct Csr {
  std::vector<int64_t> ptr;
  std::vector<int32_t> other;
  std::vector<float> value;
};

Csr Group(const std::vector<Rating>& ratings, int32_t rows, bool by_user) {
  Csr c;
  c.ptr.assign(rows + 1, 0);
  for (const Rating& r : ratings) ++c.ptr[(by_user ? r.user : r.item) + 1];
  for (int32_t k = 0; k < rows; ++k) c.ptr[k + 1] += c.ptr[k];
  c.other.resize(ratings.size());
  c.value.resize(ratings.size());
  std::vector<int64_t> next(c.ptr.begin(), c.ptr.end() - 1);
  for (const Rating& r : ratings) {
    const int64_t p = next[by_user ? r.user : r.item]++;
    c.other[p] = by_user ? r.item : r.user;
    c.value[p] = r.value;
  }
  return c;
}

struct Hyper {
  VectorXd mean;
  MatrixXd precision;
};

// A draw from Wishart(scale, dof) by the Bartlett decomposition.
MatrixXd SampleWishart(const MatrixXd& scale, double dof, Stream& rng) {
  const int d = static_cast<int>(scale.rows());
  MatrixXd a = MatrixXd::Zero(d, d);
  for (int i = 0; i < d; ++i) {
    std::gamma_distribution<double> chi2((dof - i) / 2.0, 2.0);
    std::mt19937_64 gen(rng.Next());
    a(i, i) = std::sqrt(chi2(gen));
    for (int j = 0; j < i; ++j) a(i, j) = rng.Normal();
  }
  const MatrixXd la = scale.llt().matrixL() * a;
  return la * la.transpose();
}

// Samples the Normal-Wishart posterior of the rows of `x` (prior: mean 0,
// beta0 = 2, identity scale, dof = dimensions).
template <typename Rows>
Hyper SampleHyper(const Rows& rows, Stream& rng) {
  const MatrixXd x = rows.template cast<double>();
  const int d = static_cast<int>(x.cols());
  const double n = static_cast<double>(x.rows());
  const double beta0 = 2.0;
  const VectorXd mean = x.colwise().mean().transpose();
  const MatrixXd centered = x.rowwise() - mean.transpose();
  const MatrixXd scatter = centered.transpose() * centered;
  const MatrixXd scale_inv =
      MatrixXd::Identity(d, d) + scatter +
      (beta0 * n / (beta0 + n)) * mean * mean.transpose();
  const MatrixXd scale = scale_inv.llt().solve(MatrixXd::Identity(d, d));
  Hyper h;
  h.precision = SampleWishart(0.5 * (scale + scale.transpose()), d + n, rng);
  const VectorXd mean_post = (n / (beta0 + n)) * mean;
  const Eigen::LLT<MatrixXd> llt((beta0 + n) * h.precision);
  VectorXd z(d);
  for (int k = 0; k < d; ++k) z(k) = rng.Normal();
  h.mean = mean_post + llt.matrixU().solve(z);
  return h;
}

using RowMajorF =
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// What sampling one side needs besides the rows it writes.
struct SideInput {
  const RowMajorF& other;  // the other side's rows: (factors..., bias)
  const Csr& csr;
  const Hyper& hyper;
  double alpha;  // noise precision
  double mu;     // global mean
  uint64_t seed;
  int sweep;
  int side;
  int threads;
};

// Draws every row of `x` (num rows x d, d = factors + 1) from its Gaussian
// conditional. P >= d is a compile-time size for the common factor counts,
// rounded up to whole SIMD packets: the extra coordinates are zero in every
// design row and have an identity prior, so they decouple from the real
// ones and are dropped. Fixed sizes unroll the per-rating rank-one updates
// and the small Cholesky factorisations instead of going through Eigen's
// blocked GEMM; Eigen::Dynamic (P = d) handles every other size.
template <int P>
void SampleRows(const SideInput& in, RowMajorF& x) {
  using Vec = Eigen::Matrix<float, P, 1>;
  using Mat = Eigen::Matrix<float, P, P>;
  const int d = static_cast<int>(x.cols());
  const int p = P == Eigen::Dynamic ? d : P;
  const int f = d - 1;
  Vec prior = Vec::Zero(p);
  prior.head(d) = (in.hyper.precision * in.hyper.mean).cast<float>();
  Mat prior_precision = Mat::Identity(p, p);
  prior_precision.topLeftCorner(d, d) = in.hyper.precision.cast<float>();
  const float a = static_cast<float>(in.alpha);
  const float mu = static_cast<float>(in.mu);
  // The other side's design rows, laid out once per half-sweep as whole
  // columns of p floats: (factors, 1 for our bias, zero padding). Building
  // them in the inner loop would store the 1 and reload the row as packets,
  // a store-forwarding stall per rating.
  Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic> design =
      Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>::Zero(
          p, in.other.rows());
  design.topRows(f) = in.other.leftCols(f).transpose();
  design.row(f).setOnes();
  const Eigen::VectorXf other_bias = in.other.col(f);
  ParallelFor(x.rows(), in.threads, 32, [&](int64_t begin, int64_t end) {
    Vec rhs(p), z = Vec::Zero(p);
    Mat gram(p, p);
    Eigen::LLT<Mat> llt(p);
    for (int64_t r = begin; r < end; ++r) {
      gram.setZero();
      rhs.setZero();
      for (int64_t k = in.csr.ptr[r]; k < in.csr.ptr[r + 1]; ++k) {
        const int32_t o_idx = in.csr.other[k];
        const auto v = design.col(o_idx);
        gram.noalias() += v * v.transpose();
        rhs += (in.csr.value[k] - mu - other_bias(o_idx)) * v;
      }
      rhs = prior + a * rhs;
      llt.compute(prior_precision + a * gram);
      // Plain substitutions: Eigen's general triangular solvers cost more
      // than the arithmetic at these sizes.
      const Mat& l = llt.matrixLLT();  // L in the lower triangle
      for (int i = 0; i < p; ++i) {    // L y = rhs
        float t = rhs(i);
        for (int j = 0; j < i; ++j) t -= l(i, j) * rhs(j);
        rhs(i) = t / l(i, i);
      }
      Stream rng(StreamSeed(in.seed, in.sweep, in.side, r));
      for (int j = 0; j < d; ++j) z(j) = static_cast<float>(rng.Normal());
      // L^T mean = y gives the posterior mean; L^T e = z gives
      // e ~ N(0, precision^-1). Both solved in one backward pass.
      for (int i = p - 1; i >= 0; --i) {
        float m = rhs(i), e = z(i);
        for (int j = i + 1; j < p; ++j) {
          m -= l(j, i) * rhs(j);
          e -= l(j, i) * z(j);
        }
        rhs(i) = m / l(i, i);
        z(i) = e / l(i, i);
      }
      x.row(r) = (rhs + z).head(d).transpose();
    }
  });
}

}  // namespace

absl::Status ValidateBayesianMfOptions(const BayesianMfOptions& o) {
  TAILOR_RETURN_IF_ERROR(CheckInRange("factors", o.factors, 1, 256));
  if (o.burn_in < 0 || o.sweeps <= o.burn_in) {
    return absl::InvalidArgumentError(
        absl::StrCat("sweeps: must exceed burn_in >= 0, got sweeps ", o.sweeps,
                     ", burn_in ", o.burn_in));
  }
  return CheckAtLeast("threads", o.threads, 0);
}

absl::StatusOr<BayesianMf> BayesianMf::Train(const std::vector<Rating>& ratings,
                                             int32_t num_users,
                                             int32_t num_items,
                                             const BayesianMfOptions& o) {
  if (absl::Status s = ValidateBayesianMfOptions(o); !s.ok()) return s;
  TAILOR_ASSIGN_OR_RETURN(const RatingRange range,
                          CheckRatings(ratings, num_users, num_items));
  BayesianMf m;
  m.min_rating_ = range.min;
  m.max_rating_ = range.max;
  const double mu = range.sum / ratings.size();
  m.global_mean_ = mu;
  const Csr by_user = Group(ratings, num_users, true);
  const Csr by_item = Group(ratings, num_items, false);
  const int f = o.factors;
  const int d = f + 1;  // factors, then the bias

  Stream init(StreamSeed(o.seed, -1, 0, 0));
  Matrix users(num_users, d), items(num_items, d);
  for (Eigen::Index k = 0; k < users.size(); ++k) {
    users.data()[k] = static_cast<float>(0.1 * init.Normal());
  }
  for (Eigen::Index k = 0; k < items.size(); ++k) {
    items.data()[k] = static_cast<float>(0.1 * init.Normal());
  }
  users.col(f).setZero();
  items.col(f).setZero();

  // Samples every row of `x` given the other side `other` (side 0 = users).
  auto sample_side = [&](Matrix& x, const Matrix& other, const Csr& csr,
                         const Hyper& hyper, double alpha, int sweep,
                         int side) {
    const SideInput in{other,  csr,   hyper, alpha,    mu,
                       o.seed, sweep, side,  o.threads};
    switch ((d + 3) / 4 * 4) {  // fixed sizes for the common factor counts
      case 8:
        SampleRows<8>(in, x);
        break;
      case 12:
        SampleRows<12>(in, x);
        break;
      case 16:
        SampleRows<16>(in, x);
        break;
      case 20:
        SampleRows<20>(in, x);
        break;
      case 24:
        SampleRows<24>(in, x);
        break;
      default:
        SampleRows<Eigen::Dynamic>(in, x);
    }
  };

  Stream hyper_rng(StreamSeed(o.seed, -2, 0, 0));
  double alpha = 2.0;
  for (int sweep = 0; sweep < o.sweeps; ++sweep) {
    // Noise precision: Gamma(1 + N/2, rate 1 + SSE/2).
    double sse = 0;
    for (const Rating& r : ratings) {
      const double e =
          r.value - mu - users(r.user, f) - items(r.item, f) -
          double{users.row(r.user).head(f).dot(items.row(r.item).head(f))};
      sse += e * e;
    }
    {
      std::gamma_distribution<double> gamma(1.0 + ratings.size() / 2.0,
                                            1.0 / (1.0 + sse / 2.0));
      std::mt19937_64 gen(hyper_rng.Next());
      alpha = gamma(gen);
    }
    const Hyper hu = SampleHyper(users, hyper_rng);
    sample_side(users, items, by_user, hu, alpha, sweep, 0);
    const Hyper hi = SampleHyper(items, hyper_rng);
    sample_side(items, users, by_item, hi, alpha, sweep, 1);
    if (sweep >= o.burn_in) {
      m.user_samples_.push_back(users);
      m.item_samples_.push_back(items);
    }
  }
  if (!users.allFinite() || !items.allFinite()) {
    return absl::InternalError("Bayesian MF produced non-finite samples");
  }
  m.noise_precision_ = alpha;
  return m;
}

float BayesianMf::Predict(int32_t user, int32_t item) const {
  const int s = samples();
  if (s == 0) return static_cast<float>(global_mean_);
  const int f = static_cast<int>(user_samples_[0].cols()) - 1;
  const bool known_user =
      user >= 0 && user < static_cast<int32_t>(user_samples_[0].rows());
  const bool known_item =
      item >= 0 && item < static_cast<int32_t>(item_samples_[0].rows());
  double total = 0;
  for (int k = 0; k < s; ++k) {
    double r = global_mean_;
    if (known_user) r += user_samples_[k](user, f);
    if (known_item) r += item_samples_[k](item, f);
    if (known_user && known_item) {
      r += user_samples_[k].row(user).head(f).dot(
          item_samples_[k].row(item).head(f));  // float dot, double sum
    }
    total += r;
  }
  return std::clamp(static_cast<float>(total / s), min_rating_, max_rating_);
}

}  // namespace tailor

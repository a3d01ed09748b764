#include "core/experiments/experiment.h"

#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/experiments/assignment.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;

// MurmurHash3_x86_32's published vectors, and bucket vectors that a
// storefront's own implementation must reproduce.
TEST(AssignmentTest, TestVectors) {
  EXPECT_EQ(Murmur3_32("", 0), 0u);
  EXPECT_EQ(Murmur3_32("", 1), 0x514e28b7u);
  EXPECT_EQ(Murmur3_32("hello", 0), 0x248bfa47u);
  EXPECT_EQ(Murmur3_32("Hello, world!", 1234), 0xfaf6cdb3u);
  EXPECT_EQ(Murmur3_32("The quick brown fox jumps over the lazy dog", 0),
            0x2e4ff723u);
  EXPECT_EQ(Bucket("spring-sale", "U000001"), 3026);
  EXPECT_EQ(Bucket("spring-sale", "U000002"), 9067);
  EXPECT_EQ(Bucket("spring-sale", "alice"), 9936);
  EXPECT_EQ(Bucket("winter", "alice"), 3259);
  EXPECT_EQ(Bucket("x", "顧客42"), 3069);  // UTF-8 bytes
}

// Chi-squared of `counts` against equal expected counts.
double ChiSquared(const std::vector<int>& counts, double expected) {
  double chi = 0;
  for (int c : counts) chi += (c - expected) * (c - expected) / expected;
  return chi;
}

TEST(AssignmentTest, BucketsAreUniformAndIndependentAcrossSalts) {
  constexpr int kUsers = 200000;
  // 100 groups of 100 buckets: chi-squared with 99 degrees of freedom; the
  // 0.999 quantile is 148.2.
  std::vector<int> groups(100, 0);
  // Joint 10 x 10 grid of two salts' buckets: 99 degrees of freedom too.
  std::vector<int> joint(100, 0);
  double sum_a = 0, sum_b = 0, sum_ab = 0, sum_aa = 0, sum_bb = 0;
  for (int u = 0; u < kUsers; ++u) {
    const std::string user = absl::StrCat("U", u);
    const int a = Bucket("spring-sale", user);
    const int b = Bucket("spring-sale-2", user);
    ASSERT_GE(a, 0);
    ASSERT_LT(a, kBuckets);
    ++groups[a / 100];
    ++joint[(a / 1000) * 10 + b / 1000];
    sum_a += a;
    sum_b += b;
    sum_ab += static_cast<double>(a) * b;
    sum_aa += static_cast<double>(a) * a;
    sum_bb += static_cast<double>(b) * b;
  }
  EXPECT_LT(ChiSquared(groups, kUsers / 100.0), 148.2);
  EXPECT_LT(ChiSquared(joint, kUsers / 100.0), 148.2);
  const double n = kUsers;
  const double correlation = (sum_ab / n - sum_a / n * sum_b / n) /
                             std::sqrt((sum_aa / n - std::pow(sum_a / n, 2)) *
                                       (sum_bb / n - std::pow(sum_b / n, 2)));
  // |r| < 4 / sqrt(n) (four standard errors of a zero correlation).
  EXPECT_LT(std::abs(correlation), 4 / std::sqrt(n)) << correlation;
}

const absl::flat_hash_set<std::string> kStrategies = {"als", "popularity",
                                                      "item-knn"};

Experiment AB(const std::string& name, int32_t a, int32_t b,
              const std::string& layer = "") {
  Experiment e;
  e.name = name;
  e.salt = name + "-salt";
  e.layer = layer;
  e.arms = {{.name = "control",
             .strategy = "popularity",
             .share = a,
             .control = true},
            {.name = "als", .strategy = "als", .share = b, .control = false}};
  return e;
}

TEST(ExperimentTest, ArmsGetTheirSharesAndAssignmentIsSticky) {
  auto e = PrepareExperiment(AB("homepage", 2000, 6000), {}, kStrategies,
                             1700000000);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->layer, "default");
  EXPECT_EQ(e->start_unix, 1700000000);
  EXPECT_EQ(e->layer_begin, 0);
  EXPECT_EQ(e->layer_end, 8000);
  EXPECT_EQ(e->control(), 0);
  constexpr int kUsers = 100000;
  std::vector<int> counts(3, 0);  // control, als, outside
  for (int u = 0; u < kUsers; ++u) {
    const std::string user = absl::StrCat("U", u);
    const std::optional<int> arm = AssignArm(*e, user, {}, 1700000001);
    ++counts[arm.has_value() ? *arm : 2];
    // Sticky: a function of the ids alone.
    ASSERT_EQ(arm, AssignArm(*e, user, {}, 1800000000));
  }
  // Expected 20%, 60%, 20%: within 4 standard errors (~0.5 points).
  EXPECT_NEAR(counts[0] / double(kUsers), 0.20, 0.006);
  EXPECT_NEAR(counts[1] / double(kUsers), 0.60, 0.006);
  EXPECT_NEAR(counts[2] / double(kUsers), 0.20, 0.006);
  // Not live before its start, after its end or once stopped.
  Experiment later = *e;
  later.start_unix = 1800000000;
  EXPECT_EQ(AssignArm(later, "U1", {}, 1700000001), std::nullopt);
  later = *e;
  later.end_unix = 1700000100;
  EXPECT_EQ(AssignArm(later, "U3", {}, 1700000100), std::nullopt);
  later = *e;
  later.state = ExperimentState::kStopped;
  EXPECT_EQ(AssignArm(later, "U3", {}, 1700000001), std::nullopt);
}

TEST(ExperimentTest, ExperimentsOfOneLayerNeverShareAShopper) {
  std::vector<Experiment> all;
  for (const char* name : {"one", "two", "three"}) {
    auto e = PrepareExperiment(AB(name, 1000, 2000), all, kStrategies, 100);
    ASSERT_TRUE(e.ok()) << e.status();
    all.push_back(*e);
  }
  EXPECT_EQ(all[1].layer_begin, 3000);
  EXPECT_EQ(all[2].layer_end, 9000);
  // Another layer overlaps freely.
  auto other = PrepareExperiment(AB("elsewhere", 5000, 5000, "emails"), all,
                                 kStrategies, 100);
  ASSERT_TRUE(other.ok()) << other.status();
  int in_two = 0, in_other = 0;
  for (int u = 0; u < 30000; ++u) {
    const std::string user = absl::StrCat("u", u);
    int in = 0;
    for (size_t k = 0; k < 3; ++k) {
      in += AssignArm(all[k], user, {}, 200).has_value() ? 1 : 0;
    }
    ASSERT_LE(in, 1) << user;
    in_two += in;
    if (in == 1 && AssignArm(*other, user, {}, 200).has_value()) ++in_other;
  }
  // The other layer takes everyone, wherever they are in this one.
  EXPECT_EQ(in_other, in_two);
  // The layer has 1,000 buckets left: a 2,000-bucket experiment does not
  // fit, until one stops and gives its range back.
  auto full = PrepareExperiment(AB("four", 1000, 1000), all, kStrategies, 100);
  EXPECT_EQ(full.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(full.status().message(),
              HasSubstr("layer 'default' has 1000 of 10000 buckets free"));
  all[1].state = ExperimentState::kStopped;
  auto fits = PrepareExperiment(AB("four", 1000, 1000), all, kStrategies, 100);
  ASSERT_TRUE(fits.ok()) << fits.status();
  EXPECT_EQ(fits->layer_begin, 3000);
  // Now 5000-6000 and 9000-10000 are free: 2,000 buckets, but a
  // 1,500-bucket experiment fits in neither range.
  all.push_back(*fits);
  auto fragmented =
      PrepareExperiment(AB("six", 1000, 500), all, kStrategies, 100);
  EXPECT_THAT(fragmented.status().message(),
              HasSubstr("has 2000 of 10000 buckets free but not in one range"));
}

TEST(ExperimentTest, EligibilityFiltersShoppers) {
  Experiment e = AB("winback", 5000, 5000);
  e.eligibility = Eligibility::kSegment;
  e.segment = "At Risk";
  auto prepared = PrepareExperiment(e, {}, kStrategies, 100);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  EXPECT_TRUE(AssignArm(*prepared, "u1", {false, "At Risk"}, 200).has_value());
  EXPECT_FALSE(AssignArm(*prepared, "u1", {false, "Champions"}, 200));
  Experiment fresh = AB("welcome", 5000, 5000);
  fresh.eligibility = Eligibility::kNewVisitors;
  prepared = PrepareExperiment(fresh, {}, kStrategies, 100);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  EXPECT_TRUE(AssignArm(*prepared, "u1", {true, ""}, 200).has_value());
  EXPECT_FALSE(AssignArm(*prepared, "u1", {false, ""}, 200));
}

TEST(ExperimentTest, BadDefinitionsAreRefusedNamingTheField) {
  auto message = [](Experiment e, std::vector<Experiment> existing = {}) {
    return std::string(
        PrepareExperiment(std::move(e), existing, kStrategies, 1000)
            .status()
            .message());
  };
  Experiment e = AB("x", 100, 100);
  e.arms.pop_back();
  EXPECT_THAT(message(e), HasSubstr("arms: an experiment needs at least two"));
  e = AB("x", 100, 100);
  e.arms[1].name = "control";
  EXPECT_THAT(message(e), HasSubstr("arms[1].name: 'control' is also"));
  e = AB("x", 100, 100);
  e.arms[1].strategy = "magic";
  EXPECT_THAT(message(e),
              HasSubstr("arms[1].strategy: 'magic' is not one of the served "
                        "strategies (als, item-knn, popularity)"));
  EXPECT_THAT(message(AB("x", 0, 100)), HasSubstr("arms[0].share: must be"));
  EXPECT_THAT(message(AB("x", 6000, 6000)),
              HasSubstr("arms: the shares sum to 12000"));
  e = AB("x", 100, 100);
  e.arms[1].control = true;
  EXPECT_THAT(message(e), HasSubstr("2 arms are marked control"));
  e = AB("x", 100, 100);
  e.start_unix = 5000;
  e.end_unix = 4000;
  EXPECT_THAT(message(e), HasSubstr("end_unix: 4000 is not after start_unix"));
  e = AB("x", 100, 100);
  e.eligibility = Eligibility::kSegment;
  EXPECT_THAT(message(e), HasSubstr("segment: required"));
  e = AB("x", 100, 100);
  e.salt = "";
  EXPECT_THAT(message(e), HasSubstr("salt"));
  const Experiment old =
      *PrepareExperiment(AB("old", 100, 100), {}, kStrategies, 1000);
  EXPECT_THAT(message(AB("old", 100, 100), {old}),
              HasSubstr("name: experiment 'old' exists already"));
  e = AB("new", 100, 100);
  e.salt = old.salt;
  Experiment archived = old;
  archived.state = ExperimentState::kArchived;
  EXPECT_THAT(message(e, {archived}),
              HasSubstr("salt: 'old-salt' was experiment 'old's; a salt is "
                        "never reused"));
}

TEST(ExperimentTest, BanditSettingsAreChecked) {
  Experiment e = AB("x", 100, 100);
  e.allocation = Allocation::kThompson;
  e.bandit.min_share = 6000;
  EXPECT_THAT(
      std::string(
          PrepareExperiment(e, {}, kStrategies, 1000).status().message()),
      HasSubstr("bandit.min_share: 6000 basis points for each of 2 "
                "arms"));
  e.bandit.min_share = 500;
  e.bandit.interval_seconds = 0;
  EXPECT_THAT(
      std::string(
          PrepareExperiment(e, {}, kStrategies, 1000).status().message()),
      HasSubstr("bandit.interval_seconds: must be >= 1"));
}

// A bandit draws each shopper's arm within the allocation period in force:
// by its weights, the same all period long, afresh in the next one; the
// probability logged is the arm's weight.
TEST(ExperimentTest, ABanditAssignsByThePeriodInForce) {
  Experiment x = AB("bandit", 1000, 3000);
  x.allocation = Allocation::kThompson;
  auto e = PrepareExperiment(x, {}, kStrategies, 1000);
  ASSERT_TRUE(e.ok()) << e.status();
  // The first period splits by the shares: 25% / 75% of the traffic.
  ASSERT_EQ(e->periods.size(), 1u);
  EXPECT_EQ(e->periods[0].start_unix, 1000);
  EXPECT_EQ(e->periods[0].weights, (std::vector<int32_t>{2500, 7500}));
  EXPECT_DOUBLE_EQ(ArmProbability(*e, 1, 1001), 0.75);
  e->periods.push_back({2000, {9000, 1000}});
  EXPECT_DOUBLE_EQ(ArmProbability(*e, 0, 1999), 0.25);
  EXPECT_DOUBLE_EQ(ArmProbability(*e, 0, 2000), 0.9);
  int in_first[2] = {0, 0};
  int in_second[2] = {0, 0};
  int moved = 0;
  int inside = 0;
  for (int u = 0; u < 20000; ++u) {
    const std::string user = absl::StrCat("U", u);
    const std::optional<int> a = AssignArm(*e, user, {}, 1500);
    const std::optional<int> b = AssignArm(*e, user, {}, 2500);
    ASSERT_EQ(a.has_value(), b.has_value());  // the layer range is fixed
    if (!a.has_value()) continue;
    ++inside;
    ASSERT_EQ(a, AssignArm(*e, user, {}, 1999));  // sticky in the period
    ++in_first[*a];
    ++in_second[*b];
    moved += *a != *b;
  }
  EXPECT_NEAR(inside / 20000.0, 0.4, 0.02);
  EXPECT_NEAR(in_first[0] / double(inside), 0.25, 0.02);
  EXPECT_NEAR(in_second[0] / double(inside), 0.9, 0.02);
  // Drawn afresh: about 0.25 * 0.1 + 0.75 * 0.9 of them change arm.
  EXPECT_NEAR(moved / double(inside), 0.7, 0.03);
}

}  // namespace
}  // namespace tailor

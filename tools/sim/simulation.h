// tailor-sim's scenarios: simulated shoppers (shopper_model.h) visit a
// running tailor-server, get RecommendFor answers from its experiments,
// and answer with clicks and purchases drawn from their planted tastes and
// a true effect the scenario sets; the server's own statistics
// (GetExperimentResults) are then checked against that truth.
#ifndef TAILOR_TOOLS_SIM_SIMULATION_H_
#define TAILOR_TOOLS_SIM_SIMULATION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tools/cli/client.h"
#include "tools/sim/shopper_model.h"

namespace tailor {

struct SimOptions {
  int threads = 4;     // client threads
  int list_size = 10;  // items asked per RecommendFor
  uint64_t seed = 1;
  std::string prefix = "sim";  // of shopper ids, experiment names and layers
};

// One visit: the shopper, the answer they got and how likely it was to
// lead to a purchase.
struct Visit {
  SimShopper shopper;
  std::string experiment;
  std::string arm;
  std::vector<std::string> items;
  double conversion_chance = 0;       // with the arm's planted effect
  double base_conversion_chance = 0;  // without it
};

// The true effect planted per experiment and arm (absent: 0).
using Effects =
    absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, double>>;

// Drives visits through a client.
// Thread safety: one scenario at a time; a round fans out over threads.
class Simulation {
 public:
  // Both must outlive the simulation.
  Simulation(const TailorClient* client, const ShopperModel* model,
             SimOptions options);

  // `shoppers` new shoppers: their history (before `history_before`) is
  // recorded, each asks RecommendFor once (naming `strategy` when set) and
  // answers; their events are recorded. The visits, in shopper order.
  absl::StatusOr<std::vector<Visit>> Round(int shoppers, const Effects& effects,
                                           int64_t history_before,
                                           const std::string& strategy = "");

  // The strategy the server serves when nothing else decides (its model's).
  absl::StatusOr<std::string> ModelStrategy();

  // The true conversion chance per exposure of each strategy (with its
  // effect): `shoppers` new shoppers (history recorded), each asking
  // RecommendFor once per strategy by name (no experiment, nothing
  // logged); the mean chance of their lists.
  absl::StatusOr<std::vector<double>> Calibrate(
      int shoppers, const std::vector<std::string>& strategies,
      const std::vector<double>& effects, int64_t history_before);

  const TailorClient& client() const { return *client_; }
  const SimOptions& options() const { return options_; }

 private:
  // Shoppers first + i for i = t, t + threads, ... below `shoppers` (one
  // thread's share of a round), drawn from `rng`, their history before
  // `history_before` recorded (so that their answers personalise from it).
  absl::StatusOr<std::vector<SimShopper>> Arrive(int64_t first, int t,
                                                 int threads, int shoppers,
                                                 int64_t history_before,
                                                 std::mt19937_64& rng);

  const TailorClient* client_;
  const ShopperModel* model_;
  SimOptions options_;
  int64_t next_shopper_ = 0;
};

// A/A: experiments whose two arms serve the same strategy with no effect,
// run `concurrent` at a time in one layer (so that each shopper is in one),
// read after every round ("day").
struct AAOptions {
  int experiments = 200;
  int concurrent = 20;
  int looks = 10;
  int shoppers_per_look = 200;  // per experiment
};

struct AAReport {
  int experiments = 0;
  int looks = 0;
  int64_t shoppers = 0;  // per experiment, at the last look
  // Experiments in which the conversion comparison was ever significant
  // (p < 0.05): always valid, fixed horizon at any look, and fixed
  // horizon at the last look only.
  int sequential_false_positives = 0;
  int fixed_false_positives_any_look = 0;
  int fixed_false_positives_last_look = 0;
  // Experiments flagged for sample-ratio mismatch at any look / the last.
  int sample_ratio_any_look = 0;
  int sample_ratio_last_look = 0;
  double control_conversion = 0;  // mean over experiments, last look
};

absl::StatusOr<AAReport> RunAA(Simulation& sim, const AAOptions& options);

// A/B: the treatment arm serves the same strategy with a planted relative
// effect on the chance that a click becomes a purchase.
struct ABOptions {
  int experiments = 40;
  int concurrent = 20;
  int looks = 10;
  int shoppers_per_look = 200;  // per experiment
  double uplift = 0.10;
};

struct ABReport {
  int experiments = 0;
  int64_t shoppers = 0;  // per experiment (both arms), at the last look
  // The realised true uplift of the conversion chance (the planted effect
  // on purchases per click, through the lists the shoppers got).
  double true_uplift = 0;
  double true_control_conversion = 0;
  // Power at the last look: fixed horizon, CUPED, and always valid (ever
  // significant, in the right direction, up to the last look).
  double power_fixed = 0;
  double power_cuped = 0;
  double power_sequential = 0;
  // Shoppers (both arms) needed: fixed horizon and CUPED for 80% power at
  // 5% (from the true rates, and CUPED's variance reduction observed);
  // always valid:
  // the median at the first significant look, over the experiments that
  // got there.
  double shoppers_fixed = 0;
  double shoppers_cuped = 0;
  double shoppers_sequential = 0;
  double mean_relative = 0;  // the estimated uplift, mean over experiments
};

absl::StatusOr<ABReport> RunAB(Simulation& sim, const ABOptions& options);

// A bandit over arms of different true conversion, against an equal split.
struct BanditArmSpec {
  std::string strategy;  // "" : the model's
  double effect = 0;
};

struct BanditOptions {
  std::vector<BanditArmSpec> arms;
  int periods = 20;
  int shoppers_per_period = 1000;
  int64_t interval_seconds = 2;
  int32_t min_share = 500;
  int calibration_shoppers = 2000;
  // How long to wait for the server's next period.
  absl::Duration period_timeout = absl::Seconds(30);
};

struct BanditReport {
  std::vector<std::string> arms;
  std::vector<double> true_conversion;  // per exposure, by arm
  std::vector<int64_t> exposures;       // by arm
  std::vector<int32_t> final_weights;   // basis points
  double regret = 0;                    // expected purchases lost
  double equal_split_regret = 0;
  double regret_ratio = 0;  // regret / equal_split_regret
  int64_t shoppers = 0;
};

absl::StatusOr<BanditReport> RunBandit(Simulation& sim,
                                       const BanditOptions& options);

std::string FormatAAReport(const AAReport& report);
std::string FormatABReport(const ABReport& report);
std::string FormatBanditReport(const BanditReport& report);

}  // namespace tailor

#endif  // TAILOR_TOOLS_SIM_SIMULATION_H_

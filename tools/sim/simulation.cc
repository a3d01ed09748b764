#include "tools/sim/simulation.h"

#include <algorithm>
#include <cmath>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "core/base/status_macros.h"

namespace tailor {
namespace {

constexpr int kEventsPerCall = 1000;

int64_t NowUnix() { return absl::ToUnixSeconds(absl::Now()); }

// `call()` again after a pause while the server refuses it for overload
// (RESOURCE_EXHAUSTED, as its message asks) or is briefly unavailable: up
// to 20 tries, waiting 50 ms, doubling to 2 s.
template <typename Call>
auto Retrying(Call call) -> decltype(call()) {
  absl::Duration pause = absl::Milliseconds(50);
  for (int attempt = 1;; ++attempt) {
    auto result = call();
    if (result.ok() || attempt == 20 ||
        (!absl::IsResourceExhausted(result.status()) &&
         !absl::IsUnavailable(result.status()))) {
      return result;
    }
    absl::SleepFor(pause);
    pause = std::min(2 * pause, absl::Seconds(2));
  }
}

// Records `events` in calls of 1000; every one must be stored.
absl::Status RecordAll(const TailorClient& client,
                       std::vector<v1::Event>* events) {
  for (size_t begin = 0; begin < events->size(); begin += kEventsPerCall) {
    v1::RecordEventsRequest request;
    const size_t end = std::min(events->size(), begin + kEventsPerCall);
    for (size_t i = begin; i < end; ++i) {
      *request.add_events() = std::move((*events)[i]);
    }
    TAILOR_ASSIGN_OR_RETURN(const v1::RecordEventsResponse response,
                            Retrying([&] { return client.Record(request); }));
    if (response.invalid() > 0) {
      for (const v1::EventResult& r : response.results()) {
        if (!r.error().empty()) {
          return absl::InternalError(
              absl::StrCat("a simulated event was refused: ", r.error()));
        }
      }
    }
  }
  events->clear();
  return absl::OkStatus();
}

// `e` as shopper's event `tag` + the next of `counter`.
void Append(const SimShopper& shopper, absl::string_view tag, const SimEvent& e,
            int* counter, std::vector<v1::Event>* out) {
  v1::Event& event = out->emplace_back();
  event.set_event_id(absl::StrCat(shopper.id, "-", tag, (*counter)++));
  event.set_user_id(shopper.id);
  event.set_item_id(e.item_id);
  event.set_type(static_cast<v1::EventType>(e.type));
  event.set_timestamp(e.timestamp);
  if (e.price >= 0) event.set_price(e.price);
  if (!e.recommendation_id.empty()) {
    event.set_recommendation_id(e.recommendation_id);
  }
}

double EffectOf(const Effects& effects, const std::string& experiment,
                const std::string& arm) {
  auto x = effects.find(experiment);
  if (x == effects.end()) return 0;
  auto a = x->second.find(arm);
  return a == x->second.end() ? 0 : a->second;
}

// Runs `work(t)` for t in [0, threads) on threads; the first error.
template <typename Work>
absl::Status FanOut(int threads, Work work) {
  absl::Mutex mu;
  absl::Status first;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      absl::Status s = work(t);
      absl::MutexLock lock(&mu);
      if (first.ok() && !s.ok()) first = s;
    });
  }
  for (std::thread& th : pool) th.join();
  return first;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

v1::Experiment TwoArms(const std::string& name, const std::string& layer,
                       const std::string& strategy, int32_t share) {
  v1::Experiment e;
  e.set_name(name);
  e.set_salt(name);
  e.set_layer(layer);
  for (const char* arm : {"control", "treatment"}) {
    v1::ExperimentArm* a = e.add_arms();
    a->set_name(arm);
    a->set_strategy(strategy);
    a->set_share_bp(share);
    a->set_control(std::string(arm) == "control");
  }
  return e;
}

// A batch of two-arm experiments in one layer, read after each round.
struct Look {
  v1::ArmComparison conversion;
  v1::ArmComparison cuped;
  bool mismatch = false;
  int64_t shoppers = 0;
  double control_rate = 0;
  double treatment_rate = 0;
  double width_ratio = 0;  // CUPED interval width / raw
};

// The true conversion chances of a batch's visits, summed: the control
// arms', and the treatment arms' with and without the planted effect.
struct Chances {
  double control = 0;
  int64_t control_visits = 0;
  double treated = 0;
  double treated_base = 0;
  int64_t treated_visits = 0;
};

absl::StatusOr<std::vector<std::vector<Look>>> RunBatch(
    Simulation& sim, const std::string& kind, int batch, int count, int looks,
    int shoppers_per_look, double uplift, Chances* chances) {
  TAILOR_ASSIGN_OR_RETURN(const std::string strategy, sim.ModelStrategy());
  const std::string layer =
      absl::StrCat(sim.options().prefix, "-", kind, "-", batch);
  const int32_t share = 10000 / (2 * count);
  std::vector<std::string> names;
  Effects effects;
  for (int i = 0; i < count; ++i) {
    names.push_back(absl::StrCat(layer, "-", i));
    TAILOR_RETURN_IF_ERROR(
        sim.client()
            .CreateExperiment(TwoArms(names.back(), layer, strategy, share))
            .status());
    if (uplift != 0) effects[names.back()]["treatment"] = uplift;
  }
  const int64_t start = NowUnix();
  std::vector<std::vector<Look>> out(count);
  for (int look = 0; look < looks; ++look) {
    TAILOR_ASSIGN_OR_RETURN(
        const std::vector<Visit> visits,
        sim.Round(count * shoppers_per_look, effects, start));
    for (const Visit& v : visits) {
      if (v.arm == "treatment") {
        chances->treated += v.conversion_chance;
        chances->treated_base += v.base_conversion_chance;
        ++chances->treated_visits;
      } else if (v.arm == "control") {
        chances->control += v.conversion_chance;
        ++chances->control_visits;
      }
    }
    for (int i = 0; i < count; ++i) {
      v1::GetExperimentResultsRequest request;
      request.set_name(names[i]);
      TAILOR_ASSIGN_OR_RETURN(
          const v1::ExperimentResults r,
          Retrying([&] { return sim.client().GetExperimentResults(request); }));
      Look l;
      l.conversion = r.arms(1).conversion().vs_control();
      l.cuped = r.arms(1).conversion().cuped_vs_control();
      l.mismatch = r.sample_ratio_mismatch();
      l.shoppers = r.arms(0).shoppers() + r.arms(1).shoppers();
      l.control_rate = r.arms(0).conversion().estimate().value();
      l.treatment_rate = r.arms(1).conversion().estimate().value();
      const double raw = l.conversion.high() - l.conversion.low();
      l.width_ratio = raw > 0 ? (l.cuped.high() - l.cuped.low()) / raw : 1.0;
      out[i].push_back(l);
    }
  }
  for (const std::string& name : names) {
    TAILOR_RETURN_IF_ERROR(sim.client().StopExperiment(name).status());
  }
  return out;
}

}  // namespace

Simulation::Simulation(const TailorClient* client, const ShopperModel* model,
                       SimOptions options)
    : client_(client), model_(model), options_(std::move(options)) {}

absl::StatusOr<std::string> Simulation::ModelStrategy() {
  v1::RecommendRequest request;
  request.set_user_id(absl::StrCat(options_.prefix, "-probe"));
  request.set_count(1);
  TAILOR_ASSIGN_OR_RETURN(const v1::RecommendResponse response,
                          client_->Recommend(request));
  if (!response.experiment().empty()) {
    return absl::FailedPreconditionError(
        "the server runs an experiment over every shopper already: stop it "
        "before simulating");
  }
  return response.strategy();
}

absl::StatusOr<std::vector<SimShopper>> Simulation::Arrive(
    int64_t first, int t, int threads, int shoppers, int64_t history_before,
    std::mt19937_64& rng) {
  std::vector<SimShopper> out;
  std::vector<v1::Event> events;
  for (int i = t; i < shoppers; i += threads) {
    out.push_back(
        model_->Draw(absl::StrCat(options_.prefix, "-", first + i), rng));
    int counter = 0;
    for (const SimEvent& e : model_->History(out.back(), history_before, rng)) {
      Append(out.back(), "h", e, &counter, &events);
    }
  }
  TAILOR_RETURN_IF_ERROR(RecordAll(*client_, &events));
  return out;
}

absl::StatusOr<std::vector<Visit>> Simulation::Round(
    int shoppers, const Effects& effects, int64_t history_before,
    const std::string& strategy) {
  std::vector<Visit> visits(shoppers);
  const int64_t first = next_shopper_;
  next_shopper_ += shoppers;
  const int threads = std::max(1, options_.threads);
  TAILOR_RETURN_IF_ERROR(FanOut(threads, [&](int t) -> absl::Status {
    std::mt19937_64 rng(options_.seed * 1000003 + first * 31 + t);
    TAILOR_ASSIGN_OR_RETURN(
        std::vector<SimShopper> arrived,
        Arrive(first, t, threads, shoppers, history_before, rng));
    for (int i = t, j = 0; i < shoppers; i += threads, ++j) {
      visits[i].shopper = std::move(arrived[j]);
    }
    std::vector<v1::Event> events;
    std::vector<int> counters(shoppers, 0);
    for (int i = t; i < shoppers; i += threads) {
      Visit& v = visits[i];
      v1::RecommendRequest request;
      request.set_user_id(v.shopper.id);
      request.set_count(options_.list_size);
      request.set_strategy(strategy);
      TAILOR_ASSIGN_OR_RETURN(const v1::RecommendResponse answer, Retrying([&] {
                                return client_->Recommend(request);
                              }));
      v.experiment = answer.experiment();
      v.arm = answer.arm();
      for (const v1::RecommendedItem& item : answer.items()) {
        v.items.push_back(item.item_id());
      }
      const double effect = EffectOf(effects, v.experiment, v.arm);
      v.conversion_chance =
          model_->ConversionChance(v.shopper, v.items, effect);
      v.base_conversion_chance =
          model_->ConversionChance(v.shopper, v.items, 0);
      for (const SimEvent& e :
           model_->Respond(v.shopper, v.items,
                           // Only logged answers may be named (an
                           // experiment's), as a storefront would.
                           v.experiment.empty() ? std::string()
                                                : answer.recommendation_id(),
                           effect, NowUnix(), rng)) {
        Append(v.shopper, "r", e, &counters[i], &events);
      }
      if (events.size() >= kEventsPerCall) {
        TAILOR_RETURN_IF_ERROR(RecordAll(*client_, &events));
      }
    }
    return RecordAll(*client_, &events);
  }));
  return visits;
}

absl::StatusOr<std::vector<double>> Simulation::Calibrate(
    int shoppers, const std::vector<std::string>& strategies,
    const std::vector<double>& effects, int64_t history_before) {
  std::vector<std::vector<double>> sums(std::max(1, options_.threads),
                                        std::vector<double>(strategies.size()));
  const int64_t first = next_shopper_;
  next_shopper_ += shoppers;
  const int threads = std::max(1, options_.threads);
  TAILOR_RETURN_IF_ERROR(FanOut(threads, [&](int t) -> absl::Status {
    std::mt19937_64 rng(options_.seed * 1000003 + first * 31 + t);
    TAILOR_ASSIGN_OR_RETURN(
        const std::vector<SimShopper> mine,
        Arrive(first, t, threads, shoppers, history_before, rng));
    for (const SimShopper& shopper : mine) {
      for (size_t s = 0; s < strategies.size(); ++s) {
        v1::RecommendRequest request;
        request.set_user_id(shopper.id);
        request.set_count(options_.list_size);
        request.set_strategy(strategies[s]);
        TAILOR_ASSIGN_OR_RETURN(
            const v1::RecommendResponse answer,
            Retrying([&] { return client_->Recommend(request); }));
        std::vector<std::string> items;
        for (const v1::RecommendedItem& item : answer.items()) {
          items.push_back(item.item_id());
        }
        sums[t][s] += model_->ConversionChance(shopper, items, effects[s]);
      }
    }
    return absl::OkStatus();
  }));
  std::vector<double> mean(strategies.size(), 0);
  for (const std::vector<double>& part : sums) {
    for (size_t s = 0; s < part.size(); ++s) mean[s] += part[s];
  }
  for (double& m : mean) m /= std::max(1, shoppers);
  return mean;
}

absl::StatusOr<AAReport> RunAA(Simulation& sim, const AAOptions& options) {
  AAReport report;
  report.looks = options.looks;
  double control = 0;
  Chances chances;
  for (int batch = 0; report.experiments < options.experiments; ++batch) {
    const int count =
        std::min(options.concurrent, options.experiments - report.experiments);
    TAILOR_ASSIGN_OR_RETURN(const std::vector<std::vector<Look>> looks,
                            RunBatch(sim, "aa", batch, count, options.looks,
                                     options.shoppers_per_look, 0, &chances));
    for (const std::vector<Look>& experiment : looks) {
      bool sequential = false;
      bool fixed = false;
      bool mismatch = false;
      for (const Look& l : experiment) {
        sequential |=
            l.conversion.defined() && l.conversion.sequential_p_value() < 0.05;
        fixed |= l.conversion.defined() && l.conversion.p_value() < 0.05;
        mismatch |= l.mismatch;
      }
      const Look& last = experiment.back();
      report.sequential_false_positives += sequential;
      report.fixed_false_positives_any_look += fixed;
      report.fixed_false_positives_last_look +=
          last.conversion.defined() && last.conversion.p_value() < 0.05;
      report.sample_ratio_any_look += mismatch;
      report.sample_ratio_last_look += last.mismatch;
      report.shoppers += last.shoppers;
      control += last.control_rate;
    }
    report.experiments += count;
  }
  if (report.experiments > 0) {
    report.shoppers /= report.experiments;
    report.control_conversion = control / report.experiments;
  }
  return report;
}

absl::StatusOr<ABReport> RunAB(Simulation& sim, const ABOptions& options) {
  ABReport report;
  std::vector<double> detected_at;
  std::vector<double> width_ratios;
  double relative = 0;
  int fixed = 0;
  int cuped = 0;
  int sequential = 0;
  Chances chances;
  for (int batch = 0; report.experiments < options.experiments; ++batch) {
    const int count =
        std::min(options.concurrent, options.experiments - report.experiments);
    TAILOR_ASSIGN_OR_RETURN(
        const std::vector<std::vector<Look>> looks,
        RunBatch(sim, "ab", batch, count, options.looks,
                 options.shoppers_per_look, options.uplift, &chances));
    for (const std::vector<Look>& experiment : looks) {
      for (const Look& l : experiment) {
        if (l.conversion.defined() && l.conversion.relative() > 0 &&
            l.conversion.sequential_p_value() < 0.05) {
          ++sequential;
          detected_at.push_back(static_cast<double>(l.shoppers));
          break;
        }
      }
      const Look& last = experiment.back();
      fixed += last.conversion.defined() && last.conversion.relative() > 0 &&
               last.conversion.p_value() < 0.05;
      cuped += last.cuped.defined() && last.cuped.relative() > 0 &&
               last.cuped.p_value() < 0.05;
      width_ratios.push_back(last.width_ratio * last.width_ratio);
      relative += last.conversion.relative();
      report.shoppers += last.shoppers;
    }
    report.experiments += count;
  }
  const double n = std::max(1, report.experiments);
  report.shoppers = static_cast<int64_t>(report.shoppers / n);
  report.power_fixed = fixed / n;
  report.power_cuped = cuped / n;
  report.power_sequential = sequential / n;
  report.mean_relative = relative / n;
  report.true_uplift =
      chances.treated_base > 0 ? chances.treated / chances.treated_base - 1 : 0;
  // Per arm for 80% power at 5% (two-sided), from the true rates.
  const double pc =
      chances.control / std::max<int64_t>(1, chances.control_visits);
  const double pt =
      chances.treated / std::max<int64_t>(1, chances.treated_visits);
  report.true_control_conversion = pc;
  constexpr double kZ = 1.959963984540054 + 0.8416212335729143;
  if (pt != pc) {
    const double per_arm =
        kZ * kZ * (pc * (1 - pc) + pt * (1 - pt)) / ((pt - pc) * (pt - pc));
    report.shoppers_fixed = 2 * per_arm;
    report.shoppers_cuped = 2 * per_arm * Median(width_ratios);
  }
  report.shoppers_sequential = Median(detected_at);
  return report;
}

absl::StatusOr<BanditReport> RunBandit(Simulation& sim,
                                       const BanditOptions& options) {
  BanditReport report;
  TAILOR_ASSIGN_OR_RETURN(const std::string model, sim.ModelStrategy());
  std::vector<std::string> strategies;
  std::vector<double> effects;
  const std::string name = absl::StrCat(sim.options().prefix, "-bandit");
  v1::Experiment e;
  e.set_name(name);
  e.set_salt(name);
  e.set_layer(name);
  e.set_allocation(v1::EXPERIMENT_ALLOCATION_THOMPSON);
  e.mutable_bandit()->set_interval_seconds(options.interval_seconds);
  e.mutable_bandit()->set_min_share_bp(options.min_share);
  Effects planted;
  const int arms = static_cast<int>(options.arms.size());
  for (int a = 0; a < arms; ++a) {
    const BanditArmSpec& spec = options.arms[a];
    strategies.push_back(spec.strategy.empty() ? model : spec.strategy);
    effects.push_back(spec.effect);
    v1::ExperimentArm* arm = e.add_arms();
    arm->set_name(absl::StrCat("arm", a));
    arm->set_strategy(strategies.back());
    arm->set_share_bp(10000 / arms);
    planted[name][arm->name()] = spec.effect;
    report.arms.push_back(absl::StrFormat(
        "arm%d (%s%+.0f%%)", a, strategies.back(), 100 * spec.effect));
  }
  const int64_t start = NowUnix();
  TAILOR_ASSIGN_OR_RETURN(
      report.true_conversion,
      sim.Calibrate(options.calibration_shoppers, strategies, effects, start));
  const double best = *std::max_element(report.true_conversion.begin(),
                                        report.true_conversion.end());
  double mean = 0;
  for (double m : report.true_conversion) mean += m / arms;
  TAILOR_ASSIGN_OR_RETURN(v1::Experiment created,
                          sim.client().CreateExperiment(e));
  report.exposures.assign(arms, 0);
  for (int p = 0; p < options.periods; ++p) {
    const int before = created.periods_size();
    TAILOR_ASSIGN_OR_RETURN(
        const std::vector<Visit> visits,
        sim.Round(options.shoppers_per_period, planted, start));
    for (const Visit& v : visits) {
      if (v.experiment != name) continue;
      const int a = std::stoi(v.arm.substr(3));
      ++report.exposures[a];
      ++report.shoppers;
      report.regret += best - report.true_conversion[a];
    }
    // The server's next period, allotted after this round's events were
    // all recorded (one allotted during the round saw only part of them),
    // before the next round.
    const int64_t recorded = NowUnix();
    const absl::Time deadline = absl::Now() + options.period_timeout;
    while (created.periods_size() <= before ||
           created.periods(created.periods_size() - 1).start_unix() <=
               recorded) {
      if (absl::Now() > deadline) {
        return absl::DeadlineExceededError(absl::StrCat(
            "the server made no new allocation period within ",
            absl::FormatDuration(options.period_timeout),
            " (is its bandit tick running? --accept_events=true)"));
      }
      absl::SleepFor(absl::Milliseconds(200));
      TAILOR_ASSIGN_OR_RETURN(created, sim.client().GetExperiment(name));
    }
  }
  const v1::AllocationPeriod& last =
      created.periods(created.periods_size() - 1);
  report.final_weights.assign(last.weights_bp().begin(),
                              last.weights_bp().end());
  report.equal_split_regret = report.shoppers * (best - mean);
  report.regret_ratio = report.equal_split_regret > 0
                            ? report.regret / report.equal_split_regret
                            : 0;
  TAILOR_RETURN_IF_ERROR(sim.client().StopExperiment(name).status());
  return report;
}

std::string FormatAAReport(const AAReport& r) {
  const double n = std::max(1, r.experiments);
  return absl::StrFormat(
      "A/A: %d experiments, %d looks, %d shoppers each at the last look "
      "(control conversion %.2f%%)\n"
      "  always-valid false positives (any look):  %d (%.1f%%)\n"
      "  fixed-horizon false positives (any look):  %d (%.1f%%)\n"
      "  fixed-horizon false positives (last look): %d (%.1f%%)\n"
      "  sample-ratio alarms (any look / last look): %d / %d (%.2f%% / "
      "%.2f%%)\n",
      r.experiments, r.looks, r.shoppers, 100 * r.control_conversion,
      r.sequential_false_positives, 100 * r.sequential_false_positives / n,
      r.fixed_false_positives_any_look,
      100 * r.fixed_false_positives_any_look / n,
      r.fixed_false_positives_last_look,
      100 * r.fixed_false_positives_last_look / n, r.sample_ratio_any_look,
      r.sample_ratio_last_look, 100 * r.sample_ratio_any_look / n,
      100 * r.sample_ratio_last_look / n);
}

std::string FormatABReport(const ABReport& r) {
  return absl::StrFormat(
      "A/B: %d experiments, true control conversion %.2f%%, planted uplift "
      "of the conversion chance %+.1f%%, %d shoppers each at the last look "
      "(estimated uplift, mean %+.1f%%)\n"
      "  power at the last look: fixed horizon %.0f%%, CUPED %.0f%%, "
      "always valid %.0f%%\n"
      "  shoppers needed (both arms): fixed horizon %.0f, CUPED %.0f (80%% "
      "power), always valid %.0f (median at detection)\n",
      r.experiments, 100 * r.true_control_conversion, 100 * r.true_uplift,
      r.shoppers, 100 * r.mean_relative, 100 * r.power_fixed,
      100 * r.power_cuped, 100 * r.power_sequential, r.shoppers_fixed,
      r.shoppers_cuped, r.shoppers_sequential);
}

std::string FormatBanditReport(const BanditReport& r) {
  std::string out = absl::StrFormat(
      "bandit: %d shoppers; regret %.1f purchases against %.1f for an equal "
      "split: ratio %.3f\n",
      r.shoppers, r.regret, r.equal_split_regret, r.regret_ratio);
  for (size_t a = 0; a < r.arms.size(); ++a) {
    absl::StrAppendFormat(&out,
                          "  %-28s true conversion %.3f%%, exposures %d, "
                          "final weight %d bp\n",
                          r.arms[a], 100 * r.true_conversion[a], r.exposures[a],
                          a < r.final_weights.size() ? r.final_weights[a] : 0);
  }
  return out;
}

}  // namespace tailor

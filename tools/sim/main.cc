// tailor-sim: simulated shoppers against a running tailor-server, to check
// its experiment statistics against a planted truth.
//
//   tailor-sim --address=127.0.0.1:8980 --catalog=store/catalog.csv
//       --scenarios=aa,ab,bandit [sizes]
//
// The server must serve a model trained on the data generator's store
// (tailor-datagen), whose catalog --catalog names: the shoppers' answers
// come from the generator's planted tastes.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/data/readers.h"
#include "tools/channel/secure_channel.h"
#include "tools/channel/security_flags.h"
#include "tools/cli/client.h"
#include "tools/sim/shopper_model.h"
#include "tools/sim/simulation.h"

ABSL_FLAG(std::string, address, "127.0.0.1:8980", "the server");
ABSL_FLAG(int, timeout_ms, 60000, "per call");
ABSL_FLAG(std::string, catalog, "", "the generated store's catalog.csv");
ABSL_FLAG(std::vector<std::string>, scenarios,
          std::vector<std::string>({"aa", "ab", "bandit"}), "aa, ab, bandit");
ABSL_FLAG(std::string, prefix, "sim",
          "of shopper ids, experiment names and layers (unique per run on "
          "one server)");
ABSL_FLAG(uint64_t, seed, 1, "random seed");
ABSL_FLAG(int, threads, 4, "client threads");
ABSL_FLAG(int, aa_experiments, 200, "A/A experiments");
ABSL_FLAG(int, ab_experiments, 40, "A/B experiments");
ABSL_FLAG(int, concurrent, 20, "experiments run at once (one layer)");
ABSL_FLAG(int, looks, 10, "looks (\"days\") per experiment");
ABSL_FLAG(int, aa_shoppers_per_look, 200,
          "A/A: new shoppers per experiment a look");
ABSL_FLAG(int, ab_shoppers_per_look, 1200,
          "A/B: new shoppers per experiment a look");
ABSL_FLAG(double, uplift, 0.10,
          "A/B: the planted relative effect on the chance of a purchase");
ABSL_FLAG(std::vector<std::string>, bandit_arms,
          std::vector<std::string>({"popularity:0", ":0", ":0.3"}),
          "bandit: STRATEGY:EFFECT per arm (empty strategy: the model's)");
ABSL_FLAG(int, bandit_periods, 20, "bandit: allocation periods");
ABSL_FLAG(int, bandit_shoppers, 1000, "bandit: shoppers per period");
ABSL_FLAG(int64_t, bandit_interval, 2, "bandit: seconds per period");

namespace {

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "tailor-sim: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "tailor-sim --address=HOST:PORT --catalog=catalog.csv "
      "[--scenarios=aa,ab,bandit]");
  absl::ParseCommandLine(argc, argv);
  tailor::ReadReport report;
  auto catalog = tailor::ReadCatalogCsv(absl::GetFlag(FLAGS_catalog),
                                        tailor::ReadOptions(), &report);
  if (!catalog.ok()) return Fail(catalog.status());
  const tailor::ShopperModel model(*std::move(catalog));
  auto channel = tailor::MakeChannel(absl::GetFlag(FLAGS_address),
                                     tailor::ClientSecurityFromFlags());
  if (!channel.ok()) return Fail(channel.status());
  const tailor::TailorClient client(
      *std::move(channel), absl::Milliseconds(absl::GetFlag(FLAGS_timeout_ms)));
  tailor::Simulation sim(&client, &model,
                         {.threads = absl::GetFlag(FLAGS_threads),
                          .seed = absl::GetFlag(FLAGS_seed),
                          .prefix = absl::GetFlag(FLAGS_prefix)});
  for (const std::string& scenario : absl::GetFlag(FLAGS_scenarios)) {
    if (scenario == "aa") {
      auto r = tailor::RunAA(
          sim,
          {.experiments = absl::GetFlag(FLAGS_aa_experiments),
           .concurrent = absl::GetFlag(FLAGS_concurrent),
           .looks = absl::GetFlag(FLAGS_looks),
           .shoppers_per_look = absl::GetFlag(FLAGS_aa_shoppers_per_look)});
      if (!r.ok()) return Fail(r.status());
      std::printf("%s", tailor::FormatAAReport(*r).c_str());
    } else if (scenario == "ab") {
      auto r = tailor::RunAB(
          sim, {.experiments = absl::GetFlag(FLAGS_ab_experiments),
                .concurrent = absl::GetFlag(FLAGS_concurrent),
                .looks = absl::GetFlag(FLAGS_looks),
                .shoppers_per_look = absl::GetFlag(FLAGS_ab_shoppers_per_look),
                .uplift = absl::GetFlag(FLAGS_uplift)});
      if (!r.ok()) return Fail(r.status());
      std::printf("%s", tailor::FormatABReport(*r).c_str());
    } else if (scenario == "bandit") {
      tailor::BanditOptions options;
      for (const std::string& spec : absl::GetFlag(FLAGS_bandit_arms)) {
        const std::vector<std::string> parts = absl::StrSplit(spec, ':');
        double effect = 0;
        if (parts.size() != 2 || !absl::SimpleAtod(parts[1], &effect)) {
          return Fail(absl::InvalidArgumentError(absl::StrCat(
              "--bandit_arms: '", spec, "' is not STRATEGY:EFFECT")));
        }
        options.arms.push_back({parts[0], effect});
      }
      options.periods = absl::GetFlag(FLAGS_bandit_periods);
      options.shoppers_per_period = absl::GetFlag(FLAGS_bandit_shoppers);
      options.interval_seconds = absl::GetFlag(FLAGS_bandit_interval);
      auto r = tailor::RunBandit(sim, options);
      if (!r.ok()) return Fail(r.status());
      std::printf("%s", tailor::FormatBanditReport(*r).c_str());
    } else {
      return Fail(absl::InvalidArgumentError(absl::StrCat(
          "--scenarios: '", scenario, "' is not one of aa, ab, bandit")));
    }
    std::fflush(stdout);
  }
  return 0;
}

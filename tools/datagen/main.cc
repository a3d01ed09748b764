// tailor-datagen: writes the synthetic clothing store (catalog, events and
// planted ground truth) for demos, tests and benchmarks.
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "tools/datagen/store_generator.h"

ABSL_FLAG(int64_t, users, 20000, "shoppers");
ABSL_FLAG(int64_t, items, 3000, "catalog items");
ABSL_FLAG(int64_t, events, 1000000, "total events");
ABSL_FLAG(double, new_arrivals, 0.01,
          "fraction of the catalog (the newest SKUs) with no events yet");
ABSL_FLAG(double, mean_lifetime_days, 180,
          "mean days a shopper stays active before lapsing (0: never lapse)");
ABSL_FLAG(uint64_t, seed, 7, "random seed (same seed, same files)");
ABSL_FLAG(std::string, out, "demo-data", "output directory");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Generates a synthetic clothing store.\n  tailor-datagen --out=DIR "
      "[--users=N --items=N --events=N --seed=N]");
  absl::ParseCommandLine(argc, argv);
  tailor::StoreConfig config;
  config.users = absl::GetFlag(FLAGS_users);
  config.items = absl::GetFlag(FLAGS_items);
  config.events = absl::GetFlag(FLAGS_events);
  config.seed = absl::GetFlag(FLAGS_seed);
  config.new_arrivals = absl::GetFlag(FLAGS_new_arrivals);
  config.mean_lifetime_days = absl::GetFlag(FLAGS_mean_lifetime_days);
  const std::string out = absl::GetFlag(FLAGS_out);
  absl::StatusOr<tailor::GeneratorStats> stats =
      tailor::GenerateStore(config, out);
  if (!stats.ok()) {
    std::fprintf(stderr, "tailor-datagen: %s\n",
                 std::string(stats.status().message()).c_str());
    return 1;
  }
  std::printf(
      "wrote %s/{catalog,events,users}.csv: %lld items (%lld new arrivals "
      "without events), %lld users, %lld "
      "events (%lld purchases, %lld returns), %.1f MB in %.2f s = %.2f M "
      "events/s\n",
      out.c_str(), static_cast<long long>(config.items),
      static_cast<long long>(stats->new_arrivals),
      static_cast<long long>(config.users),
      static_cast<long long>(stats->events),
      static_cast<long long>(stats->purchases),
      static_cast<long long>(stats->returns), stats->bytes / 1e6,
      stats->seconds, stats->events / stats->seconds / 1e6);
  return 0;
}

// tailor-trainer: trains a model from event logs and publishes a snapshot.
//
//   tailor-trainer train --events=events.csv --catalog=catalog.csv
//       --snapshot_dir=snapshots
//   tailor-trainer train --movielens_dir=../shared/data/ml-100k
//       --snapshot_dir=snapshots
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/logging.h"
#include "storage/snapshot_store.h"
#include "trainer/pipeline.h"

ABSL_FLAG(std::vector<std::string>, events, {},
          "events CSV files (comma-separated), or MovieLens ratings files "
          "with --format=movielens");
ABSL_FLAG(std::string, catalog, "", "catalog CSV (or MovieLens u.item)");
ABSL_FLAG(std::string, format, "events", "input format: events | movielens");
ABSL_FLAG(std::string, movielens_dir, "",
          "shortcut for --format=movielens --events=DIR/u.data "
          "--catalog=DIR/u.item");
ABSL_FLAG(std::string, snapshot_dir, "snapshots",
          "where to publish the snapshot");
ABSL_FLAG(bool, strict, false, "make the first malformed row fatal");
ABSL_FLAG(int, factors, 64, "latent factors");
ABSL_FLAG(int, iterations, 15, "ALS iterations");
ABSL_FLAG(double, regularization, 0.05, "L2 regularization");
ABSL_FLAG(double, alpha, 10.0, "confidence = 1 + alpha * summed event weight");
ABSL_FLAG(std::string, solver, "cg", "per-row solver: cg | cholesky");
ABSL_FLAG(int, cg_steps, 3, "conjugate-gradient steps per row and half-step");
ABSL_FLAG(std::string, event_weights, "",
          "overrides, e.g. view=1,click=2,add_to_cart=4,purchase=8,return=-6");
ABSL_FLAG(int, threads, 0, "training threads (0 = all cores)");
ABSL_FLAG(uint64_t, seed, 42, "random seed");

namespace {

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "tailor-trainer: %s\n",
               std::string(s.message()).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Trains a recommendation model and publishes a snapshot.\n"
      "  tailor-trainer train --events=FILE[,FILE] [--catalog=FILE] "
      "--snapshot_dir=DIR\n"
      "  tailor-trainer train --movielens_dir=DIR --snapshot_dir=DIR");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2 || std::string(args[1]) != "train") {
    std::fprintf(stderr, "usage: tailor-trainer train [flags]; see --help\n");
    return 2;
  }

  tailor::TrainingInput input;
  input.event_files = absl::GetFlag(FLAGS_events);
  input.catalog_file = absl::GetFlag(FLAGS_catalog);
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format == "movielens") {
    input.format = tailor::TrainingInput::Format::kMovieLens;
  } else if (format != "events") {
    return Fail(absl::InvalidArgumentError(absl::StrCat(
        "--format: '", format, "' is not one of events, movielens")));
  }
  if (const std::string dir = absl::GetFlag(FLAGS_movielens_dir);
      !dir.empty()) {
    input.format = tailor::TrainingInput::Format::kMovieLens;
    input.event_files = {dir + "/u.data"};
    input.catalog_file = dir + "/u.item";
  }
  input.read_options.strict = absl::GetFlag(FLAGS_strict);
  if (absl::Status s = tailor::ParseEventWeights(
          absl::GetFlag(FLAGS_event_weights), &input.weights);
      !s.ok()) {
    return Fail(s);
  }

  tailor::AlsOptions als;
  als.factors = absl::GetFlag(FLAGS_factors);
  als.iterations = absl::GetFlag(FLAGS_iterations);
  als.regularization = static_cast<float>(absl::GetFlag(FLAGS_regularization));
  als.alpha = static_cast<float>(absl::GetFlag(FLAGS_alpha));
  als.cg_steps = absl::GetFlag(FLAGS_cg_steps);
  als.threads = absl::GetFlag(FLAGS_threads);
  als.seed = absl::GetFlag(FLAGS_seed);
  const std::string solver = absl::GetFlag(FLAGS_solver);
  if (solver == "cholesky") {
    als.solver = tailor::AlsOptions::Solver::kCholesky;
  } else if (solver != "cg") {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("--solver: '", solver, "' is not one of cg, cholesky")));
  }

  absl::StatusOr<tailor::TrainingResult> result = tailor::RunTraining(
      input, als, [](const std::string& line) { tailor::LogInfo(line); });
  if (!result.ok()) return Fail(result.status());

  tailor::SnapshotStore store(tailor::Env::Default(),
                              absl::GetFlag(FLAGS_snapshot_dir));
  absl::StatusOr<std::string> version = store.Publish(result->snapshot);
  if (!version.ok()) return Fail(version.status());
  tailor::LogInfo(absl::StrCat("published snapshot ", *version, " to ",
                               store.dir(), " (read ", result->read_seconds,
                               " s, train ", result->train_seconds,
                               " s, peak RSS ", tailor::PeakRssMiB(), " MiB)"));
  return 0;
}

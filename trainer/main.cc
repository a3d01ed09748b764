// tailor-trainer: trains a model from event logs and publishes a snapshot.
//
//   tailor-trainer train --events=events.csv --catalog=catalog.csv
//       --snapshot_dir=snapshots
//   tailor-trainer train --movielens_dir=../shared/data/ml-100k
//       --snapshot_dir=snapshots
//   tailor-trainer eval --data=../shared/data/ml-100k --format=movielens
//       --protocol=random-75-25 --model=popularity,als [--json]
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/logging.h"
#include "storage/snapshot_store.h"
#include "trainer/evaluation.h"
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
ABSL_FLAG(int, factors, 32, "latent factors");
ABSL_FLAG(int, iterations, 15, "ALS iterations");
ABSL_FLAG(double, regularization, 30.0, "L2 regularization");
ABSL_FLAG(double, alpha, 2.0, "confidence = 1 + alpha * summed event weight");
ABSL_FLAG(std::string, solver, "cg", "per-row solver: cg | cholesky");
ABSL_FLAG(int, cg_steps, 3, "conjugate-gradient steps per row and half-step");
ABSL_FLAG(std::string, event_weights, "",
          "overrides, e.g. view=1,click=2,add_to_cart=4,purchase=8,return=-6");
ABSL_FLAG(int, threads, 0, "training threads (0 = all cores)");
ABSL_FLAG(uint64_t, seed, 42, "random seed (training, and eval's split)");
ABSL_FLAG(std::string, data, "",
          "eval: a MovieLens directory (u.data, u.item) or a directory with "
          "events.csv and optionally catalog.csv");
ABSL_FLAG(std::string, protocol, "random-75-25",
          "eval: random-75-25 | temporal | surprise-5fold");
ABSL_FLAG(std::vector<std::string>, model, {},
          "eval: models to evaluate: popularity, als (ranking protocols) or "
          "svd (surprise-5fold); empty = all of the protocol's models");
ABSL_FLAG(int, svd_factors, 100, "eval svd: latent factors");
ABSL_FLAG(int, svd_epochs, 20, "eval svd: SGD epochs");
ABSL_FLAG(double, svd_learning_rate, 0.005, "eval svd: SGD learning rate");
ABSL_FLAG(double, svd_regularization, 0.02, "eval svd: L2 regularization");
ABSL_FLAG(int, k, 10, "eval: list length for the metrics");
ABSL_FLAG(bool, tune, true,
          "eval: choose ALS hyperparameters on a validation split of the "
          "training data (otherwise use the flags as given)");
ABSL_FLAG(bool, json, false, "eval: print one JSON object per model");

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
      "  tailor-trainer train --movielens_dir=DIR --snapshot_dir=DIR\n"
      "  tailor-trainer eval --data=DIR --format=movielens|events "
      "--protocol=random-75-25|temporal --model=popularity,als [--json]");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  const std::string command = args.size() == 2 ? args[1] : "";
  if (command != "train" && command != "eval") {
    std::fprintf(stderr,
                 "usage: tailor-trainer train|eval [flags]; see --help\n");
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

  if (command == "eval") {
    const std::string data = absl::GetFlag(FLAGS_data);
    if (data.empty()) {
      return Fail(absl::InvalidArgumentError("--data: must be set for eval"));
    }
    if (input.format == tailor::TrainingInput::Format::kMovieLens) {
      input.event_files = {data + "/u.data"};
      input.catalog_file = data + "/u.item";
    } else {
      input.event_files = {data + "/events.csv"};
      input.catalog_file = std::filesystem::exists(data + "/catalog.csv")
                               ? data + "/catalog.csv"
                               : "";
    }
    absl::StatusOr<tailor::Protocol> protocol =
        tailor::ParseProtocol(absl::GetFlag(FLAGS_protocol));
    if (!protocol.ok()) return Fail(protocol.status());
    std::vector<std::string> models = absl::GetFlag(FLAGS_model);
    if (*protocol == tailor::Protocol::kSurprise5Fold) {
      if (input.format != tailor::TrainingInput::Format::kMovieLens ||
          !(models.empty() || models == std::vector<std::string>{"svd"})) {
        return Fail(absl::InvalidArgumentError(
            "surprise-5fold needs --format=movielens and --model=svd"));
      }
      tailor::BiasedMfOptions svd;
      svd.factors = absl::GetFlag(FLAGS_svd_factors);
      svd.epochs = absl::GetFlag(FLAGS_svd_epochs);
      svd.learning_rate =
          static_cast<float>(absl::GetFlag(FLAGS_svd_learning_rate));
      svd.regularization =
          static_cast<float>(absl::GetFlag(FLAGS_svd_regularization));
      svd.seed = absl::GetFlag(FLAGS_seed);
      absl::StatusOr<tailor::RatingEvaluation> e =
          tailor::EvaluateSurprise5Fold(
              data, svd, [](const std::string& l) { tailor::LogInfo(l); });
      if (!e.ok()) return Fail(e.status());
      std::printf("%s\n", absl::GetFlag(FLAGS_json)
                              ? tailor::RatingEvaluationToJson(*e, data).c_str()
                              : tailor::FormatRatingEvaluation(*e).c_str());
      return 0;
    }
    if (models.empty()) models = {"popularity", "als"};
    tailor::EvaluationOptions options;
    options.k = absl::GetFlag(FLAGS_k);
    options.tune = absl::GetFlag(FLAGS_tune);
    options.als = als;
    absl::StatusOr<std::vector<tailor::ModelEvaluation>> rows =
        tailor::RunEvaluation(
            input, *protocol, models, options, absl::GetFlag(FLAGS_seed),
            [](const std::string& line) { tailor::LogInfo(line); });
    if (!rows.ok()) return Fail(rows.status());
    if (absl::GetFlag(FLAGS_json)) {
      for (const auto& row : *rows) {
        std::printf(
            "%s\n",
            tailor::EvaluationToJson(row, data, *protocol, options.k).c_str());
      }
    } else {
      std::printf("%s",
                  tailor::FormatEvaluationTable(*rows, options.k).c_str());
    }
    return 0;
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

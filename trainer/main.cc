// tailor-trainer: trains a model from event logs and publishes a snapshot.
//
//   tailor-trainer train --events=events.csv --catalog=catalog.csv
//       --snapshot_dir=snapshots
//   tailor-trainer train --movielens_dir=../shared/data/ml-100k
//       --snapshot_dir=snapshots
//   tailor-trainer train --events=history.csv --event_log=SERVER_DATA_DIR
//       --catalog=catalog.csv --snapshot_dir=snapshots
//   tailor-trainer eval --data=../shared/data/ml-100k --format=movielens
//       --protocol=random-75-25 --model=popularity,als [--json]
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/base/logging.h"
#include "core/base/status_macros.h"
#include "core/base/time.h"
#include "storage/snapshot_store.h"
#include "trainer/customer_model.h"
#include "trainer/evaluation.h"
#include "trainer/event_log_source.h"
#include "trainer/pipeline.h"
#include "trainer/propensity.h"
#include "trainer/segmentation.h"

ABSL_FLAG(std::vector<std::string>, events, {},
          "events CSV files (comma-separated), or MovieLens ratings files "
          "with --format=movielens");
ABSL_FLAG(std::string, catalog, "", "catalog CSV (or MovieLens u.item)");
ABSL_FLAG(std::string, event_log, "",
          "also read the events a running tailor-server recorded: its "
          "--data_dir (read through a RocksDB secondary instance; the server "
          "keeps running)");
ABSL_FLAG(std::string, event_log_secondary, "",
          "scratch directory for the --event_log reader (default: a fresh "
          "directory under the system temp dir, removed at exit)");
ABSL_FLAG(std::string, format, "events",
          "input format: events | movielens | online-retail (the UCI Online "
          "Retail export: orders as purchases, cancellations as returns, "
          "the catalog from the lines when --catalog is not given) | mapped "
          "(any CSV with a header, read through --columns)");
ABSL_FLAG(std::string, columns, "",
          "format mapped: Tailor's fields to the file's columns, e.g. "
          "user_id=CustomerID,item_id=StockCode,timestamp=InvoiceDate,"
          "quantity=Quantity,price=UnitPrice,order_id=InvoiceNo,"
          "title=Description (also event_type, value)");
ABSL_FLAG(std::string, event_type, "",
          "format mapped: the type of every row when there is no event_type "
          "column (e.g. purchase)");
ABSL_FLAG(std::string, event_type_map, "",
          "format mapped: the event_type column's values to Tailor's types, "
          "e.g. order=purchase,refund=return,pageview=view");
ABSL_FLAG(std::string, time_format, "",
          "format mapped: the timestamp column's strptime-style format, read "
          "as UTC (e.g. '%d/%m/%Y %H:%M'); default Unix seconds or ISO-8601, "
          "and day/month dates are refused until a format is chosen");
ABSL_FLAG(std::string, cancel_prefix, "C",
          "format mapped: order ids starting with this are cancellations "
          "(their negative quantities are returns)");
ABSL_FLAG(std::string, catalog_columns, "",
          "the catalog file's fields to its columns, e.g. item_id=SKU,"
          "title=Name,category=Department,brand=Brand,color=Colour,"
          "price=Price,sizes=Sizes,in_stock=Stock (default: the catalog CSV "
          "layout)");
ABSL_FLAG(std::string, sizes_separator, "|",
          "--catalog_columns: the character between a sizes value's sizes");
ABSL_FLAG(std::string, movielens_dir, "",
          "shortcut for --format=movielens --events=DIR/u.data "
          "--catalog=DIR/u.item");
ABSL_FLAG(std::string, snapshot_dir, "snapshots",
          "where to publish the snapshot");
ABSL_FLAG(bool, strict, false, "make the first malformed row fatal");
ABSL_FLAG(bool, background_parsing, true,
          "parse event files on a second thread while aggregating");
ABSL_FLAG(int, factors, 32, "latent factors");
ABSL_FLAG(int, iterations, 15, "ALS iterations");
ABSL_FLAG(double, regularization, 100.0, "L2 regularization");
ABSL_FLAG(double, alpha, 0.5, "confidence = 1 + alpha * summed event weight");
ABSL_FLAG(double, frequency_scaling, 0.0,
          "ALS: scale each row's regularization by (row mass / mean)^this "
          "(0 = off, 1 = Revisiting-iALS style)");
ABSL_FLAG(int, cold_start_below_users, 1,
          "catalog items with fewer interacting users get the factor vector "
          "their attributes (category, brand, color, price band) predict; "
          "0 = off");
ABSL_FLAG(int64_t, rule_min_count, 3,
          "bought together: baskets an itemset needs to be frequent");
ABSL_FLAG(int, rule_max_size, 3, "bought together: largest itemset mined");
ABSL_FLAG(double, rule_min_confidence, 0.05,
          "bought together: weakest rule kept");
ABSL_FLAG(std::string, consumed, "purchase,rating",
          "event types that make an item one the shopper has (left out of "
          "their recommendations by exclude_seen), recorded in the snapshot: "
          "any of view, click, add_to_cart, purchase (net of returns), "
          "rating");
ABSL_FLAG(std::string, algorithm, "als",
          "train: the embedding model to publish: als | bpr | auto (the one "
          "with the better validation NDCG@k; needs --tune)");
ABSL_FLAG(int, bpr_factors, 64, "bpr: latent factors");
ABSL_FLAG(int, bpr_epochs, 60, "bpr: SGD epochs");
ABSL_FLAG(double, bpr_learning_rate, 0.05, "bpr: SGD learning rate");
ABSL_FLAG(double, bpr_regularization, 0.002, "bpr: L2 on factors");
ABSL_FLAG(int, knn_neighbors, 100, "eval item-knn: neighbours per item");
ABSL_FLAG(double, knn_shrinkage, 10, "eval item-knn: cosine shrinkage");
ABSL_FLAG(double, ease_regularization, 500,
          "eval ease, and train's ease strategy: L2 penalty lambda");
ABSL_FLAG(double, recent_window_days, 30,
          "eval popularity-recent, and train's recent-popularity strategy: "
          "window before the newest event");
ABSL_FLAG(std::string, strategies, "auto",
          "train: serving strategies to build beside the model: auto "
          "(recent-popularity, and ease when the catalog has at most "
          "--ease_max_items items) or a list of recent-popularity, ease "
          "(popularity, segment-popularity, item-neighbours and the model's "
          "are always served)");
ABSL_FLAG(int, ease_max_items, 5000,
          "train: the largest catalog the ease strategy is built for (its "
          "weights take 4 n^2 bytes of server memory: 100 MB at 5,000 "
          "items)");
ABSL_FLAG(std::string, solver, "cg", "per-row solver: cg | cholesky");
ABSL_FLAG(int, cg_steps, 3, "conjugate-gradient steps per row and half-step");
ABSL_FLAG(std::string, event_weights, "",
          "overrides, e.g. view=1,click=2,add_to_cart=4,purchase=8,return=-6");
ABSL_FLAG(int, threads, 0, "training threads (0 = all cores)");
ABSL_FLAG(std::string, ann, "auto",
          "approximate-retrieval (IVF) index in the snapshot: on, off, or "
          "auto (catalogs of at least --ann_min_items items)");
ABSL_FLAG(int64_t, ann_min_items, 500000, "ann=auto: smallest catalog indexed");
ABSL_FLAG(int, ann_lists, 0, "ann: IVF lists (0 = about 2 sqrt(items))");
ABSL_FLAG(int, ann_tune_queries, 500,
          "ann: sampled users the search width is tuned and its recall "
          "measured on");
ABSL_FLAG(uint64_t, seed, 42, "random seed (training, and eval's split)");
ABSL_FLAG(std::string, data, "",
          "eval: a MovieLens directory (u.data, u.item) or a directory with "
          "events.csv and optionally catalog.csv");
ABSL_FLAG(std::string, protocol, "random-75-25",
          "eval: random-75-25 | temporal | surprise-5fold | cold-items");
ABSL_FLAG(std::vector<std::string>, model, {},
          "eval: models to evaluate: popularity, popularity-recent, "
          "popularity-category, als, als-attributes, bpr, item-knn, ease "
          "(ranking protocols; cold-items runs popularity, "
          "popularity-category, als, als-attributes by default) "
          "or svd, svdpp, bayesian-mf (surprise-5fold); empty = all of the "
          "protocol's models");
ABSL_FLAG(int, svd_factors, 100, "eval svd: latent factors");
ABSL_FLAG(int, svd_epochs, 20, "eval svd: SGD epochs");
ABSL_FLAG(double, svd_learning_rate, 0.005, "eval svd: SGD learning rate");
ABSL_FLAG(double, svd_regularization, 0.02, "eval svd: L2 regularization");
ABSL_FLAG(double, svd_learning_rate_decay, 1.0,
          "eval svd: learning-rate multiplier per epoch");
ABSL_FLAG(double, svd_bias_regularization, -1,
          "eval svd: L2 on biases (negative = --svd_regularization)");
ABSL_FLAG(double, svd_implicit_regularization, -1,
          "eval svdpp: L2 on y_j (negative = --svd_regularization)");
ABSL_FLAG(double, svd_init_stddev, 0.1, "eval svd: factor init stddev");
ABSL_FLAG(int, bmf_factors, 10, "eval bayesian-mf: latent factors");
ABSL_FLAG(int, bmf_sweeps, 120, "eval bayesian-mf: Gibbs sweeps");
ABSL_FLAG(int, bmf_burn_in, 20, "eval bayesian-mf: sweeps discarded");
ABSL_FLAG(std::vector<std::string>, svd_tune_factors,
          (std::vector<std::string>{"20", "50", "100"}),
          "eval svd/svdpp tuning grid: factors");
ABSL_FLAG(std::vector<std::string>, svd_tune_epochs, {"40"},
          "eval svd/svdpp tuning grid: epochs");
ABSL_FLAG(std::vector<std::string>, svd_tune_learning_rate, {"0.007"},
          "eval svd/svdpp tuning grid: learning rates");
ABSL_FLAG(std::vector<std::string>, svd_tune_regularization,
          (std::vector<std::string>{"0.05", "0.1", "0.15"}),
          "eval svd/svdpp tuning grid: regularization");
ABSL_FLAG(int, k, 10, "eval, and train's tuning: list length for the metrics");
ABSL_FLAG(bool, tune, true,
          "train and eval: choose the hyperparameters on a validation split "
          "of the training data (train: a temporal one, searched from the "
          "flags' values within --tune_budget; a model that does not beat "
          "popularity there is published with the popularity fallback). "
          "false: use the flags as given");
ABSL_FLAG(double, tune_budget, 45,
          "train: wall-clock seconds for the tuning search (at least the "
          "starting options are always scored; scoring the serving "
          "strategies on the same folds afterwards adds to it)");
ABSL_FLAG(bool, json, false, "eval: print one JSON object per model");
ABSL_FLAG(int, clusters, 0,
          "segments: behavioural clusters (0 = choose by silhouette)");
ABSL_FLAG(bool, segments, true,
          "train: also publish customer profiles, RFM, clusters and "
          "propensity scores (needs events and a catalog)");
ABSL_FLAG(int, purchase_horizon_days, 30,
          "propensity, train: the purchase model predicts a purchase within "
          "this many days");
ABSL_FLAG(int, churn_horizon_days, 90,
          "propensity, train: the churn model predicts no purchase within "
          "this many days");
ABSL_FLAG(int, kmeans_batch_size, 0,
          "segments, train: mini-batch K-Means with batches of this many "
          "users (0 = full-batch Lloyd)");
ABSL_FLAG(std::string, out, "",
          "profiles: also write every profile as CSV to this file; split: "
          "the directory to write train.csv, test.csv and catalog.csv to");
ABSL_FLAG(std::string, ground_truth, "",
          "segments: CSV with user_id and taste_group columns to score the "
          "clusters against (default DIR/users.csv when present)");

namespace {

// --data=DIR read as a generated store: DIR/events.csv and DIR/catalog.csv.
// Returns DIR; the error names `command`, which needs it.
absl::StatusOr<std::string> UseStoreDir(absl::string_view command,
                                        tailor::TrainingInput* input) {
  const std::string data = absl::GetFlag(FLAGS_data);
  if (data.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--data: must be set for ", command));
  }
  input->format = tailor::TrainingInput::Format::kEvents;
  input->event_files = {data + "/events.csv"};
  input->catalog_file = data + "/catalog.csv";
  return data;
}

// The segmentation flags (k, K-Means batch) on top of `als`'s seed and
// threads; the profiles weigh events as `weights` says.
tailor::SegmentationOptions SegmentationFromFlags(
    const tailor::AlsOptions& als, const tailor::EventWeights& weights) {
  tailor::SegmentationOptions o;
  o.k = absl::GetFlag(FLAGS_clusters);
  o.profiles.weights = weights;
  o.als = als;
  o.kmeans.seed = als.seed;
  o.kmeans.threads = als.threads;
  o.kmeans.batch_size = absl::GetFlag(FLAGS_kmeans_batch_size);
  return o;
}

tailor::PropensityOptions PropensityFromFlags() {
  tailor::PropensityOptions o;
  o.purchase_horizon_days = absl::GetFlag(FLAGS_purchase_horizon_days);
  o.churn_horizon_days = absl::GetFlag(FLAGS_churn_horizon_days);
  return o;
}

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "tailor-trainer: %s\n",
               std::string(s.message()).c_str());
  return 1;
}

// Parses each value of a list flag with `parse`, naming the flag on error.
template <typename T, typename ParseFn>
absl::Status ParseList(const char* flag, const std::vector<std::string>& in,
                       ParseFn parse, std::vector<T>* out) {
  out->clear();
  for (const std::string& v : in) {
    T value;
    if (!parse(v, &value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": '", v, "' is not a number"));
    }
    out->push_back(value);
  }
  return absl::OkStatus();
}

absl::Status ParseGrid(tailor::RatingGrid* grid) {
  auto to_int = [](absl::string_view v, int* out) {
    return absl::SimpleAtoi(v, out);
  };
  auto to_float = [](absl::string_view v, float* out) {
    return absl::SimpleAtof(v, out);
  };
  if (absl::Status s = ParseList<int>("svd_tune_factors",
                                      absl::GetFlag(FLAGS_svd_tune_factors),
                                      to_int, &grid->factors);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ParseList<int>("svd_tune_epochs",
                                      absl::GetFlag(FLAGS_svd_tune_epochs),
                                      to_int, &grid->epochs);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ParseList<float>(
          "svd_tune_learning_rate", absl::GetFlag(FLAGS_svd_tune_learning_rate),
          to_float, &grid->learning_rates);
      !s.ok()) {
    return s;
  }
  return ParseList<float>("svd_tune_regularization",
                          absl::GetFlag(FLAGS_svd_tune_regularization),
                          to_float, &grid->regularizations);
}

// BPR's options from its flags; threads and seed are shared with ALS.
tailor::BprOptions BprFromFlags(const tailor::AlsOptions& als) {
  tailor::BprOptions bpr;
  bpr.factors = absl::GetFlag(FLAGS_bpr_factors);
  bpr.epochs = absl::GetFlag(FLAGS_bpr_epochs);
  bpr.learning_rate =
      static_cast<float>(absl::GetFlag(FLAGS_bpr_learning_rate));
  bpr.regularization =
      static_cast<float>(absl::GetFlag(FLAGS_bpr_regularization));
  bpr.threads = als.threads;
  bpr.seed = als.seed;
  return bpr;
}

// What every subcommand starts from: the input files and the live event
// log named by the flags, and the ALS options (also the seed and threads of
// the other models). Removes the event-log reader's scratch directory, when
// it made one, after closing the reader.
struct Context {
  ~Context() {
    event_log.reset();
    std::error_code ignored;
    if (!own_secondary.empty()) {
      std::filesystem::remove_all(own_secondary, ignored);
    }
  }
  tailor::TrainingInput input;
  tailor::AlsOptions als;
  std::unique_ptr<tailor::EventLogSource> event_log;
  std::string own_secondary;
};

// Fills `context` from the input and ALS flags.
absl::Status ContextFromFlags(Context* context) {
  tailor::TrainingInput& input = context->input;
  input.event_files = absl::GetFlag(FLAGS_events);
  input.catalog_file = absl::GetFlag(FLAGS_catalog);
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format == "movielens") {
    input.format = tailor::TrainingInput::Format::kMovieLens;
  } else if (format == "online-retail") {
    input.format = tailor::TrainingInput::Format::kOnlineRetail;
  } else if (format == "mapped") {
    input.format = tailor::TrainingInput::Format::kMapped;
    TAILOR_ASSIGN_OR_RETURN(
        tailor::ColumnMapping mapping,
        tailor::ParseEventMapping(absl::GetFlag(FLAGS_columns),
                                  absl::GetFlag(FLAGS_event_type),
                                  absl::GetFlag(FLAGS_event_type_map),
                                  absl::GetFlag(FLAGS_time_format)));
    mapping.cancel_prefix = absl::GetFlag(FLAGS_cancel_prefix);
    input.mapping =
        std::make_shared<const tailor::ColumnMapping>(std::move(mapping));
  } else if (format != "events") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--format: '", format,
        "' is not one of events, movielens, online-retail, mapped"));
  }
  if (input.format != tailor::TrainingInput::Format::kMapped &&
      !absl::GetFlag(FLAGS_columns).empty()) {
    return absl::InvalidArgumentError(
        "--columns: maps the columns of --format=mapped files only");
  }
  if (const std::string spec = absl::GetFlag(FLAGS_catalog_columns);
      !spec.empty()) {
    TAILOR_ASSIGN_OR_RETURN(tailor::ColumnMapping mapping,
                            tailor::ParseCatalogMapping(spec));
    const std::string separator = absl::GetFlag(FLAGS_sizes_separator);
    if (separator.size() != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--sizes_separator: must be one character, got '", separator, "'"));
    }
    mapping.sizes_separator = separator[0];
    input.catalog_mapping =
        std::make_shared<const tailor::ColumnMapping>(std::move(mapping));
  }
  if (const std::string dir = absl::GetFlag(FLAGS_movielens_dir);
      !dir.empty()) {
    input.format = tailor::TrainingInput::Format::kMovieLens;
    input.event_files = {dir + "/u.data"};
    input.catalog_file = dir + "/u.item";
  }
  // The live event log, read up to where it is now.
  if (const std::string dir = absl::GetFlag(FLAGS_event_log); !dir.empty()) {
    std::string secondary = absl::GetFlag(FLAGS_event_log_secondary);
    if (secondary.empty()) {
      secondary = (std::filesystem::temp_directory_path() /
                   absl::StrCat("tailor-trainer-", getpid()))
                      .string();
      context->own_secondary = secondary;
    }
    TAILOR_ASSIGN_OR_RETURN(context->event_log,
                            tailor::EventLogSource::Open(dir, secondary));
    input.event_log = context->event_log.get();
    // The server's erased users are left out of the files too.
    input.erased = context->event_log->ErasedCheck();
    // And its live catalog is laid over the catalog file.
    input.live_catalog = &context->event_log->live_catalog();
  }
  input.read_options.strict = absl::GetFlag(FLAGS_strict);
  input.read_options.background_parsing =
      absl::GetFlag(FLAGS_background_parsing);
  TAILOR_RETURN_IF_ERROR(tailor::ParseEventWeights(
      absl::GetFlag(FLAGS_event_weights), &input.weights));

  tailor::AlsOptions& als = context->als;
  als.factors = absl::GetFlag(FLAGS_factors);
  als.iterations = absl::GetFlag(FLAGS_iterations);
  als.regularization = static_cast<float>(absl::GetFlag(FLAGS_regularization));
  als.alpha = static_cast<float>(absl::GetFlag(FLAGS_alpha));
  als.frequency_scaling =
      static_cast<float>(absl::GetFlag(FLAGS_frequency_scaling));
  als.cg_steps = absl::GetFlag(FLAGS_cg_steps);
  als.threads = absl::GetFlag(FLAGS_threads);
  als.seed = absl::GetFlag(FLAGS_seed);
  const std::string solver = absl::GetFlag(FLAGS_solver);
  if (solver == "cholesky") {
    als.solver = tailor::AlsOptions::Solver::kCholesky;
  } else if (solver != "cg") {
    return absl::InvalidArgumentError(
        absl::StrCat("--solver: '", solver, "' is not one of cg, cholesky"));
  }
  return absl::OkStatus();
}

void Log(const std::string& line) { tailor::LogInfo(line); }

// tailor-trainer propensity: fits and reports the purchase and churn models.
absl::Status Propensity(Context& context) {
  TAILOR_RETURN_IF_ERROR(UseStoreDir("propensity", &context.input).status());
  TAILOR_ASSIGN_OR_RETURN(
      std::vector<tailor::PropensityReport> reports,
      tailor::RunPropensity(context.input, PropensityFromFlags(), Log));
  for (const tailor::PropensityReport& r : reports) {
    std::printf("%s\n", tailor::FormatPropensityReport(r).c_str());
  }
  return absl::OkStatus();
}

// tailor-trainer profiles: builds and summarises every customer profile.
absl::Status Profiles(Context& context) {
  TAILOR_RETURN_IF_ERROR(UseStoreDir("profiles", &context.input).status());
  tailor::ProfileOptions options;
  options.weights = context.input.weights;
  TAILOR_ASSIGN_OR_RETURN(
      tailor::ProfilingResult r,
      tailor::RunProfiling(context.input, options, {}, Log));
  std::printf("%s", tailor::FormatProfiling(r).c_str());
  if (const std::string out = absl::GetFlag(FLAGS_out); !out.empty()) {
    TAILOR_RETURN_IF_ERROR(tailor::WriteProfilesCsv(r, out));
    std::printf("wrote %s\n", out.c_str());
  }
  return absl::OkStatus();
}

// tailor-trainer segments: clusters the customers and describes the
// clusters, scored against planted ground truth when there is some.
absl::Status Segments(Context& context) {
  TAILOR_ASSIGN_OR_RETURN(const std::string data,
                          UseStoreDir("segments", &context.input));
  const tailor::SegmentationOptions options =
      SegmentationFromFlags(context.als, context.input.weights);
  TAILOR_ASSIGN_OR_RETURN(tailor::SegmentationResult r,
                          tailor::RunSegmentation(context.input, options, Log));
  std::printf("%s", tailor::FormatSegmentation(r, options.k > 0).c_str());
  std::string truth_path = absl::GetFlag(FLAGS_ground_truth);
  if (truth_path.empty() && std::filesystem::exists(data + "/users.csv")) {
    truth_path = data + "/users.csv";
  }
  if (!truth_path.empty()) {
    TAILOR_ASSIGN_OR_RETURN(auto truth,
                            tailor::ReadGroundTruth(truth_path, "taste_group"));
    const tailor::GroundTruthAgreement agreement =
        tailor::AgreementWith(r, truth);
    std::printf("\nadjusted Rand index vs %s: %.4f (%lld users)\n",
                truth_path.c_str(), agreement.adjusted_rand_index,
                static_cast<long long>(agreement.users));
  }
  return absl::OkStatus();
}

// The rating models' options and tuning grid from their flags.
absl::StatusOr<tailor::RatingModels> RatingModelsFromFlags() {
  tailor::BiasedMfOptions svd;
  svd.factors = absl::GetFlag(FLAGS_svd_factors);
  svd.epochs = absl::GetFlag(FLAGS_svd_epochs);
  svd.learning_rate =
      static_cast<float>(absl::GetFlag(FLAGS_svd_learning_rate));
  svd.regularization =
      static_cast<float>(absl::GetFlag(FLAGS_svd_regularization));
  svd.learning_rate_decay =
      static_cast<float>(absl::GetFlag(FLAGS_svd_learning_rate_decay));
  svd.bias_regularization =
      static_cast<float>(absl::GetFlag(FLAGS_svd_bias_regularization));
  svd.implicit_regularization =
      static_cast<float>(absl::GetFlag(FLAGS_svd_implicit_regularization));
  svd.init_stddev = static_cast<float>(absl::GetFlag(FLAGS_svd_init_stddev));
  svd.seed = absl::GetFlag(FLAGS_seed);
  tailor::RatingModels models;
  models.sgd = svd;
  models.bayesian.factors = absl::GetFlag(FLAGS_bmf_factors);
  models.bayesian.sweeps = absl::GetFlag(FLAGS_bmf_sweeps);
  models.bayesian.burn_in = absl::GetFlag(FLAGS_bmf_burn_in);
  models.bayesian.seed = absl::GetFlag(FLAGS_seed);
  return models;
}

// eval --protocol=surprise-5fold: the rating models on MovieLens' folds.
absl::Status EvalRatings(const tailor::TrainingInput& input,
                         const std::string& data,
                         std::vector<std::string> models) {
  if (input.format != tailor::TrainingInput::Format::kMovieLens) {
    return absl::InvalidArgumentError(
        "--format: surprise-5fold needs movielens");
  }
  if (models.empty()) models = {"svd", "svdpp", "bayesian-mf"};
  TAILOR_ASSIGN_OR_RETURN(tailor::RatingModels rating_models,
                          RatingModelsFromFlags());
  TAILOR_ASSIGN_OR_RETURN(std::vector<tailor::RatingFold> folds,
                          tailor::ReadMovieLensFolds(data));
  tailor::RatingGrid grid;
  TAILOR_RETURN_IF_ERROR(ParseGrid(&grid));
  for (const std::string& model : models) {
    TAILOR_ASSIGN_OR_RETURN(
        tailor::RatingEvaluation e,
        tailor::EvaluateSurprise5Fold(
            folds, rating_models, model,
            absl::GetFlag(FLAGS_tune) ? &grid : nullptr, Log));
    std::printf("%s\n", absl::GetFlag(FLAGS_json)
                            ? tailor::RatingEvaluationToJson(e, data).c_str()
                            : tailor::FormatRatingEvaluation(e).c_str());
  }
  return absl::OkStatus();
}

// tailor-trainer eval: offline metrics of the chosen models under a
// protocol.
absl::Status Eval(Context& context) {
  tailor::TrainingInput& input = context.input;
  std::string data = absl::GetFlag(FLAGS_data);
  if (data.empty() && !input.event_files.empty()) {
    // The input as --events / --catalog / --format give it.
    data = input.event_files[0];
  } else if (data.empty()) {
    return absl::InvalidArgumentError(
        "--data (or --events): must be set for eval");
  } else if (input.format == tailor::TrainingInput::Format::kMovieLens) {
    input.event_files = {data + "/u.data"};
    input.catalog_file = data + "/u.item";
  } else {
    input.event_files = {data + "/events.csv"};
    input.catalog_file = std::filesystem::exists(data + "/catalog.csv")
                             ? data + "/catalog.csv"
                             : "";
  }
  TAILOR_ASSIGN_OR_RETURN(const tailor::Protocol protocol,
                          tailor::ParseProtocol(absl::GetFlag(FLAGS_protocol)));
  std::vector<std::string> models = absl::GetFlag(FLAGS_model);
  if (protocol == tailor::Protocol::kSurprise5Fold) {
    return EvalRatings(input, data, std::move(models));
  }
  if (models.empty()) {
    models = protocol == tailor::Protocol::kColdItems
                 ? tailor::ColdItemModelNames()
                 : tailor::RankingModelNames();
  }
  tailor::EvaluationOptions options;
  options.k = absl::GetFlag(FLAGS_k);
  options.tune = absl::GetFlag(FLAGS_tune);
  options.als = context.als;
  options.bpr = BprFromFlags(context.als);
  options.item_knn.neighbors = absl::GetFlag(FLAGS_knn_neighbors);
  options.item_knn.shrinkage =
      static_cast<float>(absl::GetFlag(FLAGS_knn_shrinkage));
  options.item_knn.threads = context.als.threads;
  options.ease.regularization =
      static_cast<float>(absl::GetFlag(FLAGS_ease_regularization));
  options.recent_window_seconds = static_cast<int64_t>(
      absl::GetFlag(FLAGS_recent_window_days) * tailor::kSecondsPerDay);
  TAILOR_ASSIGN_OR_RETURN(
      std::vector<tailor::ModelEvaluation> rows,
      tailor::RunEvaluation(input, protocol, models, options,
                            absl::GetFlag(FLAGS_seed), Log));
  if (absl::GetFlag(FLAGS_json)) {
    for (const auto& row : rows) {
      std::printf(
          "%s\n",
          tailor::EvaluationToJson(row, data, protocol, options.k).c_str());
    }
  } else {
    std::printf("%s", tailor::FormatEvaluationTable(rows, options.k).c_str());
  }
  return absl::OkStatus();
}

// The training pipeline's options from the flags, on top of `als`.
absl::StatusOr<tailor::TrainingOptions> TrainingFromFlags(
    const tailor::AlsOptions& als) {
  tailor::TrainingOptions training;
  training.als = als;
  training.tune.enabled = absl::GetFlag(FLAGS_tune);
  training.tune.budget_seconds = absl::GetFlag(FLAGS_tune_budget);
  training.tune.k = absl::GetFlag(FLAGS_k);
  if (const std::string algorithm = absl::GetFlag(FLAGS_algorithm);
      algorithm == "bpr") {
    training.algorithm = tailor::TrainingOptions::Algorithm::kBpr;
  } else if (algorithm == "auto") {
    training.tune.auto_algorithm = true;
  } else if (algorithm != "als") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--algorithm: '", algorithm, "' is not one of als, bpr, auto"));
  }
  training.bpr = BprFromFlags(als);
  training.cold_start_below_users = absl::GetFlag(FLAGS_cold_start_below_users);
  absl::StatusOr<tailor::ConsumedTypes> consumed =
      tailor::ParseConsumedTypes(absl::GetFlag(FLAGS_consumed));
  if (!consumed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--consumed: ", consumed.status().message()));
  }
  training.consumed = *consumed;
  training.attributes.seed = absl::GetFlag(FLAGS_seed);
  training.baskets.min_count = absl::GetFlag(FLAGS_rule_min_count);
  training.baskets.max_size = absl::GetFlag(FLAGS_rule_max_size);
  training.rules.min_confidence =
      static_cast<float>(absl::GetFlag(FLAGS_rule_min_confidence));
  if (const std::string ann = absl::GetFlag(FLAGS_ann); ann == "on") {
    training.ann.mode = tailor::AnnOptions::Mode::kOn;
  } else if (ann == "off") {
    training.ann.mode = tailor::AnnOptions::Mode::kOff;
  } else if (ann != "auto") {
    return absl::InvalidArgumentError(
        absl::StrCat("--ann: '", ann, "' is not one of auto, on, off"));
  }
  training.ann.min_items = absl::GetFlag(FLAGS_ann_min_items);
  training.ann.build.lists = absl::GetFlag(FLAGS_ann_lists);
  training.ann.build.threads = als.threads;
  training.ann.build.seed = absl::GetFlag(FLAGS_seed);
  training.ann.tune.seed = absl::GetFlag(FLAGS_seed);
  training.ann.tune_queries = absl::GetFlag(FLAGS_ann_tune_queries);
  TAILOR_RETURN_IF_ERROR(tailor::ParseStrategies(
      absl::GetFlag(FLAGS_strategies), &training.strategies));
  training.strategies.recent_window_seconds = static_cast<int64_t>(
      absl::GetFlag(FLAGS_recent_window_days) * tailor::kSecondsPerDay);
  training.strategies.ease_options.regularization =
      static_cast<float>(absl::GetFlag(FLAGS_ease_regularization));
  training.strategies.ease_options.max_items =
      absl::GetFlag(FLAGS_ease_max_items);
  return training;
}

// tailor-trainer split: writes eval's train/test split of the input as
// files, to train and serve a model on the training side and score what it
// serves against the test side (tailor score).
absl::Status Split(Context& context) {
  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) {
    return absl::InvalidArgumentError("--out: must name a directory for split");
  }
  TAILOR_ASSIGN_OR_RETURN(const tailor::Protocol protocol,
                          tailor::ParseProtocol(absl::GetFlag(FLAGS_protocol)));
  return tailor::WriteEvaluationSplit(context.input, protocol,
                                      absl::GetFlag(FLAGS_seed), out, Log)
      .status();
}

// tailor-trainer train: trains, adds the customer segments, and publishes
// the snapshot.
absl::Status Train(Context& context) {
  const tailor::TrainingInput& input = context.input;
  TAILOR_ASSIGN_OR_RETURN(const tailor::TrainingOptions training,
                          TrainingFromFlags(context.als));
  TAILOR_ASSIGN_OR_RETURN(tailor::TrainingResult result,
                          tailor::RunTraining(input, training, Log));
  if (absl::GetFlag(FLAGS_segments)) {
    if (input.format != tailor::TrainingInput::Format::kMovieLens &&
        tailor::HasCatalog(input)) {
      tailor::CustomerModelOptions customers;
      customers.propensity = PropensityFromFlags();
      customers.segmentation =
          SegmentationFromFlags(context.als, input.weights);
      if (result.tuning.has_value()) {
        customers.validation = &result.tuning->validation;
        customers.validation_k = training.tune.k;
      }
      TAILOR_RETURN_IF_ERROR(
          tailor::AddCustomerSegments(input, customers, &result.snapshot, Log));
    } else {
      tailor::LogInfo(
          "segments: skipped (they need events and a catalog; pass "
          "--segments=false to silence this)");
    }
  }
  // Nobody erased while the trainer ran is published.
  if (context.event_log != nullptr) {
    TAILOR_ASSIGN_OR_RETURN(const tailor::RemovedUsers removed,
                            context.event_log->RemoveErased(&result.snapshot));
    if (removed.model_users > 0 || removed.customers > 0) {
      Log(absl::StrCat(
          "left out users erased while training: ", removed.model_users,
          " model users, ", removed.customers, " customers"));
    }
  }
  tailor::SnapshotStore store(tailor::Env::Default(),
                              absl::GetFlag(FLAGS_snapshot_dir));
  TAILOR_ASSIGN_OR_RETURN(const std::string version,
                          store.Publish(result.snapshot));
  tailor::LogInfo(absl::StrCat("published snapshot ", version, " to ",
                               store.dir(), " (read ", result.read_seconds,
                               " s, train ", result.train_seconds,
                               " s, peak RSS ", tailor::PeakRssMiB(), " MiB)"));
  return absl::OkStatus();
}

struct Command {
  const char* name;
  const char* usage;
  absl::Status (*run)(Context& context);
};

constexpr Command kCommands[] = {
    {"train",
     "train --events=FILE[,FILE] [--catalog=FILE] --snapshot_dir=DIR\n"
     "  tailor-trainer train --movielens_dir=DIR --snapshot_dir=DIR\n"
     "  tailor-trainer train --format=online-retail --events=FILE "
     "--snapshot_dir=DIR\n"
     "  tailor-trainer train --format=mapped --events=orders.csv "
     "--columns=user_id=Customer,item_id=SKU,timestamp=Date "
     "--event_type=purchase [--time_format=FORMAT] "
     "[--catalog=FILE --catalog_columns=item_id=SKU,...] --snapshot_dir=DIR\n"
     "  tailor-trainer train [--events=FILE] --event_log=SERVER_DATA_DIR "
     "[--catalog=FILE] --snapshot_dir=DIR",
     Train},
    {"eval",
     "eval --data=DIR | --events=FILE [--catalog=FILE] "
     "--format=movielens|events|online-retail "
     "--protocol=random-75-25|temporal|cold-items|surprise-5fold "
     "--model=popularity,als [--json]",
     Eval},
    {"split",
     "split --events=FILE [--catalog=FILE] [--format=...] --out=DIR "
     "[--protocol=temporal|random-75-25|cold-items] [--seed=N]",
     Split},
    {"segments",
     "segments --data=DIR [--clusters=K] [--ground_truth=DIR/users.csv]",
     Segments},
    {"propensity", "propensity --data=DIR", Propensity},
    {"profiles", "profiles --data=DIR [--out=profiles.csv]", Profiles},
};

}  // namespace

int main(int argc, char** argv) {
  std::string usage = "Trains a recommendation model and publishes a snapshot.";
  std::string names;
  for (const Command& c : kCommands) {
    absl::StrAppend(&usage, "\n  tailor-trainer ", c.usage);
    absl::StrAppend(&names, names.empty() ? "" : "|", c.name);
  }
  absl::SetProgramUsageMessage(usage);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  const std::string name = args.size() == 2 ? args[1] : "";
  for (const Command& command : kCommands) {
    if (name != command.name) continue;
    Context context;
    absl::Status s = ContextFromFlags(&context);
    if (s.ok()) s = command.run(context);
    return s.ok() ? 0 : Fail(s);
  }
  std::fprintf(stderr, "usage: tailor-trainer %s [flags]; see --help\n",
               names.c_str());
  return 2;
}

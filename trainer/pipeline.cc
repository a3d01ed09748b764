#include "trainer/pipeline.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <numeric>
#include <random>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "core/base/interactions.h"
#include "core/base/status_macros.h"
#include "core/data/order_lines.h"
#include "core/models/popularity.h"

namespace tailor {
namespace {

std::string WeightsToString(const EventWeights& w) {
  std::vector<std::string> parts;
  for (int t = 0; t < kNumEventTypes; ++t) {
    parts.push_back(absl::StrCat(EventTypeName(static_cast<EventType>(t)), "=",
                                 w.weight[t]));
  }
  return absl::StrJoin(parts, ",");
}

std::string UtcTime(int64_t unix) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(unix),
                          absl::UTCTimeZone());
}

}  // namespace

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

double PeakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is KiB
}

absl::Status ReadInputEvents(const TrainingInput& input, bool pipelined,
                             const EventSink& all_sink,
                             const std::function<void(ReadReport)>& on_report) {
  if (input.event_files.empty() && input.event_log == nullptr) {
    return absl::InvalidArgumentError(
        "events: no input file given (and no event log)");
  }
  ReadReport report;
  const EventSink erased_out = [&](Event&& e) {
    if (input.erased(e.user_id)) {
      ++report.erased;
    } else {
      all_sink(std::move(e));
    }
  };
  const EventSink& sink = input.erased ? erased_out : all_sink;
  for (const std::string& file : input.event_files) {
    report = ReadReport();
    switch (input.format) {
      case TrainingInput::Format::kMovieLens:
        TAILOR_RETURN_IF_ERROR(
            ReadMovieLensRatings(file, input.read_options, sink, &report));
        break;
      case TrainingInput::Format::kOnlineRetail:
        TAILOR_RETURN_IF_ERROR(ReadOnlineRetailCsv(
            file, input.read_options,
            [&](OrderLine&& line) { sink(EventOfOrderLine(line)); }, &report));
        break;
      case TrainingInput::Format::kMapped:
        if (input.mapping == nullptr) {
          return absl::InvalidArgumentError(
              "format mapped: no column mapping (--columns)");
        }
        TAILOR_RETURN_IF_ERROR(ReadMappedEventsCsv(
            file, *input.mapping, input.read_options,
            [&](MappedRow&& row) { sink(std::move(row.event)); }, &report));
        break;
      case TrainingInput::Format::kEvents:
        TAILOR_RETURN_IF_ERROR(
            pipelined ? ReadEventsCsvPipelined(file, input.read_options, sink,
                                               &report)
                      : ReadEventsCsv(file, input.read_options, sink, &report));
        break;
    }
    if (on_report) on_report(std::move(report));
  }
  if (input.event_log != nullptr) {
    report = ReadReport();
    TAILOR_RETURN_IF_ERROR(input.event_log->ForEach(sink, &report));
    if (on_report) on_report(std::move(report));
  }
  return absl::OkStatus();
}

namespace {

// Whether the input's events files imply a catalog: order exports, and
// mapped files with a title or price column.
bool EventFilesImplyCatalog(const TrainingInput& input) {
  if (input.event_files.empty()) return false;
  if (input.format == TrainingInput::Format::kOnlineRetail) return true;
  return input.format == TrainingInput::Format::kMapped &&
         input.mapping != nullptr &&
         (input.mapping->Source("title").has_value() ||
          input.mapping->Source("price").has_value());
}

}  // namespace

bool HasCatalog(const TrainingInput& input) {
  return !input.catalog_file.empty() ||
         (input.live_catalog != nullptr && !input.live_catalog->empty()) ||
         EventFilesImplyCatalog(input);
}

namespace {

// The input's own catalog (files or order exports).
absl::StatusOr<std::vector<Item>> ReadFileCatalog(const TrainingInput& input,
                                                  ReadReport* report) {
  if (!input.catalog_file.empty()) {
    if (input.catalog_mapping != nullptr) {
      return ReadMappedCatalogCsv(input.catalog_file, *input.catalog_mapping,
                                  input.read_options, report);
    }
    return input.format == TrainingInput::Format::kMovieLens
               ? ReadMovieLensItems(input.catalog_file, input.read_options,
                                    report)
               : ReadCatalogCsv(input.catalog_file, input.read_options, report);
  }
  if (!EventFilesImplyCatalog(input)) return std::vector<Item>();
  OrderLineCatalog catalog;
  for (const std::string& file : input.event_files) {
    ReadReport lines;  // the event pass reports the rows
    if (input.format == TrainingInput::Format::kOnlineRetail) {
      TAILOR_RETURN_IF_ERROR(ReadOnlineRetailCsv(
          file, input.read_options,
          [&](OrderLine&& line) { catalog.Add(line); }, &lines));
      continue;
    }
    // Mapped rows: priced ones when there is a price column (an unpriced
    // view must not reprice the item), else titled ones.
    const bool has_price = input.mapping->Source("price").has_value();
    TAILOR_RETURN_IF_ERROR(ReadMappedEventsCsv(
        file, *input.mapping, input.read_options,
        [&](MappedRow&& row) {
          if (has_price ? !row.priced : row.title.empty()) return;
          OrderLine line;
          line.item_id = row.event.item_id;
          line.timestamp = row.event.timestamp;
          line.unit_price = row.priced ? row.event.price : 0;
          line.description = std::move(row.title);
          catalog.Add(line);
        },
        &lines));
  }
  std::vector<Item> items = catalog.Items();
  report->source = "catalog from the order lines";
  report->rows = report->accepted = static_cast<int64_t>(items.size());
  return items;
}

}  // namespace

absl::StatusOr<std::vector<Item>> ReadInputCatalog(const TrainingInput& input,
                                                   ReadReport* report) {
  TAILOR_ASSIGN_OR_RETURN(std::vector<Item> items,
                          ReadFileCatalog(input, report));
  if (input.live_catalog == nullptr || input.live_catalog->empty()) {
    return items;
  }
  absl::flat_hash_map<std::string, size_t> at;
  for (size_t i = 0; i < items.size(); ++i) at[items[i].item_id] = i;
  for (const LiveItem& entry : *input.live_catalog) {
    auto [it, inserted] = at.try_emplace(entry.item.item_id, items.size());
    if (inserted) {
      items.push_back(entry.item);
    } else {
      items[it->second] = entry.item;
    }
  }
  if (report->source.empty()) report->source = "live catalog";
  report->source += absl::StrCat(" (with ", input.live_catalog->size(),
                                 " live catalog entries laid over it)");
  return items;
}

absl::StatusOr<LoadedData> LoadInteractions(const TrainingInput& input,
                                            const ProgressFn& progress) {
  auto say = [&](const std::string& line) {
    if (progress) progress(line);
  };
  LoadedData data;
  auto report_file = [&](ReadReport report) {
    say(report.Summary());
    for (const std::string& e : report.errors) say(absl::StrCat("  ", e));
    if (report.skipped > static_cast<int64_t>(report.errors.size())) {
      say(absl::StrCat("  ... and ", report.skipped - report.errors.size(),
                       " more rows skipped"));
    }
    data.reports.push_back(std::move(report));
  };
  const auto read_start = std::chrono::steady_clock::now();
  if (HasCatalog(input)) {
    ReadReport report;
    TAILOR_ASSIGN_OR_RETURN(data.catalog, ReadInputCatalog(input, &report));
    report_file(std::move(report));
  }
  InteractionBuilder builder(input.weights);
  BasketBuilder baskets;
  for (const Item& item : data.catalog) builder.AddItem(item.item_id);
  int64_t first = INT64_MAX, last = INT64_MIN;
  TAILOR_RETURN_IF_ERROR(ReadInputEvents(
      input, /*pipelined=*/true,
      [&](Event&& e) {
        first = std::min(first, e.timestamp);
        last = std::max(last, e.timestamp);
        if (e.type == EventType::kPurchase) {
          baskets.Add(e.user_id, e.item_id, e.timestamp);
        }
        builder.Add(e);
      },
      report_file));
  data.events = builder.num_events();
  data.first_event_unix = data.events > 0 ? first : 0;
  data.last_event_unix = data.events > 0 ? last : 0;
  if (data.events == 0) {
    return absl::InvalidArgumentError(
        "events: no usable event in the input files");
  }
  data.interactions = std::move(builder).Build();
  data.baskets = std::move(baskets).Build(data.interactions.items);
  data.read_seconds = SecondsSince(read_start);
  const InteractionMatrix& m = data.interactions;
  say(absl::StrFormat(
      "%d users, %d items, %d user-item pairs from %d events (%.2f s)",
      m.num_users(), m.num_items(), m.nnz(), data.events, data.read_seconds));
  return data;
}

absl::StatusOr<TrainingResult> RunTraining(const TrainingInput& input,
                                           const TrainingOptions& options,
                                           const ProgressFn& progress) {
  auto say = [&](const std::string& line) {
    if (progress) progress(line);
  };
  const bool tune = options.tune.enabled;
  if (options.tune.auto_algorithm && !tune) {
    return absl::InvalidArgumentError(
        "algorithm: auto chooses on a validation split, which needs tuning "
        "on (--tune)");
  }
  // Every competing algorithm's starting options must be valid.
  if (options.tune.auto_algorithm ||
      options.algorithm == TrainingOptions::Algorithm::kBpr) {
    TAILOR_RETURN_IF_ERROR(ValidateBprOptions(options.bpr));
  }
  if (options.tune.auto_algorithm ||
      options.algorithm == TrainingOptions::Algorithm::kAls) {
    TAILOR_RETURN_IF_ERROR(ValidateAlsOptions(options.als));
  }
  TAILOR_RETURN_IF_ERROR(ValidateFpGrowthOptions(options.baskets));
  TAILOR_RETURN_IF_ERROR(ValidateAttributeEmbeddingOptions(options.attributes));
  if (options.cold_start_below_users < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cold_start_below_users: must be >= 0, got ",
                     options.cold_start_below_users));
  }
  TAILOR_RETURN_IF_ERROR(ValidateStrategyOptions(options.strategies));
  TAILOR_ASSIGN_OR_RETURN(LoadedData data, LoadInteractions(input, progress));
  TrainingResult result;
  result.reports = std::move(data.reports);
  result.events = data.events;
  result.read_seconds = data.read_seconds;
  std::vector<Item> catalog = std::move(data.catalog);
  InteractionMatrix m = std::move(data.interactions);

  TrainingOptions::Algorithm algorithm = options.algorithm;
  AlsOptions als = options.als;
  BprOptions bpr_options = options.bpr;
  TAILOR_RETURN_IF_ERROR(CheckStrategiesFit(options.strategies, m.num_items()));
  if (tune) {
    TuneOptions tuning = options.tune;
    tuning.strategies = ValidationStrategies(options.strategies, m.num_items());
    TAILOR_ASSIGN_OR_RETURN(result.tuning,
                            TuneServedModel(m, options.algorithm, options.als,
                                            options.bpr, tuning, progress));
    algorithm = result.tuning->algorithm;
    als = result.tuning->als;
    bpr_options = result.tuning->bpr;
    if (!result.tuning->beats_popularity) {
      say(absl::StrFormat(
          "the tuned model does not beat popularity on validation (NDCG@%d "
          "%.4f against %.4f): the snapshot serves the popularity fallback",
          options.tune.k, result.tuning->chosen.ndcg,
          result.tuning->popularity.ndcg));
    }
  }
  const bool bpr = algorithm == TrainingOptions::Algorithm::kBpr;

  const auto train_start = std::chrono::steady_clock::now();
  AlsFactors factors;
  if (bpr) {
    TAILOR_ASSIGN_OR_RETURN(BprFactors f, TrainBpr(m, bpr_options));
    factors.user_factors = std::move(f.user_factors);
    factors.item_factors = std::move(f.item_factors);
    // BPR leaves users without a positive pair at their random start:
    // zero them so the server serves them the popularity fallback.
    for (int32_t u = 0; u < m.num_users(); ++u) {
      bool positive = false;
      for (int64_t p = m.row_ptr[u]; p < m.row_ptr[u + 1]; ++p) {
        positive |= m.weight[p] > 0;
      }
      if (!positive) factors.user_factors.row(u).setZero();
    }
    say(absl::StrFormat("bpr: %d epochs in %.2f s", bpr_options.epochs,
                        SecondsSince(train_start)));
  } else {
    TAILOR_ASSIGN_OR_RETURN(
        factors, TrainImplicitAls(m, als, [&](const AlsIteration& it) {
          say(absl::StrFormat("iteration %2d  loss %.6g  %.2f s", it.iteration,
                              it.loss, it.seconds));
        }));
  }
  result.iterations = factors.history;
  std::string cold_start = "off";
  if (options.cold_start_below_users > 0) {
    absl::StatusOr<ColdStartReport> cold =
        EmbedColdItems(m, catalog, options.cold_start_below_users,
                       options.attributes, &factors.item_factors);
    if (cold.ok()) {
      result.cold_start = *cold;
      result.snapshot.attributes = cold->map;
    }
    if (cold.ok() && cold->embedded_items == 0 &&
        cold->cold_without_attributes == 0) {
      cold_start =
          absl::StrCat("no cold items (every item has at least ",
                       options.cold_start_below_users, " interacting users)");
    } else if (cold.ok()) {
      cold_start = absl::StrFormat(
          "%d items embedded from attributes (fitted on %d, %d features, "
          "ridge %g, held-out MSE %.3g vs %.3g for the mean vector); %d cold "
          "items without catalog attributes",
          cold->embedded_items, cold->fitted_items, cold->num_features,
          cold->regularization, cold->holdout_mse, cold->holdout_mse_of_mean,
          cold->cold_without_attributes);
    } else if (absl::IsFailedPrecondition(cold.status())) {
      // Too little catalog to learn from: cold items keep their near-zero
      // ALS rows, which is what they would have without the hybrid.
      cold_start = absl::StrCat("skipped: ", cold.status().message());
    } else {
      return cold.status();
    }
    say(absl::StrCat("cold start: ", cold_start));
  }
  TAILOR_ASSIGN_OR_RETURN(std::vector<Itemset> itemsets,
                          MineFrequentItemsets(data.baskets, options.baskets));
  const int64_t num_baskets = static_cast<int64_t>(data.baskets.size());
  result.snapshot.rules = MakeRules(itemsets, num_baskets, options.rules);
  say(absl::StrFormat(
      "bought together: %d baskets, %d frequent itemsets (min count %d), %d "
      "rules",
      num_baskets, itemsets.size(), options.baskets.min_count,
      result.snapshot.rules.rules.size()));
  result.train_seconds = SecondsSince(train_start);

  Snapshot& s = result.snapshot;
  s.created_unix = static_cast<int64_t>(std::time(nullptr));
  s.model.popularity = ComputePopularity(m);
  const auto strategies_start = std::chrono::steady_clock::now();
  using Facts = std::vector<std::pair<std::string, std::string>>;
  TAILOR_ASSIGN_OR_RETURN(const Facts strategy_facts,
                          BuildStrategies(m, options.strategies, &s.model));
  say(absl::StrFormat("strategies: %s (%.2f s)", strategy_facts[0].second,
                      SecondsSince(strategies_start)));
  s.model.user_factors = std::move(factors.user_factors);
  s.model.item_factors = std::move(factors.item_factors);
  s.history.row_ptr = m.row_ptr;
  s.history.item = m.item;
  s.history.flags = m.flags;
  s.history.weight_sum = std::move(m.weight_sum);
  s.history.net_purchases = std::move(m.net_purchases);
  s.online.event_weights = input.weights;
  s.online.consumed = options.consumed;
  s.online.event_log_seq =
      input.event_log != nullptr ? input.event_log->through_seq() : 0;
  if (!bpr) {
    s.online.fold_in = true;
    s.online.alpha = als.alpha;
    s.online.regularization = als.regularization;
    s.online.frequency_scaling = als.frequency_scaling;
    s.online.mean_row_mass =
        MeanRowMass(m.row_ptr, m.weight, m.num_items(), als.alpha);
  }
  s.model.users = std::move(m.users);
  s.model.items = std::move(m.items);
  s.catalog = std::move(catalog);

  int64_t skipped = 0;
  std::vector<std::string> sources;
  for (const ReadReport& r : result.reports) {
    skipped += r.skipped;
    sources.push_back(r.source);
  }
  const double final_loss =
      result.iterations.empty() ? 0.0 : result.iterations.back().loss;
  if (bpr) {
    const BprOptions& o = bpr_options;
    s.info = {
        {"algorithm", "bpr"},
        {"factors", absl::StrCat(o.factors)},
        {"epochs", absl::StrCat(o.epochs)},
        {"learning_rate", absl::StrCat(o.learning_rate)},
        {"regularization", absl::StrCat(o.regularization)},
        {"seed", absl::StrCat(o.seed)},
    };
  } else {
    s.info = {
        {"algorithm", "implicit-als"},
        {"solver",
         als.solver == AlsOptions::Solver::kCholesky ? "cholesky" : "cg"},
        {"factors", absl::StrCat(als.factors)},
        {"iterations", absl::StrCat(als.iterations)},
        {"regularization", absl::StrCat(als.regularization)},
        {"alpha", absl::StrCat(als.alpha)},
        {"frequency_scaling", absl::StrCat(als.frequency_scaling)},
        {"seed", absl::StrCat(als.seed)},
        {"final_loss", absl::StrFormat("%.6g", final_loss)},
    };
  }
  s.info.insert(
      s.info.end(),
      {
          {"event_weights", WeightsToString(input.weights)},
          {"sources", absl::StrJoin(sources, ",")},
          {"events", absl::StrCat(result.events)},
          {"data_from", UtcTime(data.first_event_unix)},
          {"data_to", UtcTime(data.last_event_unix)},
          {"event_log_seq", absl::StrCat(s.online.event_log_seq)},
          {"consumed", ConsumedTypesName(s.online.consumed)},
          {"rows_skipped", absl::StrCat(skipped)},
          {"users", absl::StrCat(s.model.users.size())},
          {"items", absl::StrCat(s.model.items.size())},
          {"catalog_items", absl::StrCat(s.catalog.size())},
          {"interactions", absl::StrCat(s.history.item.size())},
          {"cold_start", cold_start},
          {"baskets", absl::StrCat(s.rules.num_baskets)},
          {"rules", absl::StrCat(s.rules.rules.size())},
          {"read_seconds", absl::StrFormat("%.3f", result.read_seconds)},
          {"train_seconds", absl::StrFormat("%.3f", result.train_seconds)},
          {"peak_rss_mib", absl::StrFormat("%.1f", PeakRssMiB())},
      });
  s.info.insert(s.info.end(), strategy_facts.begin(), strategy_facts.end());
  if (result.tuning.has_value()) {
    const TuneResult& t = *result.tuning;
    const int k = options.tune.k;
    s.online.popularity_fallback = !t.beats_popularity;
    s.info.insert(
        s.info.end(),
        {
            {"tuned",
             absl::StrFormat("%s on %d temporal validation fold%s (latest "
                             "20%% per shopper: %d shoppers, %d pairs)",
                             options.tune.auto_algorithm
                                 ? "algorithm and hyperparameters"
                                 : "hyperparameters",
                             t.folds, t.folds > 1 ? "s" : "",
                             t.validation_shoppers, t.validation_pairs)},
            {"tune_seconds", absl::StrFormat("%.1f", t.seconds)},
            {"tune_budget_seconds",
             absl::StrFormat("%g", options.tune.budget_seconds)},
            {"tune_candidates", absl::StrCat(t.trials.size())},
            {"tune_left_for_budget", absl::StrCat(t.skipped_for_budget)},
            {absl::StrCat("validation_ndcg@", k),
             absl::StrFormat("%.4f", t.chosen.ndcg)},
            {absl::StrCat("validation_precision@", k),
             absl::StrFormat("%.4f", t.chosen.precision)},
            {absl::StrCat("validation_recall@", k),
             absl::StrFormat("%.4f", t.chosen.recall)},
            {absl::StrCat("validation_best_ndcg@", k),
             absl::StrFormat("%.4f", t.best.ndcg)},
            {absl::StrCat("validation_popularity_ndcg@", k),
             absl::StrFormat("%.4f", t.popularity.ndcg)},
            {absl::StrCat("validation_item_neighbours_ndcg@", k),
             absl::StrFormat("%.4f", t.item_neighbours.ndcg)},
        });
    for (const auto& [name, metrics] : t.strategies) {
      std::string key = name;
      std::replace(key.begin(), key.end(), '-', '_');
      s.info.emplace_back(absl::StrCat("validation_", key, "_ndcg@", k),
                          absl::StrFormat("%.4f", metrics.ndcg));
    }
  } else {
    s.info.emplace_back("tuned", "no (--tune=false: options as given)");
  }
  s.info.emplace_back(
      "serving",
      s.online.popularity_fallback
          ? absl::StrFormat("popularity fallback: the tuned model's "
                            "validation NDCG@%d (%.4f) does not beat "
                            "popularity's (%.4f)",
                            options.tune.k, result.tuning->chosen.ndcg,
                            result.tuning->popularity.ndcg)
          : std::string(bpr ? "bpr" : "implicit-als"));
  TAILOR_RETURN_IF_ERROR(AddAnnIndex(options.ann, &s, progress));
  return result;
}

absl::Status AddAnnIndex(const AnnOptions& options, Snapshot* snapshot,
                         const ProgressFn& progress) {
  auto say = [&](const std::string& line) {
    if (progress) progress(line);
  };
  snapshot->ann = IvfPartition();
  const RowMatrix& items = snapshot->model.item_factors;
  const int64_t n = items.rows();
  if (options.mode == AnnOptions::Mode::kOff) {
    snapshot->info.emplace_back("ann", "off");
    return absl::OkStatus();
  }
  if (n == 0 ||
      (options.mode == AnnOptions::Mode::kAuto && n < options.min_items)) {
    const std::string why =
        absl::StrCat("skipped: ", n, " items, fewer than ", options.min_items);
    snapshot->info.emplace_back("ann", why);
    say(absl::StrCat("ann index: ", why, " (exact search serves them)"));
    return absl::OkStatus();
  }
  if (options.tune_queries <= 0) {
    return absl::InvalidArgumentError("ann tune_queries must be > 0");
  }
  const auto start = std::chrono::steady_clock::now();
  TAILOR_ASSIGN_OR_RETURN(IvfPartition partition,
                          BuildIvfPartition(items, options.build));
  const double build_seconds = SecondsSince(start);
  // Queries: sampled users with a nonzero embedding (items if none).
  const RowMatrix& users = snapshot->model.user_factors;
  std::vector<int64_t> rows;
  for (int64_t u = 0; u < users.rows(); ++u) {
    if (!users.row(u).isZero(0)) rows.push_back(u);
  }
  const RowMatrix& source = rows.empty() ? items : users;
  if (rows.empty()) {
    rows.resize(n);
    std::iota(rows.begin(), rows.end(), 0);
  }
  std::mt19937_64 rng(options.tune.seed);
  std::shuffle(rows.begin(), rows.end(), rng);
  rows.resize(std::min<size_t>(rows.size(), options.tune_queries));
  RowMatrix queries(static_cast<Eigen::Index>(rows.size()), items.cols());
  for (size_t q = 0; q < rows.size(); ++q) queries.row(q) = source.row(rows[q]);
  const auto tune_start = std::chrono::steady_clock::now();
  TAILOR_ASSIGN_OR_RETURN(
      IvfEvaluation e, TuneIvfProbe(items, partition, queries, options.tune));
  partition.probe = e.probe;
  partition.filtered_probe = e.filtered_probe;
  const std::string recall = absl::StrFormat(
      "recall@10 %.4f, recall@100 %.4f; with a filter keeping %.0f%% of "
      "items, at width %d: %.4f and %.4f",
      e.recall_at_10, e.recall_at_100, 100 * options.tune.filter_share,
      e.filtered_probe, e.recall_at_10_filtered, e.recall_at_100_filtered);
  say(absl::StrFormat(
      "ann index: %d lists over %d items in %.1f s; width %d lists (%.0f items "
      "scanned per search); %s, against exact search over %d sampled users "
      "(tuned in %.1f s)",
      partition.lists(), n, build_seconds, e.probe, e.items_scanned, recall,
      e.queries, SecondsSince(tune_start)));
  if (e.probe >= partition.lists()) {
    // Only every list meets the recall: the index would do what exact
    // search does (which, on factors whose norms follow popularity, reads
    // few items anyway), so the snapshot does without it.
    const std::string why = absl::StrFormat(
        "dropped: only every list (%d) meets the recall targets; exact "
        "search serves this catalog",
        partition.lists());
    snapshot->info.emplace_back("ann", why);
    say(absl::StrCat("ann index: ", why));
    return absl::OkStatus();
  }
  snapshot->info.insert(
      snapshot->info.end(),
      {
          {"ann", "ivf"},
          {"ann_lists", absl::StrCat(partition.lists())},
          {"ann_probe", absl::StrCat(e.probe)},
          {"ann_recall@10", absl::StrFormat("%.4f", e.recall_at_10)},
          {"ann_recall@100", absl::StrFormat("%.4f", e.recall_at_100)},
          {"ann_filtered_probe", absl::StrCat(e.filtered_probe)},
          {"ann_recall@10_filtered",
           absl::StrFormat("%.4f", e.recall_at_10_filtered)},
          {"ann_recall@100_filtered",
           absl::StrFormat("%.4f", e.recall_at_100_filtered)},
          {"ann_items_scanned", absl::StrFormat("%.0f", e.items_scanned)},
          {"ann_tune_queries", absl::StrCat(e.queries)},
          {"ann_build_seconds", absl::StrFormat("%.3f", build_seconds)},
      });
  snapshot->ann = std::move(partition);
  return absl::OkStatus();
}

}  // namespace tailor

// The training pipeline: read data, aggregate, train ALS, assemble a
// snapshot. tailor-trainer's main only parses flags and calls this.
#ifndef TAILOR_TRAINER_PIPELINE_H_
#define TAILOR_TRAINER_PIPELINE_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/base/catalog_change.h"
#include "core/base/event.h"
#include "core/base/interactions.h"
#include "core/data/readers.h"
#include "core/models/als.h"
#include "core/models/association_rules.h"
#include "core/models/attribute_embedding.h"
#include "core/models/bpr.h"
#include "core/models/ivf_build.h"
#include "core/serving/snapshot.h"
#include "trainer/strategies.h"
#include "trainer/tuning.h"

namespace tailor {

// Events from outside the input files: a live server's event log (see
// trainer/event_log_source.h).
// Thread safety: ForEach is called from one thread at a time.
class EventSource {
 public:
  virtual ~EventSource() = default;
  // Calls `sink` for every event, in the same order and with the same
  // events on every call, and fills `report`.
  virtual absl::Status ForEach(const EventSink& sink,
                               ReadReport* report) const = 0;
  // The highest event-log sequence number ForEach includes (recorded in
  // the snapshot: the server adds only later events to what training saw).
  virtual uint64_t through_seq() const = 0;
};

struct TrainingInput {
  // kOnlineRetail: order exports in the UCI Online Retail layout
  // (ReadOnlineRetailCsv), each line a purchase or, when cancelled, a
  // return (EventOfOrderLine). kMapped: any CSV of orders or events read
  // through `mapping` (ReadMappedEventsCsv).
  enum class Format { kEvents, kMovieLens, kOnlineRetail, kMapped };
  Format format = Format::kEvents;
  // kMapped: the events files' column mapping (required).
  std::shared_ptr<const ColumnMapping> mapping;
  // The catalog file's column mapping (null: the catalog CSV layout, or
  // MovieLens' u.item).
  std::shared_ptr<const ColumnMapping> catalog_mapping;
  // Events CSVs, MovieLens ratings files (u.data, u1.base, ...) or order
  // exports.
  std::vector<std::string> event_files;
  // Read after the files (may be null; must outlive the input).
  const EventSource* event_log = nullptr;
  // Catalog CSV, or MovieLens u.item; optional. Without one, order exports
  // (and mapped files with a title or price column) give the catalog their
  // lines imply (OrderLineCatalog).
  std::string catalog_file;
  ReadOptions read_options;
  EventWeights weights;
  // Whether a user was erased (the server's erasure list, EventLogSource::
  // erasures): their events are left out of every source, files included,
  // so that re-training or re-importing never brings them back. Unset:
  // nobody is left out.
  std::function<bool(absl::string_view user_id)> erased;
  // The server's live catalog (EventLogSource::live_catalog; may be null):
  // its items replace or add to the catalog's, retired ones included (their
  // events are still priced and learnt from; the server keeps them out of
  // every list). Must outlive the input.
  const std::vector<LiveItem>* live_catalog = nullptr;
};

// Calls `sink` for every event of the input but those of erased users
// (counted in the reports' `erased`): each file in turn (parsed on a
// background thread when `pipelined` and the read options allow), then the
// event log. `on_report` gets each source's report once it is read. Fails
// when there is neither a file nor an event log.
absl::Status ReadInputEvents(const TrainingInput& input, bool pipelined,
                             const EventSink& sink,
                             const std::function<void(ReadReport)>& on_report);

// Whether `input` has a catalog: a file, order exports to derive one from,
// or a live catalog.
bool HasCatalog(const TrainingInput& input);

// The input's catalog: its catalog file, or the one its order exports
// imply (read once more for it), with the live catalog laid over it. Empty
// when it has none. `report` gets the
// catalog file's report (or the exports' items, as accepted rows).
absl::StatusOr<std::vector<Item>> ReadInputCatalog(const TrainingInput& input,
                                                   ReadReport* report);

using ProgressFn = std::function<void(const std::string&)>;

// The approximate-retrieval index the trainer builds into a snapshot.
struct AnnOptions {
  enum class Mode { kAuto, kOn, kOff };
  // kAuto builds one for catalogs of at least min_items items.
  Mode mode = Mode::kAuto;
  int64_t min_items = 500'000;
  IvfBuildOptions build;
  IvfTuneOptions tune;
  // User embeddings sampled (with tune.seed) to choose and measure the
  // search width; item embeddings when no user has a nonzero one.
  int tune_queries = 500;
};

// Builds snapshot->ann, the IVF partition of the snapshot's item factors,
// chooses its search width on sampled user embeddings (TuneIvfProbe), and
// records in snapshot->info the lists, width, recall@10 and recall@100
// against exact search (and both under a filter keeping 15% of the
// catalog, the most selective one the lists serve: sets keeping at most
// 12.5% are searched exactly), items scanned per search and build seconds
// (keys "ann_*"), or
// why none was kept ("ann": "off" / "skipped: ..." / "dropped: ..." when
// only every list meets the recall targets, i.e. the index would be exact
// search). Clears snapshot->ann when none is kept.
absl::Status AddAnnIndex(const AnnOptions& options, Snapshot* snapshot,
                         const ProgressFn& progress = {});

// What to train.
struct TrainingOptions {
  // The embedding model published for serving. Both produce user and item
  // vectors that score by a dot product.
  using Algorithm = ServedAlgorithm;
  Algorithm algorithm = Algorithm::kAls;
  AlsOptions als;
  BprOptions bpr;
  // With tune.enabled, the options above are where the search starts: the
  // snapshot is trained with the ones chosen on validation (TuneServedModel),
  // and when even they do not beat popularity there, the snapshot is marked
  // to serve the popularity fallback (OnlineParams::popularity_fallback).
  TuneOptions tune;
  // Frequently-bought-together rules from same-day purchase baskets.
  FpGrowthOptions baskets = {.min_count = 3, .max_size = 3};
  RuleOptions rules;
  // Cold-start hybrid: catalog items with fewer interacting users than this
  // get the factor vector their attributes predict (0 = off).
  int cold_start_below_users = 1;
  AttributeEmbeddingOptions attributes;
  AnnOptions ann;
  // Which event types make an item one the shopper has (exclude_seen),
  // recorded in the snapshot.
  ConsumedTypes consumed = kDefaultConsumedTypes;
  // The serving strategies built beside the model (recent popularity,
  // EASE); with tuning, each is scored on the validation split too.
  StrategyOptions strategies;
};

// Everything read from a TrainingInput.
struct LoadedData {
  InteractionMatrix interactions;
  // Purchases grouped by shopper and day, over interactions.items' indexes.
  std::vector<Basket> baskets;
  std::vector<Item> catalog;
  std::vector<ReadReport> reports;
  int64_t events = 0;
  // The earliest and latest event timestamps (Unix seconds).
  int64_t first_event_unix = 0;
  int64_t last_event_unix = 0;
  double read_seconds = 0;
};

// Reads the catalog (if any) and every events file, reports each file (and
// its first bad rows) through `progress`, and aggregates the events.
absl::StatusOr<LoadedData> LoadInteractions(const TrainingInput& input,
                                            const ProgressFn& progress = {});

struct TrainingResult {
  Snapshot snapshot;  // version unset: SnapshotStore::Publish assigns it
  // Set when tuned: what the search tried and chose.
  std::optional<TuneResult> tuning;
  std::vector<ReadReport> reports;
  std::vector<AlsIteration> iterations;  // ALS only
  ColdStartReport cold_start;
  int64_t events = 0;
  double read_seconds = 0;
  double train_seconds = 0;
};

// Reads every input, trains the embedding model (implicit ALS or BPR),
// embeds cold catalog items from
// their attributes, mines the bought-together rules and assembles the
// snapshot (factors, popularity, catalog, training
// histories, rules, training facts). `progress`, if set, receives one line
// per step.
absl::StatusOr<TrainingResult> RunTraining(const TrainingInput& input,
                                           const TrainingOptions& options,
                                           const ProgressFn& progress = {});

// Wall-clock seconds since `start`.
double SecondsSince(std::chrono::steady_clock::time_point start);

// Peak resident memory of this process so far, in MiB.
double PeakRssMiB();

}  // namespace tailor

#endif  // TAILOR_TRAINER_PIPELINE_H_

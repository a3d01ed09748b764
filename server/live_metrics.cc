#include "server/live_metrics.h"

#include <algorithm>
#include <string>
#include <utility>

#include "server/process_stats.h"

namespace tailor {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// Builds one family's samples.
class FamilyBuilder {
 public:
  FamilyBuilder(std::string name, std::string help, MetricType type)
      : family_{std::move(name), std::move(help), type, {}} {}

  FamilyBuilder& Add(double value,
                     std::vector<ClientMetric::Label> labels = {}) {
    ClientMetric m;
    m.label = std::move(labels);
    if (family_.type == MetricType::Counter) {
      m.counter.value = value;
    } else {
      m.gauge.value = value;
    }
    family_.metric.push_back(std::move(m));
    return *this;
  }
  MetricFamily Done() { return std::move(family_); }

 private:
  MetricFamily family_;
};

MetricFamily Gauge(std::string name, std::string help, double value) {
  return FamilyBuilder(std::move(name), std::move(help), MetricType::Gauge)
      .Add(value)
      .Done();
}

MetricFamily Counter(std::string name, std::string help, double value) {
  return FamilyBuilder(std::move(name), std::move(help), MetricType::Counter)
      .Add(value)
      .Done();
}

void AddSnapshot(const ServingState& state, int64_t now_unix, StateStore* store,
                 std::vector<MetricFamily>* out) {
  out->push_back(FamilyBuilder("tailor_snapshot_info",
                               "The serving snapshot version (value 1)",
                               MetricType::Gauge)
                     .Add(1, {{"version", state.version}})
                     .Done());
  out->push_back(Gauge("tailor_snapshot_age_seconds",
                       "Time since the serving snapshot was trained",
                       static_cast<double>(std::max<int64_t>(
                           0, now_unix - state.created_unix))));
  out->push_back(Gauge("tailor_snapshot_loaded_timestamp_seconds",
                       "When this process loaded the serving snapshot",
                       static_cast<double>(state.loaded_unix)));
  const Model& model = state.recommender->model();
  out->push_back(Gauge("tailor_model_users", "Users in the serving model",
                       static_cast<double>(model.users.size())));
  out->push_back(Gauge("tailor_model_items", "Items in the serving model",
                       static_cast<double>(model.items.size())));
  {
    const std::shared_ptr<const CatalogView> catalog = state.catalog->Get();
    out->push_back(
        FamilyBuilder("tailor_catalog_items",
                      "Catalog items by live state: added (products the "
                      "serving model does not know) and retired",
                      MetricType::Gauge)
            .Add(static_cast<double>(catalog->added().size()),
                 {{"state", "added"}})
            .Add(static_cast<double>(catalog->retired_count()),
                 {{"state", "retired"}})
            .Done());
  }
  constexpr double kFloat = sizeof(float);
  out->push_back(
      FamilyBuilder("tailor_memory_bytes",
                    "Memory the serving snapshot holds, by component",
                    MetricType::Gauge)
          .Add(static_cast<double>(model.user_factors.size()) * kFloat,
               {{"component", "user_factors"}})
          .Add(static_cast<double>(model.item_factors.size()) * kFloat,
               {{"component", "item_factors"}})
          .Add(static_cast<double>(
                   state.recommender->retriever().memory_bytes()),
               {{"component", "retrieval"}})
          .Add(static_cast<double>(state.segments->records_bytes()),
               {{"component", "customer_records"}})
          .Add(static_cast<double>(state.catalog->Get()->memory_bytes()),
               {{"component", "catalog"}})
          .Add(static_cast<double>(state.history.memory_bytes()),
               {{"component", "training_histories"}})
          .Done());
  const uint64_t last = store->LastSequence();
  out->push_back(
      Gauge("tailor_live_events",
            "Events logged since the serving snapshot's training read the log",
            last > state.online.event_log_seq
                ? static_cast<double>(last - state.online.event_log_seq)
                : 0.0));
}

void AddCalls(const CallScheduler& scheduler, std::vector<MetricFamily>* out) {
  FamilyBuilder in_flight("tailor_calls_in_flight",
                          "Calls admitted and not yet answered (StreamEvents: "
                          "open streams), by method",
                          MetricType::Gauge);
  FamilyBuilder limit("tailor_calls_in_flight_limit",
                      "The bound on tailor_calls_in_flight, by method",
                      MetricType::Gauge);
  FamilyBuilder refused(
      "tailor_calls_refused_total",
      "Calls refused with RESOURCE_EXHAUSTED or dropped, by method and "
      "reason: overload (refused on arrival: the in-flight bound or the "
      "work queued ahead), queue_timeout (waited too long for a worker), "
      "expired (deadline passed or client gone before it ran)",
      MetricType::Counter);
  for (int m = 0; m < kCallMethods; ++m) {
    const CallMethod method = static_cast<CallMethod>(m);
    const CallScheduler::MethodStats stats = scheduler.Stats(method);
    const std::string name(CallMethodName(method));
    in_flight.Add(stats.in_flight, {{"grpc_method", name}});
    limit.Add(stats.limit, {{"grpc_method", name}});
    refused.Add(static_cast<double>(stats.refused),
                {{"grpc_method", name}, {"reason", "overload"}});
    refused.Add(static_cast<double>(stats.queue_timeouts),
                {{"grpc_method", name}, {"reason", "queue_timeout"}});
    refused.Add(static_cast<double>(stats.expired),
                {{"grpc_method", name}, {"reason", "expired"}});
  }
  out->push_back(in_flight.Done());
  out->push_back(limit.Done());
  out->push_back(refused.Done());
  out->push_back(Gauge("tailor_call_queue",
                       "Admitted calls waiting for a worker",
                       scheduler.queued()));
  out->push_back(Gauge("tailor_call_workers", "Threads that run the calls",
                       scheduler.workers()));
  out->push_back(Gauge("tailor_overloaded",
                       "1 while the call queue is a standing one (calls "
                       "arrive faster than they are answered)",
                       scheduler.overloaded() ? 1 : 0));
}

void AddStore(const StoreUsage& u, std::vector<MetricFamily>* out) {
  out->push_back(FamilyBuilder("tailor_rocksdb_memory_bytes",
                               "RocksDB's memory, by component",
                               MetricType::Gauge)
                     .Add(static_cast<double>(u.write_buffer_bytes),
                          {{"component", "write_buffers"}})
                     .Add(static_cast<double>(u.block_cache_bytes),
                          {{"component", "block_cache"}})
                     .Add(static_cast<double>(u.table_reader_bytes),
                          {{"component", "table_readers"}})
                     .Done());
  out->push_back(Gauge("tailor_rocksdb_block_cache_capacity_bytes",
                       "The block cache's bound (--block_cache_mb)",
                       static_cast<double>(u.block_cache_capacity)));
  out->push_back(Gauge("tailor_rocksdb_live_data_bytes",
                       "Estimated size of the live records on disk",
                       static_cast<double>(u.live_data_bytes)));
  out->push_back(Gauge("tailor_rocksdb_pending_compaction_bytes",
                       "Bytes compactions still have to rewrite",
                       static_cast<double>(u.pending_compaction_bytes)));
  out->push_back(Gauge("tailor_rocksdb_table_files", "Live table files",
                       static_cast<double>(u.table_files)));
  out->push_back(
      Counter("tailor_rocksdb_write_stall_seconds_total",
              "Time writes waited for RocksDB's flushes and compactions",
              static_cast<double>(u.write_stall_micros) / 1e6));
}

void AddProcess(const ProcessStats& p, std::vector<MetricFamily>* out) {
  out->push_back(Counter("process_cpu_seconds_total",
                         "User and system CPU time", p.cpu_seconds));
  out->push_back(Gauge("process_resident_memory_bytes", "Resident memory",
                       static_cast<double>(p.resident_bytes)));
  out->push_back(Gauge("process_virtual_memory_bytes", "Virtual memory",
                       static_cast<double>(p.virtual_bytes)));
  out->push_back(Gauge("process_open_fds", "Open file descriptors",
                       static_cast<double>(p.open_fds)));
  if (p.max_fds > 0) {
    out->push_back(Gauge("process_max_fds", "The limit on open files",
                         static_cast<double>(p.max_fds)));
  }
  out->push_back(Gauge("process_start_time_seconds",
                       "Start time since the epoch", p.start_time_unix));
  out->push_back(
      Gauge("process_threads", "Threads", static_cast<double>(p.threads)));
}

}  // namespace

std::vector<MetricFamily> LiveMetrics::Collect() const {
  std::vector<MetricFamily> out;
  const int64_t now = s_.env->NowMicros() / 1000000;
  std::shared_ptr<const ServingState> state =
      s_.holder != nullptr ? s_.holder->Get() : nullptr;
  out.push_back(Gauge("tailor_serving",
                      "1 while a snapshot is loaded and served",
                      state != nullptr ? 1 : 0));
  if (state != nullptr && s_.store != nullptr) {
    AddSnapshot(*state, now, s_.store, &out);
  }
  if (state != nullptr && state->live_events != nullptr) {
    out.push_back(Gauge("tailor_live_events_held",
                        "Events logged since the snapshot held in memory",
                        static_cast<double>(state->live_events->events())));
    out.push_back(
        Gauge("tailor_live_events_held_bytes",
              "Memory the events held since the snapshot take (at most "
              "--live_events_mb; beyond it shoppers are read from the store)",
              static_cast<double>(state->live_events->bytes())));
  }
  if (s_.manager != nullptr) {
    out.push_back(Counter(
        "tailor_snapshot_refresh_failures_total",
        "Snapshot refreshes that failed: CURRENT or the snapshot directory "
        "unreadable, or a version rejected (see "
        "tailor_snapshot_rejected_total)",
        static_cast<double>(s_.manager->failures())));
  }
  if (s_.writer != nullptr) {
    out.push_back(Gauge("tailor_event_queue_events",
                        "Events accepted and not yet synced to the log",
                        static_cast<double>(s_.writer->queued_events())));
  }
  if (s_.scheduler != nullptr) AddCalls(*s_.scheduler, &out);
  if (s_.store != nullptr) {
    if (absl::StatusOr<StoreUsage> usage = s_.store->Usage(); usage.ok()) {
      AddStore(*usage, &out);
    }
  }
  if (absl::StatusOr<ProcessStats> p = ReadProcessStats(); p.ok()) {
    AddProcess(*p, &out);
  }
  return out;
}

}  // namespace tailor

// tailor-server's gRPC server: wires the state store, the snapshot manager
// and the services together.
#ifndef TAILOR_SERVER_SERVER_H_
#define TAILOR_SERVER_SERVER_H_

#include <grpcpp/server.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/admin_service.h"
#include "server/authorizer.h"
#include "server/bandit_runner.h"
#include "server/call_scheduler.h"
#include "server/catalog_writer.h"
#include "server/event_writer.h"
#include "server/exposure_forwarder.h"
#include "server/exposure_log.h"
#include "server/grpc_metrics.h"
#include "server/live_metrics.h"
#include "server/metrics.h"
#include "server/metrics_endpoint.h"
#include "server/recommender_service.h"
#include "server/serving_state.h"
#include "server/snapshot_manager.h"
#include "server/tls.h"
#include "storage/env.h"
#include "storage/snapshot_store.h"
#include "storage/state_store.h"

namespace tailor {

struct ServerOptions {
  // host:port to listen on; port 0 picks a free port (see TailorServer::port).
  std::string address = "127.0.0.1:8980";
  // Where tailor-trainer publishes snapshots (CURRENT + versions).
  std::string snapshot_dir;
  // RocksDB directory for the catalog and user histories.
  std::string data_dir;
  // When data_dir is damaged, salvage what checks out instead of refusing
  // to start (see StateStoreOptions::salvage).
  bool salvage_data_dir = false;
  // Writes to data_dir are refused while its volume has less than this
  // free (see StateStoreOptions::min_free_bytes).
  int64_t min_free_disk_bytes = int64_t{128} << 20;
  // data_dir's block cache (see StateStoreOptions::block_cache_bytes).
  int64_t block_cache_bytes = int64_t{64} << 20;
  // Raw events older than this are dropped from the event log (see
  // StateStoreOptions::event_retention_seconds); 0 keeps them all.
  int64_t event_retention_seconds = 0;
  // How often to look for a new CURRENT; zero disables polling.
  absl::Duration poll_interval = absl::Seconds(5);
  // Snapshot versions kept on disk (see SnapshotManagerOptions).
  int keep_snapshots = 5;
  // How snapshots are served: the scoring path of personalised lists
  // (exact, int8 or ann, threads) and where histories are read from.
  ServingOptions serving;
  // Fail start-up when no snapshot is published yet, instead of serving
  // UNAVAILABLE (and health NOT_SERVING) until one appears.
  bool require_snapshot = false;
  // The event log's writer (its queue bound).
  EventWriterOptions events;
  // How often running bandits are checked for a new allocation period
  // (each gets one every bandit.interval_seconds); zero: never (tests call
  // TailorServer::RunBandits).
  absl::Duration bandit_tick = absl::Seconds(1);
  // Overload protection: workers, per-method bounds on the calls in flight,
  // the longest wait for a worker (see CallScheduler).
  CallSchedulerOptions calls;
  // host:port of the Prometheus endpoint (GET /metrics; port 0 picks a free
  // port, see TailorServer::metrics_port); empty: no metrics are kept.
  std::string metrics_address;
  // A client connection is closed (GOAWAY: the client reconnects, to any
  // replica behind the balancer) once it is this old, give or take 10%;
  // calls still running on it get `max_connection_age_grace`. Zero: never.
  absl::Duration max_connection_age = absl::Minutes(5);
  absl::Duration max_connection_age_grace = absl::Seconds(30);
  // TLS on the gRPC port (none when no certificate is set).
  TlsOptions tls;
  // Bearer tokens and their roles (see access_tokens.h), re-read every
  // tokens_reload_interval; empty: every caller may call everything.
  std::string tokens_file;
  // False: RecordEvents, StreamEvents and EraseUser are refused
  // (FAILED_PRECONDITION) and nothing is stored; for replicas that serve
  // reads beside the one server that keeps the event log the trainer
  // reads. Such a replica takes on that server's erasures from the
  // snapshot directory (ERASURES) at every poll; a server that takes
  // events publishes them there.
  bool accept_events = true;
  // A read replica's link to the writer: the exposures its experiments'
  // answers log are forwarded there (Admin.RecordExposures), where the
  // results are computed. Empty address: they stay in this server's data
  // directory, where no results see them (logged at start). Refused on a
  // server that takes events.
  ExposureForwarderOptions writer;
  absl::Duration tokens_reload_interval = absl::Seconds(10);
  // Listening beyond loopback with neither TLS nor tokens is refused
  // unless this is set (then the log says so at start).
  bool allow_insecure = false;
};

// The health service's name for liveness probes: SERVING from the start to
// the stop, whatever the snapshot ("" and tailor.v1.Recommender report
// readiness: SERVING once a snapshot is loaded, NOT_SERVING while
// draining).
inline constexpr char kLivenessService[] = "liveness";

// Whether `address` (host:port, [v6]:port, unix:...) only accepts local
// connections: a loopback host or a Unix socket.
bool IsLocalAddress(absl::string_view address);

// Besides tailor.v1.Recommender and tailor.v1.Admin the server registers
// grpc.health.v1.Health (SERVING once a snapshot is loaded) and server
// reflection.
// Thread safety: Start, Shutdown and Wait may be called from different
// threads; the services run on gRPC's threads.
class TailorServer {
 public:
  static absl::StatusOr<std::unique_ptr<TailorServer>> Start(
      const ServerOptions& options, Env* env = Env::Default());
  ~TailorServer();

  // The port actually bound.
  int port() const { return port_; }
  // The metrics endpoint's port (0 without one).
  int metrics_port() const { return endpoint_ ? endpoint_->port() : 0; }
  // The overload protection's counts.
  const CallScheduler& calls() const { return *scheduler_; }
  // Loads CURRENT now if it changed (what polling does).
  absl::Status RefreshSnapshot() { return manager_->Refresh(); }
  // Returns once the exposures logged so far are stored (a read replica:
  // forwarded to the writer and stored there), however many retries that
  // takes. For tests.
  void FlushExposures() { exposures_->Flush(); }
  // One bandit pass at `now_unix` (see BanditRunner::RunOnce); how many
  // bandits got a new allocation period.
  absl::StatusOr<int> RunBandits(int64_t now_unix) {
    return bandits_->RunOnce(now_unix);
  }
  // Snapshot refreshes that failed (see SnapshotManager::failures).
  int64_t snapshot_failures() const { return manager_->failures(); }
  // Stops accepting calls and finishes in-flight ones within `deadline`.
  void Shutdown(absl::Duration deadline = absl::Seconds(5));
  // A graceful stop: the health service reports NOT_SERVING at once (load
  // balancers and Kubernetes stop sending calls) while calls go on being
  // answered for `drain`; then Shutdown(grace). A snapshot loaded meanwhile
  // does not turn health back to SERVING. Destroying the server afterwards
  // writes every queued event and closes the store.
  void Drain(absl::Duration drain, absl::Duration grace);
  // Blocks until Shutdown.
  void Wait();
  // Whether the server takes calls: a snapshot is loaded and it is not
  // draining (what the health service and /ready report).
  bool Ready() const;

 private:
  TailorServer() = default;
  void SetServing(bool serving);

  // First: counted into by everything below (null without metrics).
  std::unique_ptr<ServerMetrics> metrics_;
  // Checks the services' calls (null without a tokens file).
  std::unique_ptr<Authorizer> authorizer_;
  std::unique_ptr<StateStore> store_;
  // After store_ and before the services: it outlives every call that
  // submitted to it (destroying it writes what is still queued).
  std::unique_ptr<EventWriter> writer_;
  std::unique_ptr<SnapshotStore> snapshots_;
  ServingStateHolder holder_;
  std::unique_ptr<SnapshotManager> manager_;
  // After store_ and holder_, which it writes to, and before the services,
  // for the same reason as writer_.
  std::unique_ptr<CatalogWriter> catalog_writer_;
  // Before the services and server_: its workers outlive every call (the
  // server's destruction waits for the calls; the scheduler's runs what is
  // still queued).
  std::unique_ptr<CallScheduler> scheduler_;
  // Before the services that read it (destroyed after them).
  std::unique_ptr<ExperimentBook> experiments_;
  // A read replica's link to the writer (null: none); before the log that
  // sends through it.
  std::unique_ptr<ExposureForwarder> forwarder_;
  // Before the services, for the same reason as writer_.
  std::unique_ptr<ExposureLog> exposures_;
  // After the book, the log and the store it reads (destroyed before them).
  std::unique_ptr<BanditRunner> bandits_;
  std::unique_ptr<RecommenderService> recommender_;
  std::unique_ptr<AdminService> admin_;
  std::unique_ptr<UnknownMethodService> unknown_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::atomic<bool> draining_{false};
  // Last: stops scraping before what it reads goes.
  std::shared_ptr<LiveMetrics> live_metrics_;
  std::unique_ptr<MetricsEndpoint> endpoint_;
};

}  // namespace tailor

#endif  // TAILOR_SERVER_SERVER_H_

// tailor-server: parses flags and runs the gRPC server until SIGINT/SIGTERM.
#include <pthread.h>

#include <csignal>
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/base/logging.h"
#include "server/memory_releaser.h"
#include "server/server.h"

ABSL_FLAG(std::string, address, "127.0.0.1:8980",
          "host:port to listen on (port 0 picks a free one)");
ABSL_FLAG(std::string, snapshot_dir, "snapshots",
          "directory where tailor-trainer publishes snapshots");
ABSL_FLAG(std::string, data_dir, "data",
          "RocksDB directory for the catalog and user histories");
ABSL_FLAG(bool, salvage_data_dir, false,
          "when --data_dir is damaged (a file truncated or overwritten), keep "
          "every record that checks out, move the files that cannot be read "
          "to DATA_DIR/lost and log them, instead of refusing to start");
ABSL_FLAG(absl::Duration, poll_interval, absl::Seconds(5),
          "how often to check for a new snapshot (0 disables)");
ABSL_FLAG(int, keep_snapshots, 5,
          "snapshot versions kept on disk: the newest N plus the serving one "
          "(0 keeps all)");
ABSL_FLAG(std::string, retrieval, "auto",
          "how personalised lists are scored: exact (fp32), int8 (int8 first "
          "pass, exact fp32 re-scoring), ann (the snapshot's IVF partition, "
          "approximate; fails to load a snapshot without one) or auto (ann "
          "when the snapshot has a partition, else int8 from 200k items)");
ABSL_FLAG(int, ann_probe, 0,
          "IVF lists scanned per search on the ann path (more: higher "
          "recall, slower); 0 uses the width the trainer chose");
ABSL_FLAG(int, retrieval_threads, 0,
          "threads one request's scan may use on catalogs of 256k+ items per "
          "thread (0: all cores)");
ABSL_FLAG(int, batch_wait_us, 0,
          "micro-batching: how long a personalised search waits for others "
          "to be scored with it, in microseconds (0: off)");
ABSL_FLAG(int, max_batch, 16, "micro-batching: the most searches per batch");
ABSL_FLAG(int64_t, live_events_mb, 512,
          "hold the events logged since the snapshot in memory, up to this "
          "many MB, so that requests read none from the data directory "
          "(0: read them there)");
ABSL_FLAG(bool, histories_in_memory, true,
          "keep each snapshot's training histories in memory (about 11 "
          "bytes per user-item pair), so that recommendations read none "
          "from the disk; false reads them from RocksDB per request");
ABSL_FLAG(bool, require_snapshot, false,
          "exit at start-up when no snapshot is published yet");
ABSL_FLAG(int64_t, max_queued_events, 200000,
          "recorded events that may wait for the disk before RecordEvents "
          "answers RESOURCE_EXHAUSTED");
ABSL_FLAG(int64_t, min_free_disk_mb, 128,
          "refuse to record events (UNAVAILABLE) while the data_dir volume "
          "has less than this many MB free, before RocksDB runs out of room "
          "(at least 64)");
ABSL_FLAG(int64_t, event_retention_days, 0,
          "drop raw events older than this many days from the event log "
          "(within a day of passing it; 0 keeps them all)");
ABSL_FLAG(int64_t, block_cache_mb, 64,
          "memory for the data_dir's read cache, shared by its column "
          "families: recently read blocks and the table files' index and "
          "filter blocks (at least 1)");
ABSL_FLAG(int, workers, 0,
          "threads that run the Recommender calls (0: one per usable CPU: "
          "the affinity mask and the cgroup's CPU quota)");
ABSL_FLAG(std::string, max_in_flight, "",
          "bounds on the calls in flight per method, beyond which a call is "
          "refused at once with RESOURCE_EXHAUSTED, e.g. "
          "\"RecommendFor=64,TargetAudience=2\"; methods not named keep "
          "their defaults (64 per worker, 8 under overload; RecordEvents 16 "
          "per worker; "
          "ListSegments and TargetAudience half the workers; StreamEvents 4 "
          "open streams per worker)");
ABSL_FLAG(int, worker_nice, 0,
          "the call workers' nice value (0-19); above 0 they yield to "
          "gRPC's threads and to every other busy thread at nice 0");
ABSL_FLAG(absl::Duration, max_queue_wait, absl::Milliseconds(50),
          "an admitted call that waited longer than this for a worker is "
          "refused (RESOURCE_EXHAUSTED) rather than answered late (0: no "
          "bound)");
ABSL_FLAG(absl::Duration, target_queue_wait, absl::Milliseconds(5),
          "the wait for a worker the queue is kept near under overload: "
          "once the oldest queued call has been older than this for 100 ms "
          "the newest calls run first and those that waited twice this are "
          "refused, until the queue empties, and until a second after that "
          "(and after the last call so refused) a call is refused on "
          "arrival when the calls queued ahead would keep it waiting longer "
          "(otherwise: half --max_queue_wait) (0: off; at most half "
          "--max_queue_wait)");
ABSL_FLAG(std::string, metrics_address, "",
          "host:port of the Prometheus metrics endpoint (GET /metrics, plain "
          "HTTP), apart from the gRPC port; empty: no metrics");
ABSL_FLAG(double, drain_seconds, 5,
          "on SIGTERM: how long to go on answering calls while the health "
          "service reports NOT_SERVING, so that load balancers move away "
          "first (SIGINT: none)");
ABSL_FLAG(double, grace_seconds, 10,
          "after the drain: how long calls in flight may take to finish once "
          "the port is closed");
ABSL_FLAG(absl::Duration, max_connection_age, absl::Minutes(5),
          "close a client connection once it is this old (give or take 10%) "
          "so that long-lived clients spread over new replicas (0: never)");
ABSL_FLAG(absl::Duration, max_connection_age_grace, absl::Seconds(30),
          "how long calls on a connection closed for its age may go on");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate chain for TLS on the gRPC port (with "
          "--tls_key_file; re-read when it changes)");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of --tls_cert_file");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA certificates that sign accepted client certificates "
          "(mutual TLS)");
ABSL_FLAG(bool, tls_require_client_cert, true,
          "with --tls_client_ca_file: refuse clients without a valid "
          "certificate (false: check one only when sent)");
ABSL_FLAG(std::string, tokens_file, "",
          "bearer tokens and their roles (read, ingest, admin), one per line "
          "as NAME ROLES sha256:HEX; re-read when it changes. Empty: no "
          "tokens are asked for");
ABSL_FLAG(bool, accept_events, true,
          "take RecordEvents, StreamEvents and EraseUser (false: refuse "
          "them with FAILED_PRECONDITION, for read replicas beside the one "
          "server whose --data_dir keeps the event log; they take its "
          "erasures from the snapshot directory)");
ABSL_FLAG(std::string, writer_address, "",
          "read replicas: host:port of the writer (the server that takes "
          "events), to which the exposures of the experiments this replica "
          "serves are forwarded (Admin.RecordExposures)");
ABSL_FLAG(std::string, writer_ca_file, "",
          "with --writer_address: PEM file of the CA that signed the "
          "writer's certificate (TLS); empty: plaintext, to loopback only "
          "unless --allow_insecure");
ABSL_FLAG(std::string, writer_token_file, "",
          "with --writer_address: a file holding the bearer token (ingest "
          "role) sent to the writer, re-read per call");
ABSL_FLAG(bool, allow_insecure, false,
          "allow listening beyond loopback with neither TLS nor tokens "
          "(e.g. behind a proxy that does both)");
ABSL_FLAG(std::string, port_file, "",
          "if set, write the bound port to this file once serving");

int main(int argc, char** argv) {
  const absl::Status malloc_configured = tailor::ConfigureMalloc();
  absl::SetProgramUsageMessage(
      "Serves recommendations over gRPC.\n  tailor-server --snapshot_dir=DIR "
      "--data_dir=DIR [--address=HOST:PORT]");
  absl::ParseCommandLine(argc, argv);
  if (!malloc_configured.ok()) {
    tailor::LogWarning(malloc_configured.ToString());
  }
  // Debian's Abseil checks every Mutex acquisition for lock-order cycles
  // (about 1.5% of the server's CPU under load); the tests keep the check.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Block SIGINT/SIGTERM in every thread (gRPC's inherit the mask) and wait
  // for them synchronously below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  tailor::ServerOptions options;
  options.address = absl::GetFlag(FLAGS_address);
  options.snapshot_dir = absl::GetFlag(FLAGS_snapshot_dir);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.poll_interval = absl::GetFlag(FLAGS_poll_interval);
  options.salvage_data_dir = absl::GetFlag(FLAGS_salvage_data_dir);
  options.min_free_disk_bytes = absl::GetFlag(FLAGS_min_free_disk_mb) << 20;
  options.block_cache_bytes = absl::GetFlag(FLAGS_block_cache_mb) << 20;
  if (absl::GetFlag(FLAGS_event_retention_days) < 0 ||
      absl::GetFlag(FLAGS_event_retention_days) > 36500) {
    tailor::LogError("--event_retention_days: must be in 0..36500");
    return 1;
  }
  options.event_retention_seconds =
      absl::GetFlag(FLAGS_event_retention_days) * 86400;
  options.require_snapshot = absl::GetFlag(FLAGS_require_snapshot);
  options.keep_snapshots = absl::GetFlag(FLAGS_keep_snapshots);
  options.events.max_queued_events = absl::GetFlag(FLAGS_max_queued_events);
  options.metrics_address = absl::GetFlag(FLAGS_metrics_address);
  options.tls.cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  options.tls.key_file = absl::GetFlag(FLAGS_tls_key_file);
  options.tls.client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  options.tls.require_client_cert =
      absl::GetFlag(FLAGS_tls_require_client_cert);
  options.tokens_file = absl::GetFlag(FLAGS_tokens_file);
  options.accept_events = absl::GetFlag(FLAGS_accept_events);
  options.allow_insecure = absl::GetFlag(FLAGS_allow_insecure);
  options.writer.address = absl::GetFlag(FLAGS_writer_address);
  options.writer.ca_file = absl::GetFlag(FLAGS_writer_ca_file);
  options.writer.token_file = absl::GetFlag(FLAGS_writer_token_file);
  options.max_connection_age = absl::GetFlag(FLAGS_max_connection_age);
  options.max_connection_age_grace =
      absl::GetFlag(FLAGS_max_connection_age_grace);
  const double drain_seconds = absl::GetFlag(FLAGS_drain_seconds);
  const double grace_seconds = absl::GetFlag(FLAGS_grace_seconds);
  if (!(drain_seconds >= 0 && drain_seconds <= 3600) ||
      !(grace_seconds >= 0 && grace_seconds <= 3600)) {
    tailor::LogError("--drain_seconds, --grace_seconds: must be in 0..3600");
    return 1;
  }
  options.calls.workers = absl::GetFlag(FLAGS_workers);
  options.calls.max_queue_wait = absl::GetFlag(FLAGS_max_queue_wait);
  options.calls.target_queue_wait = absl::GetFlag(FLAGS_target_queue_wait);
  options.calls.worker_nice = absl::GetFlag(FLAGS_worker_nice);
  if (absl::Status s = tailor::ParseMaxInFlight(
          absl::GetFlag(FLAGS_max_in_flight), "--max_in_flight",
          &options.calls.max_in_flight);
      !s.ok()) {
    tailor::LogError(std::string(s.message()));
    return 1;
  }
  const std::string retrieval = absl::GetFlag(FLAGS_retrieval);
  if (retrieval == "exact") {
    options.serving.retrieval.path = tailor::RetrievalPath::kExact;
  } else if (retrieval == "int8") {
    options.serving.retrieval.path = tailor::RetrievalPath::kInt8;
  } else if (retrieval == "ann") {
    options.serving.retrieval.path = tailor::RetrievalPath::kAnn;
  } else if (retrieval != "auto") {
    tailor::LogError(
        absl::StrCat("--retrieval: must be auto, exact, int8 or ann, got '",
                     retrieval, "'"));
    return 1;
  }
  options.serving.retrieval.exact.threads =
      absl::GetFlag(FLAGS_retrieval_threads);
  if (absl::GetFlag(FLAGS_ann_probe) < 0) {
    tailor::LogError("--ann_probe: must be >= 0");
    return 1;
  }
  options.serving.retrieval.ann_probe = absl::GetFlag(FLAGS_ann_probe);
  options.serving.retrieval.batching.max_wait =
      absl::Microseconds(absl::GetFlag(FLAGS_batch_wait_us));
  options.serving.retrieval.batching.max_batch = absl::GetFlag(FLAGS_max_batch);
  options.serving.histories_in_memory =
      absl::GetFlag(FLAGS_histories_in_memory);
  if (absl::GetFlag(FLAGS_live_events_mb) < 0 ||
      absl::GetFlag(FLAGS_live_events_mb) > (int64_t{1} << 30)) {
    tailor::LogError("--live_events_mb: must be in 0..1073741824");
    return 1;
  }
  options.serving.live_events_bytes = absl::GetFlag(FLAGS_live_events_mb) << 20;

  absl::StatusOr<std::unique_ptr<tailor::TailorServer>> server =
      tailor::TailorServer::Start(options);
  if (!server.ok()) {
    tailor::LogError(
        absl::StrCat("cannot start: ", server.status().ToString()));
    return 1;
  }
  tailor::LogInfo(absl::StrCat(
      "listening on port ", (*server)->port(), ", ",
      (*server)->calls().workers(), " call workers",
      (*server)->metrics_port() != 0
          ? absl::StrCat("; metrics on port ", (*server)->metrics_port())
          : ""));
  if (const std::string port_file = absl::GetFlag(FLAGS_port_file);
      !port_file.empty()) {
    FILE* f = std::fopen(port_file.c_str(), "w");
    if (f == nullptr || std::fprintf(f, "%d\n", (*server)->port()) < 0 ||
        std::fclose(f) != 0) {
      tailor::LogError(absl::StrCat("cannot write --port_file ", port_file));
      return 1;
    }
  }

  int signal = 0;
  sigwait(&signals, &signal);
  if (signal == SIGTERM) {
    (*server)->Drain(absl::Seconds(drain_seconds),
                     absl::Seconds(grace_seconds));
  } else {
    (*server)->Shutdown(absl::Seconds(grace_seconds));
  }
  // Destroying the server writes every queued event and closes the store.
  server->reset();
  tailor::LogInfo("stopped");
  return 0;
}

#include "server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "core/base/logging.h"
#include "core/base/status_macros.h"
#include "server/grpc_metrics.h"

namespace tailor {

absl::StatusOr<std::unique_ptr<TailorServer>> TailorServer::Start(
    const ServerOptions& options, Env* env) {
  if (options.snapshot_dir.empty()) {
    return absl::InvalidArgumentError("snapshot_dir: must be set");
  }
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("data_dir: must be set");
  }
  if (options.events.max_queued_events < 1 ||
      options.events.max_events_per_write < 1) {
    return absl::InvalidArgumentError(
        "events: max_queued_events (--max_queued_events) and "
        "max_events_per_write must be >= 1");
  }
  if (options.max_connection_age < absl::ZeroDuration() ||
      options.max_connection_age > absl::Hours(24 * 24) ||
      options.max_connection_age_grace < absl::ZeroDuration() ||
      options.max_connection_age_grace > absl::Hours(24 * 24)) {
    return absl::InvalidArgumentError(
        "max_connection_age, max_connection_age_grace: must be in 0..24 days");
  }
  const bool secured = TlsEnabled(options.tls) || !options.tokens_file.empty();
  if (!secured && !IsLocalAddress(options.address)) {
    if (!options.allow_insecure) {
      return absl::InvalidArgumentError(absl::StrCat(
          "address: '", options.address,
          "' accepts connections from other machines, and neither TLS "
          "(--tls_cert_file, --tls_key_file) nor tokens (--tokens_file) are "
          "set: anyone who reaches the port could record events and switch "
          "snapshots. Set them, or --allow_insecure to accept that (behind "
          "a proxy that does both)"));
    }
    LogWarning(absl::StrCat(
        "--allow_insecure: listening on '", options.address,
        "' with neither TLS nor tokens: every caller may call every "
        "method, in plain text"));
  }
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::InsecureServerCredentials();
  if (TlsEnabled(options.tls)) {
    TAILOR_ASSIGN_OR_RETURN(credentials, TlsCredentials(options.tls));
  }
  std::unique_ptr<TailorServer> s(new TailorServer());
  ServerMetrics* metrics = nullptr;
  if (!options.metrics_address.empty()) {
    s->metrics_ = std::make_unique<ServerMetrics>();
    metrics = s->metrics_.get();
  }
  if (!options.tokens_file.empty()) {
    TAILOR_ASSIGN_OR_RETURN(
        s->authorizer_,
        Authorizer::Create(options.tokens_file, env,
                           options.tokens_reload_interval, metrics));
  }
  TAILOR_ASSIGN_OR_RETURN(s->scheduler_, CallScheduler::Create(options.calls));
  TAILOR_RETURN_IF_ERROR(env->CreateDirs(options.data_dir));
  TAILOR_ASSIGN_OR_RETURN(
      s->store_,
      OpenRocksDbStateStore(
          options.data_dir,
          {.salvage = options.salvage_data_dir,
           .min_free_bytes = options.min_free_disk_bytes,
           .block_cache_bytes = options.block_cache_bytes,
           .event_retention_seconds = options.event_retention_seconds}));
  s->snapshots_ = std::make_unique<SnapshotStore>(env, options.snapshot_dir);
  // The writer publishes its experiments for the replicas, which follow
  // them at every refresh.
  TAILOR_ASSIGN_OR_RETURN(
      s->experiments_,
      ExperimentBook::Load(s->store_.get(), options.accept_events
                                                ? s->snapshots_.get()
                                                : nullptr));
  TailorServer* self = s.get();
  s->manager_ = std::make_unique<SnapshotManager>(
      SnapshotManagerOptions{.keep_snapshots = options.keep_snapshots,
                             .serving = options.serving,
                             .publish_erasures = options.accept_events,
                             .follow_erasures = !options.accept_events,
                             .follow_experiments = options.accept_events
                                                       ? nullptr
                                                       : s->experiments_.get(),
                             .publish_live_catalog = options.accept_events,
                             .follow_live_catalog = !options.accept_events},
      s->snapshots_.get(), s->store_.get(), &s->holder_, env,
      [self](const ServingState&) { self->SetServing(true); }, metrics);

  // The read replicas get the erasure list even if publishing it failed
  // before.
  if (options.accept_events && !s->store_->Erasures()->empty()) {
    if (absl::Status e = s->manager_->ApplyErasures(); !e.ok()) {
      LogError(e.ToString());
    }
  }
  absl::Status loaded = s->manager_->Refresh();
  if (!loaded.ok()) {
    if (options.require_snapshot) return loaded;
    LogWarning(absl::StrCat("starting without a model: ", loaded.message()));
  }

  s->writer_ =
      std::make_unique<EventWriter>(s->store_.get(), options.events, metrics);
  s->catalog_writer_ =
      std::make_unique<CatalogWriter>(s->store_.get(), &s->holder_);
  if (!options.writer.address.empty()) {
    if (options.accept_events) {
      return absl::InvalidArgumentError(
          "--writer_address: only for read replicas (--accept_events=false); "
          "this server is the writer");
    }
    if (options.writer.ca_file.empty() &&
        !IsLocalAddress(options.writer.address) && !options.allow_insecure) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--writer_ca_file: needed to reach the writer at '",
          options.writer.address,
          "' beyond loopback (or --allow_insecure for plaintext)"));
    }
    TAILOR_ASSIGN_OR_RETURN(s->forwarder_,
                            ExposureForwarder::Create(options.writer, env));
  } else if (!options.accept_events) {
    LogWarning(
        "read replica without --writer_address: the exposures of the "
        "experiments it serves stay in its own data directory, and the "
        "writer's GetExperimentResults does not count them");
  }
  s->exposures_ = std::make_unique<ExposureLog>(
      s->store_.get(), ExposureLogOptions(), metrics, s->forwarder_.get());
  s->bandits_ = std::make_unique<BanditRunner>(
      s->experiments_.get(), s->store_.get(), s->exposures_.get(), &s->holder_,
      options.accept_events ? options.bandit_tick : absl::ZeroDuration());
  s->recommender_ = std::make_unique<RecommenderService>(
      &s->holder_, s->store_.get(), s->writer_.get(), s->scheduler_.get(),
      metrics, s->authorizer_.get(), options.accept_events,
      s->catalog_writer_.get(), s->experiments_.get(), s->exposures_.get());
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  if (options.max_connection_age > absl::ZeroDuration()) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                               static_cast<int>(absl::ToInt64Milliseconds(
                                   options.max_connection_age)));
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                               static_cast<int>(absl::ToInt64Milliseconds(
                                   options.max_connection_age_grace)));
  }
  builder.AddListeningPort(options.address, credentials, &s->port_);
  s->admin_ = std::make_unique<AdminService>(
      &s->holder_, s->snapshots_.get(), s->manager_.get(), s->store_.get(),
      s->authorizer_.get(), metrics, options.accept_events,
      s->experiments_.get(), s->exposures_.get());
  builder.RegisterService(s->recommender_.get());
  builder.RegisterService(s->admin_.get());
  // Methods no service has: UNIMPLEMENTED, counted as one unknown method.
  s->unknown_ = std::make_unique<UnknownMethodService>(
      metrics != nullptr ? metrics->rpc() : nullptr);
  builder.RegisterCallbackGenericService(s->unknown_.get());
  if (metrics != nullptr) {
    LiveSources sources;
    sources.holder = &s->holder_;
    sources.store = s->store_.get();
    sources.writer = s->writer_.get();
    sources.scheduler = s->scheduler_.get();
    sources.manager = s->manager_.get();
    sources.env = env;
    s->live_metrics_ = std::make_shared<LiveMetrics>(std::move(sources));
    TAILOR_ASSIGN_OR_RETURN(
        s->endpoint_,
        MetricsEndpoint::Start(options.metrics_address,
                               {metrics->registry(), s->live_metrics_},
                               [self] { return self->Ready(); }));
  }
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || s->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on '", options.address,
                     "' (address in use, or not a valid host:port)"));
  }
  s->SetServing(s->holder_.Get() != nullptr);
  if (options.poll_interval > absl::ZeroDuration()) {
    s->manager_->StartPolling(options.poll_interval);
  }
  return s;
}

TailorServer::~TailorServer() {
  Shutdown();
  if (manager_) manager_->Stop();
}

bool TailorServer::Ready() const {
  return holder_.Get() != nullptr && !draining_.load(std::memory_order_acquire);
}

void TailorServer::SetServing(bool serving) {
  if (server_ == nullptr) return;
  if (serving && draining_.load(std::memory_order_acquire)) return;
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus(serving);  // every service, liveness included
  health->SetServingStatus("tailor.v1.Recommender", serving);
  health->SetServingStatus(kLivenessService, true);
}

void TailorServer::Shutdown(absl::Duration deadline) {
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoMilliseconds(deadline));
}

bool IsLocalAddress(absl::string_view address) {
  if (absl::StartsWith(address, "unix:") ||
      absl::StartsWith(address, "unix-abstract:")) {
    return true;
  }
  absl::string_view host = address.substr(0, address.rfind(':'));
  absl::ConsumePrefix(&host, "[");
  absl::ConsumeSuffix(&host, "]");
  return absl::StartsWith(host, "127.") || host == "::1" || host == "localhost";
}

void TailorServer::Drain(absl::Duration drain, absl::Duration grace) {
  draining_.store(true, std::memory_order_release);
  SetServing(false);
  LogInfo(absl::StrCat("draining: health reports NOT_SERVING; answering for ",
                       absl::FormatDuration(drain), " more"));
  absl::SleepFor(drain);
  Shutdown(grace);
}

void TailorServer::Wait() {
  if (server_ != nullptr) server_->Wait();
}

}  // namespace tailor

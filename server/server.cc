#include "server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "core/base/logging.h"
#include "core/base/status_macros.h"

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
  std::unique_ptr<TailorServer> s(new TailorServer());
  TAILOR_ASSIGN_OR_RETURN(s->scheduler_, CallScheduler::Create(options.calls));
  TAILOR_RETURN_IF_ERROR(env->CreateDirs(options.data_dir));
  TAILOR_ASSIGN_OR_RETURN(
      s->store_,
      OpenRocksDbStateStore(options.data_dir,
                            {.salvage = options.salvage_data_dir,
                             .min_free_bytes = options.min_free_disk_bytes,
                             .block_cache_bytes = options.block_cache_bytes}));
  s->snapshots_ = std::make_unique<SnapshotStore>(env, options.snapshot_dir);
  TailorServer* self = s.get();
  s->manager_ = std::make_unique<SnapshotManager>(
      SnapshotManagerOptions{.keep_snapshots = options.keep_snapshots,
                             .serving = options.serving},
      s->snapshots_.get(), s->store_.get(), &s->holder_, env,
      [self](const ServingState&) { self->SetServing(true); });

  absl::Status loaded = s->manager_->Refresh();
  if (!loaded.ok()) {
    if (options.require_snapshot) return loaded;
    LogWarning(absl::StrCat("starting without a model: ", loaded.message()));
  }

  s->writer_ = std::make_unique<EventWriter>(s->store_.get(), options.events);
  s->recommender_ = std::make_unique<RecommenderService>(
      &s->holder_, s->store_.get(), s->writer_.get(), s->scheduler_.get());
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.address, grpc::InsecureServerCredentials(),
                           &s->port_);
  s->admin_ = std::make_unique<AdminService>(&s->holder_, s->snapshots_.get(),
                                             s->manager_.get());
  builder.RegisterService(s->recommender_.get());
  builder.RegisterService(s->admin_.get());
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

void TailorServer::SetServing(bool serving) {
  if (server_ == nullptr) return;
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus(serving);
  health->SetServingStatus("tailor.v1.Recommender", serving);
}

void TailorServer::Shutdown(absl::Duration deadline) {
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoMilliseconds(deadline));
}

void TailorServer::Wait() {
  if (server_ != nullptr) server_->Wait();
}

}  // namespace tailor

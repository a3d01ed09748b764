#include "server/admin_service.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/base/status_macros.h"
#include "core/base/text.h"
#include "server/customer_answers.h"
#include "server/experiment_messages.h"
#include "server/experiment_results.h"
#include "server/exposure_messages.h"
#include "server/strategy_choice.h"
#include "server/wire.h"

namespace tailor {

namespace {

void FillManifest(const SnapshotManifest& m, v1::ModelInfo* out) {
  out->set_version(m.version);
  out->set_trained_at_unix(m.created_unix);
  out->set_users(static_cast<int64_t>(m.users));
  out->set_items(static_cast<int64_t>(m.items));
  out->set_factors(static_cast<int32_t>(m.factors));
  out->set_event_log_seq(m.online.event_log_seq);
  out->set_fold_in(m.online.fold_in);
  out->set_popularity_fallback(m.online.popularity_fallback);
  for (const auto& [k, v] : m.info) {
    v1::InfoEntry* e = out->add_info();
    e->set_key(k);
    e->set_value(v);
  }
}

void FillState(const ServingState& s, v1::ModelInfo* out) {
  const Model& model = s.recommender->model();
  FillManifest({.version = s.version,
                .created_unix = s.created_unix,
                .users = static_cast<uint64_t>(model.users.size()),
                .items = static_cast<uint64_t>(model.items.size()),
                .factors = static_cast<uint32_t>(model.factors()),
                .info = s.info,
                .online = s.online},
               out);
  out->set_active(true);
  out->set_loaded_at_unix(s.loaded_unix);
}

}  // namespace

template <typename Request, typename Response, typename Handle>
grpc::ServerUnaryReactor* AdminService::Serve(
    absl::string_view method, grpc::CallbackServerContext* context,
    const grpc::ByteBuffer* request, grpc::ByteBuffer* response, Handle handle,
    Role role) {
  // Admin calls are rare: the method's id is looked up per call.
  GrpcMetrics* rpc = metrics_ != nullptr ? metrics_->rpc() : nullptr;
  auto* reactor = new MeteredUnaryReactor(
      rpc, rpc != nullptr
               ? rpc->Id(absl::StrCat("/", v1::Admin::service_full_name(), "/",
                                      method))
               : 0);
  if (absl::Status s = Authorize(authorizer_, *context, role, method);
      !s.ok()) {
    return Refuse(reactor, s);
  }
  return ServeRaw<Request, Response>(reactor, request, response,
                                     std::move(handle));
}

grpc::ServerUnaryReactor* AdminService::ExportUser(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve<v1::ExportUserRequest, v1::UserExport>(
      "ExportUser", context, request, response,
      [this](const auto& req, auto* resp) { return Export(req, resp); });
}

absl::Status AdminService::Export(const v1::ExportUserRequest& request,
                                  v1::UserExport* response) const {
  // Exposures still gathering for a write are held too. (A read replica's
  // go to the writer, and are not waited for: it may be unreachable.)
  if (exposures_ != nullptr && erases_) exposures_->Flush();
  std::shared_ptr<const ServingState> state = state_->Get();
  return tailor::ExportUser(state.get(), store_, request, response);
}

grpc::ServerUnaryReactor* AdminService::EraseUser(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve<v1::EraseUserRequest, v1::UserErasure>(
      "EraseUser", context, request, response,
      [this](const auto& req, auto* resp) { return Erase(req, resp); });
}

absl::Status AdminService::Erase(const v1::EraseUserRequest& request,
                                 v1::UserErasure* response) {
  const std::string& user_id = request.user_id();
  TAILOR_RETURN_IF_ERROR(ValidateId("user_id", user_id));
  if (!erases_) {
    return absl::FailedPreconditionError(
        "this server is a read replica (--accept_events=false): erase on "
        "the server that takes events; the replicas take its erasures from "
        "the snapshot directory");
  }
  if (std::shared_ptr<const ServingState> state = state_->Get()) {
    response->set_model_vector(
        state->recommender->model().users.Find(user_id).has_value());
  }
  TAILOR_ASSIGN_OR_RETURN(const ErasureReport report,
                          store_->EraseUser(user_id));
  response->set_user_id(user_id);
  response->set_already_erased(report.already_erased);
  response->set_events(report.events);
  response->set_exposures(report.exposures);
  response->set_history(report.history);
  response->set_customer_record(report.customer_record);
  response->set_files_purged(report.purged);
  if (manager_ != nullptr) {
    if (absl::Status s = manager_->ApplyErasures(); !s.ok()) {
      return absl::Status(
          s.code(),
          absl::StrCat("user_id: erased from the data directory, but not "
                       "yet everywhere: ",
                       s.message(),
                       "; this server checks requests against the erasure "
                       "list meanwhile; call EraseUser again to retry"));
    }
  }
  if (std::shared_ptr<const ServingState> state = state_->Get()) {
    response->set_model_version(state->version);
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* AdminService::GetModelInfo(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve<v1::GetModelInfoRequest, v1::ModelInfo>(
      "GetModelInfo", context, request, response,
      [this](const auto&, auto* resp) { return Info(resp); });
}

grpc::ServerUnaryReactor* AdminService::ListSnapshots(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve<v1::ListSnapshotsRequest, v1::ListSnapshotsResponse>(
      "ListSnapshots", context, request, response,
      [this](const auto&, auto* resp) { return List(resp); });
}

grpc::ServerUnaryReactor* AdminService::ActivateSnapshot(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve<v1::ActivateSnapshotRequest, v1::ModelInfo>(
      "ActivateSnapshot", context, request, response,
      [this](const auto& req, auto* resp) { return Activate(req, resp); });
}

grpc::ServerUnaryReactor* AdminService::Rollback(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve<v1::RollbackRequest, v1::ModelInfo>(
      "Rollback", context, request, response,
      [this](const auto&, auto* resp) { return RollBack(resp); });
}

grpc::ServerUnaryReactor* AdminService::CreateExperiment(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve<v1::CreateExperimentRequest, v1::Experiment>(
      "CreateExperiment", context, request, response,
      [this](const auto& req, auto* resp) { return Create(req, resp); });
}

grpc::ServerUnaryReactor* AdminService::ListExperiments(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve<v1::ListExperimentsRequest, v1::ListExperimentsResponse>(
      "ListExperiments", context, request, response,
      [this](const auto& req, auto* resp) { return ListAll(req, resp); });
}

grpc::ServerUnaryReactor* AdminService::GetExperiment(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve<v1::GetExperimentRequest, v1::Experiment>(
      "GetExperiment", context, request, response,
      [this](const auto& req, auto* resp) { return GetOne(req, resp); });
}

grpc::ServerUnaryReactor* AdminService::StopExperiment(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve<v1::StopExperimentRequest, v1::Experiment>(
      "StopExperiment", context, request, response,
      [this](const auto& req, auto* resp) { return Stop(req, resp); });
}

grpc::ServerUnaryReactor* AdminService::ArchiveExperiment(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve<v1::ArchiveExperimentRequest, v1::Experiment>(
      "ArchiveExperiment", context, request, response,
      [this](const auto& req, auto* resp) { return Archive(req, resp); });
}

grpc::ServerUnaryReactor* AdminService::GetExperimentResults(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve<v1::GetExperimentResultsRequest, v1::ExperimentResults>(
      "GetExperimentResults", context, request, response,
      [this](const auto& req, auto* resp) { return Results(req, resp); });
}

grpc::ServerUnaryReactor* AdminService::RecordExposures(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve<v1::RecordExposuresRequest, v1::RecordExposuresResponse>(
      "RecordExposures", context, request, response,
      [this](const auto& req, auto* resp) { return Exposures(req, resp); },
      kRoleIngest);
}

absl::Status AdminService::Exposures(const v1::RecordExposuresRequest& request,
                                     v1::RecordExposuresResponse* response) {
  TAILOR_ASSIGN_OR_RETURN(ExperimentBook * book, Experiments(false));
  if (!erases_) {
    return absl::FailedPreconditionError(
        "a read replica (--accept_events=false) does not store exposures: "
        "send them to the writer");
  }
  TAILOR_ASSIGN_OR_RETURN(std::vector<Exposure> batch,
                          ExposuresOfMessage(request, *book->Snapshot()));
  TAILOR_ASSIGN_OR_RETURN(const size_t stored, store_->AppendExposures(batch));
  response->set_stored(static_cast<int32_t>(stored));
  return absl::OkStatus();
}

absl::StatusOr<ExperimentBook*> AdminService::Experiments(bool change) const {
  if (experiments_ == nullptr) {
    return absl::FailedPreconditionError("this server keeps no experiments");
  }
  if (change && !erases_) {
    return absl::FailedPreconditionError(
        "a read replica (--accept_events=false) does not change experiments: "
        "call the writer");
  }
  return experiments_;
}

namespace {

int64_t NowUnix() { return absl::ToUnixSeconds(absl::Now()); }

}  // namespace

absl::Status AdminService::Create(const v1::CreateExperimentRequest& request,
                                  v1::Experiment* response) {
  TAILOR_ASSIGN_OR_RETURN(ExperimentBook * book, Experiments(true));
  if (!request.has_experiment()) {
    return absl::InvalidArgumentError("experiment: required");
  }
  TAILOR_ASSIGN_OR_RETURN(Experiment e,
                          ExperimentOfMessage(request.experiment()));
  const std::shared_ptr<const ServingState> state = state_->Get();
  TAILOR_ASSIGN_OR_RETURN(
      const Experiment created,
      book->Create(std::move(e), ServedStrategies(state.get()), NowUnix()));
  FillExperimentMessage(created, response);
  return absl::OkStatus();
}

absl::Status AdminService::ListAll(
    const v1::ListExperimentsRequest& request,
    v1::ListExperimentsResponse* response) const {
  TAILOR_ASSIGN_OR_RETURN(ExperimentBook * book, Experiments(false));
  for (const Experiment& e : *book->Snapshot()) {
    if (e.state == ExperimentState::kArchived && !request.include_archived()) {
      continue;
    }
    FillExperimentMessage(e, response->add_experiments());
  }
  return absl::OkStatus();
}

absl::Status AdminService::GetOne(const v1::GetExperimentRequest& request,
                                  v1::Experiment* response) const {
  TAILOR_ASSIGN_OR_RETURN(ExperimentBook * book, Experiments(false));
  TAILOR_RETURN_IF_ERROR(ValidateId("name", request.name()));
  TAILOR_ASSIGN_OR_RETURN(const Experiment e, book->Get(request.name()));
  FillExperimentMessage(e, response);
  return absl::OkStatus();
}

absl::Status AdminService::Stop(const v1::StopExperimentRequest& request,
                                v1::Experiment* response) {
  TAILOR_ASSIGN_OR_RETURN(ExperimentBook * book, Experiments(true));
  TAILOR_RETURN_IF_ERROR(ValidateId("name", request.name()));
  TAILOR_ASSIGN_OR_RETURN(const Experiment e,
                          book->Stop(request.name(), NowUnix()));
  FillExperimentMessage(e, response);
  return absl::OkStatus();
}

absl::Status AdminService::Archive(const v1::ArchiveExperimentRequest& request,
                                   v1::Experiment* response) {
  TAILOR_ASSIGN_OR_RETURN(ExperimentBook * book, Experiments(true));
  TAILOR_RETURN_IF_ERROR(ValidateId("name", request.name()));
  TAILOR_ASSIGN_OR_RETURN(const Experiment e, book->Archive(request.name()));
  FillExperimentMessage(e, response);
  return absl::OkStatus();
}

absl::Status AdminService::Info(v1::ModelInfo* response) const {
  std::shared_ptr<const ServingState> state = state_->Get();
  if (state == nullptr) {
    return absl::UnavailableError(
        "no model loaded yet: publish a snapshot with tailor-trainer");
  }
  FillState(*state, response);
  absl::StatusOr<std::string> current = snapshots_->CurrentVersion();
  response->set_current(current.ok() && *current == state->version);
  return absl::OkStatus();
}

absl::Status AdminService::List(v1::ListSnapshotsResponse* response) const {
  TAILOR_ASSIGN_OR_RETURN(std::vector<std::string> versions,
                          snapshots_->ListVersions());
  std::shared_ptr<const ServingState> state = state_->Get();
  absl::StatusOr<std::string> current = snapshots_->CurrentVersion();
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    absl::StatusOr<SnapshotManifest> m = snapshots_->ReadManifest(*it);
    if (!m.ok()) {
      if (absl::IsNotFound(m.status())) continue;  // deleted meanwhile
      v1::SnapshotProblem* p = response->add_problems();
      p->set_version(*it);
      p->set_error(std::string(m.status().message()));
      continue;
    }
    v1::ModelInfo* info = response->add_snapshots();
    FillManifest(*m, info);
    if (state != nullptr && state->version == *it) {
      info->set_active(true);
      info->set_loaded_at_unix(state->loaded_unix);
    }
    info->set_current(current.ok() && *current == *it);
  }
  return absl::OkStatus();
}

absl::Status AdminService::Activate(const v1::ActivateSnapshotRequest& request,
                                    v1::ModelInfo* response) {
  if (request.version().empty()) {
    return absl::InvalidArgumentError(
        "version: must not be empty (e.g. \"00000042\"; see ListSnapshots)");
  }
  if (!IsSnapshotVersion(request.version())) {
    return absl::InvalidArgumentError(
        absl::StrCat("version: '", request.version(),
                     "' is not a snapshot version (eight digits, e.g. "
                     "\"00000042\")"));
  }
  TAILOR_RETURN_IF_ERROR(manager_->Activate(request.version()));
  return Info(response);
}

absl::Status AdminService::RollBack(v1::ModelInfo* response) {
  TAILOR_RETURN_IF_ERROR(manager_->Rollback().status());
  return Info(response);
}

absl::Status AdminService::Results(
    const v1::GetExperimentResultsRequest& request,
    v1::ExperimentResults* response) const {
  TAILOR_ASSIGN_OR_RETURN(ExperimentBook * book, Experiments(false));
  if (!erases_) {
    return absl::FailedPreconditionError(
        "a read replica (--accept_events=false) logs no exposures: ask the "
        "writer for experiment results");
  }
  TAILOR_RETURN_IF_ERROR(ValidateId("name", request.name()));
  ResultsReadOptions options;
  if (request.has_attribution_window_days()) {
    const int32_t days = request.attribution_window_days();
    if (days < 1 || days > 90) {
      return absl::InvalidArgumentError(
          absl::StrCat("attribution_window_days: must be 1..90, got ", days));
    }
    options.window_seconds = int64_t{days} * 86400;
  }
  if (request.has_sequential_tau()) {
    const double tau = request.sequential_tau();
    if (!(tau > 0 && tau <= 10)) {
      return absl::InvalidArgumentError(
          absl::StrCat("sequential_tau: must be in (0, 10], got ", tau));
    }
    options.comparison.tau = tau;
  }
  TAILOR_ASSIGN_OR_RETURN(const Experiment e, book->Get(request.name()));
  // Every answer given before the call counts.
  if (exposures_ != nullptr) exposures_->Flush();
  options.now_unix = NowUnix();
  const std::shared_ptr<const ServingState> state = state_->Get();
  const std::shared_ptr<const CatalogView> catalog =
      state != nullptr ? state->catalog->Get() : nullptr;
  TAILOR_ASSIGN_OR_RETURN(
      const ExperimentResults results,
      ReadExperimentResults(e, store_, catalog.get(), options));
  FillExperimentMessage(e, response->mutable_experiment());
  FillResultsMessage(results, response);
  response->set_attribution_window_seconds(options.window_seconds);
  response->set_sequential_tau(options.comparison.tau);
  response->set_computed_unix(options.now_unix);
  return absl::OkStatus();
}

}  // namespace tailor

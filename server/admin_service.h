// The tailor.v1.Admin gRPC service (callback API): which snapshot serves,
// which are on disk, switching between them, and what is held about one
// person.
#ifndef TAILOR_SERVER_ADMIN_SERVICE_H_
#define TAILOR_SERVER_ADMIN_SERVICE_H_

#include "absl/status/status.h"
#include "server/authorizer.h"
#include "server/experiment_book.h"
#include "server/exposure_log.h"
#include "server/grpc_metrics.h"
#include "server/metrics.h"
#include "server/serving_state.h"
#include "server/snapshot_manager.h"
#include "storage/snapshot_store.h"
#include "storage/state_store.h"
#include "tailor/v1/admin.grpc.pb.h"

namespace tailor {

// Handlers validate the request, call the snapshot manager (which loads and
// validates off the request path of the Recommender service) and describe
// snapshots from the active state or their MANIFESTs.
// Thread safety: handlers run concurrently on gRPC's threads; switches are
// serialised by the SnapshotManager.
class AdminService final
    : public v1::Admin::WithRawCallbackMethod_GetModelInfo<
          v1::Admin::WithRawCallbackMethod_ListSnapshots<
              v1::Admin::WithRawCallbackMethod_ActivateSnapshot<
                  v1::Admin::WithRawCallbackMethod_Rollback<v1::Admin::WithRawCallbackMethod_ExportUser<
                      v1::Admin::WithRawCallbackMethod_EraseUser<
                          v1::Admin::WithRawCallbackMethod_CreateExperiment<
                              v1::Admin::WithRawCallbackMethod_ListExperiments<
                                  v1::Admin::WithRawCallbackMethod_GetExperiment<
                                      v1::Admin::WithRawCallbackMethod_StopExperiment<
                                          v1::Admin::WithRawCallbackMethod_ArchiveExperiment<
                                              v1::Admin::WithRawCallbackMethod_GetExperimentResults<
                                                  v1::Admin::
                                                      WithRawCallbackMethod_RecordExposures<
                                                          v1::Admin::
                                                              Service>>>>>>>>>>>>> {
 public:
  // All pointers must outlive the service.
  // Without `authorizer` every caller may call every method; without
  // `metrics` nothing is counted.
  // ExportUser reads `store`; EraseUser erases from it and has `manager`
  // apply the erasure (FAILED_PRECONDITION without `erases`: a read
  // replica, whose erasures come from the writer). The experiment calls
  // use `experiments` (FAILED_PRECONDITION without one); a read replica
  // (`erases` false) lists them but refuses changes and results.
  // GetExperimentResults and ExportUser write what `exposures` holds
  // queued first.
  AdminService(const ServingStateHolder* state, const SnapshotStore* snapshots,
               SnapshotManager* manager, StateStore* store,
               const Authorizer* authorizer = nullptr,
               ServerMetrics* metrics = nullptr, bool erases = true,
               ExperimentBook* experiments = nullptr,
               ExposureLog* exposures = nullptr)
      : state_(state),
        snapshots_(snapshots),
        store_(store),
        manager_(manager),
        authorizer_(authorizer),
        metrics_(metrics),
        erases_(erases),
        experiments_(experiments),
        exposures_(exposures) {}

  grpc::ServerUnaryReactor* GetModelInfo(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListSnapshots(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ActivateSnapshot(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* Rollback(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ExportUser(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* EraseUser(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;

  grpc::ServerUnaryReactor* CreateExperiment(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListExperiments(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetExperiment(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* StopExperiment(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ArchiveExperiment(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetExperimentResults(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* RecordExposures(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;

  // The handlers' logic, callable without gRPC.
  absl::Status Info(v1::ModelInfo* response) const;
  absl::Status List(v1::ListSnapshotsResponse* response) const;
  absl::Status Activate(const v1::ActivateSnapshotRequest& request,
                        v1::ModelInfo* response);
  absl::Status RollBack(v1::ModelInfo* response);
  absl::Status Export(const v1::ExportUserRequest& request,
                      v1::UserExport* response) const;
  absl::Status Erase(const v1::EraseUserRequest& request,
                     v1::UserErasure* response);
  absl::Status Create(const v1::CreateExperimentRequest& request,
                      v1::Experiment* response);
  absl::Status ListAll(const v1::ListExperimentsRequest& request,
                       v1::ListExperimentsResponse* response) const;
  absl::Status GetOne(const v1::GetExperimentRequest& request,
                      v1::Experiment* response) const;
  absl::Status Stop(const v1::StopExperimentRequest& request,
                    v1::Experiment* response);
  absl::Status Archive(const v1::ArchiveExperimentRequest& request,
                       v1::Experiment* response);
  absl::Status Results(const v1::GetExperimentResultsRequest& request,
                       v1::ExperimentResults* response) const;
  absl::Status Exposures(const v1::RecordExposuresRequest& request,
                         v1::RecordExposuresResponse* response);

 private:
  const ServingStateHolder* state_;
  const SnapshotStore* snapshots_;
  StateStore* store_;
  // A call of `method`: counted, its credentials checked (`role`: admin
  // unless said), then ServeRaw.
  template <typename Request, typename Response, typename Handle>
  grpc::ServerUnaryReactor* Serve(absl::string_view method,
                                  grpc::CallbackServerContext* context,
                                  const grpc::ByteBuffer* request,
                                  grpc::ByteBuffer* response, Handle handle,
                                  Role role = kRoleAdmin);

  SnapshotManager* manager_;
  const Authorizer* authorizer_;
  ServerMetrics* metrics_;
  const bool erases_;
  ExperimentBook* experiments_;
  // GetExperimentResults and ExportUser flush it before reading (null:
  // nothing to).
  ExposureLog* exposures_;
  // experiments_, or FAILED_PRECONDITION without one; with `change`, also
  // on a read replica.
  absl::StatusOr<ExperimentBook*> Experiments(bool change) const;
};

}  // namespace tailor

#endif  // TAILOR_SERVER_ADMIN_SERVICE_H_

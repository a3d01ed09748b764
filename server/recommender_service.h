// The tailor.v1.Recommender gRPC service (callback API).
#ifndef TAILOR_SERVER_RECOMMENDER_SERVICE_H_
#define TAILOR_SERVER_RECOMMENDER_SERVICE_H_

#include <array>
#include <atomic>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/authorizer.h"
#include "server/call_scheduler.h"
#include "server/catalog_writer.h"
#include "server/event_writer.h"
#include "server/experiment_book.h"
#include "server/exposure_log.h"
#include "server/metrics.h"
#include "server/serving_state.h"
#include "storage/state_store.h"
#include "tailor/v1/recommender.grpc.pb.h"

namespace tailor {

// Handlers parse the raw request (see wire.h), validate it, read the user's
// history from the state store, score with the active snapshot and map errors
// to gRPC statuses. Each call is admitted (or refused) by the CallScheduler
// and runs on one of its workers.
// Thread safety: handlers run concurrently on the scheduler's workers (on
// gRPC's threads without one); each copies the active ServingState pointer
// and never holds a lock while scoring.
class RecommenderService final
    : public v1::Recommender::WithRawCallbackMethod_RecommendFor<
          v1::Recommender::WithRawCallbackMethod_BoughtTogether<
              v1::Recommender::WithRawCallbackMethod_SimilarItems<
                  v1::Recommender::WithRawCallbackMethod_GetSegment<
                      v1::Recommender::WithRawCallbackMethod_ListSegments<
                          v1::Recommender::WithRawCallbackMethod_TargetAudience<
                              v1::Recommender::WithRawCallbackMethod_RecordEvents<
                                  v1::Recommender::
                                      WithRawCallbackMethod_StreamEvents<
                                          v1::Recommender::
                                              WithRawCallbackMethod_UpdateCatalog<
                                                  v1::Recommender::
                                                      Service>>>>>>>>> {
 public:
  // The pointers must outlive the service. Events are stored through
  // `writer`, which writes to `store`; catalog changes through
  // `catalog_writer` (without one, on the calling thread). Without a
  // `scheduler` the handlers run on gRPC's threads with no bound (for tests of
  // the logic alone); without `metrics` nothing is counted; without
  // `authorizer` every caller may call every method. Unless `accept_events`,
  // RecordEvents, StreamEvents and UpdateCatalog answer FAILED_PRECONDITION and
  // store nothing (a replica that serves reads only, beside the one that keeps
  // the event log). RecommendFor assigns shoppers to the running experiments
  // of `experiments` (without it, to none).
  RecommenderService(const ServingStateHolder* state, StateStore* store,
                     EventWriter* writer, CallScheduler* scheduler = nullptr,
                     ServerMetrics* metrics = nullptr,
                     const Authorizer* authorizer = nullptr,
                     bool accept_events = true,
                     CatalogWriter* catalog_writer = nullptr,
                     const ExperimentBook* experiments = nullptr,
                     ExposureLog* exposures = nullptr);

  grpc::ServerUnaryReactor* RecommendFor(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;

  grpc::ServerUnaryReactor* BoughtTogether(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* SimilarItems(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;

  grpc::ServerUnaryReactor* GetSegment(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListSegments(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* TargetAudience(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;

  grpc::ServerUnaryReactor* RecordEvents(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerReadReactor<grpc::ByteBuffer>* StreamEvents(
      grpc::CallbackServerContext* context,
      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* UpdateCatalog(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;

  // The handlers' logic, callable without gRPC.
  absl::Status Recommend(const v1::RecommendRequest& request,
                         v1::RecommendResponse* response) const;
  absl::Status Together(const v1::BoughtTogetherRequest& request,
                        v1::BoughtTogetherResponse* response) const;
  absl::Status Similar(const v1::SimilarItemsRequest& request,
                       v1::SimilarItemsResponse* response) const;
  absl::Status Segment(const v1::GetSegmentRequest& request,
                       v1::Segment* response) const;
  absl::Status Segments(const v1::ListSegmentsRequest& request,
                        v1::ListSegmentsResponse* response) const;
  absl::Status Audience(const v1::TargetAudienceRequest& request,
                        v1::TargetAudienceResponse* response) const;
  // Checks `request`, has the event writer store its valid events, and
  // calls `done` once with the whole response (each event's result), or
  // with the error that stored none of them: on this thread when nothing
  // needs writing or the writer's queue is full, else on the writer's
  // thread once the write is durable.
  using RecordDone =
      absl::AnyInvocable<void(absl::StatusOr<v1::RecordEventsResponse>) &&>;
  void RecordAsync(const v1::RecordEventsRequest& request,
                   RecordDone done) const;
  // RecordAsync, waiting for the answer (for callers without gRPC).
  absl::Status Record(const v1::RecordEventsRequest& request,
                      v1::RecordEventsResponse* response) const;
  // Checks each change, has the catalog writer apply the valid ones (on
  // this thread without one: ApplyCatalogChanges) and calls `done` once
  // with the whole response, or with the error that stored none of them.
  using CatalogDone =
      absl::AnyInvocable<void(absl::StatusOr<v1::UpdateCatalogResponse>) &&>;
  void CatalogAsync(const v1::UpdateCatalogRequest& request,
                    CatalogDone done) const;
  // CatalogAsync, waiting for the answer.
  absl::Status Catalog(const v1::UpdateCatalogRequest& request,
                       v1::UpdateCatalogResponse* response) const;

 private:
  const ServingStateHolder* state_;
  StateStore* store_;
  EventWriter* writer_;
  CatalogWriter* catalog_writer_;
  const ExperimentBook* experiments_;
  // Where answers an experiment chose are logged (null: nowhere).
  ExposureLog* exposures_;
  // recommendation_id: a random prefix drawn at construction, then a count.
  const uint64_t recommendation_prefix_;
  mutable std::atomic<uint64_t> recommendations_{0};
  // The call's credentials checked for `method`'s role (read, or ingest
  // for RecordEvents, StreamEvents and UpdateCatalog).
  absl::Status Allowed(const grpc::CallbackServerContext& context,
                       CallMethod method) const;
  // A new reactor for a call of `method`, counting it.
  MeteredUnaryReactor* Reactor(CallMethod method) const;
  // A unary call of `method` answered by `async(request, done)` (which
  // calls `done` once, on any thread): reactor, credentials, a scheduler
  // slot held until the answer, the request parsed on a worker.
  template <typename Request, typename Response, typename Async>
  grpc::ServerUnaryReactor* ServeAsync(CallMethod method,
                                       grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response, Async async);
  // A unary call of `method`: reactor, credentials, then ServeScheduled.
  template <typename Request, typename Response, typename Handle>
  grpc::ServerUnaryReactor* Serve(CallMethod method,
                                  grpc::CallbackServerContext* context,
                                  const grpc::ByteBuffer* request,
                                  grpc::ByteBuffer* response, Handle handle);

  CallScheduler* scheduler_;
  ServerMetrics* metrics_;
  const Authorizer* authorizer_;
  const bool accept_events_;
  // Per-RPC counting (null without metrics) and each method's id in it.
  GrpcMetrics* rpc_;
  std::array<int, kCallMethods> rpc_ids_{};
};

}  // namespace tailor

#endif  // TAILOR_SERVER_RECOMMENDER_SERVICE_H_

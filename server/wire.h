// Request parsing and response serialisation for raw (ByteBuffer) handlers.
//
// Protobuf's proto3 parser rejects a string field holding invalid UTF-8
// before any handler runs, and gRPC then answers with an empty error. Tailor's
// handlers take the raw bytes instead and parse them here, so that every bad
// request gets INVALID_ARGUMENT naming the offending field.
#ifndef TAILOR_SERVER_WIRE_H_
#define TAILOR_SERVER_WIRE_H_

#include <google/protobuf/message.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/server_callback.h>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/base/status_macros.h"
#include "server/call_scheduler.h"
#include "server/grpc_metrics.h"
#include "server/status_util.h"

namespace tailor {

// Parses `buffer` into `message`. On failure: INVALID_ARGUMENT with
// "<field path>: is not valid UTF-8" (e.g. "exclude_item_ids[2]") when that
// is the cause, otherwise a message saying the bytes are not a valid
// <message type>.
absl::Status ParseRequest(const grpc::ByteBuffer& buffer,
                          google::protobuf::Message* message);

// Serialises `message` into `buffer`.
absl::Status SerializeResponse(const google::protobuf::Message& message,
                               grpc::ByteBuffer* buffer);

// Parses `request`, runs `handle(request, &response)` (returning
// absl::Status) and serialises the response into `response`.
template <typename Request, typename Response, typename Handle>
absl::Status AnswerRaw(const grpc::ByteBuffer& request,
                       grpc::ByteBuffer* response, Handle& handle) {
  Request req;
  TAILOR_RETURN_IF_ERROR(ParseRequest(request, &req));
  Response resp;
  TAILOR_RETURN_IF_ERROR(handle(req, &resp));
  return SerializeResponse(resp, response);
}

// A raw unary callback handler run on gRPC's thread (AnswerRaw, then
// `reactor`, the call's, finished with the mapped status).
template <typename Request, typename Response, typename Handle>
grpc::ServerUnaryReactor* ServeRaw(MeteredUnaryReactor* reactor,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response, Handle handle) {
  reactor->Finish(
      ToGrpcStatus(AnswerRaw<Request, Response>(*request, response, handle)));
  return reactor;
}

// The call of `reactor` answered at once with `status` (an error: a
// refusal).
inline grpc::ServerUnaryReactor* Refuse(MeteredUnaryReactor* reactor,
                                        const absl::Status& status) {
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

// The call's deadline as absl::Time (InfiniteFuture when it has none).
absl::Time DeadlineOf(const grpc::CallbackServerContext& context);

// Schedules `run` as a call of `method` with `context`'s deadline and
// cancellation (see CallScheduler::Schedule).
inline void ScheduleCall(CallScheduler* scheduler, CallMethod method,
                         grpc::CallbackServerContext* context,
                         CallScheduler::Run run) {
  scheduler->Schedule(
      method, DeadlineOf(*context),
      [context] { return context->IsCancelled(); }, std::move(run));
}

// ServeRaw through `scheduler`: the call is admitted as `method` or refused
// at once, and runs on a worker unless it is refused or dropped there (see
// CallScheduler::Schedule). A null `scheduler` is ServeRaw.
template <typename Request, typename Response, typename Handle>
grpc::ServerUnaryReactor* ServeScheduled(CallScheduler* scheduler,
                                         CallMethod method,
                                         grpc::CallbackServerContext* context,
                                         MeteredUnaryReactor* reactor,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response,
                                         Handle handle) {
  if (scheduler == nullptr) {
    return ServeRaw<Request, Response>(reactor, request, response,
                                       std::move(handle));
  }
  ScheduleCall(scheduler, method, context,
               [reactor, request, response, handle = std::move(handle)](
                   absl::StatusOr<CallScheduler::Slot> slot) mutable {
                 absl::Status status = slot.ok()
                                           ? AnswerRaw<Request, Response>(
                                                 *request, response, handle)
                                           : slot.status();
                 // The place is free before the client can see the answer and
                 // send its next call.
                 slot = absl::CancelledError();
                 reactor->Finish(ToGrpcStatus(status));
               });
  return reactor;
}

}  // namespace tailor

#endif  // TAILOR_SERVER_WIRE_H_

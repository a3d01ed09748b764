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
#include "core/base/status_macros.h"
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

// A raw unary callback handler: parses the request, runs
// `handle(request, &response)` (returning absl::Status), serialises the
// response and finishes the call with the mapped status.
template <typename Request, typename Response, typename Handle>
grpc::ServerUnaryReactor* ServeRaw(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response, Handle handle) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status status = [&] {
    Request req;
    TAILOR_RETURN_IF_ERROR(ParseRequest(*request, &req));
    Response resp;
    TAILOR_RETURN_IF_ERROR(handle(req, &resp));
    return SerializeResponse(resp, response);
  }();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace tailor

#endif  // TAILOR_SERVER_WIRE_H_

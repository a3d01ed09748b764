// Maps absl::Status to grpc::Status (the code numbering is the same).
#ifndef TAILOR_SERVER_STATUS_UTIL_H_
#define TAILOR_SERVER_STATUS_UTIL_H_

#include <grpcpp/support/status.h>

#include <string>

#include "absl/status/status.h"

namespace tailor {

inline grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()),
                      std::string(s.message()));
}

}  // namespace tailor

#endif  // TAILOR_SERVER_STATUS_UTIL_H_

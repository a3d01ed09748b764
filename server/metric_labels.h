// Label values shared by the server's metrics.
#ifndef TAILOR_SERVER_METRIC_LABELS_H_
#define TAILOR_SERVER_METRIC_LABELS_H_

#include <array>

namespace tailor {

// A gRPC status code as existing gRPC dashboards spell it in `grpc_code`
// ("OK", "InvalidArgument", ...); codes outside 0..16 are "Unknown".
inline const char* GrpcCodeLabel(int code) {
  static constexpr std::array<const char*, 17> kNames = {"OK",
                                                         "Canceled",
                                                         "Unknown",
                                                         "InvalidArgument",
                                                         "DeadlineExceeded",
                                                         "NotFound",
                                                         "AlreadyExists",
                                                         "PermissionDenied",
                                                         "ResourceExhausted",
                                                         "FailedPrecondition",
                                                         "Aborted",
                                                         "OutOfRange",
                                                         "Unimplemented",
                                                         "Internal",
                                                         "Unavailable",
                                                         "DataLoss",
                                                         "Unauthenticated"};
  return code >= 0 && code < static_cast<int>(kNames.size()) ? kNames[code]
                                                             : "Unknown";
}
inline constexpr int kGrpcCodes = 17;

}  // namespace tailor

#endif  // TAILOR_SERVER_METRIC_LABELS_H_

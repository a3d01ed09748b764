// Per-RPC metrics under the names existing gRPC dashboards use
// (go-grpc-prometheus'): grpc_server_started_total,
// grpc_server_handled_total{grpc_code}, grpc_server_handling_seconds (a
// histogram, 50 us to 10 s), grpc_server_msg_received_total and
// grpc_server_msg_sent_total, each labelled grpc_type, grpc_service and
// grpc_method. Counted by a server interceptor, so every call counts:
// refusals, invalid requests and failures too, on every service.
#ifndef TAILOR_SERVER_GRPC_METRICS_H_
#define TAILOR_SERVER_GRPC_METRICS_H_

#include <grpcpp/support/server_interceptor.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

namespace tailor {

// A method the interceptor knows by name; others count under
// grpc_service="unknown", grpc_method="unknown", so a client cannot add
// series by calling made-up names.
struct KnownMethod {
  std::string service;  // "tailor.v1.Recommender"
  std::string method;   // "RecommendFor"
  grpc::experimental::ServerRpcInfo::Type type;
};

// Tailor's services (from their descriptors), gRPC's health service and
// server reflection.
std::vector<KnownMethod> TailorServerMethods();

// A factory for grpc::ServerBuilder (which owns it) that creates one
// interceptor per call, counting it into `registry`'s families (registered
// here, once). `registry` must outlive the server.
// Thread safety: interceptors run on any of gRPC's and the workers'
// threads at once; their series are atomic counters and locked histograms.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewGrpcMetricsInterceptorFactory(prometheus::Registry* registry,
                                 const std::vector<KnownMethod>& methods);

}  // namespace tailor

#endif  // TAILOR_SERVER_GRPC_METRICS_H_

// Per-RPC metrics under the names existing gRPC dashboards use
// (go-grpc-prometheus'): grpc_server_started_total,
// grpc_server_handled_total{grpc_code}, grpc_server_handling_seconds (a
// histogram, 50 us to 10 s), grpc_server_msg_received_total and
// grpc_server_msg_sent_total, each labelled grpc_type, grpc_service and
// grpc_method.
//
// The services' handlers count their calls themselves, through
// MeteredUnaryReactor (and StreamEvents' reactor): every call of the
// Recommender and Admin services, refusals, invalid requests and failures
// included. A gRPC server interceptor would see gRPC's own services too,
// but adds several percent to the server's CPU per call. Methods no service has
// are answered by UnknownMethodService (UNIMPLEMENTED) and counted under
// grpc_service="unknown", grpc_method="unknown", so that a client cannot
// add series by calling made-up names. gRPC's health and reflection
// services are not counted.
#ifndef TAILOR_SERVER_GRPC_METRICS_H_
#define TAILOR_SERVER_GRPC_METRICS_H_

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/support/server_callback.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "server/metric_labels.h"

namespace tailor {

// A method counted by name.
struct KnownMethod {
  enum class Type { kUnary, kClientStream, kServerStream, kBidiStream };
  std::string service;  // "tailor.v1.Recommender"
  std::string method;   // "RecommendFor"
  Type type;
};

// Tailor's Recommender and Admin services, from their descriptors.
std::vector<KnownMethod> TailorServiceMethods();

// Thread safety: every method may be called from any thread at once (atomic
// counters; a histogram takes its own short lock).
class GrpcMetrics {
 public:
  // Registers the families into `registry` (which must outlive this) and
  // the series of `methods` (the status-code series and the histogram of a
  // method appear at its first call).
  GrpcMetrics(prometheus::Registry* registry,
              const std::vector<KnownMethod>& methods);
  ~GrpcMetrics();
  GrpcMetrics(const GrpcMetrics&) = delete;
  GrpcMetrics& operator=(const GrpcMetrics&) = delete;

  // The id of "/service/method", or unknown_id() for one not known.
  int Id(absl::string_view path) const;
  int unknown_id() const { return static_cast<int>(series_.size()) - 1; }

  void Started(int id);
  void Received(int id);
  void Sent(int id);
  void Handled(int id, int code, double seconds);

 private:
  class Series;
  std::vector<std::unique_ptr<Series>> series_;  // the unknown one last
  absl::flat_hash_map<std::string, int> ids_;
};

// One call as it is counted: started at construction; each request
// message received; at Finished its status, its time since construction
// and, when OK, its response. A null `metrics` counts nothing.
// Thread safety: Finished once, from any thread.
class RpcCount {
 public:
  RpcCount(GrpcMetrics* metrics, int id)
      : metrics_(metrics), id_(id), start_(std::chrono::steady_clock::now()) {
    if (metrics_ != nullptr) metrics_->Started(id_);
  }
  void Received() {
    if (metrics_ != nullptr) metrics_->Received(id_);
  }
  void Finished(const grpc::Status& status);

 private:
  GrpcMetrics* const metrics_;
  const int id_;
  const std::chrono::steady_clock::time_point start_;
};

// The reactor of one unary call that counts it (RpcCount: its request is
// received at construction). Deletes itself when gRPC is done with it.
// Thread safety: as grpc::ServerUnaryReactor (Finish once, from any thread).
class MeteredUnaryReactor : public grpc::ServerUnaryReactor {
 public:
  // `metrics` may be null (nothing counted).
  MeteredUnaryReactor(GrpcMetrics* metrics, int id) : count_(metrics, id) {
    count_.Received();
  }
  // Counts the call and finishes it with `status` (hides
  // ServerUnaryReactor::Finish: call it through this type).
  void Finish(grpc::Status status) {
    count_.Finished(status);
    grpc::ServerUnaryReactor::Finish(std::move(status));
  }
  void OnDone() override { delete this; }

 private:
  RpcCount count_;
};

// Answers every method no registered service has with UNIMPLEMENTED,
// counting it as the unknown method.
// Thread safety: reactors run on gRPC's threads; counting is thread-safe.
class UnknownMethodService : public grpc::CallbackGenericService {
 public:
  // `metrics` may be null.
  explicit UnknownMethodService(GrpcMetrics* metrics) : metrics_(metrics) {}
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override;

 private:
  GrpcMetrics* const metrics_;
};

}  // namespace tailor

#endif  // TAILOR_SERVER_GRPC_METRICS_H_

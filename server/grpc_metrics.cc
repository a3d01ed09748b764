#include "server/grpc_metrics.h"

#include <google/protobuf/descriptor.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>

#include <array>
#include <atomic>
#include <chrono>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "server/metric_labels.h"
#include "tailor/v1/admin.grpc.pb.h"
#include "tailor/v1/recommender.grpc.pb.h"

namespace tailor {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::ServerRpcInfo;

const char* TypeLabel(ServerRpcInfo::Type type) {
  switch (type) {
    case ServerRpcInfo::Type::UNARY:
      return "unary";
    case ServerRpcInfo::Type::CLIENT_STREAMING:
      return "client_stream";
    case ServerRpcInfo::Type::SERVER_STREAMING:
      return "server_stream";
    case ServerRpcInfo::Type::BIDI_STREAMING:
      break;
  }
  return "bidi_stream";
}

// The families every method's series belong to.
struct Families {
  explicit Families(prometheus::Registry* r)
      : started(prometheus::BuildCounter()
                    .Name("grpc_server_started_total")
                    .Help("RPCs started on the server")
                    .Register(*r)),
        handled(prometheus::BuildCounter()
                    .Name("grpc_server_handled_total")
                    .Help("RPCs completed on the server, whatever their "
                          "status")
                    .Register(*r)),
        handling(prometheus::BuildHistogram()
                     .Name("grpc_server_handling_seconds")
                     .Help("Time from the start of an RPC to its status "
                           "being sent, failures included")
                     .Register(*r)),
        received(prometheus::BuildCounter()
                     .Name("grpc_server_msg_received_total")
                     .Help("Request messages received")
                     .Register(*r)),
        sent(prometheus::BuildCounter()
                 .Name("grpc_server_msg_sent_total")
                 .Help("Response messages sent")
                 .Register(*r)) {}

  prometheus::Family<prometheus::Counter>& started;
  prometheus::Family<prometheus::Counter>& handled;
  prometheus::Family<prometheus::Histogram>& handling;
  prometheus::Family<prometheus::Counter>& received;
  prometheus::Family<prometheus::Counter>& sent;
};

// One method's series. Those of the status codes and the histogram are
// added at the first call that needs them (a method never called, or a code
// never returned, exports none); the rest at start.
class MethodSeries {
 public:
  MethodSeries(Families* f, const std::string& service,
               const std::string& method, ServerRpcInfo::Type type)
      : families_(f),
        labels_{{"grpc_type", TypeLabel(type)},
                {"grpc_service", service},
                {"grpc_method", method}},
        started_(&f->started.Add(labels_)),
        received_(&f->received.Add(labels_)),
        sent_(&f->sent.Add(labels_)) {}

  void Started() { started_->Increment(); }
  void Received() { received_->Increment(); }
  void Sent() { sent_->Increment(); }
  void Handled(int code, double seconds) {
    if (code < 0 || code >= kGrpcCodes) code = 2;  // UNKNOWN
    prometheus::Counter* c = handled_[code].load(std::memory_order_acquire);
    if (c == nullptr) {
      prometheus::Labels labels = labels_;
      labels.emplace("grpc_code", GrpcCodeLabel(code));
      // Family::Add returns the same series to every caller that races here.
      c = &families_->handled.Add(labels);
      handled_[code].store(c, std::memory_order_release);
    }
    c->Increment();
    prometheus::Histogram* h = handling_.load(std::memory_order_acquire);
    if (h == nullptr) {
      h = &families_->handling.Add(
          labels_, prometheus::Histogram::BucketBoundaries{
                       50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3,
                       25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1, 2.5, 5, 10});
      handling_.store(h, std::memory_order_release);
    }
    h->Observe(seconds);
  }

 private:
  Families* families_;
  const prometheus::Labels labels_;
  prometheus::Counter* started_;
  prometheus::Counter* received_;
  prometheus::Counter* sent_;
  std::array<std::atomic<prometheus::Counter*>, kGrpcCodes> handled_{};
  std::atomic<prometheus::Histogram*> handling_{nullptr};
};

class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit MetricsInterceptor(MethodSeries* series)
      : series_(series), start_(std::chrono::steady_clock::now()) {
    series_->Started();
  }
  ~MetricsInterceptor() override {
    // A call that ended without sending a status (the client went away
    // first) is counted as cancelled.
    if (!handled_) Handle(1);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* m) override {
    if (m->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_MESSAGE) &&
        m->GetRecvMessage() != nullptr) {
      series_->Received();
    }
    if (m->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      series_->Sent();
    }
    if (m->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS) &&
        !handled_) {
      Handle(m->GetSendStatus().error_code());
    }
    m->Proceed();
  }

 private:
  void Handle(int code) {
    handled_ = true;
    series_->Handled(code, std::chrono::duration<double>(
                               std::chrono::steady_clock::now() - start_)
                               .count());
  }

  MethodSeries* series_;
  const std::chrono::steady_clock::time_point start_;
  bool handled_ = false;
};

class MetricsInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  MetricsInterceptorFactory(prometheus::Registry* registry,
                            const std::vector<KnownMethod>& methods)
      : families_(registry),
        unknown_(&families_, "unknown", "unknown",
                 ServerRpcInfo::Type::BIDI_STREAMING) {
    for (const KnownMethod& m : methods) {
      by_path_.try_emplace(absl::StrCat("/", m.service, "/", m.method),
                           std::make_unique<MethodSeries>(&families_, m.service,
                                                          m.method, m.type));
    }
  }

  grpc::experimental::Interceptor* CreateServerInterceptor(
      ServerRpcInfo* info) override {
    const char* method = info->method();
    auto it = method == nullptr ? by_path_.end() : by_path_.find(method);
    return new MetricsInterceptor(it == by_path_.end() ? &unknown_
                                                       : it->second.get());
  }

 private:
  Families families_;
  // Read-only once built.
  absl::flat_hash_map<std::string, std::unique_ptr<MethodSeries>> by_path_;
  MethodSeries unknown_;
};

void AddService(const std::string& name, std::vector<KnownMethod>* out) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          name);
  if (service == nullptr) return;
  for (int i = 0; i < service->method_count(); ++i) {
    const google::protobuf::MethodDescriptor* m = service->method(i);
    ServerRpcInfo::Type type = ServerRpcInfo::Type::UNARY;
    if (m->client_streaming() && m->server_streaming()) {
      type = ServerRpcInfo::Type::BIDI_STREAMING;
    } else if (m->client_streaming()) {
      type = ServerRpcInfo::Type::CLIENT_STREAMING;
    } else if (m->server_streaming()) {
      type = ServerRpcInfo::Type::SERVER_STREAMING;
    }
    out->push_back({service->full_name(), m->name(), type});
  }
}

}  // namespace

std::vector<KnownMethod> TailorServerMethods() {
  std::vector<KnownMethod> methods;
  AddService(v1::Recommender::service_full_name(), &methods);
  AddService(v1::Admin::service_full_name(), &methods);
  methods.push_back(
      {"grpc.health.v1.Health", "Check", ServerRpcInfo::Type::UNARY});
  methods.push_back({"grpc.health.v1.Health", "Watch",
                     ServerRpcInfo::Type::SERVER_STREAMING});
  methods.push_back({"grpc.reflection.v1alpha.ServerReflection",
                     "ServerReflectionInfo",
                     ServerRpcInfo::Type::BIDI_STREAMING});
  return methods;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewGrpcMetricsInterceptorFactory(prometheus::Registry* registry,
                                 const std::vector<KnownMethod>& methods) {
  return std::make_unique<MetricsInterceptorFactory>(registry, methods);
}

}  // namespace tailor

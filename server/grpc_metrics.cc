#include "server/grpc_metrics.h"

#include <google/protobuf/descriptor.h>

#include "absl/strings/str_cat.h"
#include "tailor/v1/admin.grpc.pb.h"
#include "tailor/v1/recommender.grpc.pb.h"

namespace tailor {
namespace {

const char* TypeLabel(KnownMethod::Type type) {
  switch (type) {
    case KnownMethod::Type::kUnary:
      return "unary";
    case KnownMethod::Type::kClientStream:
      return "client_stream";
    case KnownMethod::Type::kServerStream:
      return "server_stream";
    case KnownMethod::Type::kBidiStream:
      break;
  }
  return "bidi_stream";
}

void AddService(const std::string& name, std::vector<KnownMethod>* out) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          name);
  if (service == nullptr) return;
  for (int i = 0; i < service->method_count(); ++i) {
    const google::protobuf::MethodDescriptor* m = service->method(i);
    KnownMethod::Type type = KnownMethod::Type::kUnary;
    if (m->client_streaming() && m->server_streaming()) {
      type = KnownMethod::Type::kBidiStream;
    } else if (m->client_streaming()) {
      type = KnownMethod::Type::kClientStream;
    } else if (m->server_streaming()) {
      type = KnownMethod::Type::kServerStream;
    }
    out->push_back({service->full_name(), m->name(), type});
  }
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

std::vector<KnownMethod> TailorServiceMethods() {
  std::vector<KnownMethod> methods;
  AddService(v1::Recommender::service_full_name(), &methods);
  AddService(v1::Admin::service_full_name(), &methods);
  return methods;
}

// One method's series.
class GrpcMetrics::Series {
 public:
  Series(prometheus::Registry* r, const KnownMethod& m)
      : handled_family_(&prometheus::BuildCounter()
                             .Name("grpc_server_handled_total")
                             .Help("RPCs completed on the server, whatever "
                                   "their status")
                             .Register(*r)),
        handling_family_(&prometheus::BuildHistogram()
                              .Name("grpc_server_handling_seconds")
                              .Help("Time from the start of an RPC to its "
                                    "status being sent, failures included")
                              .Register(*r)),
        labels_{{"grpc_type", TypeLabel(m.type)},
                {"grpc_service", m.service},
                {"grpc_method", m.method}},
        started_(&prometheus::BuildCounter()
                      .Name("grpc_server_started_total")
                      .Help("RPCs started on the server")
                      .Register(*r)
                      .Add(labels_)),
        received_(&prometheus::BuildCounter()
                       .Name("grpc_server_msg_received_total")
                       .Help("Request messages received")
                       .Register(*r)
                       .Add(labels_)),
        sent_(&prometheus::BuildCounter()
                   .Name("grpc_server_msg_sent_total")
                   .Help("Response messages sent")
                   .Register(*r)
                   .Add(labels_)) {}

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
      c = &handled_family_->Add(labels);
      handled_[code].store(c, std::memory_order_release);
    }
    c->Increment();
    prometheus::Histogram* h = handling_.load(std::memory_order_acquire);
    if (h == nullptr) {
      h = &handling_family_->Add(
          labels_, prometheus::Histogram::BucketBoundaries{
                       50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3,
                       25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1, 2.5, 5, 10});
      handling_.store(h, std::memory_order_release);
    }
    h->Observe(seconds);
  }

 private:
  prometheus::Family<prometheus::Counter>* handled_family_;
  prometheus::Family<prometheus::Histogram>* handling_family_;
  const prometheus::Labels labels_;
  prometheus::Counter* started_;
  prometheus::Counter* received_;
  prometheus::Counter* sent_;
  std::array<std::atomic<prometheus::Counter*>, kGrpcCodes> handled_{};
  std::atomic<prometheus::Histogram*> handling_{nullptr};
};

GrpcMetrics::GrpcMetrics(prometheus::Registry* registry,
                         const std::vector<KnownMethod>& methods) {
  // Registering a family twice returns the one registered (same help).
  for (const KnownMethod& m : methods) {
    ids_.try_emplace(absl::StrCat("/", m.service, "/", m.method),
                     static_cast<int>(series_.size()));
    series_.push_back(std::make_unique<Series>(registry, m));
  }
  series_.push_back(std::make_unique<Series>(
      registry,
      KnownMethod{"unknown", "unknown", KnownMethod::Type::kBidiStream}));
}

GrpcMetrics::~GrpcMetrics() = default;

int GrpcMetrics::Id(absl::string_view path) const {
  auto it = ids_.find(path);
  return it == ids_.end() ? unknown_id() : it->second;
}

void GrpcMetrics::Started(int id) { series_[id]->Started(); }
void GrpcMetrics::Received(int id) { series_[id]->Received(); }
void GrpcMetrics::Sent(int id) { series_[id]->Sent(); }
void GrpcMetrics::Handled(int id, int code, double seconds) {
  series_[id]->Handled(code, seconds);
}

void RpcCount::Finished(const grpc::Status& status) {
  if (metrics_ == nullptr) return;
  if (status.ok()) metrics_->Sent(id_);
  metrics_->Handled(id_, status.error_code(), SecondsSince(start_));
}

namespace {

class UnknownMethodReactor : public grpc::ServerGenericBidiReactor {
 public:
  UnknownMethodReactor(GrpcMetrics* metrics, const std::string& method) {
    RpcCount count(metrics, metrics != nullptr ? metrics->unknown_id() : 0);
    grpc::Status status(grpc::StatusCode::UNIMPLEMENTED,
                        absl::StrCat("no method ", method, " on this server"));
    count.Finished(status);
    Finish(std::move(status));
  }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerGenericBidiReactor* UnknownMethodService::CreateReactor(
    grpc::GenericCallbackServerContext* context) {
  return new UnknownMethodReactor(metrics_, context->method());
}

}  // namespace tailor

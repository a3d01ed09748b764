// The HTTP endpoint beside the gRPC port (--metrics_address), for
// Prometheus and load balancers:
//   GET /metrics  Prometheus' text exposition format;
//   GET /ready    200 while the server takes calls, 503 before a snapshot
//                 is loaded and while it drains (an HTTP check for proxies
//                 that cannot speak gRPC's health service);
//   GET /healthz  200 while the process runs.
#ifndef TAILOR_SERVER_METRICS_ENDPOINT_H_
#define TAILOR_SERVER_METRICS_ENDPOINT_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

class CivetHandler;
class CivetServer;

namespace prometheus {
class Collectable;
}  // namespace prometheus

namespace tailor {

// Thread safety: serves requests on threads of its own; the collectables
// and `ready` must be safe to call from them at any time.
class MetricsEndpoint {
 public:
  // Listens on `address` (host:port; port 0 picks a free one). The
  // collectables (each must outlive the endpoint) are collected at every
  // scrape; `ready` answers /ready. UNAVAILABLE naming the address when it
  // cannot listen.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(
      const std::string& address,
      std::vector<std::shared_ptr<prometheus::Collectable>> collectables,
      std::function<bool()> ready);
  ~MetricsEndpoint();

  // The port actually bound.
  int port() const { return port_; }

 private:
  MetricsEndpoint() = default;

  std::vector<std::unique_ptr<CivetHandler>> handlers_;
  std::unique_ptr<CivetServer> server_;  // after the handlers it calls
  int port_ = 0;
};

}  // namespace tailor

#endif  // TAILOR_SERVER_METRICS_ENDPOINT_H_

// The HTTP endpoint Prometheus scrapes: GET /metrics in the text exposition
// format, on an address of its own (--metrics_address), off the gRPC port.
#ifndef TAILOR_SERVER_METRICS_ENDPOINT_H_
#define TAILOR_SERVER_METRICS_ENDPOINT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace prometheus {
class Collectable;
class Exposer;
}  // namespace prometheus

namespace tailor {

// Thread safety: serves scrapes on threads of its own, collecting each
// collectable (which must be thread-safe) at every scrape.
class MetricsEndpoint {
 public:
  // Listens on `address` (host:port; port 0 picks a free one) and serves
  // `collectables` (each must outlive the endpoint) at /metrics.
  // UNAVAILABLE naming the address when it cannot listen.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(
      const std::string& address,
      const std::vector<std::shared_ptr<prometheus::Collectable>>&
          collectables);
  ~MetricsEndpoint();

  // The port actually bound.
  int port() const { return port_; }

 private:
  MetricsEndpoint() = default;

  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace tailor

#endif  // TAILOR_SERVER_METRICS_ENDPOINT_H_

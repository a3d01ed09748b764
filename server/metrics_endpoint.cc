#include "server/metrics_endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <prometheus/exposer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <thread>

#include "absl/strings/str_cat.h"

namespace tailor {

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& address,
    const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables) {
  std::unique_ptr<MetricsEndpoint> e(new MetricsEndpoint());
  // prometheus-cpp (civetweb underneath) reports a failure to listen by
  // throwing; it stops here.
  try {
    e->exposer_ = std::make_unique<prometheus::Exposer>(address, 2);
  } catch (const std::exception& ex) {
    return absl::UnavailableError(absl::StrCat(
        "metrics_address: cannot listen on '", address, "': ", ex.what()));
  }
  const std::vector<int> ports = e->exposer_->GetListeningPorts();
  if (ports.empty() || ports.front() <= 0) {
    return absl::UnavailableError(
        absl::StrCat("metrics_address: cannot listen on '", address, "'"));
  }
  e->port_ = ports.front();
  for (const auto& c : collectables) e->exposer_->RegisterCollectable(c);
  return e;
}

MetricsEndpoint::~MetricsEndpoint() {
  // civetweb's listening thread polls with a 2 s timeout and checks for a
  // stop only between polls, so stopping it waits up to 2 s. A connection
  // ends the poll at once: one every 10 ms until the stop is done.
  std::atomic<bool> stopped{false};
  std::thread poke([this, &stopped] {
    while (!stopped.load(std::memory_order_acquire)) {
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      if (fd >= 0) {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<uint16_t>(port_));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        (void)::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
        ::close(fd);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  exposer_.reset();
  stopped.store(true, std::memory_order_release);
  poke.join();
}

}  // namespace tailor

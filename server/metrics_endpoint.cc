#include "server/metrics_endpoint.h"

#include <CivetServer.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <prometheus/collectable.h>
#include <prometheus/text_serializer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tailor {
namespace {

void Reply(mg_connection* conn, int status, const char* reason,
           const char* content_type, const std::string& body) {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
            "Connection: close\r\n\r\n",
            status, reason, content_type, body.size());
  mg_write(conn, body.data(), body.size());
}

class MetricsHandler : public CivetHandler {
 public:
  explicit MetricsHandler(
      std::vector<std::shared_ptr<prometheus::Collectable>> collectables)
      : collectables_(std::move(collectables)) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    std::vector<prometheus::MetricFamily> families;
    for (const auto& c : collectables_) {
      std::vector<prometheus::MetricFamily> more = c->Collect();
      families.insert(families.end(), std::make_move_iterator(more.begin()),
                      std::make_move_iterator(more.end()));
    }
    std::ostringstream text;
    prometheus::TextSerializer().Serialize(text, families);
    Reply(conn, 200, "OK", "text/plain; version=0.0.4; charset=utf-8",
          text.str());
    return true;
  }

 private:
  const std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
};

class ReadyHandler : public CivetHandler {
 public:
  explicit ReadyHandler(std::function<bool()> ready)
      : ready_(std::move(ready)) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    if (ready_()) {
      Reply(conn, 200, "OK", "text/plain", "ready\n");
    } else {
      Reply(conn, 503, "Service Unavailable", "text/plain", "not ready\n");
    }
    return true;
  }

 private:
  const std::function<bool()> ready_;
};

class AliveHandler : public CivetHandler {
 public:
  bool handleGet(CivetServer*, mg_connection* conn) override {
    Reply(conn, 200, "OK", "text/plain", "ok\n");
    return true;
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& address,
    std::vector<std::shared_ptr<prometheus::Collectable>> collectables,
    std::function<bool()> ready) {
  std::unique_ptr<MetricsEndpoint> e(new MetricsEndpoint());
  e->handlers_.push_back(
      std::make_unique<MetricsHandler>(std::move(collectables)));
  e->handlers_.push_back(std::make_unique<ReadyHandler>(std::move(ready)));
  e->handlers_.push_back(std::make_unique<AliveHandler>());
  // civetweb reports a failure to listen by throwing; it stops here.
  try {
    e->server_ = std::make_unique<CivetServer>(std::vector<std::string>{
        "listening_ports", address, "num_threads", "2"});
  } catch (const std::exception& ex) {
    return absl::UnavailableError(absl::StrCat(
        "metrics_address: cannot listen on '", address, "': ", ex.what()));
  }
  const std::vector<int> ports = e->server_->getListeningPorts();
  if (ports.empty() || ports.front() <= 0) {
    return absl::UnavailableError(
        absl::StrCat("metrics_address: cannot listen on '", address, "'"));
  }
  e->port_ = ports.front();
  e->server_->addHandler("/metrics", e->handlers_[0].get());
  e->server_->addHandler("/ready", e->handlers_[1].get());
  e->server_->addHandler("/healthz", e->handlers_[2].get());
  return e;
}

MetricsEndpoint::~MetricsEndpoint() {
  if (server_ == nullptr) return;
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
  server_.reset();
  stopped.store(true, std::memory_order_release);
  poke.join();
}

}  // namespace tailor

// tailor: command-line client for tailor-server.
//
//   tailor recommend USER_ID [--count=N] [--exclude=ID,ID] [--include_seen]
//   tailor health [--service=NAME]        exit 0 when SERVING
//   tailor latency --users=ID,ID,... [--requests=N]
//                                         sequential RecommendFor calls;
//                                         prints latency percentiles
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tailor/v1/recommender.grpc.pb.h"

ABSL_FLAG(std::string, address, "127.0.0.1:8980", "tailor-server host:port");
ABSL_FLAG(int, timeout_ms, 5000, "deadline per call");
ABSL_FLAG(int, count, 10, "recommend: number of items");
ABSL_FLAG(std::vector<std::string>, exclude, {},
          "recommend: item ids never to return");
ABSL_FLAG(bool, include_seen, false,
          "recommend: allow items the user already purchased");
ABSL_FLAG(std::string, service, "", "health: service name ('' = server)");
ABSL_FLAG(std::vector<std::string>, users, {},
          "latency: user ids to cycle through");
ABSL_FLAG(int, requests, 2000, "latency: number of calls");

namespace {

constexpr const char* kUsage =
    "tailor recommend USER_ID [--count=N] [--exclude=ID,..] [--include_seen]\n"
    "tailor health [--service=NAME]\n"
    "tailor latency --users=ID,... [--requests=N]\n"
    "common flags: --address=HOST:PORT --timeout_ms=N";

std::shared_ptr<grpc::Channel> Connect() {
  return grpc::CreateChannel(absl::GetFlag(FLAGS_address),
                             grpc::InsecureChannelCredentials());
}

void SetDeadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(absl::GetFlag(FLAGS_timeout_ms)));
}

int ReportError(const grpc::Status& s) {
  std::fprintf(stderr, "tailor: %d %s\n", static_cast<int>(s.error_code()),
               s.error_message().c_str());
  return 1;
}

std::string Clip(const std::string& s, size_t n) {
  return s.size() <= n ? s : s.substr(0, n - 3) + "...";
}

int Recommend(const std::string& user) {
  auto stub = tailor::v1::Recommender::NewStub(Connect());
  tailor::v1::RecommendRequest req;
  req.set_user_id(user);
  req.set_count(absl::GetFlag(FLAGS_count));
  for (const auto& id : absl::GetFlag(FLAGS_exclude))
    req.add_exclude_item_ids(id);
  req.set_exclude_seen(!absl::GetFlag(FLAGS_include_seen));
  tailor::v1::RecommendResponse resp;
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  const auto start = std::chrono::steady_clock::now();
  grpc::Status s = stub->RecommendFor(&ctx, req, &resp);
  const double ms = std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start)
                        .count();
  if (!s.ok()) return ReportError(s);
  std::printf("user %s: %d items from model %s (%s), %.2f ms\n", user.c_str(),
              resp.items_size(), resp.model_version().c_str(),
              resp.fallback_used() ? "popular fallback: user not known"
                                   : "personalised",
              ms);
  std::printf("  %3s  %-12s %8s  %-40s %-12s %9s  %s\n", "#", "item", "score",
              "title", "category", "price", "why");
  int rank = 0;
  for (const auto& item : resp.items()) {
    std::printf("  %3d  %-12s %8.4f  %-40s %-12s %9.2f  %s\n", ++rank,
                Clip(item.item_id(), 12).c_str(), item.score(),
                Clip(item.info().title(), 40).c_str(),
                Clip(item.info().category(), 12).c_str(), item.info().price(),
                item.reason() == tailor::v1::REASON_PERSONALIZED ? "personal"
                                                                 : "popular");
  }
  return 0;
}

int Health() {
  auto stub = grpc::health::v1::Health::NewStub(Connect());
  grpc::health::v1::HealthCheckRequest req;
  req.set_service(absl::GetFlag(FLAGS_service));
  grpc::health::v1::HealthCheckResponse resp;
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  grpc::Status s = stub->Check(&ctx, req, &resp);
  if (!s.ok()) return ReportError(s);
  std::printf("%s\n", grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
                          resp.status())
                          .c_str());
  return resp.status() == grpc::health::v1::HealthCheckResponse::SERVING ? 0
                                                                         : 1;
}

int Latency() {
  const std::vector<std::string> users = absl::GetFlag(FLAGS_users);
  const int n = absl::GetFlag(FLAGS_requests);
  if (users.empty() || n < 1) {
    std::fprintf(stderr, "tailor latency: needs --users and --requests >= 1\n");
    return 2;
  }
  auto stub = tailor::v1::Recommender::NewStub(Connect());
  std::vector<double> us;
  us.reserve(n);
  int errors = 0;
  const auto all = std::chrono::steady_clock::now();
  for (int i = 0; i < n + std::min(n, 200); ++i) {  // first calls: warm-up
    tailor::v1::RecommendRequest req;
    req.set_user_id(users[i % users.size()]);
    req.set_count(absl::GetFlag(FLAGS_count));
    tailor::v1::RecommendResponse resp;
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    const auto start = std::chrono::steady_clock::now();
    grpc::Status s = stub->RecommendFor(&ctx, req, &resp);
    const double t = std::chrono::duration<double, std::micro>(
                         std::chrono::steady_clock::now() - start)
                         .count();
    if (i < std::min(n, 200)) continue;
    if (!s.ok()) ++errors;
    us.push_back(t);
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - all)
          .count();
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) {
    return us[std::min(us.size() - 1, static_cast<size_t>(p * us.size()))];
  };
  std::printf(
      "RecommendFor x%d (count=%d, %zu users, sequential): p50 %.0f us, p90 "
      "%.0f us, p99 %.0f us, max %.0f us, %d errors, %.0f calls/s\n",
      n, absl::GetFlag(FLAGS_count), users.size(), pct(0.50), pct(0.90),
      pct(0.99), us.back(), errors, (n + std::min(n, 200)) / secs);
  return errors == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  const std::string cmd = args.size() >= 2 ? args[1] : "";
  if (cmd == "recommend" && args.size() == 3) return Recommend(args[2]);
  if (cmd == "health" && args.size() == 2) return Health();
  if (cmd == "latency" && args.size() == 2) return Latency();
  std::fprintf(stderr, "usage:\n%s\n", kUsage);
  return 2;
}

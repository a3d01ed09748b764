// tailor: command-line client for tailor-server. Parses flags and calls
// TailorClient (client.h).
//
//   tailor recommend USER_ID [--count=N] [--exclude=ID,ID] [--include_seen]
//   tailor health [--service=NAME]        exit 0 when SERVING
//   tailor latency --users=ID,ID,... [--requests=N]
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_split.h"
#include "tools/cli/client.h"

ABSL_FLAG(std::string, address, "127.0.0.1:8980", "tailor-server host:port");
ABSL_FLAG(int, timeout_ms, 5000, "deadline per call");
ABSL_FLAG(int, count, 10, "recommend, latency: number of items");
ABSL_FLAG(std::vector<std::string>, exclude, {},
          "recommend: item ids never to return");
ABSL_FLAG(bool, include_seen, false,
          "recommend: allow items the user already purchased");
ABSL_FLAG(std::string, service, "", "health: service name ('' = server)");
ABSL_FLAG(std::vector<std::string>, users, {},
          "latency: user ids to cycle through");
ABSL_FLAG(int, requests, 2000, "latency: number of measured calls");
ABSL_FLAG(int, warmup, 200, "latency: uncounted calls first");

namespace {

constexpr const char* kUsage =
    "tailor recommend USER_ID [--count=N] [--exclude=ID,..] [--include_seen]\n"
    "tailor similar ITEM_ID [--count=N]\n"
    "tailor together ITEM_ID[,ITEM_ID...] [--count=N]\n"
    "tailor health [--service=NAME]\n"
    "tailor latency --users=ID,... [--requests=N] [--count=N]\n"
    "common flags: --address=HOST:PORT --timeout_ms=N";

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "tailor: %s: %s\n",
               absl::StatusCodeToString(s.code()).c_str(),
               std::string(s.message()).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  const std::string cmd = args.size() >= 2 ? args[1] : "";
  tailor::TailorClient client(
      grpc::CreateChannel(absl::GetFlag(FLAGS_address),
                          grpc::InsecureChannelCredentials()),
      absl::Milliseconds(absl::GetFlag(FLAGS_timeout_ms)));

  if (cmd == "recommend" && args.size() == 3) {
    tailor::v1::RecommendRequest req;
    req.set_user_id(args[2]);
    req.set_count(absl::GetFlag(FLAGS_count));
    for (const auto& id : absl::GetFlag(FLAGS_exclude)) {
      req.add_exclude_item_ids(id);
    }
    req.set_exclude_seen(!absl::GetFlag(FLAGS_include_seen));
    absl::StatusOr<tailor::v1::RecommendResponse> resp = client.Recommend(req);
    if (!resp.ok()) return Fail(resp.status());
    std::fputs(tailor::FormatRecommendations(args[2], *resp).c_str(), stdout);
    return 0;
  }
  if (cmd == "similar" && args.size() == 3) {
    tailor::v1::SimilarItemsRequest req;
    req.set_item_id(args[2]);
    req.set_count(absl::GetFlag(FLAGS_count));
    absl::StatusOr<tailor::v1::SimilarItemsResponse> resp = client.Similar(req);
    if (!resp.ok()) return Fail(resp.status());
    std::fputs(tailor::FormatSimilar(args[2], *resp).c_str(), stdout);
    return 0;
  }
  if (cmd == "together" && args.size() == 3) {
    tailor::v1::BoughtTogetherRequest req;
    const std::vector<std::string> ids = absl::StrSplit(args[2], ',');
    for (const std::string& id : ids) req.add_item_ids(id);
    req.set_count(absl::GetFlag(FLAGS_count));
    absl::StatusOr<tailor::v1::BoughtTogetherResponse> resp =
        client.Together(req);
    if (!resp.ok()) return Fail(resp.status());
    std::fputs(tailor::FormatTogether(ids, *resp).c_str(), stdout);
    return 0;
  }
  if (cmd == "health" && args.size() == 2) {
    absl::StatusOr<std::string> status =
        client.HealthStatus(absl::GetFlag(FLAGS_service));
    if (!status.ok()) return Fail(status.status());
    std::printf("%s\n", status->c_str());
    return *status == "SERVING" ? 0 : 1;
  }
  if (cmd == "latency" && args.size() == 2) {
    const std::vector<std::string> users = absl::GetFlag(FLAGS_users);
    const int count = absl::GetFlag(FLAGS_count);
    absl::StatusOr<tailor::LatencyReport> report =
        client.MeasureLatency(users, absl::GetFlag(FLAGS_requests), count,
                              absl::GetFlag(FLAGS_warmup));
    if (!report.ok()) return Fail(report.status());
    std::printf("%s\n",
                tailor::FormatLatency(*report, count, users.size()).c_str());
    return report->errors == 0 ? 0 : 1;
  }
  std::fprintf(stderr, "usage:\n%s\n", kUsage);
  return 2;
}

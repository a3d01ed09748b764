// The Prometheus endpoint of a real server after a known sequence of calls,
// failures included: exactly those counts, bounded labels, and (when
// Debian's promtool is installed) an exposition promtool accepts.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "tests/server/scrape.h"
#include "tests/server/server_fixture.h"

namespace tailor {
namespace {

using testing::Find;
using testing::ParseExposition;
using testing::Sample;

class MetricsTest : public ServerTest {
 protected:
  void StartWithMetrics() {
    Snapshot s = TinySnapshot();
    s.online.fold_in = true;
    s.online.alpha = 1.0f;
    s.online.regularization = 0.1f;
    s.online.mean_row_mass = 8.0;
    Publish(s);
    ServerOptions options = Options();
    options.metrics_address = "127.0.0.1:0";
    auto server = TailorServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    ASSERT_GT(server_->metrics_port(), 0);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::Recommender::NewStub(channel_);
  }
  grpc::StatusCode CallUnknown(const std::string& path) {
    return CallRaw(channel_, path).error_code();
  }
  std::string Scrape() {
    return testing::HttpGet(server_->metrics_port(), "/metrics");
  }
  static std::map<std::string, std::string> Rpc(
      const std::string& method, const std::string& type = "unary") {
    return {{"grpc_service", "tailor.v1.Recommender"},
            {"grpc_method", method},
            {"grpc_type", type}};
  }
  static std::map<std::string, std::string> With(
      std::map<std::string, std::string> labels, const std::string& key,
      const std::string& value) {
    labels[key] = value;
    return labels;
  }
};

TEST_F(MetricsTest, CountsExactlyTheCallsMadeFailuresIncluded) {
  StartWithMetrics();
  // RecommendFor: three answered for a model user, one for an unknown
  // shopper (popular items), one invalid.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Ask("alice", 3).items_size(), 3);
  EXPECT_EQ(Ask("zed", 2).items_size(), 2);
  v1::RecommendRequest bad;
  bad.set_user_id("");
  v1::RecommendResponse ignored;
  EXPECT_EQ(Call(bad, &ignored).error_code(), grpc::INVALID_ARGUMENT);

  // RecordEvents: a view and a purchase stored, an invalid view, a
  // duplicate view.
  v1::RecordEventsRequest record;
  *record.add_events() = MakeEvent("e1", "alice", "B", v1::EVENT_TYPE_VIEW);
  *record.add_events() = MakeEvent("e2", "", "B", v1::EVENT_TYPE_VIEW);
  *record.add_events() = MakeEvent("e3", "alice", "A", v1::EVENT_TYPE_PURCHASE);
  *record.add_events() = MakeEvent("e1", "alice", "B", v1::EVENT_TYPE_VIEW);
  {
    grpc::ClientContext ctx;
    v1::RecordEventsResponse resp;
    ASSERT_TRUE(stub_->RecordEvents(&ctx, record, &resp).ok());
    EXPECT_EQ(resp.recorded(), 2);
  }
  // alice now has live events: her vector is folded in once, then cached.
  Ask("alice", 3);
  Ask("alice", 3);

  // StreamEvents: two request messages, one response.
  {
    grpc::ClientContext ctx;
    v1::StreamEventsResponse resp;
    auto writer = stub_->StreamEvents(&ctx, &resp);
    v1::RecordEventsRequest batch;
    *batch.add_events() = MakeEvent("s1", "bob", "C", v1::EVENT_TYPE_VIEW);
    ASSERT_TRUE(writer->Write(batch));
    *batch.mutable_events(0) = MakeEvent("s2", "bob", "D", v1::EVENT_TYPE_VIEW);
    ASSERT_TRUE(writer->Write(batch));
    ASSERT_TRUE(writer->WritesDone());
    ASSERT_TRUE(writer->Finish().ok());
  }

  // Methods no service has.
  for (const char* path : {"/tailor.v1.Recommender/Nope", "/made.Up/Name"}) {
    EXPECT_EQ(CallUnknown(path), grpc::UNIMPLEMENTED);
  }

  const std::string text = Scrape();
  ASSERT_FALSE(text.empty());
  const std::vector<Sample> m = ParseExposition(text);

  const auto recommend = Rpc("RecommendFor");
  EXPECT_EQ(Find(m, "grpc_server_started_total", recommend), 7);
  EXPECT_EQ(
      Find(m, "grpc_server_handled_total", With(recommend, "grpc_code", "OK")),
      6);
  EXPECT_EQ(Find(m, "grpc_server_handled_total",
                 With(recommend, "grpc_code", "InvalidArgument")),
            1);
  EXPECT_EQ(Find(m, "grpc_server_handling_seconds_count", recommend), 7);
  EXPECT_EQ(Find(m, "grpc_server_handling_seconds_bucket",
                 With(recommend, "le", "+Inf")),
            7);
  EXPECT_EQ(Find(m, "grpc_server_msg_received_total", recommend), 7);
  EXPECT_EQ(Find(m, "grpc_server_msg_sent_total", recommend), 6);
  const auto stream = Rpc("StreamEvents", "client_stream");
  EXPECT_EQ(Find(m, "grpc_server_msg_received_total", stream), 2);
  EXPECT_EQ(Find(m, "grpc_server_msg_sent_total", stream), 1);
  EXPECT_EQ(
      Find(m, "grpc_server_handled_total", With(stream, "grpc_code", "OK")), 1);
  // A method never called has its counters at 0 and no status series.
  EXPECT_EQ(Find(m, "grpc_server_started_total", Rpc("TargetAudience")), 0);
  EXPECT_EQ(Find(m, "grpc_server_handled_total", Rpc("TargetAudience")),
            std::nullopt);

  // Tailor's own.
  EXPECT_EQ(Find(m, "tailor_recommend_calls_total", {{"path", "exact"}}), 5);
  EXPECT_EQ(Find(m, "tailor_recommend_calls_total", {{"path", "fallback"}}), 1);
  EXPECT_EQ(
      Find(m, "tailor_recommended_items_total", {{"reason", "personalized"}}),
      15);
  EXPECT_EQ(Find(m, "tailor_recommended_items_total", {{"reason", "popular"}}),
            2);
  EXPECT_EQ(Find(m, "tailor_recommend_items_count"), 6);
  EXPECT_EQ(Find(m, "tailor_recommend_items_sum"), 17);
  EXPECT_EQ(Find(m, "tailor_fold_in_seconds_count"), 1);
  EXPECT_EQ(Find(m, "tailor_fold_in_cache_hits_total"), 1);
  EXPECT_EQ(Find(m, "tailor_events_total",
                 {{"type", "view"}, {"outcome", "recorded"}}),
            3);  // e1, s1, s2
  EXPECT_EQ(Find(m, "tailor_events_total",
                 {{"type", "view"}, {"outcome", "duplicate"}}),
            1);
  EXPECT_EQ(Find(m, "tailor_events_total",
                 {{"type", "view"}, {"outcome", "invalid"}}),
            1);
  EXPECT_EQ(Find(m, "tailor_events_total",
                 {{"type", "purchase"}, {"outcome", "recorded"}}),
            1);
  EXPECT_EQ(Find(m, "tailor_event_write_events_sum"), 5);
  EXPECT_EQ(Find(m, "tailor_snapshot_load_seconds_count"), 1);
  EXPECT_EQ(Find(m, "tailor_snapshot_info", {{"version", "00000001"}}), 1);
  EXPECT_EQ(Find(m, "tailor_serving"), 1);
  EXPECT_EQ(Find(m, "tailor_model_items"), 6);
  EXPECT_EQ(Find(m, "tailor_live_events"), 4);
  EXPECT_EQ(Find(m, "tailor_event_queue_events"), 0);
  // All of them held in memory.
  EXPECT_EQ(Find(m, "tailor_live_events_held"), 4);
  EXPECT_GT(Find(m, "tailor_live_events_held_bytes"), 4 * 100);
  EXPECT_EQ(Find(m, "tailor_calls_refused_total",
                 {{"grpc_method", "RecommendFor"}, {"reason", "overload"}}),
            0);
  EXPECT_GT(Find(m, "tailor_memory_bytes", {{"component", "user_factors"}})
                .value_or(0),
            0);
  EXPECT_GT(
      Find(m, "tailor_rocksdb_memory_bytes", {{"component", "block_cache"}})
          .value_or(-1),
      -1);
  EXPECT_GE(Find(m, "tailor_rocksdb_table_files").value_or(-1), 0);
  EXPECT_GT(Find(m, "process_resident_memory_bytes").value_or(0), 0);
  EXPECT_GT(Find(m, "process_open_fds").value_or(0), 0);
  EXPECT_GT(Find(m, "process_threads").value_or(0), 0);
  EXPECT_EQ(Find(m, "tailor_catalog_items", {{"state", "added"}}), 0);

  // Bounded labels: no id of a user, an item or an event, and only these
  // label names.
  for (const char* id : {"\"alice\"", "\"zed\"", "\"bob\"", "\"e1\"", "\"B\"",
                         "Nope", "made.Up"}) {
    EXPECT_EQ(text.find(id), std::string::npos) << id;
  }
  const std::set<std::string> allowed = {
      "grpc_type", "grpc_service", "grpc_method", "grpc_code", "le",
      "reason",    "path",         "type",        "outcome",   "component",
      "version",   "quantile",     "state"};
  for (const Sample& s : m) {
    for (const auto& [name, value] : s.labels) {
      EXPECT_TRUE(allowed.contains(name)) << s.name << " " << name;
    }
  }
}

TEST_F(MetricsTest, UnknownMethodsCollapseIntoOneSeries) {
  StartWithMetrics();
  for (const char* path :
       {"/tailor.v1.Recommender/Nope", "/made.Up/Name", "/made.Up/Other"}) {
    EXPECT_EQ(CallUnknown(path), grpc::UNIMPLEMENTED);
  }
  const std::vector<Sample> m = ParseExposition(Scrape());
  const std::map<std::string, std::string> unknown = {
      {"grpc_service", "unknown"}, {"grpc_method", "unknown"}};
  // One series for all three.
  EXPECT_EQ(Find(m, "grpc_server_started_total", unknown), 3);
  EXPECT_EQ(Find(m, "grpc_server_handled_total",
                 {{"grpc_service", "unknown"},
                  {"grpc_method", "unknown"},
                  {"grpc_code", "Unimplemented"}}),
            3);
  for (const Sample& s : m) {
    auto it = s.labels.find("grpc_method");
    if (it == s.labels.end()) continue;
    EXPECT_NE(it->second, "Nope");
    EXPECT_NE(it->second, "Name");
  }
}

TEST_F(MetricsTest, PromtoolAcceptsTheExposition) {
  if (!std::filesystem::exists("/usr/bin/promtool")) {
    GTEST_SKIP() << "promtool is not installed (Debian's prometheus "
                    "package; scripts/install-deps.sh installs it)";
  }
  StartWithMetrics();
  Ask("alice", 3);
  const std::string text = Scrape();
  ASSERT_FALSE(text.empty());
  const std::string file = dir_.Join("metrics.txt");
  testing::WriteTextFile(file, text);
  const std::string out = dir_.Join("promtool.txt");
  const int rc = std::system(absl::StrCat("/usr/bin/promtool check metrics < ",
                                          file, " > ", out, " 2>&1")
                                 .c_str());
  std::ifstream in(out);
  std::stringstream report;
  report << in.rdbuf();
  EXPECT_EQ(rc, 0) << report.str();
}

// The metric names a file mentions: tokens that start like the server's
// families (in expressions, and in the alerts' descriptions too).
std::set<std::string> MetricNamesIn(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_TRUE(in.good() || in.eof()) << path;
  const std::string body = text.str();
  std::set<std::string> names;
  const std::regex token("\\b(grpc_server|tailor|process)_[a-z0-9_]+\\b");
  for (auto it = std::sregex_iterator(body.begin(), body.end(), token);
       it != std::sregex_iterator(); ++it) {
    names.insert(it->str());
  }
  return names;
}

TEST_F(MetricsTest, DashboardAndAlertsNameOnlyExportedMetrics) {
  StartWithMetrics();
  Ask("alice", 3);
  v1::RecordEventsRequest record;
  *record.add_events() = MakeEvent("e1", "alice", "B", v1::EVENT_TYPE_VIEW);
  grpc::ClientContext ctx;
  v1::RecordEventsResponse resp;
  ASSERT_TRUE(stub_->RecordEvents(&ctx, record, &resp).ok());

  // What the server exports: each family's name, and a histogram's series.
  std::set<std::string> exported;
  const std::regex type_line("^# TYPE ([a-z0-9_]+) ([a-z]+)$");
  std::stringstream lines(Scrape());
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (!std::regex_match(line, m, type_line)) continue;
    exported.insert(m[1]);
    if (m[2] == "histogram") {
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        exported.insert(m[1].str() + suffix);
      }
    }
  }
  ASSERT_FALSE(exported.empty());
  const std::string monitoring =
      std::string(TAILOR_SOURCE_DIR) + "/deploy/monitoring/";
  for (const char* file : {"dashboard.json", "alerts.yml"}) {
    const std::set<std::string> named = MetricNamesIn(monitoring + file);
    EXPECT_GT(named.size(), 5u) << file;
    for (const std::string& name : named) {
      EXPECT_TRUE(exported.contains(name))
          << file << " names " << name << ", which the server does not export";
    }
  }
}

TEST_F(MetricsTest, ReadyFollowsTheSnapshotAndTheDrain) {
  ServerOptions options = Options();
  options.metrics_address = "127.0.0.1:0";
  auto server = TailorServer::Start(options);  // nothing published yet
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = std::move(*server);
  const int port = server_->metrics_port();
  EXPECT_EQ(testing::HttpStatus(port, "/ready"), 503);
  EXPECT_EQ(testing::HttpStatus(port, "/healthz"), 200);
  Publish(TinySnapshot());
  ASSERT_TRUE(server_->RefreshSnapshot().ok());
  EXPECT_EQ(testing::HttpStatus(port, "/ready"), 200);
  EXPECT_EQ(testing::HttpStatus(port, "/nope"), 404);

  // Draining: not ready at once, while the process still answers.
  std::thread drain(
      [&] { server_->Drain(absl::Milliseconds(800), absl::Seconds(1)); });
  int ready = 200;
  for (int i = 0; i < 50 && ready == 200; ++i) {
    ready = testing::HttpStatus(port, "/ready");
    if (ready == 200)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(ready, 503);
  EXPECT_EQ(testing::HttpStatus(port, "/healthz"), 200);
  drain.join();
}

TEST_F(MetricsTest, NoMetricsAddressKeepsNoEndpoint) {
  Publish(TinySnapshot());
  StartServer();
  EXPECT_EQ(server_->metrics_port(), 0);
  EXPECT_EQ(Ask("alice", 2).items_size(), 2);
}

TEST_F(MetricsTest, AnAddressInUseFailsTheStartNamingTheFlag) {
  StartWithMetrics();
  ServerOptions options = Options();
  options.metrics_address = absl::StrCat("127.0.0.1:", server_->metrics_port());
  options.data_dir = dir_.Join("data2");
  auto second = TailorServer::Start(options);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("metrics_address"),
            absl::string_view::npos)
      << second.status();
}

}  // namespace
}  // namespace tailor

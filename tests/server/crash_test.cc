// Crash safety: tailor-server runs as a child process while a client
// records events; the server is killed with SIGKILL at random moments
// (TAILOR_CRASH_KILLS times, default 20; scripts/crash_loop.sh runs 100)
// and restarted, and batches whose answer was lost are resent. Every few
// rounds a bigger snapshot is published, and the server killed while it
// starts up (importing it into RocksDB, whose flushes pile up table files
// until compactions run) or while it is serving and polling for it. At the
// end every acknowledged event_id must be in the event log exactly once, no
// event_id twice, and the newest snapshot is served.
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/base/mutex.h"
#include "gtest/gtest.h"
#include "storage/state_store.h"
#include "tailor/v1/admin.grpc.pb.h"
#include "tailor/v1/recommender.grpc.pb.h"
#include "tests/server/server_fixture.h"

extern char** environ;

namespace tailor {
namespace {

// tailor-server as a child process, its output appended to a log file.
class ChildServer {
 public:
  ChildServer(const std::string& snapshots, const std::string& data,
              const std::string& dir, std::vector<std::string> flags = {})
      : port_file_(dir + "/port"), log_(dir + "/server.log") {
    args_ = {TAILOR_SERVER_BINARY,          "--address=127.0.0.1:0",
             "--snapshot_dir=" + snapshots, "--data_dir=" + data,
             "--poll_interval=100ms",       "--port_file=" + port_file_};
    args_.insert(args_.end(), flags.begin(), flags.end());
  }
  ~ChildServer() { Kill(); }

  // Starts the server and waits until it has written its port.
  int Start() {
    if (!Spawn()) return 0;
    for (int i = 0; i < 3000; ++i) {
      std::ifstream in(port_file_);
      int port = 0;
      if (in >> port && port > 0) return port;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return 0;
  }
  // Starts the server without waiting for it.
  bool Spawn() {
    unlink(port_file_.c_str());
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> argv;
    for (auto& a : args_) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc =
        posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    return rc == 0;
  }
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
    pid_ = 0;
  }
  // Sends SIGTERM without waiting.
  void Terminate() { kill(pid_, SIGTERM); }
  // Waits for the process to end; its exit code (-1: killed by a signal).
  int Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  std::vector<std::string> args_;
  std::string port_file_, log_;
  pid_t pid_ = 0;
};

// A snapshot whose import takes a while: `users` shoppers with 8 items each
// over a catalog of `items`, after TinySnapshot's alice and bob.
Snapshot ImportHeavySnapshot(int users, int items, uint64_t seed) {
  Snapshot s = TinySnapshot(1.0f + static_cast<float>(seed % 5));
  std::vector<std::string> user_ids = {"alice", "bob"}, item_ids;
  for (int u = 0; u < users; ++u) user_ids.push_back(absl::StrCat("heavy-", u));
  for (int i = 0; i < items; ++i) item_ids.push_back(absl::StrCat("I", i));
  for (const char* id : {"A", "B", "C", "D", "E", "F"}) item_ids.push_back(id);
  s.model.users = IdMap(user_ids);
  s.model.items = IdMap(item_ids);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  s.model.user_factors.resize(user_ids.size(), 2);
  s.model.item_factors.resize(item_ids.size(), 2);
  for (int k = 0; k < s.model.user_factors.size(); ++k) {
    s.model.user_factors.data()[k] = unit(rng);
  }
  for (int k = 0; k < s.model.item_factors.size(); ++k) {
    s.model.item_factors.data()[k] = unit(rng);
  }
  s.model.popularity.assign(item_ids.size(), 1.0f);
  for (int i = 0; i < items; ++i) {
    s.catalog.push_back({item_ids[i],
                         absl::StrCat("Item ", i),
                         "tops",
                         "B",
                         "red",
                         10.0 + i % 90,
                         {"S", "M"},
                         true});
  }
  s.history = {};
  s.history.row_ptr = {0};
  for (size_t u = 0; u < user_ids.size(); ++u) {
    for (int k = 0; k < 8; ++k) {
      s.history.item.push_back(static_cast<int32_t>((u * 8 + k) % items));
      s.history.flags.push_back(kInteracted);
      s.history.weight_sum.push_back(1.0f);
      s.history.net_purchases.push_back(0);
    }
    s.history.row_ptr.push_back(static_cast<int64_t>(s.history.item.size()));
  }
  return s;
}

// Compactions RocksDB started in `data` over the run (its info logs).
int CompactionsIn(const std::string& data) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(data)) {
    if (e.path().filename().string().rfind("LOG", 0) != 0) continue;
    std::ifstream in(e.path());
    std::string line;
    while (std::getline(in, line)) {
      n += line.find("\"event\": \"compaction_started\"") != std::string::npos;
    }
  }
  return n;
}

int KillsWanted() {
  const char* env = std::getenv("TAILOR_CRASH_KILLS");
  return env != nullptr && std::atoi(env) > 0 ? std::atoi(env) : 20;
}

v1::RecordEventsRequest MakeBatch(int first, int n) {
  v1::RecordEventsRequest req;
  for (int i = first; i < first + n; ++i) {
    v1::Event* e = req.add_events();
    e->set_event_id(absl::StrCat("ev-", i));
    e->set_user_id(absl::StrCat("shopper-", i % 97));
    e->set_item_id(i % 3 ? "C" : "E");
    e->set_type(i % 5 ? v1::EVENT_TYPE_VIEW : v1::EVENT_TYPE_PURCHASE);
    e->set_timestamp(1767225600 + i);
  }
  return req;
}

TEST(CrashTest, AcknowledgedEventsSurviveKill9ExactlyOnce) {
  testing::TempDir dir;
  SnapshotStore snapshots(Env::Default(), dir.Join("snapshots"));
  ASSERT_TRUE(snapshots.Publish(TinySnapshot()).ok());
  ChildServer server(dir.Join("snapshots"), dir.Join("data"), dir.path());
  std::mt19937_64 rng(20261123);
  const int kKills = KillsWanted();
  constexpr int kBatch = 40;
  int published = 1, startup_kills = 0;

  std::set<std::string> acknowledged;
  // Batches sent whose answer never came: stored or not, unknown. They
  // are sent again after the restart.
  std::vector<v1::RecordEventsRequest> unanswered;
  int next = 0;
  int64_t answered_batches = 0;
  // Events of resent batches the server already had (the kill came after
  // the write but before the answer) and that it had not.
  int64_t resent_stored_before = 0, resent_new = 0;
  for (int round = 0; round <= kKills; ++round) {
    // Every fourth round: a new snapshot, and a kill while the server
    // starts up and imports it (or just after).
    if (round % 4 == 1 && round < kKills) {
      ASSERT_TRUE(
          snapshots.Publish(ImportHeavySnapshot(40000, 4000, round)).ok());
      ++published;
      ASSERT_TRUE(server.Spawn());
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 600));
      server.Kill();
      ++startup_kills;
      ++round;
    }
    // Now and then a snapshot published while the server runs, for its
    // poll to import.
    const bool publish_while_serving = round % 4 == 3 && round < kKills;
    const int port = server.Start();
    ASSERT_GT(port, 0) << "tailor-server did not start; see "
                       << dir.Join("server.log");
    auto stub = v1::Recommender::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
    std::atomic<bool> stop{false};
    std::thread client([&] {
      std::vector<v1::RecordEventsRequest> queue = std::move(unanswered);
      unanswered.clear();
      size_t resends = queue.size();
      while (!stop.load()) {
        if (queue.empty()) {
          queue.push_back(MakeBatch(next, kBatch));
          next += kBatch;
        }
        v1::RecordEventsRequest req = queue.back();
        queue.pop_back();
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
        v1::RecordEventsResponse resp;
        if (!stub->RecordEvents(&ctx, req, &resp).ok()) {
          unanswered.push_back(std::move(req));
          break;  // the server is gone
        }
        ++answered_batches;
        if (resends > 0) {
          --resends;
          resent_stored_before += resp.duplicates();
          resent_new += resp.recorded();
        }
        for (int i = 0; i < resp.results_size(); ++i) {
          if (resp.results(i).status() != v1::EventResult::STATUS_INVALID) {
            acknowledged.insert(req.events(i).event_id());
          }
        }
      }
      for (auto& r : queue) unanswered.push_back(std::move(r));
    });
    if (publish_while_serving) {
      ASSERT_TRUE(
          snapshots.Publish(ImportHeavySnapshot(40000, 4000, round)).ok());
      ++published;
    }
    if (round < kKills) {
      std::this_thread::sleep_for(std::chrono::milliseconds(30 + rng() % 300));
      server.Kill();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    stop = true;
    client.join();
  }
  // The newest snapshot is served, its import whole despite the kills.
  server.Kill();
  {
    auto stub = v1::Recommender::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server.Start()),
                            grpc::InsecureChannelCredentials()));
    const std::string newest = absl::StrFormat("%08d", published);
    std::string served;
    for (int i = 0; i < 100 && served != newest; ++i) {
      grpc::ClientContext ctx;
      v1::RecommendRequest req;
      req.set_user_id("alice");
      v1::RecommendResponse resp;
      if (stub->RecommendFor(&ctx, req, &resp).ok()) {
        served = resp.model_version();
      }
      if (served != newest) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    EXPECT_EQ(served, newest);
  }
  server.Kill();
  EXPECT_GT(answered_batches, kKills);

  auto store = OpenRocksDbStateStore(dir.Join("data"));
  ASSERT_TRUE(store.ok()) << store.status();
  auto events = (*store)->EventsSince(0, 1 << 30);
  ASSERT_TRUE(events.ok()) << events.status();
  std::map<std::string, int> count;
  for (size_t k = 0; k < events->size(); ++k) {
    ++count[(*events)[k].event_id];
    EXPECT_EQ((*events)[k].seq, k + 1) << "sequence numbers have a gap";
  }
  int lost = 0, doubled = 0;
  for (const std::string& id : acknowledged) lost += count[id] != 1;
  for (const auto& [id, n] : count) doubled += n > 1;
  EXPECT_EQ(lost, 0) << "acknowledged events missing after kill -9";
  EXPECT_EQ(doubled, 0) << "events stored twice";
  EXPECT_GE(acknowledged.size(), 1u * kKills * kBatch);
  std::printf(
      "%d kills (%d while starting up and importing a snapshot), %d "
      "snapshots published, %d compactions started; %zu events "
      "acknowledged, %zu stored, %d lost, %d stored twice; of the resent "
      "unanswered batches' events %lld were already stored, %lld not\n",
      kKills, startup_kills, published, CompactionsIn(dir.Join("data")),
      acknowledged.size(), events->size(), lost, doubled,
      static_cast<long long>(resent_stored_before),
      static_cast<long long>(resent_new));
}

// SIGTERM under load: health turns NOT_SERVING at once, every call sent
// before the drain's end is answered, later ones fail only as UNAVAILABLE
// (the port is closed) or CANCELLED (arriving as it closes), the process
// exits 0, and every acknowledged event is stored, once.
// Lines of `path` so far.
std::vector<std::string> LinesOf(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Waits up to `seconds` for a line of `path` holding `text` after its
// first `skip` lines; whether one came.
bool WaitForLine(const std::string& path, const std::string& text, size_t skip,
                 int seconds) {
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < until) {
    const std::vector<std::string> lines = LinesOf(path);
    for (size_t k = skip; k < lines.size(); ++k) {
      if (lines[k].find(text) != std::string::npos) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

// The server is killed once the erasure is written and while it purges
// the data directory; after the restart the purge is done again, the user
// is gone from every file, and their events are refused.
TEST(CrashTest, AnErasureCutShortByKill9CompletesOnRestart) {
  testing::TempDir dir;
  SnapshotStore snapshots(Env::Default(), dir.Join("snapshots"));
  ASSERT_TRUE(snapshots.Publish(TinySnapshot()).ok());
  const std::string log = dir.Join("server.log");
  ChildServer server(dir.Join("snapshots"), dir.Join("data"), dir.path());
  int port = server.Start();
  ASSERT_GT(port, 0) << "see " << log;
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::Recommender::NewStub(channel);
  // Enough events that the purge rewrites megabytes: it is still running
  // when the kill comes.
  const std::string victim = "victim-0c5e";
  constexpr int kBatch = 1000, kEvents = 60000;
  for (int first = 0; first < kEvents; first += kBatch) {
    v1::RecordEventsRequest req = MakeBatch(first, kBatch);
    for (int k = 0; k < kBatch; k += 4) {
      req.mutable_events(k)->set_user_id(victim);
    }
    grpc::ClientContext ctx;
    v1::RecordEventsResponse resp;
    ASSERT_TRUE(stub->RecordEvents(&ctx, req, &resp).ok());
    ASSERT_EQ(resp.recorded(), kBatch);
  }

  const size_t before = LinesOf(log).size();
  std::thread eraser([&] {
    grpc::ClientContext ctx;
    v1::EraseUserRequest req;
    req.set_user_id(victim);
    v1::UserErasure out;
    v1::Admin::NewStub(channel)->EraseUser(&ctx, req, &out);  // cut short
  });
  ASSERT_TRUE(WaitForLine(log, "purging the data directory", before, 60))
      << "see " << log;
  server.Kill();
  eraser.join();
  const size_t killed_at = LinesOf(log).size();
  ASSERT_FALSE(WaitForLine(log, "purged the data directory", before, 0))
      << "the purge ended before the kill: see " << log;

  port = server.Start();
  ASSERT_GT(port, 0) << "see " << log;
  EXPECT_TRUE(WaitForLine(log, "purge was left undone", killed_at, 10))
      << "see " << log;
  ASSERT_TRUE(WaitForLine(log, "purged the data directory", killed_at, 120))
      << "see " << log;
  EXPECT_EQ(testing::FilesHolding(dir.Join("data"), victim),
            std::vector<std::string>());
  channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                grpc::InsecureChannelCredentials());
  stub = v1::Recommender::NewStub(channel);
  v1::RecordEventsRequest again = MakeBatch(kEvents, 2);
  again.mutable_events(0)->set_user_id(victim);
  grpc::ClientContext ctx;
  v1::RecordEventsResponse resp;
  ASSERT_TRUE(stub->RecordEvents(&ctx, again, &resp).ok());
  EXPECT_EQ(resp.invalid(), 1);
  EXPECT_EQ(resp.recorded(), 1);
  server.Kill();
  auto store = OpenRocksDbStateStore(dir.Join("data"));
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_TRUE((*store)->UserEvents(victim, 0, 10)->empty());
  EXPECT_EQ((*store)->EventsSince(0, 1 << 30)->size(),
            static_cast<size_t>(kEvents - kEvents / 4 + 1));
}

TEST(DrainTest, SigtermUnderLoadFailsNoAcceptedCallAndKeepsEveryEvent) {
  testing::TempDir dir;
  SnapshotStore snapshots(Env::Default(), dir.Join("snapshots"));
  ASSERT_TRUE(snapshots.Publish(TinySnapshot()).ok());
  constexpr auto kDrain = std::chrono::milliseconds(1500);
  ChildServer server(dir.Join("snapshots"), dir.Join("data"), dir.path(),
                     {"--drain_seconds=1.5", "--grace_seconds=10"});
  const int port = server.Start();
  ASSERT_GT(port, 0) << "see " << dir.Join("server.log");
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::Recommender::NewStub(channel);

  using Clock = std::chrono::steady_clock;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> term_at{0};  // Clock ticks; 0 until SIGTERM
  Mutex mu;
  std::set<std::string> acknowledged;
  std::vector<std::string> other_failures;
  // Calls that failed although sent before the drain ended, and calls that
  // failed with anything but UNAVAILABLE.
  std::atomic<int> failed_early{0}, failed_otherwise{0}, answered{0};
  auto sent_before_drain_end = [&](Clock::time_point sent) {
    const int64_t t = term_at.load();
    // 200 ms of margin for the signal's delivery and the client's clock.
    return t == 0 || sent < Clock::time_point(Clock::duration(t)) + kDrain -
                                std::chrono::milliseconds(200);
  };
  auto client = [&](int id) {
    for (int n = 0; !stop.load(); ++n) {
      const Clock::time_point sent = Clock::now();
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
      grpc::Status status;
      if (n % 2 == 0) {
        v1::RecommendRequest req;
        req.set_user_id("alice");
        v1::RecommendResponse resp;
        status = stub->RecommendFor(&ctx, req, &resp);
      } else {
        v1::RecordEventsRequest req = MakeBatch(id * 1000000 + n * 10, 10);
        v1::RecordEventsResponse resp;
        status = stub->RecordEvents(&ctx, req, &resp);
        if (status.ok()) {
          MutexLock lock(&mu);
          for (int i = 0; i < resp.results_size(); ++i) {
            acknowledged.insert(req.events(i).event_id());
          }
        }
      }
      if (status.ok()) {
        ++answered;
        continue;
      }
      if (sent_before_drain_end(sent)) ++failed_early;
      // Calls arriving as the port closes are cancelled by gRPC (never
      // run) or find it closed.
      if (status.error_code() != grpc::UNAVAILABLE &&
          status.error_code() != grpc::CANCELLED) {
        ++failed_otherwise;
        MutexLock lock(&mu);
        other_failures.push_back(absl::StrCat(
            status.error_code(), " ", status.error_message(), " sent ",
            std::chrono::duration_cast<std::chrono::milliseconds>(
                sent.time_since_epoch() - Clock::duration(term_at.load()))
                .count(),
            " ms after SIGTERM"));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) clients.emplace_back(client, c);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const int answered_before = answered.load();
  term_at = Clock::now().time_since_epoch().count();
  server.Terminate();

  // The health service turns NOT_SERVING within the drain's first moments.
  auto health = grpc::health::v1::Health::NewStub(channel);
  bool not_serving = false;
  for (int i = 0; i < 50 && !not_serving; ++i) {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    not_serving =
        health->Check(&ctx, req, &resp).ok() &&
        resp.status() == grpc::health::v1::HealthCheckResponse::NOT_SERVING;
    if (!not_serving)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(not_serving) << "health still SERVING 500 ms into the drain";
  EXPECT_EQ(server.Wait(), 0) << "see " << dir.Join("server.log");
  stop = true;
  for (std::thread& t : clients) t.join();

  EXPECT_GT(answered_before, 0);
  EXPECT_GT(answered.load(), answered_before)
      << "nothing answered in the drain";
  EXPECT_EQ(failed_early.load(), 0);
  EXPECT_EQ(failed_otherwise.load(), 0) << absl::StrJoin(other_failures, "; ");
  auto store = OpenRocksDbStateStore(dir.Join("data"));
  ASSERT_TRUE(store.ok()) << store.status();
  auto events = (*store)->EventsSince(0, 1 << 30);
  ASSERT_TRUE(events.ok()) << events.status();
  std::map<std::string, int> count;
  for (const LoggedEvent& e : *events) ++count[e.event_id];
  int lost = 0;
  for (const std::string& id : acknowledged) lost += count[id] != 1;
  EXPECT_EQ(lost, 0);
  EXPECT_GT(acknowledged.size(), 0u);
}

}  // namespace
}  // namespace tailor

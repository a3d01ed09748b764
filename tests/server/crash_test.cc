// Crash safety: tailor-server runs as a child process while a client
// records events; the server is killed with SIGKILL at random moments (20
// times) and restarted, and batches whose answer was lost are resent. At
// the end every acknowledged event_id must be in the event log exactly
// once, and no event_id twice.
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/state_store.h"
#include "tailor/v1/recommender.grpc.pb.h"
#include "tests/server/server_fixture.h"

extern char** environ;

namespace tailor {
namespace {

// tailor-server as a child process, its output appended to a log file.
class ChildServer {
 public:
  ChildServer(const std::string& snapshots, const std::string& data,
              const std::string& dir)
      : port_file_(dir + "/port"), log_(dir + "/server.log") {
    args_ = {TAILOR_SERVER_BINARY,          "--address=127.0.0.1:0",
             "--snapshot_dir=" + snapshots, "--data_dir=" + data,
             "--poll_interval=0",           "--port_file=" + port_file_};
  }
  ~ChildServer() { Kill(); }

  // Starts the server and waits until it has written its port.
  int Start() {
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
    if (rc != 0) return 0;
    for (int i = 0; i < 1000; ++i) {
      std::ifstream in(port_file_);
      int port = 0;
      if (in >> port && port > 0) return port;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return 0;
  }
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
    pid_ = 0;
  }

 private:
  std::vector<std::string> args_;
  std::string port_file_, log_;
  pid_t pid_ = 0;
};

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
  constexpr int kKills = 20;
  constexpr int kBatch = 40;

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
    if (round < kKills) {
      std::this_thread::sleep_for(std::chrono::milliseconds(30 + rng() % 300));
      server.Kill();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    stop = true;
    client.join();
  }
  // Let the last unanswered batches land, then stop cleanly.
  server.Kill();
  EXPECT_GT(answered_batches, 2 * kKills);

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
  EXPECT_GE(acknowledged.size(), 2u * kKills * kBatch);
  std::printf(
      "%d kills, %zu events acknowledged, %zu stored; of the resent "
      "unanswered batches' events %lld were already stored, %lld not\n",
      kKills, acknowledged.size(), events->size(),
      static_cast<long long>(resent_stored_before),
      static_cast<long long>(resent_new));
}

}  // namespace
}  // namespace tailor

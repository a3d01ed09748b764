// Snapshot swaps while many threads answer requests. Uses the service's
// handler logic directly (no gRPC threads), so it runs cleanly under
// ThreadSanitizer, which cannot see inside Debian's uninstrumented gRPC.
#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/recommender_service.h"
#include "server/snapshot_manager.h"
#include "storage/memory_state_store.h"
#include "tests/server/server_fixture.h"

namespace tailor {
namespace {

// TinySnapshot with fold-in parameters, so that shoppers with recorded
// events are folded in (and cached) while versions change.
Snapshot FoldingSnapshot(float scale) {
  Snapshot s = TinySnapshot(scale);
  s.online.fold_in = true;
  s.online.alpha = 1.0f;
  s.online.regularization = 0.5f;
  s.online.mean_row_mass = 8.0;
  return s;
}

TEST(SnapshotSwapTest, ReadersNeverFailAndSeeVersionsInOrder) {
  testing::TempDir dir;
  SnapshotStore snapshots(Env::Default(), dir.Join("snapshots"));
  ASSERT_TRUE(snapshots.Publish(FoldingSnapshot(1.0f)).ok());
  MemoryStateStore store;
  ServingStateHolder holder;
  SnapshotManager manager({}, &snapshots, &store, &holder, Env::Default());
  ASSERT_TRUE(manager.Refresh().ok());
  EventWriter writer(&store);
  RecommenderService service(&holder, &store, &writer);

  constexpr int kReaders = 4;
  constexpr int kNewVersions = 6;
  std::atomic<bool> done{false};
  std::atomic<int64_t> calls{0}, failures{0}, out_of_order{0};
  std::vector<std::thread> readers;
  // A writer records events for shoppers live-0..live-9 throughout.
  readers.emplace_back([&] {
    for (int n = 0; !done.load(); ++n) {
      v1::RecordEventsRequest req;
      v1::Event* e = req.add_events();
      e->set_event_id(absl::StrCat("e", n));
      e->set_user_id(absl::StrCat("live-", n % 10));
      e->set_item_id(n % 3 ? "D" : "B");
      e->set_type(v1::EVENT_TYPE_VIEW);
      e->set_timestamp(1767225600 + n);
      v1::RecordEventsResponse resp;
      if (!service.Record(req, &resp).ok() || resp.recorded() != 1) {
        ++failures;
      }
    }
  });
  // Another changes the live catalog throughout: new products, their
  // prices, and retiring and bringing them back.
  readers.emplace_back([&] {
    for (int n = 0; !done.load(); ++n) {
      v1::UpdateCatalogRequest req;
      v1::CatalogChange* up = req.add_changes();
      up->set_item_id(absl::StrCat("NEW-", n % 5));
      up->mutable_upsert()->set_category("outerwear");
      up->mutable_upsert()->set_price(10 + n % 7);
      v1::CatalogChange* price = req.add_changes();
      price->set_item_id(absl::StrCat("NEW-", (n + 1) % 5));
      price->mutable_inventory()->set_price(20 + n % 3);
      v1::CatalogChange* retire = req.add_changes();
      retire->set_item_id(absl::StrCat("NEW-", (n + 2) % 5));
      retire->set_retire(true);
      v1::UpdateCatalogResponse resp;
      if (!service.Catalog(req, &resp).ok() ||
          resp.applied() + resp.unchanged() + resp.invalid() != 3) {
        ++failures;
      }
    }
  });
  for (int t = 0; t < kReaders; ++t) {
    readers.emplace_back([&, t] {
      std::string last_version;
      for (int n = 0; !done.load(); ++n) {
        v1::RecommendRequest req;
        req.set_user_id(t == 0   ? "alice"
                        : t == 1 ? "stranger"
                                 : absl::StrCat("live-", n % 10));
        req.set_count(3);
        v1::RecommendResponse resp;
        if (!service.Recommend(req, &resp).ok() || resp.items_size() != 3) {
          ++failures;
        }
        if (resp.model_version() < last_version) ++out_of_order;
        last_version = resp.model_version();
        ++calls;
      }
    });
  }
  // Publish new versions, every other one corrupt, and swap while reading.
  for (int v = 0; v < kNewVersions; ++v) {
    ASSERT_TRUE(snapshots.Publish(FoldingSnapshot(2.0f + v)).ok());
    const std::string version = *snapshots.CurrentVersion();
    if (v % 2 == 1) {
      std::filesystem::resize_file(
          dir.Join("snapshots/" + version + "/user_factors"), 20);
      EXPECT_FALSE(manager.Refresh().ok());
    } else {
      ASSERT_TRUE(manager.Refresh().ok());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  done = true;
  for (auto& r : readers) r.join();
  // Whatever the swaps, the state served holds every live change stored.
  const std::shared_ptr<const CatalogView> view = holder.Get()->catalog->Get();
  const std::vector<LiveItem> live = *store.LoadLiveCatalog();
  EXPECT_FALSE(live.empty());
  for (const LiveItem& entry : live) {
    const std::optional<int32_t> i = view->Find(entry.item.item_id);
    if (!i.has_value()) {
      EXPECT_TRUE(entry.retired) << entry.item.item_id;
      continue;
    }
    EXPECT_EQ(view->item(*i), entry.item) << entry.item.item_id;
    EXPECT_EQ(view->retired(*i), entry.retired) << entry.item.item_id;
  }
  EXPECT_GT(calls.load(), 100);
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(out_of_order.load(), 0);
  // 00000006 is the last good version; the corrupt 00000007 was rejected.
  EXPECT_EQ(holder.Get()->version, "00000006");
}

TEST(SnapshotSwapTest, PollingPicksUpANewVersion) {
  testing::TempDir dir;
  SnapshotStore snapshots(Env::Default(), dir.Join("snapshots"));
  ASSERT_TRUE(snapshots.Publish(TinySnapshot()).ok());
  MemoryStateStore store;
  ServingStateHolder holder;
  std::atomic<int> swaps{0};
  SnapshotManager manager({}, &snapshots, &store, &holder, Env::Default(),
                          [&](const ServingState&) { ++swaps; });
  ASSERT_TRUE(manager.Refresh().ok());
  manager.StartPolling(absl::Milliseconds(10));
  ASSERT_TRUE(snapshots.Publish(TinySnapshot(2.0f)).ok());
  for (int i = 0; i < 500 && holder.Get()->version != "00000002"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  manager.Stop();
  EXPECT_EQ(holder.Get()->version, "00000002");
  EXPECT_EQ(swaps.load(), 2);
}

std::vector<std::string> Versions(const SnapshotStore& snapshots) {
  return *snapshots.ListVersions();
}

TEST(SnapshotSwapTest, CleanupKeepsTheActiveVersionAndTheNewestK) {
  testing::TempDir dir;
  SnapshotStore snapshots(Env::Default(), dir.Join("snapshots"));
  MemoryStateStore store;
  ServingStateHolder holder;
  SnapshotManager manager({.keep_snapshots = 2, .serving = {}}, &snapshots,
                          &store, &holder, Env::Default());
  ASSERT_TRUE(snapshots.Publish(TinySnapshot(1.0f)).ok());
  ASSERT_TRUE(manager.Refresh().ok());
  for (float scale : {2.0f, 3.0f, 4.0f}) {
    ASSERT_TRUE(snapshots.Publish(TinySnapshot(scale)).ok());
  }
  // An operator pins the oldest: it is kept although it is not among the
  // newest two, and 00000002 goes.
  ASSERT_TRUE(manager.Activate("00000001").ok());
  EXPECT_EQ(Versions(snapshots),
            (std::vector<std::string>{"00000001", "00000003", "00000004"}));
  EXPECT_EQ(*snapshots.CurrentVersion(), "00000001");
  // Following CURRENT again to a new version releases it.
  ASSERT_TRUE(snapshots.Publish(TinySnapshot(5.0f)).ok());
  ASSERT_TRUE(manager.Refresh().ok());
  EXPECT_EQ(holder.Get()->version, "00000005");
  EXPECT_EQ(Versions(snapshots),
            (std::vector<std::string>{"00000004", "00000005"}));
  EXPECT_EQ(manager.Activate("00000002").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(manager.Activate("2").code(), absl::StatusCode::kInvalidArgument);
}

TEST(SnapshotSwapTest, RollbackSkipsVersionsThatDoNotLoad) {
  testing::TempDir dir;
  SnapshotStore snapshots(Env::Default(), dir.Join("snapshots"));
  MemoryStateStore store;
  ServingStateHolder holder;
  SnapshotManager manager({}, &snapshots, &store, &holder, Env::Default());
  for (float scale : {1.0f, 2.0f, 3.0f}) {
    ASSERT_TRUE(snapshots.Publish(TinySnapshot(scale)).ok());
  }
  ASSERT_TRUE(manager.Refresh().ok());
  std::filesystem::resize_file(dir.Join("snapshots/00000002/item_factors"), 9);
  // Activating the corrupt one fails and changes nothing.
  absl::Status bad = manager.Activate("00000002");
  EXPECT_EQ(bad.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(bad.message().find("item_factors"), std::string::npos)
      << bad.message();
  EXPECT_EQ(holder.Get()->version, "00000003");
  EXPECT_EQ(*snapshots.CurrentVersion(), "00000003");
  // Rollback passes over it to 00000001, and CURRENT follows.
  absl::StatusOr<std::string> rolled = manager.Rollback();
  ASSERT_TRUE(rolled.ok()) << rolled.status();
  EXPECT_EQ(*rolled, "00000001");
  EXPECT_EQ(holder.Get()->version, "00000001");
  EXPECT_EQ(*snapshots.CurrentVersion(), "00000001");
  EXPECT_TRUE(manager.Refresh().ok());  // polling stays on it
  EXPECT_EQ(holder.Get()->version, "00000001");
  EXPECT_EQ(manager.Rollback().status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// A snapshot directory where CURRENT cannot be written (mounted read-only,
// say): activation fails and changes nothing, since polling would
// otherwise return to CURRENT's version behind the operator's back.
class ReadOnlyCurrentEnv : public EnvWrapper {
 public:
  ReadOnlyCurrentEnv() : EnvWrapper(Env::Default()) {}
  absl::Status WriteFile(const std::string& path,
                         absl::string_view data) override {
    if (absl::EndsWith(path, "CURRENT.tmp")) {
      return absl::PermissionDeniedError("injected: read-only");
    }
    return EnvWrapper::WriteFile(path, data);
  }
};

TEST(SnapshotSwapTest, ActivationThatCannotMoveCurrentChangesNothing) {
  testing::TempDir dir;
  SnapshotStore writer(Env::Default(), dir.Join("snapshots"));
  ASSERT_TRUE(writer.Publish(TinySnapshot(1.0f)).ok());
  ASSERT_TRUE(writer.Publish(TinySnapshot(2.0f)).ok());
  ReadOnlyCurrentEnv env;
  SnapshotStore snapshots(&env, dir.Join("snapshots"));
  MemoryStateStore store;
  ServingStateHolder holder;
  SnapshotManager manager({}, &snapshots, &store, &holder, Env::Default());
  ASSERT_TRUE(manager.Refresh().ok());
  absl::Status s = manager.Activate("00000001");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("still serving 00000002"), std::string::npos)
      << s.message();
  EXPECT_EQ(holder.Get()->version, "00000002");
  EXPECT_EQ(manager.Rollback().status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(holder.Get()->version, "00000002");
}

}  // namespace
}  // namespace tailor

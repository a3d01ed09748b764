// StateStore::EraseUser and the erasure list, on both stores; and, on
// RocksDB, the bytes left on disk.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/erasure_list.h"
#include "storage/event_log_reader.h"
#include "storage/memory_state_store.h"
#include "storage/snapshot_store.h"
#include "storage/state_store.h"
#include "tests/customer_records.h"
#include "tests/storage/both_stores.h"
#include "tests/test_util.h"

namespace tailor {
namespace {

using testing::TempDir;

Exposure Shown(const std::string& id, const std::string& user,
               const std::string& experiment, int64_t timestamp) {
  return {.recommendation_id = id,
          .user_id = user,
          .experiment = experiment,
          .arm = "a",
          .strategy = "als",
          .timestamp = timestamp,
          .items = {"X", "Y"}};
}

LoggedEvent Logged(const std::string& id, const std::string& user,
                   const std::string& item, int64_t t,
                   EventType type = EventType::kPurchase) {
  return {id, Event{user, item, type, t, 1.0}, 0};
}

TEST(ErasureListTest, DigestsAreKeyedAndHoldNoId) {
  auto key = NewErasureKey();
  auto other_key = NewErasureKey();
  ASSERT_TRUE(key.ok() && other_key.ok());
  EXPECT_EQ(key->size(), kErasureDigestBytes);
  EXPECT_NE(*key, *other_key);
  const std::string digest = ErasureDigest(*key, "alice@example.com");
  EXPECT_EQ(digest.size(), kErasureDigestBytes);
  EXPECT_EQ(digest, ErasureDigest(*key, "alice@example.com"));
  EXPECT_NE(digest, ErasureDigest(*other_key, "alice@example.com"));
  EXPECT_EQ(digest.find("alice"), std::string::npos);

  ErasureList list(*key, {digest});
  EXPECT_TRUE(list.Contains("alice@example.com"));
  EXPECT_FALSE(list.Contains("alice@example.co"));
  EXPECT_FALSE(ErasureList().Contains("alice@example.com"));
  EXPECT_EQ(list.size(), 1u);
}

// The contract, against both implementations.
class EraseUserTest : public BothStores {};

TEST_P(EraseUserTest, RemovesEveryRecordOfTheUserAndNoOneElses) {
  ASSERT_TRUE(store()
                  ->AppendEvents({Logged("a1", "ann", "X", 10),
                                  Logged("b1", "bob", "X", 11),
                                  Logged("a2", "ann", "Y", 12),
                                  Logged("a3", "ann", "Z", 13)})
                  .ok());
  UserHistory h{.through_seq = 0, .entries = {{"X", 3, 1.0f, 1}}};
  ASSERT_TRUE(store()->PutHistories({"ann", "bob"}, {h, h}).ok());
  const CustomerSegments customers =
      testing::MakeCustomerSegments({"ann", "bob"}, 1);
  ASSERT_TRUE(
      store()->PutCustomerRecords({"ann", "bob"}, customers.records).ok());
  ASSERT_TRUE(store()
                  ->AppendExposures({Shown("r1", "ann", "x1", 10),
                                     Shown("r2", "ann", "x2", 11),
                                     Shown("r3", "bob", "x1", 12)})
                  .ok());
  EXPECT_TRUE(store()->Erasures()->empty());

  auto report = store()->EraseUser("ann");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->already_erased);
  EXPECT_EQ(report->events, 3);
  EXPECT_EQ(report->exposures, 2);
  EXPECT_TRUE(report->history);
  EXPECT_TRUE(report->customer_record);
  EXPECT_TRUE(report->purged);

  for (int pass = 0; pass < 2; ++pass) {
    SCOPED_TRACE(pass == 0 ? "after the erasure" : "after a reopen");
    EXPECT_TRUE(store()->UserEvents("ann", 0, 100)->empty());
    EXPECT_TRUE(store()->UserEventsBefore("ann", nullptr, 100)->empty());
    EXPECT_EQ(*store()->GetHistory("ann"), UserHistory());
    EXPECT_FALSE(store()->GetCustomerRecord("ann")->has_value());
    EXPECT_TRUE(store()->UserExposures("ann")->empty());
    EXPECT_FALSE(*store()->HasExposure("ann", "r1"));
    EXPECT_EQ(*store()->ExposedShoppers("x1"),
              std::vector<ExposedShopper>({{"bob", "a"}}));
    EXPECT_TRUE(store()->ExposedShoppers("x2")->empty());
    EXPECT_EQ(store()->UserExposures("bob")->size(), 1u);
    auto all = store()->EventsSince(0, 100);
    ASSERT_EQ(all->size(), 1u);
    EXPECT_EQ((*all)[0].event_id, "b1");
    // Bob keeps everything.
    EXPECT_EQ(store()->UserEvents("bob", 0, 100)->size(), 1u);
    EXPECT_EQ(*store()->GetHistory("bob"), h);
    EXPECT_TRUE(store()->GetCustomerRecord("bob")->has_value());
    EXPECT_TRUE(store()->Erasures()->Contains("ann"));
    EXPECT_FALSE(store()->Erasures()->Contains("bob"));
    EXPECT_EQ(store()->ErasureCount(), 1u);
    // The numbering never goes back, though the newest event was Ann's.
    EXPECT_EQ(store()->LastSequence(), 4u);
    Reopen();
  }

  // Ann's events are refused from now on, whatever their id; Bob's are not.
  auto appended = store()->AppendEvents({Logged("a4", "ann", "X", 20),
                                         Logged("a1", "ann", "X", 10),
                                         Logged("b2", "bob", "Y", 21)});
  ASSERT_TRUE(appended.ok()) << appended.status();
  EXPECT_TRUE((*appended)[0].erased);
  EXPECT_TRUE((*appended)[1].erased);
  EXPECT_EQ((*appended)[0].seq, 0u);
  EXPECT_FALSE((*appended)[2].erased);
  EXPECT_EQ((*appended)[2].seq, 5u);
  EXPECT_TRUE(store()->UserEvents("ann", 0, 100)->empty());
  // And so are her exposures.
  EXPECT_EQ(*store()->AppendExposures(
                {Shown("r4", "ann", "x1", 20), Shown("r5", "bob", "x1", 21)}),
            1u);
  EXPECT_TRUE(store()->UserExposures("ann")->empty());
  EXPECT_EQ(store()->ExposedShoppers("x1")->size(), 1u);
  // Ann's event ids were forgotten with her: another user may use one.
  auto reused = store()->AppendEvents({Logged("a2", "carl", "X", 22)});
  ASSERT_TRUE(reused.ok());
  EXPECT_FALSE((*reused)[0].duplicate);
  EXPECT_EQ((*reused)[0].seq, 6u);
}

TEST_P(EraseUserTest, ErasingAgainOrSomeoneUnknownSucceedsAndSaysSo) {
  ASSERT_TRUE(store()->AppendEvents({Logged("a1", "ann", "X", 10)}).ok());
  auto first = store()->EraseUser("ann");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->events, 1);
  auto again = store()->EraseUser("ann");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->already_erased);
  EXPECT_EQ(again->events, 0);
  EXPECT_FALSE(again->history);
  EXPECT_FALSE(again->customer_record);
  EXPECT_EQ(store()->ErasureCount(), 1u);

  auto unknown = store()->EraseUser("nobody");
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_FALSE(unknown->already_erased);
  EXPECT_EQ(unknown->events, 0);
  // Someone unknown is still listed: their events are refused if they come.
  EXPECT_EQ(store()->ErasureCount(), 2u);
  EXPECT_TRUE(store()->Erasures()->Contains("nobody"));
}

// A read replica takes on the writer's list: the records of the users it
// names go, even though the replica only has their digests.
TEST_P(EraseUserTest, AnAdoptedListRemovesTheRecordsOfThoseItNames) {
  MemoryStateStore writer;
  ASSERT_TRUE(writer.EraseUser("ann").ok());
  UserHistory h{.through_seq = 0, .entries = {{"X", 3, 1.0f, 1}}};
  ASSERT_TRUE(store()->PutHistories({"ann", "bob"}, {h, h}).ok());
  const CustomerSegments customers =
      testing::MakeCustomerSegments({"ann", "bob"}, 1);
  ASSERT_TRUE(
      store()->PutCustomerRecords({"ann", "bob"}, customers.records).ok());
  ASSERT_TRUE(store()
                  ->AppendExposures({Shown("r1", "ann", "x1", 10),
                                     Shown("r2", "bob", "x1", 11)})
                  .ok());

  auto added = store()->AdoptErasures(*writer.Erasures());
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(*added, 1u);
  EXPECT_EQ(*store()->GetHistory("ann"), UserHistory());
  EXPECT_FALSE(store()->GetCustomerRecord("ann")->has_value());
  EXPECT_EQ(*store()->GetHistory("bob"), h);
  EXPECT_TRUE(store()->UserExposures("ann")->empty());
  EXPECT_EQ(*store()->ExposedShoppers("x1"),
            std::vector<ExposedShopper>({{"bob", "a"}}));
  EXPECT_TRUE(store()->Erasures()->Contains("ann"));
  EXPECT_EQ(*store()->AdoptErasures(*writer.Erasures()), 0u);  // known
  Reopen();
  EXPECT_TRUE(store()->Erasures()->Contains("ann"));

  // A list made with another key cannot be merged with this one.
  MemoryStateStore other;
  ASSERT_TRUE(other.EraseUser("bob").ok());
  auto refused = store()->AdoptErasures(*other.Erasures());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(store()->GetCustomerRecord("bob")->has_value());
}

INSTANTIATE_TEST_SUITE_P(Implementations, EraseUserTest,
                         ::testing::Values(false, true), StoreName);

// The user's id is written into the log, the write buffers, table files
// (imported ones and flushed ones), and into keys that are table files'
// first or last keys (the manifest names those); after the erasure no file
// of the data directory holds a byte of it.
TEST(RocksDbErasureTest, NoFileOfTheStoreHoldsTheIdAfterwards) {
  TempDir dir;
  const std::string db = dir.Join("db");
  // Sorts last in every family keyed by user: the last key of its files.
  const std::string erased = "zz-erase-me-4f1c";
  {
    auto store = OpenRocksDbStateStore(db);
    ASSERT_TRUE(store.ok()) << store.status();
    Snapshot s;
    s.version = "00000001";
    s.model.users = IdMap({"ann", erased});
    s.model.items = IdMap({"X"});
    s.model.user_factors = RowMatrix::Zero(2, 2);
    s.model.item_factors = RowMatrix::Zero(1, 2);
    s.model.popularity = {1};
    s.history.row_ptr = {0, 1, 2};
    s.history.item = {0, 0};
    s.history.flags = {3, 3};
    s.history.weight_sum = {1, 1};
    s.history.net_purchases = {1, 1};
    s.segments = testing::MakeCustomerSegments({"ann", erased}, 1);
    ASSERT_TRUE(ImportSnapshotState(s, store->get()).ok());
    std::vector<LoggedEvent> events;
    for (int i = 0; i < 2000; ++i) {
      events.push_back(Logged(absl::StrCat("e", i), i % 2 ? "ann" : erased,
                              absl::StrCat("item", i % 50), 1000 + i));
    }
    ASSERT_TRUE((*store)->AppendEvents(events).ok());
    ASSERT_TRUE((*store)
                    ->AppendExposures({Shown("r1", erased, "x1", 1000),
                                       Shown("r2", "ann", "x1", 1001)})
                    .ok());
  }
  {
    // Reopened: the log is replayed into table files.
    auto store = OpenRocksDbStateStore(db);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE(
        (*store)->AppendEvents({Logged("late", erased, "item1", 5000)}).ok());
    EXPECT_FALSE(
        testing::FilesHolding(db, erased).empty());  // the check can fail

    auto report = (*store)->EraseUser(erased);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(report->events, 1001);
    EXPECT_EQ(report->exposures, 1);
    EXPECT_TRUE(report->history);
    EXPECT_TRUE(report->customer_record);
    EXPECT_TRUE(report->purged);
    EXPECT_EQ(testing::FilesHolding(db, erased), std::vector<std::string>());
    // Ann is all there.
    EXPECT_EQ((*store)->UserEvents("ann", 0, 5000)->size(), 1000u);
    EXPECT_TRUE((*store)->GetCustomerRecord("ann")->has_value());
    EXPECT_FALSE(testing::FilesHolding(db, "ann").empty());
    // Writing goes on after the purge, and nothing of the id comes back.
    ASSERT_TRUE((*store)->AppendEvents({Logged("n1", "ann", "X", 6000)}).ok());
  }
  EXPECT_EQ(testing::FilesHolding(db, erased), std::vector<std::string>());
}

TEST(SnapshotStoreErasuresTest, TheListRoundTripsAndAMalformedOneIsNamed) {
  TempDir dir;
  SnapshotStore snapshots(Env::Default(), dir.Join("snapshots"));
  auto none = snapshots.ReadErasures();
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
  MemoryStateStore store;
  ASSERT_TRUE(store.EraseUser("ann").ok());
  ASSERT_TRUE(store.EraseUser("bob").ok());
  ASSERT_TRUE(snapshots.PublishErasures(*store.Erasures()).ok());
  auto read = snapshots.ReadErasures();
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->key(), store.Erasures()->key());
  EXPECT_EQ(read->digests(), store.Erasures()->digests());
  EXPECT_TRUE(read->Contains("bob"));

  for (const std::string& bad :
       {std::string("tailor-erasures 2\n"), std::string("tailor-erasures 1\n"),
        std::string("tailor-erasures 1\nabc\n"),
        absl::StrCat("tailor-erasures 1\n", std::string(64, 'a'), "\nxyz\n")}) {
    ASSERT_TRUE(
        Env::Default()->WriteFile(dir.Join("snapshots/ERASURES"), bad).ok());
    auto s = snapshots.ReadErasures();
    EXPECT_EQ(s.status().code(), absl::StatusCode::kDataLoss) << bad;
    EXPECT_THAT(std::string(s.status().message()),
                ::testing::HasSubstr("ERASURES"));
  }
}

TEST(RocksDbErasureTest, ATrainersReaderSeesTheListAndNoneOfTheEvents) {
  TempDir dir;
  auto store = OpenRocksDbStateStore(dir.Join("db"));
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)
                  ->AppendEvents({Logged("a1", "ann", "X", 10),
                                  Logged("b1", "bob", "X", 11)})
                  .ok());
  auto reader = OpenEventLogReader(dir.Join("db"), dir.Join("secondary"));
  ASSERT_TRUE(reader.ok()) << reader.status();
  ASSERT_TRUE((*reader)->CatchUp().ok());
  EXPECT_TRUE((*reader)->Erasures()->empty());

  ASSERT_TRUE((*store)->EraseUser("ann").ok());
  ASSERT_TRUE((*reader)->CatchUp().ok());
  auto list = (*reader)->Erasures();
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_TRUE(list->Contains("ann"));
  EXPECT_FALSE(list->Contains("bob"));
  EXPECT_EQ(list->key(), (*store)->Erasures()->key());
  // A reader opened afterwards reads none of Ann's events. (One opened
  // before may read them until it catches up with a later write: the
  // trainer's source leaves out everyone on the list it read with them.)
  auto fresh = OpenEventLogReader(dir.Join("db"), dir.Join("secondary2"));
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  ASSERT_TRUE((*fresh)->CatchUp().ok());
  std::vector<std::string> users;
  ASSERT_TRUE((*fresh)
                  ->ReadEvents(0, 100,
                               [&](LoggedEvent&& e) {
                                 users.push_back(e.event.user_id);
                               })
                  .ok());
  EXPECT_EQ(users, (std::vector<std::string>{"bob"}));
}

}  // namespace
}  // namespace tailor

#include "storage/state_store.h"

#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/interactions.h"
#include "core/base/status_macros.h"
#include "gtest/gtest.h"
#include "rocksdb/perf_context.h"
#include "rocksdb/perf_level.h"
#include "storage/event_log_reader.h"
#include "storage/memory_state_store.h"
#include "storage/records.h"
#include "tests/customer_records.h"
#include "tests/storage/both_stores.h"
#include "tests/test_util.h"

namespace tailor {
namespace {

using testing::TempDir;

// Runs the same contract tests against both implementations.
class StateStoreTest : public BothStores {};

TEST_P(StateStoreTest, CatalogPutReplaceAndLoad) {
  Item a{"A", "Coat", "outerwear", "Halden", "camel", 149.99, {"S"}, true};
  Item b{"B", "Tee", "tops", "Basico", "white", 9.99, {}, false};
  ASSERT_TRUE(store()->PutItems({b, a}).ok());
  a.price = 129.99;
  ASSERT_TRUE(store()->PutItems({a}).ok());
  auto items = store()->LoadCatalog();
  ASSERT_TRUE(items.ok()) << items.status();
  EXPECT_EQ(*items, (std::vector<Item>{a, b}));
}

CatalogChange Inventory(const std::string& id, std::optional<double> price,
                        std::vector<std::pair<std::string, int32_t>> sizes,
                        uint64_t version = 0) {
  CatalogChange c;
  c.kind = CatalogChange::Kind::kInventory;
  c.item_id = id;
  c.price = price;
  c.size_stock = std::move(sizes);
  c.version = version;
  return c;
}

using Outcome = CatalogChangeResult::Outcome;

std::vector<Outcome> Outcomes(const CatalogWrite& w) {
  std::vector<Outcome> out;
  for (const CatalogChangeResult& r : w.results) out.push_back(r.outcome);
  return out;
}

TEST_P(StateStoreTest, LiveCatalogChangesApplyInOrderAndSurviveAReopen) {
  Item a{"A", "Coat", "outerwear", "Halden", "camel", 149.99, {"S", "M"}, true};
  ASSERT_TRUE(store()->PutItems({a}).ok());
  CatalogChange upsert;
  upsert.kind = CatalogChange::Kind::kUpsert;
  upsert.item_id = "N";
  upsert.item = {"N", "New", "tops", "B", "red", 20, {"L"}, true, {3}};
  CatalogChange retire;
  retire.kind = CatalogChange::Kind::kRetire;
  retire.item_id = "N";
  auto w = store()->ChangeCatalog(
      {Inventory("A", 99, {{"M", 0}}, 7), Inventory("A", {}, {{"S", 2}}),
       upsert, retire, Inventory("missing", 1, {}), Inventory("A", 5, {}, 3)},
      1000);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(Outcomes(*w),
            (std::vector<Outcome>{Outcome::kApplied, Outcome::kApplied,
                                  Outcome::kApplied, Outcome::kApplied,
                                  Outcome::kInvalid, Outcome::kStale}));
  EXPECT_EQ(w->results[4].error,
            "item_id: not in the catalog (upsert the item first)");
  // One entry per item changed, numbered from 1 in item_id order.
  ASSERT_EQ(w->entries.size(), 2u);
  Item changed = a;
  changed.price = 99;
  changed.size_stock = {2, 0};
  LiveItem want_a{changed, false, 7, 1000, 1};
  LiveItem want_n{upsert.item, true, 0, 1000, 2};
  EXPECT_EQ(w->entries[0], want_a);
  EXPECT_EQ(w->entries[1], want_n);
  // The same again changes nothing; the stored catalog is untouched.
  w = store()->ChangeCatalog({Inventory("A", {}, {{"S", 2}})}, 2000);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(Outcomes(*w), std::vector<Outcome>{Outcome::kUnchanged});
  EXPECT_EQ(*store()->LoadCatalog(), std::vector<Item>{a});
  Reopen();
  EXPECT_EQ(*store()->LoadLiveCatalog(),
            (std::vector<LiveItem>{want_a, want_n}));
  // Numbering goes on after a reopen.
  w = store()->ChangeCatalog({Inventory("A", 1, {})}, 3000);
  ASSERT_TRUE(w.ok());
  ASSERT_EQ(w->entries.size(), 1u);
  EXPECT_EQ(w->entries[0].seq, 3u);
  // A snapshot import replaces the catalog, never the live catalog.
  Snapshot s;
  s.version = "00000001";
  s.model.items = IdMap({"A"});
  s.catalog = {{"A", "Coat v2", "outerwear", "Halden", "camel", 1, {}, true}};
  ASSERT_TRUE(ImportSnapshotState(s, store()).ok());
  auto live = store()->LoadLiveCatalog();
  ASSERT_TRUE(live.ok());
  ASSERT_EQ(live->size(), 2u);
  EXPECT_EQ((*live)[0].item.title, "Coat");
  EXPECT_EQ((*live)[0].item.price, 1);
}

// A replica adopts the writer's entries with their numbers; an older one
// never replaces a newer, and its own numbering goes on after the highest.
TEST_P(StateStoreTest, AdoptedLiveCatalogEntriesKeepTheirNumbers) {
  Item a{"A",    "Coat",     "outerwear", "Halden", "camel",
         149.99, {"S", "M"}, true,        {}};
  Item b = a;
  b.item_id = "B";
  const LiveItem a7{a, false, 1, 1000, 7};
  const LiveItem b9{b, true, 2, 1000, 9};
  ASSERT_TRUE(store()->AdoptLiveCatalog({a7, b9}).ok());
  EXPECT_EQ(*store()->LoadLiveCatalog(), (std::vector<LiveItem>{a7, b9}));
  Item cheaper = a;
  cheaper.price = 99;
  const LiveItem a5{cheaper, false, 0, 900, 5};  // older than a7
  const LiveItem a8{cheaper, false, 2, 1100, 8};
  ASSERT_TRUE(store()->AdoptLiveCatalog({a5}).ok());
  EXPECT_EQ(*store()->LoadLiveCatalog(), (std::vector<LiveItem>{a7, b9}));
  ASSERT_TRUE(store()->AdoptLiveCatalog({a8}).ok());
  Reopen();
  EXPECT_EQ(*store()->LoadLiveCatalog(), (std::vector<LiveItem>{a8, b9}));
  ASSERT_TRUE(store()->PutItems({a}).ok());
  auto w = store()->ChangeCatalog({Inventory("A", 5, {})}, 2000);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_EQ(w->entries.size(), 1u);
  EXPECT_EQ(w->entries[0].seq, 10u);
}

TEST_P(StateStoreTest, HistoriesArePutWholeAndReplaced) {
  const UserHistory u1{
      7,
      {{"a", kInteracted, 1.5f, 0}, {"x", kInteracted | kPurchased, 2.0f, 1}}};
  const UserHistory u2{7, {{"x", kInteracted, -6.0f, -1}}};
  ASSERT_TRUE(store()->PutHistories({"u1", "u2"}, {u1, u2}).ok());
  auto h1 = store()->GetHistory("u1");
  ASSERT_TRUE(h1.ok()) << h1.status();
  EXPECT_EQ(*h1, u1);
  EXPECT_EQ(*store()->GetHistory("u2"), u2);
  const UserHistory replaced{9, {{"x", kInteracted, 3.0f, 0}}};
  ASSERT_TRUE(store()->PutHistories({"u1"}, {replaced}).ok());
  EXPECT_EQ(*store()->GetHistory("u1"), replaced);
  EXPECT_EQ(*store()->GetHistory("nobody"), UserHistory());
  EXPECT_EQ(store()->PutHistories({"u1", "u2"}, {u1}).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(StateStoreTest, MetaValues) {
  EXPECT_FALSE(store()->GetMeta("k")->has_value());
  ASSERT_TRUE(store()->PutMeta("k", "v1").ok());
  ASSERT_TRUE(store()->PutMeta("k", "v2").ok());
  EXPECT_EQ(**store()->GetMeta("k"), "v2");
}

TEST_P(StateStoreTest, ExperimentsArePutWholeAndSurviveAReopen) {
  EXPECT_TRUE(store()->LoadExperiments()->empty());
  Experiment a;
  a.name = "homepage";
  a.salt = "homepage-1";
  a.layer = "default";
  a.arms = {
      {.name = "control",
       .strategy = "popularity",
       .share = 5000,
       .control = true},
      {.name = "als", .strategy = "als", .share = 4000, .control = false}};
  a.eligibility = Eligibility::kSegment;
  a.segment = "At Risk";
  a.start_unix = 1700000000;
  a.end_unix = 1700600000;
  a.created_unix = 1699999999;
  a.layer_begin = 100;
  a.layer_end = 9100;
  Experiment b = a;
  b.name = "emails";
  b.salt = "emails-1";
  b.eligibility = Eligibility::kNewVisitors;
  b.segment = "";
  b.allocation = Allocation::kThompson;
  b.bandit = {.metric = BanditMetric::kRevenue,
              .interval_seconds = 600,
              .min_share = 1000};
  b.periods = {{1700000000, {5000, 5000}}, {1700000600, {2000, 8000}}};
  b.arms[1].diversity = 0.3f;
  b.arms[1].boosts = {{"SKU1", 0.5f}, {"SKU2", 2.0f}};
  ASSERT_TRUE(store()->PutExperiment(a).ok());
  ASSERT_TRUE(store()->PutExperiment(b).ok());
  a.state = ExperimentState::kStopped;
  a.stopped_unix = 1700000500;
  ASSERT_TRUE(store()->PutExperiment(a).ok());  // replaces
  Reopen();
  auto loaded = store()->LoadExperiments();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ((*loaded)[0], b);  // by name
  EXPECT_EQ((*loaded)[1], a);
}

// Experiments stored before allocations existed (format 1: the fields up
// to the layer range) read as fixed splits.
TEST(ExperimentRecordTest, TheFirstFormatDecodesAsAFixedSplit) {
  Experiment x;
  x.name = "old";
  x.salt = "old";
  x.layer = "default";
  x.arms = {
      {.name = "a", .strategy = "als", .share = 5000, .control = true},
      {.name = "b", .strategy = "popularity", .share = 5000, .control = false}};
  x.layer_end = 10000;
  // Format 1, as it was written: no arm settings, no allocation.
  Encoder old;
  old.PutU8(1);
  for (const std::string* s : {&x.name, &x.salt, &x.layer}) old.PutString(*s);
  old.PutU32(2);
  for (const ExperimentArm& arm : x.arms) {
    old.PutString(arm.name);
    old.PutString(arm.strategy);
    old.PutU32(static_cast<uint32_t>(arm.share));
    old.PutU8(arm.control ? 1 : 0);
  }
  old.PutU8(0);  // eligibility all
  old.PutString("");
  old.PutI64(0);
  old.PutI64(0);
  old.PutU8(0);  // running
  old.PutI64(0);
  old.PutI64(0);
  old.PutU32(0);
  old.PutU32(10000);
  Decoder d(old.buffer());
  Experiment decoded;
  decoded.allocation = Allocation::kThompson;
  ASSERT_TRUE(DecodeExperiment(&d, &decoded));
  EXPECT_EQ(decoded, x);
  std::string future = old.buffer();
  future[0] = 3;  // a format from the future
  Decoder later(future);
  EXPECT_FALSE(DecodeExperiment(&later, &decoded));
}

TEST_P(StateStoreTest, ExposuresAreKeptByUserAndIdAndIndexedByExperiment) {
  auto shown = [](std::string id, std::string user, std::string experiment,
                  std::string arm) {
    return Exposure{.recommendation_id = std::move(id),
                    .user_id = std::move(user),
                    .experiment = std::move(experiment),
                    .arm = std::move(arm),
                    .strategy = "popularity",
                    .timestamp = 1700000000,
                    .probability = 0.25,
                    .items = {"X", "Y", "Z"}};
  };
  ASSERT_EQ(*store()->AppendExposures(
                {shown("02", "ann", "x1", "a"), shown("01", "ann", "x1", "b"),
                 shown("03", "bob", "x1", "b"), shown("04", "bob", "", "")}),
            4u);
  // A later exposure of the same shopper gives the index its arm; the
  // same id again replaces the exposure.
  Exposure again = shown("01", "ann", "x1", "b");
  again.items = {"W"};
  ASSERT_EQ(*store()->AppendExposures({shown("05", "ann", "x1", "b"), again}),
            2u);
  for (int pass = 0; pass < 2; ++pass) {
    SCOPED_TRACE(pass == 0 ? "written" : "after a reopen");
    auto ann = store()->UserExposures("ann");
    ASSERT_TRUE(ann.ok()) << ann.status();
    ASSERT_EQ(ann->size(), 3u);
    EXPECT_EQ((*ann)[0], again);
    EXPECT_EQ((*ann)[1], shown("02", "ann", "x1", "a"));
    EXPECT_EQ((*ann)[2].recommendation_id, "05");
    EXPECT_TRUE(*store()->HasExposure("ann", "02"));
    EXPECT_FALSE(*store()->HasExposure("bob", "02"));
    EXPECT_FALSE(*store()->HasExposure("ann", "0"));
    EXPECT_EQ(*store()->ExposedShoppers("x1"),
              std::vector<ExposedShopper>({{"ann", "b"}, {"bob", "b"}}));
    EXPECT_TRUE(store()->ExposedShoppers("x")->empty());
    EXPECT_TRUE(store()->UserExposures("an")->empty());
    Reopen();
  }
}

TEST_P(StateStoreTest, AnEventKeepsTheRecommendationItCameFrom) {
  LoggedEvent e{.event_id = "e1",
                .event = {.user_id = "ann",
                          .item_id = "X",
                          .type = EventType::kClick,
                          .timestamp = 5},
                .recommendation_id = "0123456789abcdef0123456789abcdef"};
  ASSERT_TRUE(store()->AppendEvents({e}).ok());
  Reopen();
  auto events = store()->UserEvents("ann", 0, 10);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].recommendation_id, e.recommendation_id);
  EXPECT_EQ((*store()->EventsSince(0, 10))[0].recommendation_id,
            e.recommendation_id);
}

TEST_P(StateStoreTest, EverythingSurvivesAReopen) {
  ASSERT_TRUE(store()->PutItems({{"A", "t", "c", "b", "x", 1, {}, true}}).ok());
  ASSERT_TRUE(
      store()->PutHistories({"u"}, {{3, {{"A", kPurchased, 8.0f, 1}}}}).ok());
  ASSERT_TRUE(store()->PutMeta("imported_version", "00000003").ok());
  Reopen();
  EXPECT_EQ(store()->LoadCatalog()->size(), 1u);
  EXPECT_EQ(*store()->GetHistory("u"),
            (UserHistory{3, {{"A", kPurchased, 8.0f, 1}}}));
  EXPECT_EQ(**store()->GetMeta("imported_version"), "00000003");
}

TEST_P(StateStoreTest, SnapshotIsImportedOncePerVersion) {
  Snapshot s;
  s.version = "00000001";
  s.model.users = IdMap({"u0", "u1"});
  s.model.items = IdMap({"A", "B"});
  s.catalog = {{"A", "t", "c", "b", "x", 1, {}, true}};
  s.history.row_ptr = {0, 2, 2};
  s.history.item = {0, 1};
  s.history.flags = {kInteracted, kInteracted | kPurchased};
  s.history.weight_sum = {1.0f, 10.0f};
  s.history.net_purchases = {0, 1};
  s.online.event_log_seq = 5;
  EXPECT_TRUE(*ImportSnapshotState(s, store()));
  EXPECT_FALSE(*ImportSnapshotState(s, store()));  // same version: no-op
  EXPECT_EQ(*store()->GetHistory("u0"),
            (UserHistory{5,
                         {{"A", kInteracted, 1.0f, 0},
                          {"B", kInteracted | kPurchased, 10.0f, 1}}}));
  EXPECT_EQ(*store()->GetHistory("u1"), UserHistory());
  // A later version replaces the rows of its users (not adds to them).
  s.version = "00000002";
  s.catalog.push_back({"B", "t2", "c", "b", "x", 2, {}, true});
  s.history.item = {1};
  s.history.row_ptr = {0, 1, 1};
  s.history.flags = {kInteracted};
  s.history.weight_sum = {4.0f};
  s.history.net_purchases = {0};
  s.online.event_log_seq = 9;
  EXPECT_TRUE(*ImportSnapshotState(s, store()));
  EXPECT_EQ(store()->LoadCatalog()->size(), 2u);
  EXPECT_EQ(*store()->GetHistory("u0"),
            (UserHistory{9, {{"B", kInteracted, 4.0f, 0}}}));
}

// A store whose first bulk load fails to commit (a full volume at the end
// of an import).
class FailingCommitStore : public MemoryStateStore {
 public:
  absl::StatusOr<std::unique_ptr<BulkLoad>> StartBulkLoad() override {
    TAILOR_ASSIGN_OR_RETURN(std::unique_ptr<BulkLoad> load,
                            MemoryStateStore::StartBulkLoad());
    if (!fail_next_) return load;
    fail_next_ = false;
    return std::unique_ptr<BulkLoad>(new FailingCommit(std::move(load)));
  }

 private:
  class FailingCommit : public BulkLoad {
   public:
    explicit FailingCommit(std::unique_ptr<BulkLoad> load)
        : load_(std::move(load)) {}
    absl::Status AddItem(const Item& item) override {
      return load_->AddItem(item);
    }
    absl::Status AddHistory(absl::string_view id,
                            const UserHistory& h) override {
      return load_->AddHistory(id, h);
    }
    absl::Status AddCustomerRecord(absl::string_view id,
                                   const CustomerRecord& r) override {
      return load_->AddCustomerRecord(id, r);
    }
    absl::Status Commit() override {
      return absl::UnavailableError("the data volume is full");
    }

   private:
    std::unique_ptr<BulkLoad> load_;
  };
  bool fail_next_ = true;
};

TEST(ImportSnapshotStateTest, AnImportNotCommittedIsNotMarkedAndIsDoneAgain) {
  FailingCommitStore store;
  Snapshot s;
  s.version = "00000001";
  s.catalog = {{"A", "t", "c", "b", "x", 1, {}, true}};
  absl::StatusOr<bool> first = ImportSnapshotState(s, &store);
  EXPECT_EQ(first.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(store.GetMeta("imported_version")->has_value());
  EXPECT_TRUE(store.LoadCatalog()->empty());
  absl::StatusOr<bool> second = ImportSnapshotState(s, &store);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(*second);
  EXPECT_EQ(*store.GetMeta("imported_version"), "00000001");
  EXPECT_EQ(store.LoadCatalog()->size(), 1u);
}

TEST_P(StateStoreTest, ImportKeepsTheLastOfItemsWithTheSameId) {
  Snapshot s;
  s.version = "00000001";
  s.catalog = {{"B", "first", "c", "b", "x", 1, {}, true},
               {"A", "t", "c", "b", "x", 1, {}, true},
               {"B", "second", "c", "b", "x", 2, {}, true}};
  ASSERT_TRUE(*ImportSnapshotState(s, store()));
  absl::StatusOr<std::vector<Item>> catalog = store()->LoadCatalog();
  ASSERT_EQ(catalog->size(), 2u);
  EXPECT_EQ((*catalog)[1].title, "second");
}

// 5,000 items and histories: many blocks of table file (RocksDB).
TEST_P(StateStoreTest, ABulkLoadIsInvisibleUntilCommittedAndThenWhole) {
  std::vector<Item> items;
  std::vector<std::string> ids;
  std::vector<UserHistory> histories;
  for (int i = 0; i < 5000; ++i) {
    items.push_back({absl::StrFormat("item-%05d", i),
                     "Wool coat",
                     "outerwear",
                     "Brand",
                     "camel",
                     10.0 + i,
                     {"S", "M"},
                     true});
    ids.push_back(absl::StrFormat("user-%05d", i));
    histories.push_back(
        {static_cast<uint64_t>(i), {{items.back().item_id, 1, 1.0f, 0}}});
  }
  ASSERT_TRUE(store()->PutItems({items[7]}).ok());  // replaced by the load
  {
    absl::StatusOr<std::unique_ptr<BulkLoad>> load = store()->StartBulkLoad();
    ASSERT_TRUE(load.ok()) << load.status();
    for (int i = 0; i < 5000; ++i) {
      ASSERT_TRUE((*load)->AddItem(items[i]).ok());
      ASSERT_TRUE((*load)->AddHistory(ids[i], histories[i]).ok());
    }
    EXPECT_EQ(store()->LoadCatalog()->size(), 1u);
    EXPECT_EQ(*store()->GetHistory(ids[0]), UserHistory());
    absl::Status committed = (*load)->Commit();
    ASSERT_TRUE(committed.ok()) << committed;
    EXPECT_EQ((*load)->Commit().code(), absl::StatusCode::kFailedPrecondition);
  }
  Reopen();
  absl::StatusOr<std::vector<Item>> catalog = store()->LoadCatalog();
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_EQ(catalog->size(), items.size());
  for (int i : {0, 1, 2499, 4999}) {
    EXPECT_EQ(*store()->GetHistory(ids[i]), histories[i]) << ids[i];
  }
}

TEST_P(StateStoreTest, ABulkLoadRefusesKeysOutOfOrderAndOneLoadRunsAtATime) {
  absl::StatusOr<std::unique_ptr<BulkLoad>> load = store()->StartBulkLoad();
  ASSERT_TRUE(load.ok()) << load.status();
  EXPECT_EQ(store()->StartBulkLoad().status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE((*load)->AddHistory("u2", {1, {}}).ok());
  const absl::Status s = (*load)->AddHistory("u1", {1, {}});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("history key 'u1' does not come after 'u2'"),
            std::string::npos)
      << s;
  EXPECT_EQ((*load)->AddHistory("u2", {1, {}}).code(),
            absl::StatusCode::kInvalidArgument);
  // Families are ordered each on its own.
  EXPECT_TRUE((*load)->AddCustomerRecord("u1", CustomerRecord()).ok());
  load->reset();
  EXPECT_TRUE(store()->StartBulkLoad().ok());
}

TEST_P(StateStoreTest, ABulkLoadNotCommittedLeavesTheStoreAsItWas) {
  {
    absl::StatusOr<std::unique_ptr<BulkLoad>> load = store()->StartBulkLoad();
    ASSERT_TRUE(load.ok()) << load.status();
    ASSERT_TRUE((*load)->AddItem({"A", "t", "c", "b", "x", 1, {}, true}).ok());
    ASSERT_TRUE((*load)->AddHistory("u", {1, {{"A", 1, 1.0f, 0}}}).ok());
  }
  Reopen();
  EXPECT_TRUE(store()->LoadCatalog()->empty());
  EXPECT_EQ(*store()->GetHistory("u"), UserHistory());
  if (GetParam()) {  // its table files are gone
    EXPECT_FALSE(std::filesystem::exists(dir_.Join("db/bulk_load")));
  }
}

TEST_P(StateStoreTest, CustomerRecordsRoundTripAndSurviveAReopen) {
  const CustomerSegments seg = testing::MakeCustomerSegments(
      {"u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8"}, 3);
  ASSERT_TRUE(store()->PutCustomerRecords(seg.users.ids(), seg.records).ok());
  EXPECT_EQ(
      store()
          ->PutCustomerRecords(seg.users.ids(),
                               absl::MakeConstSpan(seg.records).subspan(1))
          .code(),
      absl::StatusCode::kInvalidArgument);
  Reopen();
  for (int32_t u = 0; u < seg.users.size(); ++u) {
    auto r = store()->GetCustomerRecord(seg.users.id(u));
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(r->has_value()) << seg.users.id(u);
    testing::ExpectSameRecord(**r, seg.records[u]);
  }
  EXPECT_FALSE(store()->GetCustomerRecord("nobody")->has_value());
}

TEST_P(StateStoreTest, SnapshotImportWritesCustomerRecords) {
  Snapshot s;
  s.version = "00000001";
  s.segments = testing::MakeCustomerSegments({"a", "b", "c"}, 2);
  ASSERT_TRUE(*ImportSnapshotState(s, store()));
  auto b = store()->GetCustomerRecord("b");
  ASSERT_TRUE(b.ok() && b->has_value());
  testing::ExpectSameRecord(**b, s.segments.records[1]);
}

LoggedEvent Logged(const std::string& id, const std::string& user,
                   const std::string& item, int64_t t,
                   EventType type = EventType::kView) {
  return {id, Event{user, item, type, t, 1.0}, 0};
}

TEST_P(StateStoreTest, EventsGetSequenceNumbersAndDuplicatesAreNotStored) {
  LoggedEvent sale = Logged("e3", "u", "C", 200, EventType::kPurchase);
  sale.event.price = 33.5;
  auto first = store()->AppendEvents({Logged("e1", "u", "A", 300),
                                      Logged("e2", "v", "B", 100),
                                      Logged("e1", "u", "A", 300),  // again
                                      sale});
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->size(), 4u);
  EXPECT_EQ((*first)[0].seq, 1u);
  EXPECT_FALSE((*first)[0].duplicate);
  EXPECT_EQ((*first)[1].seq, 2u);
  EXPECT_TRUE((*first)[2].duplicate);
  EXPECT_EQ((*first)[2].seq, 1u);
  EXPECT_EQ((*first)[3].seq, 3u);
  EXPECT_EQ(store()->LastSequence(), 3u);
  // Histories are the snapshots' business: appends leave them alone.
  EXPECT_EQ(*store()->GetHistory("u"), UserHistory());
  Reopen();
  EXPECT_EQ(store()->LastSequence(), 3u);
  // A resend after a restart is still a duplicate; new ids continue.
  auto second = store()->AppendEvents(
      {Logged("e2", "v", "B", 100), Logged("e4", "u", "D", -50)});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE((*second)[0].duplicate);
  EXPECT_EQ((*second)[0].seq, 2u);
  EXPECT_FALSE((*second)[1].duplicate);
  EXPECT_EQ((*second)[1].seq, 4u);

  auto all = store()->EventsSince(0, 100);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 4u);
  for (size_t k = 0; k < all->size(); ++k) EXPECT_EQ((*all)[k].seq, k + 1);
  EXPECT_EQ((*all)[2].event_id, "e3");
  EXPECT_EQ((*all)[2].event.type, EventType::kPurchase);
  EXPECT_EQ((*all)[2].event.item_id, "C");
  EXPECT_EQ((*all)[2].event.price, 33.5);
  EXPECT_LT((*all)[0].event.price, 0);
  auto later = store()->EventsSince(2, 1);
  ASSERT_TRUE(later.ok());
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ((*later)[0].seq, 3u);

  // The user's events by time (a negative timestamp first), latest kept.
  auto u = store()->UserEvents("u", 0, 10);
  ASSERT_TRUE(u.ok()) << u.status();
  std::vector<std::string> ids;
  for (const LoggedEvent& e : *u) ids.push_back(e.event_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"e4", "e3", "e1"}));
  EXPECT_EQ((*u)[1].event.price, 33.5);
  auto latest = store()->UserEvents("u", 0, 2);
  ASSERT_TRUE(latest.ok());
  ASSERT_EQ(latest->size(), 2u);
  EXPECT_EQ((*latest)[0].event_id, "e3");
  // Only events above a sequence number (what a history does not include).
  auto after = store()->UserEvents("u", 1, 10);
  ASSERT_TRUE(after.ok());
  ids.clear();
  for (const LoggedEvent& e : *after) ids.push_back(e.event_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"e4", "e3"}));
  EXPECT_TRUE(store()->UserEvents("nobody", 0, 10)->empty());
  // A user id that is a prefix of another sees only its own events.
  ASSERT_TRUE(store()->AppendEvents({Logged("e5", "uu", "A", 1)}).ok());
  EXPECT_EQ(store()->UserEvents("u", 0, 10)->size(), 3u);
}

TEST_P(StateStoreTest, UserEventsBeforePagesNewestFirst) {
  // u: seq 1 at t=10, 2 at 30, 3 at 20, 4 at 30 (a tie: by sequence),
  // 6 at -5; uu (an id u is a prefix of) and v in between.
  ASSERT_TRUE(
      store()
          ->AppendEvents({Logged("a", "u", "A", 10), Logged("b", "u", "B", 30),
                          Logged("c", "u", "C", 20), Logged("d", "u", "D", 30),
                          Logged("e", "uu", "E", 25), Logged("f", "u", "F", -5),
                          Logged("g", "v", "G", 15)})
          .ok());
  auto ids = [](const std::vector<LoggedEvent>& events) {
    std::vector<std::string> out;
    for (const LoggedEvent& e : events) out.push_back(e.event_id);
    return out;
  };
  auto all = store()->UserEventsBefore("u", nullptr, 100);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(ids(*all), (std::vector<std::string>{"d", "b", "c", "a", "f"}));
  // Pages of two, each starting after the previous page's oldest.
  std::vector<std::string> paged;
  const EventPosition* before = nullptr;
  EventPosition cursor;
  for (int page = 0; page < 10; ++page) {
    auto events = store()->UserEventsBefore("u", before, 2);
    ASSERT_TRUE(events.ok()) << events.status();
    for (const std::string& id : ids(*events)) paged.push_back(id);
    if (events->size() < 2) break;
    cursor = {events->back().event.timestamp, events->back().seq};
    before = &cursor;
  }
  EXPECT_EQ(paged, ids(*all));
  // From the middle of a tie; from before the oldest.
  const EventPosition tie{30, 4};
  EXPECT_EQ(ids(*store()->UserEventsBefore("u", &tie, 100)),
            (std::vector<std::string>{"b", "c", "a", "f"}));
  const EventPosition oldest{-5, 6};
  EXPECT_TRUE(store()->UserEventsBefore("u", &oldest, 100)->empty());
  EXPECT_TRUE(store()->UserEventsBefore("nobody", nullptr, 100)->empty());
  EXPECT_TRUE(store()->UserEventsBefore("u", nullptr, 0)->empty());
  Reopen();
  EXPECT_EQ(ids(*store()->UserEventsBefore("u", nullptr, 3)),
            (std::vector<std::string>{"d", "b", "c"}));
}

TEST_P(StateStoreTest, ConcurrentAppendsGetDistinctSequenceNumbers) {
  constexpr int kThreads = 4, kBatches = 25, kBatch = 8;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<LoggedEvent> batch;
        for (int k = 0; k < kBatch; ++k) {
          // Every event is sent twice, by two threads.
          const int id = ((t / 2) * kBatches + b) * kBatch + k;
          batch.push_back(
              Logged(absl::StrCat("e", id), absl::StrCat("u", t), "A", id));
        }
        EXPECT_TRUE(store()->AppendEvents(batch).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  auto all = store()->EventsSince(0, 10000);
  ASSERT_TRUE(all.ok());
  const size_t distinct = kThreads / 2 * kBatches * kBatch;
  ASSERT_EQ(all->size(), distinct);
  std::set<std::string> ids;
  for (size_t k = 0; k < all->size(); ++k) {
    EXPECT_EQ((*all)[k].seq, k + 1);
    ids.insert((*all)[k].event_id);
  }
  EXPECT_EQ(ids.size(), distinct);
}

INSTANTIATE_TEST_SUITE_P(Implementations, StateStoreTest,
                         ::testing::Values(true, false), StoreName);

// Each publish imports a whole snapshot again: the table files of the
// imports before it are compacted away in the background rather than
// piling up (one more file per family per publish).
TEST(RocksDbStateStoreTest, RepeatedImportsDoNotPileUpTableFiles) {
  TempDir dir;
  auto store = OpenRocksDbStateStore(dir.Join("db"));
  ASSERT_TRUE(store.ok()) << store.status();
  auto table_files = [&] {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.Join("db"))) {
      n += e.path().extension() == ".sst";
    }
    return n;
  };
  for (int version = 1; version <= 8; ++version) {
    absl::StatusOr<std::unique_ptr<BulkLoad>> load = (*store)->StartBulkLoad();
    ASSERT_TRUE(load.ok()) << load.status();
    for (int i = 0; i < 2000; ++i) {
      ASSERT_TRUE((*load)
                      ->AddItem({absl::StrFormat("item-%05d", i),
                                 "Coat",
                                 "outerwear",
                                 "B",
                                 "camel",
                                 1.0 * version,
                                 {},
                                 true})
                      .ok());
      ASSERT_TRUE((*load)
                      ->AddHistory(absl::StrFormat("user-%05d", i),
                                   {static_cast<uint64_t>(version), {}})
                      .ok());
    }
    ASSERT_TRUE((*load)->Commit().ok());
  }
  // Compactions run in the background (a compaction's output appears
  // before its inputs go): wait until the count stays down for 200 ms.
  const absl::Time until = absl::Now() + absl::Seconds(20);
  int files = table_files();
  while (absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(200));
    const int now = table_files();
    if (now <= 4 && files <= 4) break;
    files = now;
  }
  EXPECT_LE(table_files(), 4);  // 16 without the compactions
  absl::StatusOr<std::vector<Item>> catalog = (*store)->LoadCatalog();
  ASSERT_EQ(catalog->size(), 2000u);
  EXPECT_EQ((*catalog)[0].price, 8.0);  // the last import's
}

TEST(RocksDbStateStoreTest, UnopenablePathIsAClearError) {
  TempDir dir;
  testing::WriteTextFile(dir.Join("file"), "not a directory");
  auto s = OpenRocksDbStateStore(dir.Join("file/db"));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("cannot be opened"), std::string::npos)
      << s.status();
  EXPECT_NE(s.status().message().find("must be writable"), std::string::npos);
}

// A request reads one user's events; the files of the event log that hold
// none of them are skipped by their bloom filters rather than searched (a
// block read each, from the disk when not cached). The same filters spare
// the writer's idempotency check for a new event id.
TEST(RocksDbStateStoreTest, EventReadsSkipFilesThatCannotHoldTheKey) {
  TempDir dir;
  std::unique_ptr<StateStore> store;
  uint64_t seq = 0;
  // One file per user: each reopen writes the recovered log to a file.
  for (const std::string user : {"a", "b", "c"}) {
    auto opened = OpenRocksDbStateStore(dir.Join("db"));
    ASSERT_TRUE(opened.ok()) << opened.status();
    store = std::move(*opened);
    std::vector<LoggedEvent> batch;
    for (int k = 0; k < 3; ++k) {
      batch.push_back(Logged(absl::StrCat(user, k), user, "A", ++seq));
    }
    ASSERT_TRUE(store->AppendEvents(batch).ok());
    store.reset();
  }
  auto opened = OpenRocksDbStateStore(dir.Join("db"));
  ASSERT_TRUE(opened.ok()) << opened.status();
  store = std::move(*opened);

  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
  auto filtered = [] {
    return rocksdb::get_perf_context()->bloom_sst_miss_count;
  };
  rocksdb::get_perf_context()->Reset();
  auto a = store->UserEvents("a", 0, 10);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->size(), 3u);
  EXPECT_EQ(filtered(), 2u);  // b's and c's files
  rocksdb::get_perf_context()->Reset();
  EXPECT_TRUE(store->UserEvents("nobody", 0, 10)->empty());
  EXPECT_EQ(filtered(), 3u);
  // A user id that extends another's is a different prefix.
  EXPECT_TRUE(store->UserEvents("aa", 0, 10)->empty());
  rocksdb::get_perf_context()->Reset();
  auto appended = store->AppendEvents({Logged("new", "a", "B", 99)});
  ASSERT_TRUE(appended.ok()) << appended.status();
  EXPECT_FALSE((*appended)[0].duplicate);
  EXPECT_EQ(filtered(), 3u);  // the id is in none of the files
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  EXPECT_EQ(store->UserEvents("a", 0, 10)->size(), 4u);
}

// The table files' index and filter blocks are held in the bounded block
// cache, not beside it: what open files hold outside the cache does not
// grow with the event log (RocksDB's default kept a file's filter, here
// about 10 bits per event, for as long as the file was open).
TEST(RocksDbStateStoreTest, TableFilesKeepTheirIndexAndFiltersInTheCache) {
  TempDir dir;
  const StateStoreOptions options{.block_cache_bytes = int64_t{1} << 20};
  auto opened = OpenRocksDbStateStore(dir.Join("db"), options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<StateStore> store = std::move(*opened);
  uint64_t seq = 0;
  for (int b = 0; b < 40; ++b) {
    std::vector<LoggedEvent> batch;
    for (int k = 0; k < 5000; ++k) {
      ++seq;
      batch.push_back(Logged(absl::StrCat("event-", seq),
                             absl::StrCat("user-", seq % 10007), "A", seq));
    }
    ASSERT_TRUE(store->AppendEvents(batch).ok());
  }
  store.reset();  // the reopen writes the recovered log to table files
  opened = OpenRocksDbStateStore(dir.Join("db"), options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  store = std::move(*opened);
  for (int u = 0; u < 2000; ++u) {
    auto events = store->UserEvents(absl::StrCat("user-", u), 0, 100);
    ASSERT_TRUE(events.ok()) << events.status();
    ASSERT_FALSE(events->empty());
  }

  absl::StatusOr<StoreUsage> usage = store->Usage();
  ASSERT_TRUE(usage.ok()) << usage.status();
  EXPECT_GE(usage->table_files, 3);  // events, user_events, event_ids
  EXPECT_GT(usage->live_data_bytes, 1 << 20);
  EXPECT_EQ(usage->block_cache_capacity, 1 << 20);
  EXPECT_GT(usage->block_cache_bytes, 0);
  EXPECT_LE(usage->block_cache_bytes, int64_t{3} << 19);
  // 200,000 event ids: a 250 KB filter if held beside the cache.
  EXPECT_LT(usage->table_reader_bytes, 64 << 10);
}

TEST(RocksDbStateStoreTest, ABlockCacheBelowAMegabyteIsRefused) {
  TempDir dir;
  auto s = OpenRocksDbStateStore(dir.Join("db"),
                                 {.block_cache_bytes = int64_t{1} << 19});
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("block_cache_mb"), std::string::npos)
      << s.status();
}

}  // namespace
}  // namespace tailor

namespace tailor {
namespace {

std::vector<uint64_t> ReadSeqs(EventLogReader* reader, uint64_t after,
                               uint64_t through,
                               std::vector<std::string>* ids = nullptr) {
  std::vector<uint64_t> seqs;
  absl::Status s = reader->ReadEvents(after, through, [&](LoggedEvent&& e) {
    seqs.push_back(e.seq);
    if (ids != nullptr) ids->push_back(e.event_id);
  });
  EXPECT_TRUE(s.ok()) << s;
  return seqs;
}

// The trainer reads the log while the server keeps the database open and
// keeps writing.
TEST(EventLogReaderTest, ReadsALiveServersLogAndCatchesUpWithNewWrites) {
  testing::TempDir dir;
  auto primary = OpenRocksDbStateStore(dir.Join("db"));
  ASSERT_TRUE(primary.ok()) << primary.status();
  auto log = [](const std::string& id) {
    return LoggedEvent{id, Event{"u", id, EventType::kPurchase, 5, 1.0}, 0};
  };
  ASSERT_TRUE((*primary)->AppendEvents({log("a"), log("b"), log("c")}).ok());

  auto reader = OpenEventLogReader(dir.Join("db"), dir.Join("secondary"));
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto through = (*reader)->CatchUp();
  ASSERT_TRUE(through.ok()) << through.status();
  EXPECT_EQ(*through, 3u);
  std::vector<std::string> ids;
  EXPECT_EQ(ReadSeqs(reader->get(), 0, 3, &ids),
            (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(ReadSeqs(reader->get(), 1, 2), (std::vector<uint64_t>{2}));

  // The server goes on writing; the reader sees it after catching up.
  ASSERT_TRUE((*primary)->AppendEvents({log("d"), log("e")}).ok());
  EXPECT_EQ(ReadSeqs(reader->get(), 3, 100), (std::vector<uint64_t>{}));
  EXPECT_EQ(*(*reader)->CatchUp(), 5u);
  EXPECT_EQ(ReadSeqs(reader->get(), 3, 5), (std::vector<uint64_t>{4, 5}));

  EXPECT_EQ(
      OpenEventLogReader(dir.Join("nothing"), dir.Join("sec2")).status().code(),
      absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace tailor

namespace tailor {
namespace {

// A database whose histories are in an older format drops them on open and
// forgets which snapshot was imported, so the next load imports it again.
TEST(RocksDbStateStoreTest, HistoriesOfAnOlderFormatAreDroppedOnOpen) {
  testing::TempDir dir;
  {
    auto store = OpenRocksDbStateStore(dir.Join("db"));
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->PutHistories({"u"}, {{1, {{"A", 1, 1.0f, 0}}}}).ok());
    ASSERT_TRUE((*store)->PutMeta("imported_version", "00000004").ok());
  }
  {
    // Reopening a current database keeps everything.
    auto store = OpenRocksDbStateStore(dir.Join("db"));
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ((*store)->GetHistory("u")->entries.size(), 1u);
    ASSERT_TRUE((*store)->PutMeta("history_format", "1").ok());  // older
  }
  auto store = OpenRocksDbStateStore(dir.Join("db"));
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(*(*store)->GetHistory("u"), UserHistory());
  EXPECT_FALSE((*store)->GetMeta("imported_version")->has_value());
  EXPECT_EQ(**(*store)->GetMeta("history_format"), "2");
}

}  // namespace
}  // namespace tailor

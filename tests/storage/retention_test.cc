// StateStoreOptions::event_retention_seconds: events older than the
// retention leave the event log (all three families) when it is compacted.
#include <ctime>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/state_store.h"
#include "tests/test_util.h"

namespace tailor {
namespace {

using testing::TempDir;

constexpr int64_t kDay = 86400;

LoggedEvent Logged(const std::string& id, const std::string& user,
                   int64_t timestamp) {
  return {id, Event{user, "A", EventType::kPurchase, timestamp, 1.0}, 0};
}

std::vector<std::string> Ids(const std::vector<LoggedEvent>& events) {
  std::vector<std::string> ids;
  for (const LoggedEvent& e : events) ids.push_back(e.event_id);
  return ids;
}

class RetentionTest : public ::testing::TestWithParam<int64_t> {};

TEST_P(RetentionTest, OldEventsLeaveEveryFamilyWhenTheLogIsCompacted) {
  const int64_t retention_days = GetParam();
  TempDir dir;
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  StateStoreOptions options;
  options.event_retention_seconds = retention_days * kDay;
  auto store = OpenRocksDbStateStore(dir.Join("db"), options);
  ASSERT_TRUE(store.ok()) << store.status();
  // Old and recent events of two users; the newest by sequence is old.
  ASSERT_TRUE((*store)
                  ->AppendEvents({Logged("old1", "ann", now - 40 * kDay),
                                  Logged("new1", "ann", now - 1 * kDay),
                                  Logged("new2", "bob", now - 29 * kDay),
                                  Logged("old2", "bob", now - 400 * kDay)})
                  .ok());
  EXPECT_EQ((*store)->EventsSince(0, 100)->size(), 4u);  // until compacted
  // Exposures go by the same rule.
  ASSERT_TRUE((*store)
                  ->AppendExposures({{.recommendation_id = "old",
                                      .user_id = "ann",
                                      .experiment = "x",
                                      .timestamp = now - 40 * kDay},
                                     {.recommendation_id = "new",
                                      .user_id = "ann",
                                      .experiment = "x",
                                      .timestamp = now - 1 * kDay}})
                  .ok());

  ASSERT_TRUE((*store)->PurgeErased().ok());  // flushes and compacts the log
  const bool kept = retention_days == 0;
  const std::vector<std::string> all =
      kept ? std::vector<std::string>{"old1", "new1", "new2", "old2"}
           : std::vector<std::string>{"new1", "new2"};
  EXPECT_EQ(Ids(*(*store)->EventsSince(0, 100)), all);
  const std::vector<std::string> ann =
      kept ? std::vector<std::string>{"old1", "new1"}
           : std::vector<std::string>{"new1"};
  const std::vector<std::string> bob =
      kept ? std::vector<std::string>{"new2", "old2"}
           : std::vector<std::string>{"new2"};
  EXPECT_EQ(Ids(*(*store)->UserEvents("ann", 0, 100)), ann);
  EXPECT_EQ((*store)->UserExposures("ann")->size(), kept ? 2u : 1u);
  EXPECT_TRUE(*(*store)->HasExposure("ann", "new"));
  EXPECT_EQ((*store)->ExposedShoppers("x")->size(), 1u);
  EXPECT_EQ(Ids(*(*store)->UserEventsBefore("bob", nullptr, 100)), bob);
  // An old event's idempotency key went with it: sent again, it is new (and
  // goes again at the next compaction); a recent one's is still there.
  auto again = (*store)->AppendEvents(
      {Logged("old1", "ann", now - 40 * kDay), Logged("new1", "ann", 0)});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].duplicate, kept);
  EXPECT_TRUE((*again)[1].duplicate);
  if (!kept) {
    EXPECT_EQ((*again)[0].seq, 5u);
  }

  // The numbering never goes back, though the newest events are gone.
  ASSERT_TRUE((*store)->PurgeErased().ok());
  store->reset();
  store = OpenRocksDbStateStore(dir.Join("db"), options);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->LastSequence(), kept ? 4u : 5u);
  auto next = (*store)->AppendEvents({Logged("new3", "ann", now)});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ((*next)[0].seq, kept ? 5u : 6u);
}

INSTANTIATE_TEST_SUITE_P(Days, RetentionTest, ::testing::Values(0, 30));

TEST(RetentionTest, ANegativeRetentionIsRefused) {
  TempDir dir;
  StateStoreOptions options;
  options.event_retention_seconds = -kDay;
  auto store = OpenRocksDbStateStore(dir.Join("db"), options);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(store.status().message().find("event_retention_days"),
            absl::string_view::npos);
}

}  // namespace
}  // namespace tailor

// ResolveShopper: one shopper as of now, from a snapshot's serving state
// and the events logged since, over an in-memory store.
#include "server/shopper.h"

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/live_events.h"
#include "server/serving_state.h"
#include "storage/memory_state_store.h"
#include "tests/customer_records.h"
#include "tests/server/server_fixture.h"

namespace tailor {
namespace {

constexpr int64_t kNow = 1767225600;  // 2026-01-01

class ShopperTest : public ::testing::Test {
 protected:
  // Serves TinySnapshot (bob bought A and viewed B), with implicit-ALS
  // fold-in parameters unless `fold_in` is false.
  void Serve(bool fold_in = true) {
    Snapshot s = TinySnapshot();
    s.online.fold_in = fold_in;
    s.online.alpha = 1.0f;
    s.online.regularization = 0.1f;
    absl::StatusOr<std::shared_ptr<const ServingState>> state =
        BuildServingState(std::move(s), &store_);
    ASSERT_TRUE(state.ok()) << state.status();
    state_ = *std::move(state);
  }
  // Stores an event and tells the state, as RecordEvents does.
  void Log(const std::string& user, const std::string& item, EventType type) {
    LoggedEvent e;
    e.event_id = absl::StrCat("e", ++events_);
    e.event = {user, item, type, kNow + events_, 1.0, -1.0};
    absl::StatusOr<std::vector<AppendOutcome>> stored =
        store_.AppendEvents({e});
    ASSERT_TRUE(stored.ok());
    e.seq = (*stored)[0].seq;
    if (state_ != nullptr && state_->live_events != nullptr) {
      state_->live_events->Add({e});
    }
  }
  Shopper Resolve(const std::string& user, const ShopperParts& parts = {}) {
    absl::StatusOr<Shopper> shopper =
        ResolveShopper(*state_, &store_, user, parts);
    EXPECT_TRUE(shopper.ok()) << shopper.status();
    return shopper.ok() ? *std::move(shopper) : Shopper();
  }

  MemoryStateStore store_;
  std::shared_ptr<const ServingState> state_;
  int events_ = 0;
};

TEST_F(ShopperTest, AModelUserWithoutNewEventsHasTheirTrainedRow) {
  ASSERT_NO_FATAL_FAILURE(Serve());
  const Shopper bob = Resolve("bob");
  ASSERT_EQ(bob.model_user, 1);
  EXPECT_EQ(bob.embedding_source, Shopper::EmbeddingSource::kTrained);
  ASSERT_TRUE(bob.embedding.has_value());
  EXPECT_EQ(*bob.embedding, Vector(Eigen::Vector2f(1, 0)));
  EXPECT_EQ(bob.consumed, std::vector<int32_t>({0}));  // A
  EXPECT_EQ(bob.activity.size(), 2u);
  EXPECT_EQ(bob.live_events, 0u);
  EXPECT_EQ(bob.segment_popular, nullptr);
}

TEST_F(ShopperTest, LiveEventsAreCountedAndFoldedIn) {
  ASSERT_NO_FATAL_FAILURE(Serve());
  Log("bob", "C", EventType::kPurchase);
  Shopper bob = Resolve("bob");
  EXPECT_EQ(bob.live_events, 1u);
  EXPECT_EQ(bob.consumed, std::vector<int32_t>({0, 2}));  // A, C
  EXPECT_EQ(bob.embedding_source, Shopper::EmbeddingSource::kFoldedIn);
  ASSERT_TRUE(bob.embedding.has_value());
  EXPECT_GT((*bob.embedding)(0), 0);
  // A return brings A back; the cached vector is not reused after it.
  Log("bob", "A", EventType::kReturn);
  const Shopper after = Resolve("bob");
  EXPECT_EQ(after.consumed, std::vector<int32_t>({2}));
  EXPECT_EQ(after.live_events, 2u);
  ASSERT_TRUE(after.embedding.has_value());
  EXPECT_NE(*after.embedding, *bob.embedding);
}

TEST_F(ShopperTest, WithoutFoldInParametersLiveEventsKeepTheTrainedRow) {
  ASSERT_NO_FATAL_FAILURE(Serve(/*fold_in=*/false));
  Log("bob", "C", EventType::kPurchase);
  const Shopper bob = Resolve("bob");
  EXPECT_EQ(bob.embedding_source, Shopper::EmbeddingSource::kTrained);
  EXPECT_EQ(bob.consumed, std::vector<int32_t>({0, 2}));
}

TEST_F(ShopperTest, AnUnknownVisitorIsPersonalisedAfterOneEvent) {
  ASSERT_NO_FATAL_FAILURE(Serve());
  Shopper zoe = Resolve("zoe");
  EXPECT_FALSE(zoe.model_user.has_value());
  EXPECT_EQ(zoe.embedding_source, Shopper::EmbeddingSource::kNone);
  EXPECT_FALSE(zoe.embedding.has_value());
  EXPECT_FALSE(zoe.customer.has_value());
  EXPECT_TRUE(zoe.consumed.empty());

  Log("zoe", "B", EventType::kAddToCart);
  zoe = Resolve("zoe");
  EXPECT_EQ(zoe.embedding_source, Shopper::EmbeddingSource::kFoldedIn);
  ASSERT_TRUE(zoe.customer.has_value());
  EXPECT_EQ(zoe.events_since_profile, 1);
  EXPECT_EQ(zoe.customer->profile.events, 1);
  EXPECT_EQ(zoe.customer->profile.orders, 0);
}

TEST_F(ShopperTest, ACustomerRecordMovesForwardWithPurchases) {
  ASSERT_NO_FATAL_FAILURE(Serve());
  Log("zoe", "A", EventType::kPurchase);
  Log("zoe", "F", EventType::kView);
  const Shopper zoe = Resolve("zoe", {.items = false, .customer = true});
  ASSERT_TRUE(zoe.customer.has_value());
  EXPECT_EQ(zoe.events_since_profile, 2);
  EXPECT_EQ(zoe.customer->profile.orders, 1);
  EXPECT_DOUBLE_EQ(zoe.customer->profile.gross, 149.99);  // A's price
  EXPECT_EQ(zoe.customer->profile.events, 2);
  // Parts not asked for are left empty.
  EXPECT_TRUE(zoe.activity.empty());
  EXPECT_FALSE(zoe.embedding.has_value());
  EXPECT_EQ(zoe.live_events, 0u);
}

TEST_F(ShopperTest, BothPartsAtOnceEqualEachPartAlone) {
  ASSERT_NO_FATAL_FAILURE(Serve());
  Log("bob", "D", EventType::kPurchase);
  Log("zoe", "E", EventType::kPurchase);
  for (const std::string user : {"alice", "bob", "zoe", "nobody"}) {
    const Shopper both = Resolve(user);
    const Shopper items = Resolve(user, {.items = true, .customer = false});
    const Shopper customer = Resolve(user, {.items = false, .customer = true});
    EXPECT_EQ(both.consumed, items.consumed) << user;
    EXPECT_EQ(both.activity, items.activity) << user;
    EXPECT_EQ(both.live_events, items.live_events) << user;
    EXPECT_EQ(both.embedding_source, items.embedding_source) << user;
    EXPECT_EQ(both.embedding.has_value(), items.embedding.has_value()) << user;
    if (both.embedding.has_value() && items.embedding.has_value()) {
      EXPECT_EQ(*both.embedding, *items.embedding) << user;
    }
    EXPECT_EQ(both.customer.has_value(), customer.customer.has_value()) << user;
    EXPECT_EQ(both.events_since_profile, customer.events_since_profile) << user;
    if (both.customer.has_value() && customer.customer.has_value()) {
      EXPECT_EQ(both.customer->profile.orders,
                customer.customer->profile.orders)
          << user;
      EXPECT_EQ(both.customer->profile.gross, customer.customer->profile.gross)
          << user;
    }
  }
}

// Two shoppers resolved alike, field by field.
void ExpectSameShopper(const Shopper& a, const Shopper& b,
                       const std::string& who) {
  EXPECT_EQ(a.model_user, b.model_user) << who;
  EXPECT_EQ(a.activity, b.activity) << who;
  EXPECT_EQ(a.consumed, b.consumed) << who;
  EXPECT_EQ(a.live_events, b.live_events) << who;
  EXPECT_EQ(a.embedding_source, b.embedding_source) << who;
  ASSERT_EQ(a.embedding.has_value(), b.embedding.has_value()) << who;
  if (a.embedding.has_value()) EXPECT_EQ(*a.embedding, *b.embedding) << who;
  EXPECT_EQ(a.events_since_profile, b.events_since_profile) << who;
  ASSERT_EQ(a.customer.has_value(), b.customer.has_value()) << who;
  if (a.customer.has_value()) {
    testing::ExpectSameRecord(*a.customer, *b.customer);
  }
}

// The events held in memory give every shopper exactly what reading the
// store gives them, on random streams: model users and strangers, every
// event type, equal timestamps, events stored before the state was built
// and after, a snapshot that trained on part of the log, and shoppers
// with more events than a request reads.
TEST(LiveEventsTest, ShoppersResolveAsFromTheStoreOnRandomStreams) {
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    std::mt19937_64 rng(seed);
    MemoryStateStore store;
    const std::vector<std::string> users = {"alice", "bob", "zoe", "yan",
                                            "xia"};
    const std::vector<std::string> items = {"A", "B", "C",      "D",
                                            "E", "F", "unknown"};
    int next_id = 0;
    auto random_events = [&](int n) {
      std::vector<LoggedEvent> out;
      for (int k = 0; k < n; ++k) {
        LoggedEvent e;
        e.event_id = absl::StrCat("e", next_id++);
        e.event.user_id = users[rng() % users.size()];
        e.event.item_id = items[rng() % items.size()];
        e.event.type = static_cast<EventType>(rng() % kNumEventTypes);
        e.event.timestamp = kNow + static_cast<int64_t>(rng() % 50);
        e.event.value = e.event.type == EventType::kRating
                            ? 1.0 + static_cast<double>(rng() % 5)
                            : 1.0 + static_cast<double>(rng() % 2);
        e.event.price = rng() % 3 == 0 ? 10.0 + rng() % 90 : -1.0;
        out.push_back(std::move(e));
      }
      return out;
    };
    // Logged before the snapshot; the snapshot trained through half.
    ASSERT_TRUE(store.AppendEvents(random_events(300)).ok());
    // A history a newer snapshot left (a rollback): zoe's events count from
    // sequence 200 on, above what this snapshot trained on.
    ASSERT_TRUE(store
                    .PutHistories({"zoe"},
                                  {UserHistory{.through_seq = 200,
                                               .entries = {{"A", 3, 2.0f, 1}}}})
                    .ok());
    Snapshot s = TinySnapshot();
    s.online.fold_in = true;
    s.online.alpha = 1.0f;
    s.online.regularization = 0.1f;
    s.online.event_log_seq = 150;
    s.segments = testing::MakeCustomerSegments({"alice", "bob", "yan"}, 1);
    ServingOptions from_store;
    from_store.live_events_bytes = 0;
    auto held = BuildServingState(s, &store);
    auto read = BuildServingState(s, &store, 0, from_store);
    ASSERT_TRUE(held.ok() && read.ok());
    ASSERT_NE((*held)->live_events, nullptr);
    ASSERT_EQ((*read)->live_events, nullptr);
    for (int round = 0; round < 6; ++round) {
      // Stored since, in batches, as RecordEvents stores them.
      std::vector<LoggedEvent> batch = random_events(round == 3 ? 6000 : 80);
      absl::StatusOr<std::vector<AppendOutcome>> outcomes =
          store.AppendEvents(batch);
      ASSERT_TRUE(outcomes.ok());
      for (size_t k = 0; k < batch.size(); ++k)
        batch[k].seq = (*outcomes)[k].seq;
      (*held)->live_events->Add(batch);
      for (const std::string& user : users) {
        for (const ShopperParts& parts :
             {ShopperParts{}, ShopperParts{.items = true, .customer = false},
              ShopperParts{.items = false, .customer = true},
              ShopperParts{.also_consumed = TypeFlag(EventType::kView)}}) {
          auto a = ResolveShopper(**held, &store, user, parts);
          auto b = ResolveShopper(**read, &store, user, parts);
          ASSERT_TRUE(a.ok() && b.ok());
          ExpectSameShopper(*a, *b, user);
        }
      }
    }
    EXPECT_GT((*held)->live_events->events(), 0);
    EXPECT_GT((*held)->live_events->bytes(), 0);
  }
}

// Get answers as StateStore::UserEvents does: above `after`, by time then
// sequence, the latest `limit`; and says when it cannot.
TEST(LiveEventsTest, GetAnswersLikeTheStore) {
  LiveEvents live(/*after_seq=*/10, /*budget_bytes=*/1 << 20, /*per_user=*/4);
  std::vector<LoggedEvent> events;
  for (uint64_t seq : {9, 11, 12, 13}) {
    events.push_back(
        {absl::StrCat("e", seq),
         {"u", "A", EventType::kView, kNow - static_cast<int64_t>(seq)},
         seq});
  }
  live.Add(events);
  live.Add(events);  // again: held already
  EXPECT_EQ(live.events(), 3);
  auto seqs = [](const std::optional<std::vector<LoggedEvent>>& got) {
    std::vector<uint64_t> out;
    for (const LoggedEvent& e : got.value_or(std::vector<LoggedEvent>())) {
      out.push_back(e.seq);
    }
    return out;
  };
  EXPECT_EQ(seqs(live.Get("u", 10, 4)), (std::vector<uint64_t>{13, 12, 11}));
  EXPECT_EQ(seqs(live.Get("u", 11, 4)), (std::vector<uint64_t>{13, 12}));
  EXPECT_EQ(seqs(live.Get("u", 10, 2)), (std::vector<uint64_t>{12, 11}));
  EXPECT_TRUE(live.Get("stranger", 10, 4)->empty());
  EXPECT_FALSE(live.Get("u", 9, 4).has_value());   // below what it holds
  EXPECT_FALSE(live.Get("u", 10, 5).has_value());  // more than it keeps
  // Beyond per_user the oldest go: only reads from after_seq are whole.
  live.Add({{"e14", {"u", "A", EventType::kView, kNow - 30}, 14},
            {"e15", {"u", "A", EventType::kView, kNow - 40}, 15}});
  EXPECT_EQ(seqs(live.Get("u", 10, 4)),
            (std::vector<uint64_t>{14, 13, 12, 11}));
  EXPECT_FALSE(live.Get("u", 11, 4).has_value());
}

// Beyond its budget a state leaves shoppers to the store: still the same
// answers.
TEST(LiveEventsTest, ShoppersBeyondTheBudgetAreReadFromTheStore) {
  MemoryStateStore store;
  ServingOptions small;
  small.live_events_bytes = 2000;  // a dozen events
  auto state = BuildServingState(TinySnapshot(), &store, 0, small);
  ServingOptions none;
  none.live_events_bytes = 0;
  auto read = BuildServingState(TinySnapshot(), &store, 0, none);
  ASSERT_TRUE(state.ok() && read.ok());
  std::vector<LoggedEvent> batch;
  for (int k = 0; k < 60; ++k) {
    LoggedEvent e;
    e.event_id = absl::StrCat("e", k);
    e.event = {absl::StrCat("u", k % 6),
               k % 2 ? "A" : "B",
               EventType::kPurchase,
               kNow + k,
               1.0,
               -1.0};
    batch.push_back(e);
  }
  auto outcomes = store.AppendEvents(batch);
  ASSERT_TRUE(outcomes.ok());
  for (size_t k = 0; k < batch.size(); ++k) batch[k].seq = (*outcomes)[k].seq;
  (*state)->live_events->Add(batch);
  EXPECT_LE((*state)->live_events->bytes(), 2000);
  for (int u = 0; u < 6; ++u) {
    const std::string user = absl::StrCat("u", u);
    auto a = ResolveShopper(**state, &store, user);
    auto b = ResolveShopper(**read, &store, user);
    ASSERT_TRUE(a.ok() && b.ok());
    ExpectSameShopper(*a, *b, user);
    EXPECT_EQ(a->live_events, 10u);
  }
}

}  // namespace
}  // namespace tailor

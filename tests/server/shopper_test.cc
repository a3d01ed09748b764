// ResolveShopper: one shopper as of now, from a snapshot's serving state
// and the events logged since, over an in-memory store.
#include "server/shopper.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/serving_state.h"
#include "storage/memory_state_store.h"
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
  void Log(const std::string& user, const std::string& item, EventType type) {
    LoggedEvent e;
    e.event_id = absl::StrCat("e", ++events_);
    e.event = {user, item, type, kNow + events_, 1.0, -1.0};
    ASSERT_TRUE(store_.AppendEvents({e}).ok());
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

}  // namespace
}  // namespace tailor

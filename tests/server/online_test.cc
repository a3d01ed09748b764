// Shoppers updated between retrains, through a real server on port 0: the
// events a shopper records are added to what training saw of them and
// their vector is folded in against the snapshot's item factors, before
// their next RecommendFor.
#include <cmath>

#include "core/serving/fold_in.h"
#include "gmock/gmock.h"
#include "tests/server/server_fixture.h"

namespace tailor {
namespace {

// Two tastes: A > B > C along the first factor, D > E > F along the second.
// alice likes the first; bob bought A in training. Popularity: F > ... > A.
Snapshot TwoTastes(float scale = 1.0f) {
  Snapshot s = TinySnapshot();
  s.model.item_factors << 3 * scale, 0.1f, 2 * scale, 0.1f, 1 * scale, 0.1f,
      0.1f, 3 * scale, 0.1f, 2 * scale, 0.1f, 1 * scale;
  s.online.fold_in = true;
  s.online.alpha = 1.0f;
  s.online.regularization = 0.5f;
  s.online.frequency_scaling = 0.5f;
  s.online.mean_row_mass = 8.0;
  return s;
}

class OnlineTest : public ServerTest {
 protected:
  void Record(std::vector<v1::Event> events) {
    v1::RecordEventsRequest req;
    for (auto& e : events) *req.add_events() = std::move(e);
    v1::RecordEventsResponse resp;
    grpc::ClientContext ctx;
    grpc::Status s = stub_->RecordEvents(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(resp.invalid(), 0);
  }
  // Expects `resp` to be the personalised ranking of every item not in
  // `excluded` by the fold-in of `activity` against `snapshot`.
  void ExpectFoldedIn(const v1::RecommendResponse& resp,
                      const Snapshot& snapshot,
                      const std::vector<ItemActivity>& activity) {
    const FoldIn fold_in(&snapshot.model.item_factors, snapshot.online);
    const Vector x = fold_in.Solve(activity);
    ASSERT_FALSE(x.isZero(0));
    EXPECT_FALSE(resp.fallback_used());
    float previous = INFINITY;
    for (const v1::RecommendedItem& item : resp.items()) {
      const int32_t i = *snapshot.model.items.Find(item.item_id());
      EXPECT_EQ(item.reason(), v1::REASON_PERSONALIZED) << item.item_id();
      EXPECT_NEAR(item.score(), snapshot.model.item_factors.row(i).dot(x), 1e-5)
          << item.item_id();
      EXPECT_LE(item.score(), previous);
      previous = item.score();
    }
  }
};

TEST_F(OnlineTest, NewShopperIsPersonalisedAfterOneEvent) {
  const Snapshot s = TwoTastes();
  Publish(s);
  StartServer();
  // Unknown: the popularity fallback.
  v1::RecommendResponse before = Ask("carol", 3);
  EXPECT_TRUE(before.fallback_used());
  Record({MakeEvent("c1", "carol", "E", v1::EVENT_TYPE_ADD_TO_CART)});
  v1::RecommendResponse after = Ask("carol", 3);
  EXPECT_THAT(after.items(0).item_id(), "D");
  ExpectFoldedIn(after, s, {{4, 4.0f, 0}});
  // A second event moves the vector again (a purchase: E is excluded).
  Record({MakeEvent("c2", "carol", "E", v1::EVENT_TYPE_PURCHASE)});
  v1::RecommendResponse third = Ask("carol", 5);
  ASSERT_EQ(third.items_size(), 5);
  for (const auto& item : third.items()) EXPECT_NE(item.item_id(), "E");
  ExpectFoldedIn(third, s, {{4, 12.0f, 1}});
}

TEST_F(OnlineTest, KnownShoppersVectorFollowsTheirNewEvents) {
  const Snapshot s = TwoTastes();
  Publish(s);
  StartServer();
  EXPECT_EQ(Ids("alice"), (std::vector<std::string>{"A", "B", "C"}));
  Record({MakeEvent("a1", "alice", "D", v1::EVENT_TYPE_PURCHASE),
          MakeEvent("a2", "alice", "E", v1::EVENT_TYPE_PURCHASE),
          MakeEvent("a3", "alice", "F", v1::EVENT_TYPE_ADD_TO_CART)});
  v1::RecommendResponse resp = Ask("alice", 3);
  // alice had no training history: only the new events count.
  ExpectFoldedIn(resp, s, {{3, 8.0f, 1}, {4, 8.0f, 1}, {5, 4.0f, 0}});
  EXPECT_EQ(resp.items(0).item_id(), "F");
}

TEST_F(OnlineTest, AReturnBringsThePurchasedItemBack) {
  const Snapshot s = TwoTastes();
  Publish(s);
  StartServer();
  // bob bought A in training: excluded.
  EXPECT_THAT(Ids("bob", 6), ::testing::Not(::testing::Contains("A")));
  Record({MakeEvent("b1", "bob", "A", v1::EVENT_TYPE_RETURN)});
  const std::vector<std::string> after = Ids("bob", 6);
  EXPECT_THAT(after, ::testing::Contains("A"));
  // Training's A (8, one purchase) and B (1) plus the return (-6).
  ExpectFoldedIn(Ask("bob", 6), s, {{0, 2.0f, 0}, {1, 1.0f, 0}});
}

TEST_F(OnlineTest, FoldedInShoppersStayPersonalisedAcrossASwap) {
  const Snapshot first = TwoTastes();
  Publish(first);
  StartServer();
  Record({MakeEvent("c1", "carol", "B", v1::EVENT_TYPE_PURCHASE)});
  ExpectFoldedIn(Ask("carol", 3), first, {{1, 8.0f, 1}});
  // A retrain that did not see carol (trained from files only).
  const Snapshot second = TwoTastes(2.0f);
  Publish(second);
  ASSERT_TRUE(server_->RefreshSnapshot().ok());
  v1::RecommendResponse resp = Ask("carol", 3);
  EXPECT_EQ(resp.model_version(), "00000002");
  ExpectFoldedIn(resp, second, {{1, 8.0f, 1}});
}

TEST_F(OnlineTest, EventsTheSnapshotIncludesAreNotCountedTwice) {
  Publish(TwoTastes());
  StartServer();
  Record({MakeEvent("c1", "carol", "D", v1::EVENT_TYPE_PURCHASE)});
  // A retrain that read the event log through sequence 1: carol is in the
  // model with the purchase in her training history.
  Snapshot trained = TwoTastes();
  trained.model.users = IdMap({"alice", "bob", "carol"});
  trained.model.user_factors.resize(3, 2);
  trained.model.user_factors << 1, 0, 1, 0, 0.25f, 0.5f;
  trained.history.row_ptr = {0, 0, 2, 3};
  trained.history.item = {0, 1, 3};
  trained.history.flags = {kInteracted | kPurchased, kInteracted,
                           kInteracted | kPurchased};
  trained.history.weight_sum = {8.0f, 1.0f, 8.0f};
  trained.history.net_purchases = {1, 0, 1};
  trained.online.event_log_seq = 1;
  Publish(trained);
  ASSERT_TRUE(server_->RefreshSnapshot().ok());
  // No live events above her history: the trained vector, D excluded once.
  v1::RecommendResponse resp = Ask("carol", 2);
  ASSERT_EQ(resp.items_size(), 2);
  EXPECT_EQ(resp.items(0).item_id(), "E");
  EXPECT_FLOAT_EQ(resp.items(0).score(), 0.25f * 0.1f + 0.5f * 2.0f);
  // A later event is added to the training row, not to nothing.
  Record({MakeEvent("c2", "carol", "A", v1::EVENT_TYPE_VIEW)});
  ExpectFoldedIn(Ask("carol", 3), trained, {{0, 1.0f, 0}, {3, 8.0f, 1}});
}

// A snapshot whose tuned model did not beat popularity on validation is
// served as popularity for everyone: model users and shoppers with new
// events alike; similar items still come from the item embeddings.
TEST_F(OnlineTest, ASnapshotMarkedForThePopularityFallbackPersonalisesNobody) {
  Snapshot s = TwoTastes();
  s.online.popularity_fallback = true;
  Publish(s);
  StartServer();
  Record({MakeEvent("c1", "carol", "A", v1::EVENT_TYPE_ADD_TO_CART)});
  for (const char* user : {"alice", "carol", "nobody"}) {
    const v1::RecommendResponse resp = Ask(user, 3);
    EXPECT_TRUE(resp.fallback_used()) << user;
    ASSERT_EQ(resp.items_size(), 3) << user;
    // Popularity: F > E > D.
    EXPECT_EQ(resp.items(0).item_id(), "F") << user;
    EXPECT_EQ(resp.items(1).item_id(), "E") << user;
    for (const v1::RecommendedItem& item : resp.items()) {
      EXPECT_EQ(item.reason(), v1::REASON_POPULAR) << user;
    }
  }
  v1::SimilarItemsRequest similar;
  similar.set_item_id("A");
  similar.set_count(1);
  v1::SimilarItemsResponse neighbours;
  grpc::ClientContext ctx;
  ASSERT_TRUE(stub_->SimilarItems(&ctx, similar, &neighbours).ok());
  ASSERT_EQ(neighbours.items_size(), 1);
  EXPECT_EQ(neighbours.items(0).item_id(), "B");
  // The unmarked model personalises alice.
  s.online.popularity_fallback = false;
  Publish(s);
  ASSERT_TRUE(server_->RefreshSnapshot().ok());
  EXPECT_FALSE(Ask("alice", 3).fallback_used());
}

}  // namespace
}  // namespace tailor

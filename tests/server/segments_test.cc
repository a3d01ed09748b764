// GetSegment, ListSegments and TargetAudience, and the segment cold start of
// RecommendFor, through a real server on port 0 and real stubs.
#include <functional>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/customers/live_profile.h"
#include "gmock/gmock.h"
#include "tests/customer_records.h"
#include "tests/server/server_fixture.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;

// alice, bob, carol, then c03..c29: 30 customers in 2 clusters. carol has
// a profile but no embedding; cluster 0's popular items are C and D.
Snapshot SegmentedSnapshot(float scale = 1.0f) {
  Snapshot s = TinySnapshot(scale);
  std::vector<std::string> ids = {"alice", "bob", "carol"};
  for (int u = 3; u < 30; ++u) ids.push_back(absl::StrCat("c", u / 10, u % 10));
  s.segments = testing::MakeCustomerSegments(ids, 2, {{2, 3}, {4}});
  return s;
}

class SegmentsTest : public ServerTest {
 protected:
  grpc::Status GetSegment(const std::string& user, v1::Segment* out) {
    grpc::ClientContext ctx;
    v1::GetSegmentRequest req;
    req.set_user_id(user);
    return stub_->GetSegment(&ctx, req, out);
  }
  grpc::Status Audience(const v1::TargetAudienceRequest& req,
                        v1::TargetAudienceResponse* out) {
    grpc::ClientContext ctx;
    return stub_->TargetAudience(&ctx, req, out);
  }
  // Every member of the audience with `order` (and the RFM segment, when
  // given), every page.
  std::vector<v1::AudienceMember> Members(v1::AudienceOrder order,
                                          const std::string& rfm = "") {
    v1::TargetAudienceRequest req;
    req.set_order_by(order);
    if (!rfm.empty()) req.add_rfm_segments(rfm);
    req.set_page_size(7);
    std::vector<v1::AudienceMember> out;
    for (int page = 0; page < 100; ++page) {
      v1::TargetAudienceResponse resp;
      grpc::Status s = Audience(req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      out.insert(out.end(), resp.members().begin(), resp.members().end());
      if (!s.ok() || resp.next_page_token().empty()) break;
      req.set_page_token(resp.next_page_token());
    }
    return out;
  }
  // The users of ListSegments's RFM segment `name`.
  int64_t SegmentUsers(const std::string& name) {
    grpc::ClientContext ctx;
    v1::ListSegmentsResponse resp;
    EXPECT_TRUE(stub_->ListSegments(&ctx, {}, &resp).ok());
    for (const auto& s : resp.rfm_segments()) {
      if (s.name() == name) return s.users();
    }
    return -1;
  }
};

// Whether `members` lists `user`; its entry in `*found`.
bool Lists(const std::vector<v1::AudienceMember>& members,
           const std::string& user, v1::AudienceMember* found = nullptr) {
  for (const v1::AudienceMember& m : members) {
    if (m.user_id() != user) continue;
    if (found != nullptr) *found = m;
    return true;
  }
  return false;
}

// A purchase moves a customer to another RFM segment at once for GetSegment
// and, a moment later, for TargetAudience and ListSegments: the audience of
// their old segment no longer lists them, the new one does, with the live
// segment and spend; the spend order places them by it. The same after a
// restart (the live records are rebuilt from the event log).
TEST_F(SegmentsTest, AudiencesAndSummariesFollowRecordedPurchases) {
  Publish(SegmentedSnapshot());
  StartServer();
  v1::Segment before;
  ASSERT_TRUE(GetSegment("c20", &before).ok());
  const std::string old_segment = before.rfm().segment();
  const int64_t old_count = SegmentUsers(old_segment);
  ASSERT_TRUE(Lists(
      Members(v1::AUDIENCE_ORDER_PURCHASE_PROPENSITY, old_segment), "c20"));

  v1::Event sale =
      MakeEvent("s1", "c20", "A", v1::EVENT_TYPE_PURCHASE, 1767225600 + 3600);
  sale.set_price(900);
  v1::RecordEventsRequest req;
  *req.add_events() = sale;
  {
    grpc::ClientContext ctx;
    v1::RecordEventsResponse resp;
    ASSERT_TRUE(stub_->RecordEvents(&ctx, req, &resp).ok());
    ASSERT_EQ(resp.recorded(), 1);
  }
  v1::Segment after;
  ASSERT_TRUE(GetSegment("c20", &after).ok());
  const std::string new_segment = after.rfm().segment();
  ASSERT_NE(new_segment, old_segment);

  for (int restart = 0; restart < 2; ++restart) {
    SCOPED_TRACE(restart ? "after a restart" : "while running");
    v1::AudienceMember member;
    bool moved = false;
    for (int attempt = 0; attempt < 1000 && !moved; ++attempt) {
      moved =
          Lists(Members(v1::AUDIENCE_ORDER_PURCHASE_PROPENSITY, new_segment),
                "c20", &member);
      if (!moved) absl::SleepFor(absl::Milliseconds(10));
    }
    ASSERT_TRUE(moved) << "c20 never joined " << new_segment;
    EXPECT_EQ(member.rfm_segment(), new_segment);
    EXPECT_DOUBLE_EQ(member.net_spend(), after.profile().net_spend());
    EXPECT_FALSE(
        Lists(Members(v1::AUDIENCE_ORDER_CHURN_RISK, old_segment), "c20"));
    EXPECT_EQ(SegmentUsers(old_segment), old_count - 1);
    // By spend: c20 is now the biggest spender, and the order holds.
    const std::vector<v1::AudienceMember> by_spend =
        Members(v1::AUDIENCE_ORDER_MONETARY);
    ASSERT_EQ(by_spend.size(), 30u);
    EXPECT_EQ(by_spend.front().user_id(), "c20");
    for (size_t k = 1; k < by_spend.size(); ++k) {
      EXPECT_GE(by_spend[k - 1].net_spend(), by_spend[k].net_spend()) << k;
    }
    StopServer();
    StartServer();
  }
}

TEST_F(SegmentsTest, GetSegmentReturnsTheWholePortrait) {
  Publish(SegmentedSnapshot());
  StartServer();
  v1::Segment carol;
  grpc::Status s = GetSegment("carol", &carol);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const CustomerRecord expected =
      testing::MakeCustomerSegments({"a", "b", "carol"}, 2).records[2];
  EXPECT_EQ(carol.user_id(), "carol");
  EXPECT_EQ(carol.model_version(), "00000001");
  ASSERT_TRUE(carol.has_rfm());
  EXPECT_EQ(carol.rfm().recency(), expected.rfm->r);
  EXPECT_EQ(carol.rfm().frequency(), expected.rfm->f);
  EXPECT_EQ(carol.rfm().monetary(), expected.rfm->m);
  EXPECT_EQ(carol.rfm().segment(), RfmSegmentName(expected.rfm->segment));
  EXPECT_EQ(carol.cluster_id(), 0);
  EXPECT_EQ(carol.cluster_descriptor(), "cluster 0, premium");
  EXPECT_FLOAT_EQ(carol.purchase_propensity(), 2.0f / 30);
  EXPECT_FLOAT_EQ(carol.churn_risk(), 1.0f - 2.0f / 30);
  EXPECT_EQ(carol.profile().orders(), expected.profile.orders);
  EXPECT_DOUBLE_EQ(carol.profile().net_spend(), expected.profile.net());
  EXPECT_DOUBLE_EQ(carol.profile().recency_days(), 2.0);
  ASSERT_EQ(carol.top_categories_size(), 2);
  EXPECT_EQ(carol.top_categories(0).value(), "outerwear");
  EXPECT_FLOAT_EQ(carol.top_categories(0).share(), 0.6f);
  EXPECT_EQ(carol.top_colors_size(), 3);
  EXPECT_EQ(carol.top_sizes(0).value(), "M");
  EXPECT_EQ(carol.top_price_bands(0).value(), "premium");
  EXPECT_EQ(carol.profile_as_of_unix(), 1767225600);

  // alice never ordered: no RFM, no churn risk, no recency.
  v1::Segment alice;
  ASSERT_TRUE(GetSegment("alice", &alice).ok());
  EXPECT_FALSE(alice.has_rfm());
  EXPECT_FALSE(alice.has_churn_risk());
  EXPECT_TRUE(alice.has_purchase_propensity());
  EXPECT_FALSE(alice.profile().has_recency_days());
}

// Purchases recorded after the snapshot move the counters and the RFM
// scores (against the snapshot's customers) at once.
TEST_F(SegmentsTest, RecordedPurchasesUpdateTheProfileAndRfm) {
  const Snapshot snapshot = SegmentedSnapshot();
  Publish(snapshot);
  StartServer();
  auto record = [&](const std::string& id, const std::string& user,
                    const std::string& item, v1::EventType type) {
    v1::RecordEventsRequest req;
    v1::Event* e = req.add_events();
    e->set_event_id(id);
    e->set_user_id(user);
    e->set_item_id(item);
    e->set_type(type);
    e->set_timestamp(1767225600 + 86400);
    v1::RecordEventsResponse resp;
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->RecordEvents(&ctx, req, &resp).ok());
    ASSERT_EQ(resp.recorded(), 1);
  };
  std::vector<RfmValues> base;
  for (const CustomerRecord& r : snapshot.segments.records) {
    if (r.rfm.has_value()) base.push_back(RfmValuesOf(r.profile));
  }
  const RfmScorer scorer(base);

  record("p1", "carol", "A", v1::EVENT_TYPE_PURCHASE);  // a 149.99 coat
  v1::Segment carol;
  ASSERT_TRUE(GetSegment("carol", &carol).ok());
  const UserProfile& before = snapshot.segments.records[2].profile;
  EXPECT_EQ(carol.events_since_profile(), 1);
  EXPECT_EQ(carol.profile().orders(), before.orders + 1);
  EXPECT_DOUBLE_EQ(carol.profile().net_spend(), before.net() + 149.99);
  EXPECT_DOUBLE_EQ(carol.profile().recency_days(), 0);
  const RfmScores expected =
      scorer.Score({0, before.orders + 1, before.net() + 149.99});
  EXPECT_EQ(carol.rfm().recency(), expected.r);
  EXPECT_EQ(carol.rfm().frequency(), expected.f);
  EXPECT_EQ(carol.rfm().monetary(), expected.m);
  EXPECT_EQ(carol.rfm().segment(), RfmSegmentName(expected.segment));
  EXPECT_EQ(carol.cluster_id(), 0);  // clusters wait for the next snapshot

  // A shopper the snapshot never saw becomes a customer with one purchase.
  v1::Segment dave;
  EXPECT_EQ(GetSegment("dave", &dave).error_code(),
            grpc::StatusCode::NOT_FOUND);
  record("p2", "dave", "F", v1::EVENT_TYPE_PURCHASE);
  ASSERT_TRUE(GetSegment("dave", &dave).ok());
  EXPECT_EQ(dave.profile().orders(), 1);
  EXPECT_DOUBLE_EQ(dave.profile().net_spend(), 9.99);
  EXPECT_EQ(dave.cluster_id(), -1);
  EXPECT_FALSE(dave.has_purchase_propensity());
  ASSERT_TRUE(dave.has_rfm());
  EXPECT_EQ(dave.rfm().segment(),
            RfmSegmentName(scorer.Score({0, 1, 9.99}).segment));
}

TEST_F(SegmentsTest, UnknownAndBadUsersAreClearErrors) {
  Publish(SegmentedSnapshot());
  StartServer();
  v1::Segment out;
  grpc::Status s = GetSegment("nobody", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("'nobody' has no customer profile"));
  s = GetSegment("", &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "user_id: must not be empty");
  s = GetSegment(std::string(129, 'u'), &out);
  EXPECT_EQ(s.error_message(), "user_id: is 129 bytes long, the limit is 128");
}

TEST_F(SegmentsTest, ListSegmentsSumsToTheCustomerBase) {
  Publish(SegmentedSnapshot());
  StartServer();
  grpc::ClientContext ctx;
  v1::ListSegmentsResponse resp;
  ASSERT_TRUE(stub_->ListSegments(&ctx, {}, &resp).ok());
  ASSERT_EQ(resp.rfm_segments_size(), 11);
  EXPECT_EQ(resp.rfm_segments(0).name(), "Champions");
  EXPECT_EQ(resp.rfm_segments(10).name(), "Lost");
  int64_t rfm = 0;
  for (const auto& seg : resp.rfm_segments()) {
    rfm += seg.users();
    EXPECT_EQ(seg.cluster_id(), -1);
  }
  EXPECT_EQ(rfm, 30 - 5);  // alice, c07, c14, c21, c28 are visitors
  ASSERT_EQ(resp.clusters_size(), 2);
  EXPECT_EQ(resp.clusters(1).name(), "cluster 1, premium");
  EXPECT_EQ(resp.clusters(0).users() + resp.clusters(1).users(), 30);
  EXPECT_TRUE(resp.clusters(0).has_mean_purchase_propensity());
  EXPECT_EQ(resp.users(), 30);
  EXPECT_EQ(resp.model_version(), "00000001");
}

TEST_F(SegmentsTest, AudiencePagesVisitEveryMatchOnceInOrder) {
  Publish(SegmentedSnapshot());
  StartServer();
  v1::TargetAudienceRequest req;
  req.add_cluster_ids(1);
  req.set_min_churn_risk(0.2f);
  req.set_order_by(v1::AUDIENCE_ORDER_CHURN_RISK);
  req.set_page_size(4);
  std::vector<std::string> got;
  std::vector<float> churn;
  int64_t total = -1;
  for (int page = 0; page < 20; ++page) {
    v1::TargetAudienceResponse resp;
    grpc::Status s = Audience(req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_LE(resp.members_size(), 4);
    total = resp.total_size();
    for (const auto& m : resp.members()) {
      got.push_back(m.user_id());
      churn.push_back(m.churn_risk());
      EXPECT_EQ(m.cluster_id(), 1);
      EXPECT_FALSE(m.rfm_segment().empty());
    }
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  // Cluster 1 = odd indexes; churn 1 - u/30 >= 0.2 means u <= 24; minus the
  // visitors 7 and 21: 1, 3, 5, 9, ..., 23 (11 users).
  std::vector<std::string> expected;
  for (int u = 1; u <= 24; u += 2) {
    if (u % 7 == 0) continue;
    expected.push_back(u == 1 ? "bob" : absl::StrCat("c", u / 10, u % 10));
  }
  EXPECT_EQ(got, expected);  // highest churn risk (lowest index) first
  EXPECT_EQ(total, 10);
  EXPECT_TRUE(std::is_sorted(churn.rbegin(), churn.rend()));
}

TEST_F(SegmentsTest, BadAudienceRequestsNameTheirField) {
  Publish(SegmentedSnapshot());
  StartServer();
  struct Case {
    std::function<void(v1::TargetAudienceRequest*)> mutate;
    grpc::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](auto* r) { r->add_rfm_segments("Champs"); },
       grpc::StatusCode::INVALID_ARGUMENT,
       "rfm_segments[0]: 'Champs' is not an RFM segment"},
      {[](auto* r) { r->add_cluster_ids(2); },
       grpc::StatusCode::INVALID_ARGUMENT,
       "cluster_ids: 2 is not a cluster (there are 2)"},
      {[](auto* r) { r->add_cluster_ids(-1); },
       grpc::StatusCode::INVALID_ARGUMENT, "cluster_ids[0]: must be >= 0"},
      {[](auto* r) { r->set_min_purchase_propensity(1.01f); },
       grpc::StatusCode::INVALID_ARGUMENT,
       "min_purchase_propensity: must be between 0 and 1"},
      {[](auto* r) { r->set_min_churn_risk(std::nanf("")); },
       grpc::StatusCode::INVALID_ARGUMENT,
       "min_churn_risk: must be between 0 and 1"},
      {[](auto* r) { r->set_page_size(0); }, grpc::StatusCode::INVALID_ARGUMENT,
       "page_size: must be between 1 and 10000, got 0"},
      {[](auto* r) { r->set_order_by(static_cast<v1::AudienceOrder>(9)); },
       grpc::StatusCode::INVALID_ARGUMENT,
       "order_by: 9 is not an AudienceOrder"},
      {[](auto* r) { r->set_page_token("garbage"); },
       grpc::StatusCode::INVALID_ARGUMENT,
       "page_token: not a token this service issued"},
  };
  for (const Case& c : cases) {
    v1::TargetAudienceRequest req;
    c.mutate(&req);
    v1::TargetAudienceResponse resp;
    grpc::Status s = Audience(req, &resp);
    EXPECT_EQ(s.error_code(), c.code) << c.message;
    EXPECT_THAT(s.error_message(), HasSubstr(c.message));
  }
}

TEST_F(SegmentsTest, PageTokensAreBoundToFiltersAndModelVersion) {
  Publish(SegmentedSnapshot());
  StartServer();
  v1::TargetAudienceRequest req;
  req.add_rfm_segments("Champions");
  req.add_rfm_segments("Loyal");
  req.set_page_size(1);
  v1::TargetAudienceResponse first;
  ASSERT_TRUE(Audience(req, &first).ok());
  ASSERT_FALSE(first.next_page_token().empty());

  v1::TargetAudienceRequest other = req;
  other.set_page_token(first.next_page_token());
  other.clear_rfm_segments();
  other.add_rfm_segments("Loyal");
  v1::TargetAudienceResponse resp;
  grpc::Status s = Audience(other, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("other filters"));

  // The page size may change between pages.
  req.set_page_token(first.next_page_token());
  req.set_page_size(100);
  ASSERT_TRUE(Audience(req, &resp).ok());
  EXPECT_EQ(resp.members_size() + 1, first.total_size());

  Publish(SegmentedSnapshot(2.0f));
  ASSERT_TRUE(server_->RefreshSnapshot().ok());
  s = Audience(req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_THAT(s.error_message(), HasSubstr("start again"));
}

TEST_F(SegmentsTest, KnownCustomerWithoutEmbeddingGetsTheSegmentsItems) {
  Publish(SegmentedSnapshot());
  StartServer();
  v1::RecommendResponse carol = Ask("carol", 3);
  EXPECT_TRUE(carol.fallback_used());
  ASSERT_EQ(carol.items_size(), 3);
  EXPECT_EQ(carol.items(0).item_id(), "C");
  EXPECT_EQ(carol.items(0).reason(), v1::REASON_SEGMENT_POPULAR);
  EXPECT_EQ(carol.items(1).item_id(), "D");
  EXPECT_EQ(carol.items(1).reason(), v1::REASON_SEGMENT_POPULAR);
  EXPECT_EQ(carol.items(2).item_id(), "F");  // then the most popular item
  EXPECT_EQ(carol.items(2).reason(), v1::REASON_POPULAR);
  // A stranger gets the global popular list; alice stays personalised.
  v1::RecommendResponse stranger = Ask("stranger", 2);
  EXPECT_EQ(stranger.items(0).item_id(), "F");
  EXPECT_EQ(stranger.items(0).reason(), v1::REASON_POPULAR);
  EXPECT_EQ(Ask("alice", 1).items(0).reason(), v1::REASON_PERSONALIZED);
}

TEST_F(SegmentsTest, SnapshotWithoutSegmentsSaysSo) {
  Publish(TinySnapshot());
  StartServer();
  grpc::ClientContext ctx;
  v1::ListSegmentsResponse resp;
  grpc::Status s = stub_->ListSegments(&ctx, {}, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("has no customer segments"));
  v1::Segment seg;
  EXPECT_EQ(GetSegment("alice", &seg).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace tailor

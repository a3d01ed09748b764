#include "tools/cli/client.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/customer_records.h"
#include "tests/server/server_fixture.h"
#include "tests/test_util.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;

TEST(LatencyReportTest, NearestRankPercentiles) {
  LatencyReport r;
  EXPECT_EQ(r.Percentile(0.5), 0);
  for (int i = 100; i >= 1; --i) r.micros.push_back(i);
  std::sort(r.micros.begin(), r.micros.end());
  EXPECT_EQ(r.Percentile(0.50), 50);
  EXPECT_EQ(r.Percentile(0.90), 90);
  EXPECT_EQ(r.Percentile(0.99), 99);
  EXPECT_EQ(r.Percentile(1.0), 100);
  EXPECT_EQ(r.Percentile(0.001), 1);
  LatencyReport one;
  one.micros = {7};
  EXPECT_EQ(one.Percentile(0.99), 7);
}

class CliClientTest : public ServerTest {
 protected:
  TailorClient Client() { return TailorClient(channel_, absl::Seconds(10)); }
};

TEST_F(CliClientTest, RecommendAndFormat) {
  Publish(TinySnapshot());
  StartServer();
  v1::RecommendRequest req;
  req.set_user_id("alice");
  req.set_count(2);
  auto resp = Client().Recommend(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  const std::string table = FormatRecommendations("alice", *resp);
  EXPECT_THAT(table, HasSubstr("user alice: 2 items from model 00000001 "
                               "(personalised)"));
  EXPECT_THAT(table, HasSubstr("Wool Coat"));
  EXPECT_THAT(table, HasSubstr("149.99"));
  req.set_count(0);
  auto bad = Client().Recommend(req);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("count"));
}

TEST_F(CliClientTest, SimilarAndTogetherAndFormat) {
  Snapshot s = TinySnapshot();
  s.rules.num_baskets = 20;
  s.rules.rules = {{{0}, 5, 4, 0.5f, 2.5f}};  // A -> F
  Publish(s);
  StartServer();
  v1::BoughtTogetherRequest together;
  together.add_item_ids("A");
  auto t = Client().Together(together);
  ASSERT_TRUE(t.ok()) << t.status();
  const std::string table = FormatTogether({"A"}, *t);
  EXPECT_THAT(table, HasSubstr("bought together with A: 1 items"));
  EXPECT_THAT(table, HasSubstr("Basic Tee"));
  EXPECT_THAT(table,
              HasSubstr("together after A: 4 of 20 baskets, confidence 0.50"));
  v1::SimilarItemsRequest similar;
  similar.set_item_id("A");
  similar.set_count(2);
  auto sim = Client().Similar(similar);
  ASSERT_TRUE(sim.ok()) << sim.status();
  EXPECT_EQ(sim->items_size(), 2);
  EXPECT_THAT(FormatSimilar("A", *sim), HasSubstr("similar to A: 2 items"));
  similar.set_item_id("missing");
  EXPECT_EQ(Client().Similar(similar).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(CliClientTest, HealthFollowsTheModel) {
  StartServer();
  EXPECT_EQ(*Client().HealthStatus(""), "NOT_SERVING");
  Publish(TinySnapshot());
  ASSERT_TRUE(server_->RefreshSnapshot().ok());
  EXPECT_EQ(*Client().HealthStatus(""), "SERVING");
}

TEST_F(CliClientTest, LatencyRunCountsCallsAndErrors) {
  Publish(TinySnapshot());
  StartServer();
  auto report = Client().MeasureLatency({"alice", "stranger"}, 50, 3, 5);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->micros.size(), 50u);
  EXPECT_EQ(report->calls, 55);
  EXPECT_EQ(report->errors, 0);
  EXPECT_TRUE(std::is_sorted(report->micros.begin(), report->micros.end()));
  EXPECT_GT(report->Percentile(0.5), 0);
  // An invalid user id fails every call, and the run says so.
  auto failing = Client().MeasureLatency({""}, 10, 3, 0);
  ASSERT_TRUE(failing.ok());
  EXPECT_EQ(failing->errors, 10);
  EXPECT_EQ(Client().MeasureLatency({}, 10, 3, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CliClientTest, SegmentsAudienceAndTheirFormats) {
  Snapshot s = TinySnapshot();
  std::vector<std::string> ids = {"alice", "bob", "carol"};
  for (int u = 3; u < 25; ++u) ids.push_back(absl::StrCat("c,", u));
  s.segments = testing::MakeCustomerSegments(ids, 2, {{2}, {3}});
  Publish(s);
  StartServer();
  auto bob = Client().Segment("bob");
  ASSERT_TRUE(bob.ok()) << bob.status();
  const std::string portrait = FormatSegment(*bob);
  EXPECT_THAT(portrait, HasSubstr("user bob (model 00000001, profile as of "
                                  "2026-01-01)"));
  EXPECT_THAT(portrait, HasSubstr("cluster      1: cluster 1, premium"));
  EXPECT_THAT(portrait, HasSubstr("categories   outerwear 60%, knitwear 30%"));
  EXPECT_THAT(portrait, HasSubstr("churn risk 0.960"));
  EXPECT_EQ(Client().Segment("nobody").status().code(),
            absl::StatusCode::kNotFound);

  auto list = Client().ListSegments();
  ASSERT_TRUE(list.ok()) << list.status();
  const std::string table = FormatSegmentList(*list);
  EXPECT_THAT(table, HasSubstr("25 profiled users"));
  EXPECT_THAT(table, HasSubstr("Can't Lose Them"));

  // Every page, in order; ids with commas are quoted in the CSV.
  v1::TargetAudienceRequest req;
  req.set_order_by(v1::AUDIENCE_ORDER_MONETARY);
  req.set_page_size(4);
  auto all = Client().WholeAudience(req);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 25u);
  EXPECT_EQ(all->front().user_id(), "c,24");
  EXPECT_EQ(all->back().user_id(), "alice");
  const std::string csv = FormatAudienceCsv(*all);
  EXPECT_THAT(csv, HasSubstr("user_id,purchase_propensity,churn_risk,"
                             "rfm_segment,cluster_id,net_spend\n"
                             "\"c,24\",0.9600,0.0400,"));
  // alice is a visitor: no churn risk, no RFM segment.
  EXPECT_THAT(csv, HasSubstr("\nalice,0.0000,,,0,0.00\n"));
  auto page = Client().Audience(req);
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(FormatAudiencePage(*page),
              HasSubstr("4 of 25 matching users (model 00000001)"));
  EXPECT_THAT(FormatAudiencePage(*page), HasSubstr("next page: --page_token="));
}

TEST_F(CliClientTest, CatalogUpsertsInBatchesAndCountsTheAnswers) {
  Publish(TinySnapshot());
  StartServer();
  std::vector<Item> items;
  for (int i = 0; i < 2500; ++i) {
    items.push_back({absl::StrCat("N", i),
                     "Tee",
                     "tops",
                     "B",
                     "white",
                     10.0 + i % 7,
                     {"S", "M"},
                     true,
                     {i % 3, 1}});
  }
  items.push_back({"BAD", "Tee", "tops", "B", "white", -5, {}, true});
  const std::vector<v1::UpdateCatalogRequest> requests = CatalogUpserts(items);
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].changes_size(), 1000);
  EXPECT_EQ(requests[2].changes_size(), 501);
  EXPECT_EQ(requests[0].changes(1).upsert().sizes(0).units(), 1);
  CatalogTotals totals;
  for (const auto& req : requests) {
    auto resp = Client().UpdateCatalog(req);
    ASSERT_TRUE(resp.ok()) << resp.status();
    totals.Add(req, *resp);
  }
  EXPECT_EQ(totals.applied, 2500);
  EXPECT_EQ(totals.invalid, 1);
  EXPECT_EQ(FormatCatalogTotals(totals),
            "applied 2500, unchanged 0, stale 0, invalid 1\n"
            "  BAD: upsert.price: must be a finite number >= 0, got -5\n");
  // Sent again: nothing changes.
  totals = CatalogTotals();
  for (const auto& req : requests)
    totals.Add(req, *Client().UpdateCatalog(req));
  EXPECT_EQ(totals.unchanged, 2500);
}

// Served lists scored as eval scores offline: alice (no history) gets
// A, B; bob (bought A, viewed B) gets B, C, or C, D when views are excluded
// too; carol is unknown and gets popularity: F, E.
TEST_F(CliClientTest, ScoreServedScoresEveryShoppersListAgainstTheHeldOut) {
  Snapshot s = TinySnapshot();
  s.history.flags[1] |= TypeFlag(EventType::kView);  // bob viewed B
  Publish(s);
  StartServer();
  const std::vector<HeldOut> held_out = {
      {"alice", {"A", "C"}}, {"bob", {"C"}}, {"carol", {"F"}}};
  v1::RecommendRequest req;
  req.set_count(2);
  req.set_exclude_seen(true);
  auto score = Client().ScoreServed(held_out, req);
  ASSERT_TRUE(score.ok()) << score.status();
  EXPECT_EQ(score->shoppers, 3);
  EXPECT_EQ(score->fallback_lists, 1);
  const double at2 = 1 / std::log2(3.0);  // the discount of rank 2
  EXPECT_NEAR(score->metrics.precision, 0.5, 1e-9);
  EXPECT_NEAR(score->metrics.recall, (0.5 + 1 + 1) / 3, 1e-9);
  EXPECT_NEAR(score->metrics.ndcg, (1 / (1 + at2) + at2 + 1) / 3, 1e-9);
  EXPECT_NEAR(score->metrics.map, (0.5 + 0.5 + 1) / 3, 1e-9);
  EXPECT_NEAR(score->coverage, 5.0 / 6, 1e-9);  // A, B, C, E, F of six
  // Per-shopper NDCG 0.6131, 0.6309, 1: sample sd 0.2184, over sqrt(3).
  EXPECT_NEAR(score->ndcg_standard_error, 0.12609, 1e-4);
  EXPECT_THAT(FormatServedScore(*score, 2),
              HasSubstr("NDCG@2 0.7480 (+-0.1261)"));
  EXPECT_THAT(ServedScoreJson(*score, 2), HasSubstr("\"shoppers\":3"));
  // Views excluded too: bob's list is C, D.
  req.add_also_exclude_types(v1::EVENT_TYPE_VIEW);
  score = Client().ScoreServed(held_out, req);
  ASSERT_TRUE(score.ok()) << score.status();
  EXPECT_NEAR(score->metrics.ndcg, (1 / (1 + at2) + 1 + 1) / 3, 1e-9);
  // A failing call stops the run, naming the shopper.
  req.set_count(0);
  EXPECT_THAT(Client().ScoreServed(held_out, req).status().message(),
              HasSubstr("count"));
  req.set_count(2);
  req.set_size(std::string(300, 'x'));  // longer than any id may be
  EXPECT_THAT(Client().ScoreServed(held_out, req).status().message(),
              HasSubstr("RecommendFor 'alice'"));
}

TEST(ReadHeldOutCsvTest, GroupsByShopperAndNamesBadLines) {
  testing::TempDir dir;
  testing::WriteTextFile(dir.Join("t.csv"),
                         "user_id,item_id\nu1,A\nu2,B\nu1,C\n");
  auto held_out = ReadHeldOutCsv(dir.Join("t.csv"));
  ASSERT_TRUE(held_out.ok()) << held_out.status();
  ASSERT_EQ(held_out->size(), 2u);
  EXPECT_EQ((*held_out)[0].user_id, "u1");
  EXPECT_EQ((*held_out)[0].item_ids, (std::vector<std::string>{"A", "C"}));
  EXPECT_EQ((*held_out)[1].item_ids, (std::vector<std::string>{"B"}));
  testing::WriteTextFile(dir.Join("bad.csv"), "user_id,item_id\nu1,A\nu2\n");
  EXPECT_THAT(ReadHeldOutCsv(dir.Join("bad.csv")).status().message(),
              HasSubstr("bad.csv:3: expected a user_id and an item_id"));
  testing::WriteTextFile(dir.Join("header.csv"), "user,item\nu1,A\n");
  EXPECT_THAT(ReadHeldOutCsv(dir.Join("header.csv")).status().message(),
              HasSubstr("header.csv:1: header"));
  testing::WriteTextFile(dir.Join("empty.csv"), "user_id,item_id\n");
  EXPECT_THAT(ReadHeldOutCsv(dir.Join("empty.csv")).status().message(),
              HasSubstr("no held-out pair"));
  EXPECT_EQ(ReadHeldOutCsv(dir.Join("missing.csv")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(CliClientNoServerTest, UnreachableServerIsAnError) {
  TailorClient client(
      grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials()),
      absl::Milliseconds(500));
  EXPECT_EQ(client.HealthStatus("").status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace tailor

namespace tailor {
namespace {

class CliAdminTest : public ServerTest {
 protected:
  TailorClient Client() { return TailorClient(channel_, absl::Seconds(10)); }
};

TEST_F(CliAdminTest, RecordModelSnapshotsActivateRollbackAndFormats) {
  Publish(TinySnapshot(1.0f));
  Publish(TinySnapshot(2.0f));
  StartServer();
  v1::RecordEventsRequest req;
  v1::Event* e = req.add_events();
  e->set_event_id("cli-1");
  e->set_user_id("zoe");
  e->set_item_id("A");
  e->set_type(v1::EVENT_TYPE_ADD_TO_CART);
  e->set_timestamp(1767225600);
  auto recorded = Client().Record(req);
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  EXPECT_EQ(FormatRecorded(req, *recorded),
            "recorded: zoe add_to_cart A (event cli-1, sequence 1)\n");
  recorded = Client().Record(req);
  EXPECT_EQ(FormatRecorded(req, *recorded),
            "already recorded: zoe add_to_cart A (event cli-1, sequence 1)\n");

  auto info = Client().ModelInfo();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_THAT(FormatModelInfo(*info),
              HasSubstr("model 00000002 (serving) (CURRENT)"));
  auto list = Client().ListSnapshots();
  ASSERT_TRUE(list.ok()) << list.status();
  const std::string table = FormatSnapshotList(*list);
  EXPECT_THAT(table, HasSubstr("00000002"));
  EXPECT_THAT(table, HasSubstr("serving, CURRENT"));
  auto rolled = Client().Rollback();
  ASSERT_TRUE(rolled.ok()) << rolled.status();
  EXPECT_EQ(rolled->version(), "00000001");
  auto activated = Client().Activate("00000002");
  ASSERT_TRUE(activated.ok()) << activated.status();
  EXPECT_EQ(activated->version(), "00000002");
  EXPECT_EQ(Client().Activate("x").status().code(),
            absl::StatusCode::kInvalidArgument);
}

// tailor export: every page of the user's events gathered into one answer.
TEST_F(CliAdminTest, ExportGathersEveryPage) {
  Publish(TinySnapshot());
  StartServer();
  constexpr int kEvents = kExportPageSize + 5;
  for (int first = 0; first < kEvents; first += 1000) {
    v1::RecordEventsRequest req;
    for (int i = first; i < std::min(kEvents, first + 1000); ++i) {
      v1::Event* e = req.add_events();
      e->set_event_id(absl::StrCat("x", i));
      e->set_user_id("zoe");
      e->set_item_id("A");
      e->set_type(v1::EVENT_TYPE_VIEW);
      e->set_timestamp(1767225600 + i);
    }
    ASSERT_TRUE(Client().Record(req).ok());
  }
  auto exported = Client().ExportUser("zoe");
  ASSERT_TRUE(exported.ok()) << exported.status();
  EXPECT_TRUE(exported->found());
  ASSERT_EQ(exported->events_size(), kEvents);
  for (int k = 0; k < kEvents; ++k) {
    ASSERT_EQ(exported->events(k).event().event_id(),
              absl::StrCat("x", kEvents - 1 - k));
  }
  EXPECT_TRUE(exported->next_page_token().empty());
}

}  // namespace
}  // namespace tailor

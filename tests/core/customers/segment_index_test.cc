// SegmentIndex: lookups, per-segment summaries, and audience selection
// (filters, orders, pagination that visits every match exactly once).
#include "core/customers/segment_index.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "core/customers/rfm.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/customer_records.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> UserIds(int n) {
  std::vector<std::string> ids;
  for (int u = 0; u < n; ++u) ids.push_back(absl::StrCat("u", u));
  return ids;
}

// Pages through the whole audience, `limit` at a time.
std::vector<int32_t> AllPages(const SegmentIndex& index, const AudienceQuery& q,
                              int limit, int64_t* total,
                              const CustomerMoves* moves = nullptr) {
  std::vector<int32_t> out;
  std::optional<AudienceCursor> after;
  for (int page = 0; page < 1000; ++page) {
    auto p = index.Audience(q, after ? &*after : nullptr, limit, moves);
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok()) break;
    EXPECT_LE(static_cast<int>(p->users.size()), limit);
    out.insert(out.end(), p->users.begin(), p->users.end());
    *total = p->total;
    if (!p->next.has_value()) break;
    EXPECT_EQ(p->next->user, p->users.back());
    after = p->next;
  }
  return out;
}

TEST(SegmentIndexTest, SummariesCountEverySegmentAndCluster) {
  const SegmentIndex index(testing::MakeCustomerSegments(UserIds(70), 3));
  int64_t rfm_users = 0, cluster_users = 0;
  for (const SegmentSummary& s : index.rfm_summaries()) rfm_users += s.users;
  for (const SegmentSummary& s : index.cluster_summaries()) {
    cluster_users += s.users;
  }
  EXPECT_EQ(index.rfm_summaries().size(), 11u);
  EXPECT_EQ(rfm_users, 60);  // 10 of the 70 (multiples of 7) are visitors
  EXPECT_EQ(cluster_users, 70);
  // Cluster 0 holds u0, u3, ..., u69: mean propensity (0 + 3 + ... + 69) /
  // 24 / 70.
  EXPECT_EQ(index.cluster_summaries()[0].users, 24);
  EXPECT_NEAR(index.cluster_summaries()[0].mean_purchase_propensity,
              (69.0 * 24 / 2) / 24 / 70, 1e-6);
  EXPECT_EQ(index.Find("u5"), 5);
  EXPECT_FALSE(index.Find("stranger").has_value());
}

TEST(SegmentIndexTest, FiltersCombineAndMissingScoresNeverMatch) {
  const SegmentIndex index(testing::MakeCustomerSegments(UserIds(77), 4));
  AudienceQuery q;
  q.rfm_segments = {RfmSegment::kChampions, RfmSegment::kAtRisk};
  q.clusters = {1, 2};
  q.min_churn_risk = 0.5f;
  int64_t total = 0;
  const std::vector<int32_t> got = AllPages(index, q, 3, &total);
  std::set<int32_t> expected;
  for (int u = 0; u < 77; ++u) {
    const CustomerRecord& r = index.record(u);
    if (!r.rfm.has_value()) continue;  // visitors fail the RFM filter
    const bool seg = r.rfm->segment == RfmSegment::kChampions ||
                     r.rfm->segment == RfmSegment::kAtRisk;
    if (seg && (r.cluster == 1 || r.cluster == 2) && r.churn_risk >= 0.5f) {
      expected.insert(u);
    }
  }
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(std::set<int32_t>(got.begin(), got.end()), expected);
  EXPECT_EQ(got.size(), expected.size());  // nobody twice
  EXPECT_EQ(total, static_cast<int64_t>(expected.size()));
  // Ordered by purchase propensity, highest first.
  for (size_t i = 1; i < got.size(); ++i) {
    EXPECT_GE(index.record(got[i - 1]).purchase_propensity,
              index.record(got[i]).purchase_propensity);
  }

  // A churn threshold excludes the visitors, whose churn risk is NaN.
  AudienceQuery churn;
  churn.min_churn_risk = 0.0f;
  const std::vector<int32_t> customers = AllPages(index, churn, 50, &total);
  EXPECT_EQ(total, 77 - 11);
  for (int32_t u : customers) EXPECT_NE(u % 7, 0);
}

TEST(SegmentIndexTest, OrdersPutMissingScoresLastAndPagesCoverEveryone) {
  const SegmentIndex index(testing::MakeCustomerSegments(UserIds(50), 2));
  for (auto order :
       {AudienceQuery::Order::kPurchasePropensity,
        AudienceQuery::Order::kChurnRisk, AudienceQuery::Order::kMonetary}) {
    AudienceQuery q;
    q.order = order;
    for (int limit : {1, 7, 50, 80}) {
      int64_t total = 0;
      const std::vector<int32_t> all = AllPages(index, q, limit, &total);
      ASSERT_EQ(all.size(), 50u);
      EXPECT_EQ(total, 50);
      EXPECT_EQ(std::set<int32_t>(all.begin(), all.end()).size(), 50u);
      if (order == AudienceQuery::Order::kChurnRisk) {
        // Churn risk is 1 - u/50 for customers: u1 first, visitors last in
        // index order.
        EXPECT_EQ(all.front(), 1);
        EXPECT_EQ(std::vector<int32_t>(all.end() - 8, all.end()),
                  (std::vector<int32_t>{0, 7, 14, 21, 28, 35, 42, 49}));
      } else {
        EXPECT_EQ(all.front(), 49);  // the highest propensity and spend
      }
    }
  }
}

TEST(SegmentIndexTest, BadQueriesAreClearErrors) {
  const SegmentIndex index(testing::MakeCustomerSegments(UserIds(10), 2));
  AudienceQuery q;
  q.clusters = {2};
  EXPECT_THAT(index.Audience(q, nullptr, 10).status().message(),
              HasSubstr("cluster_ids: 2 is not a cluster (there are 2)"));
  q = {};
  q.min_purchase_propensity = 1.5f;
  EXPECT_THAT(index.Audience(q, nullptr, 10).status().message(),
              HasSubstr("min_purchase_propensity"));
  q = {};
  EXPECT_THAT(index.Audience(q, nullptr, 0).status().message(),
              HasSubstr("limit"));
}

// Moved customers are filtered by their live RFM segment and ordered by
// their live net spend, exactly as if the index had been built with their
// live records; the summaries count them in their live segments.
TEST(SegmentIndexTest, MovedCustomersAreSelectedAndOrderedByTheirLiveRecords) {
  CustomerSegments base = testing::MakeCustomerSegments(UserIds(60), 3);
  CustomerSegments live = base;
  std::vector<MovedCustomer> moved;
  for (int u : {3, 10, 22, 35, 41, 58}) {
    CustomerRecord& r = live.records[u];
    // New spend that jumps over others, and a new segment.
    r.profile.gross += 37.0 * (u % 4 + 1);
    const auto seg = static_cast<RfmSegment>((u * 5) % kNumRfmSegments);
    if (!r.rfm.has_value()) r.rfm = RfmScores{.r = 5, .f = 1, .m = 1, .fm = 1};
    r.rfm->segment = seg;
    moved.push_back({u, static_cast<int8_t>(seg), r.profile.net()});
  }
  const SegmentIndex index(base);
  const SegmentIndex rebuilt(live);
  const CustomerMoves moves(60, moved);
  ASSERT_NE(moves.Find(22), nullptr);
  EXPECT_EQ(moves.Find(22)->user, 22);
  EXPECT_EQ(moves.Find(23), nullptr);

  for (auto order :
       {AudienceQuery::Order::kPurchasePropensity,
        AudienceQuery::Order::kChurnRisk, AudienceQuery::Order::kMonetary}) {
    for (std::vector<RfmSegment> segments :
         {std::vector<RfmSegment>{},
          std::vector<RfmSegment>{RfmSegment::kChampions, RfmSegment::kAtRisk,
                                  RfmSegment::kLost}}) {
      AudienceQuery q;
      q.order = order;
      q.rfm_segments = segments;
      for (int limit : {1, 4, 100}) {
        int64_t total = 0, expected_total = 0;
        EXPECT_EQ(AllPages(index, q, limit, &total, &moves),
                  AllPages(rebuilt, q, limit, &expected_total));
        EXPECT_EQ(total, expected_total);
      }
    }
  }
  const std::vector<SegmentSummary> summaries = index.RfmSummaries(&moves);
  for (int s = 0; s < kNumRfmSegments; ++s) {
    EXPECT_EQ(summaries[s].users, rebuilt.rfm_summaries()[s].users) << s;
    if (!std::isnan(rebuilt.rfm_summaries()[s].mean_churn_risk)) {
      EXPECT_NEAR(summaries[s].mean_churn_risk,
                  rebuilt.rfm_summaries()[s].mean_churn_risk, 1e-9)
          << s;
    }
  }
}

// A customer who moves between two pages across the cursor is skipped or
// listed again; everyone else is listed exactly once.
TEST(SegmentIndexTest, PagesFollowTheCursorWhileCustomersMove) {
  const SegmentIndex index(testing::MakeCustomerSegments(UserIds(30), 2));
  AudienceQuery q;
  q.order = AudienceQuery::Order::kMonetary;
  auto first = index.Audience(q, nullptr, 10);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->next.has_value());
  // u29 (listed first) now spends nothing; u0 (not yet listed) spends most.
  const CustomerMoves moves(30, {{29, -1, 0.0}, {0, -1, 1e6}});
  std::vector<int32_t> rest;
  std::optional<AudienceCursor> after = first->next;
  for (int page = 0; page < 10 && after.has_value(); ++page) {
    auto p = index.Audience(q, &*after, 10, &moves);
    ASSERT_TRUE(p.ok());
    rest.insert(rest.end(), p->users.begin(), p->users.end());
    after = p->next;
  }
  EXPECT_THAT(rest, ::testing::Contains(29));  // listed again, at its new place
  EXPECT_THAT(rest, ::testing::Not(::testing::Contains(0)));  // skipped
  EXPECT_EQ(first->users.size() + rest.size(), 30u);
}

TEST(SegmentIndexTest, CompactRecordsGiveBackEveryRecordExactly) {
  CustomerSegments segments = testing::MakeCustomerSegments(UserIds(300), 3);
  for (size_t u = 0; u < segments.records.size(); ++u) {
    UserProfile& p = segments.records[u].profile;
    // Lists of different lengths and values per user, long strings too.
    p.categories.resize(u % 4, {"", 0});
    for (size_t i = 0; i < p.categories.size(); ++i) {
      p.categories[i] = {absl::StrCat("category with a long name ", u % 5, i),
                         0.1f * static_cast<float>(i + u % 3)};
    }
    if (u % 5 == 0) p.sizes.clear();
    if (u % 11 == 0) segments.records[u].purchase_propensity = kNoScore;
  }
  const CustomerSegments original = segments;
  const SegmentIndex index(std::move(segments));
  ASSERT_EQ(index.segments().users.size(), 300);
  for (int32_t u = 0; u < 300; ++u) {
    SCOPED_TRACE(u);
    testing::ExpectSameRecord(index.record(u), original.records[u]);
    EXPECT_EQ(index.cluster(u), original.records[u].cluster);
  }
  // Far smaller than the records it came from: their UserProfile structs
  // alone, before any string or list.
  EXPECT_LT(index.records_bytes(), 300 * sizeof(CustomerRecord));
}

TEST(SegmentIndexTest, RfmNamesRoundTrip) {
  for (int s = 0; s < kNumRfmSegments; ++s) {
    const auto seg = static_cast<RfmSegment>(s);
    EXPECT_EQ(RfmSegmentFromName(RfmSegmentName(seg)), seg);
  }
  EXPECT_FALSE(RfmSegmentFromName("champions").has_value());
  EXPECT_FALSE(RfmSegmentFromName("").has_value());
}

}  // namespace
}  // namespace tailor

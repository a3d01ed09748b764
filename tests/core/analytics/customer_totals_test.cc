// Order lines to customer totals and RFM, on hand-made lines and on the
// real Online Retail sample (expected values computed independently from
// the CSV with Python's csv module and checked by hand).
#include "core/analytics/customer_totals.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "core/base/event.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;

OrderLine Line(const char* customer, const char* order, double quantity,
               double price, int64_t ts) {
  return {customer, order, "sku", ts, quantity, price, "a product"};
}

TEST(CustomersTest, OrdersAreDistinctAndReturnsReduceSpend) {
  CustomerTotalsBuilder b;
  b.Add(Line("a", "o1", 2, 10, 1000));
  b.Add(Line("a", "o1", 1, 5, 1000));  // same order, second line
  b.Add(Line("a", "o2", 1, 20, 5000));
  b.Add(Line("a", "Co3", -1, 10, 9000));  // returns one unit of o1
  b.Add(Line("z", "Co4", -2, 3, 7000));   // only a return
  ASSERT_EQ(b.num_customers(), 2);
  const CustomerTotals* a = b.Find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->orders, 2);
  EXPECT_DOUBLE_EQ(a->gross, 45);
  EXPECT_DOUBLE_EQ(a->returned, 10);
  EXPECT_DOUBLE_EQ(a->net(), 35);
  EXPECT_EQ(a->lines, 4);
  EXPECT_EQ(a->first_unix, 1000);
  EXPECT_EQ(a->last_purchase_unix, 5000);  // the return is not a purchase
  const RfmValues v = ToRfmValues(*a, 5000 + 2 * 86400);
  EXPECT_DOUBLE_EQ(v.recency_days, 2);
  EXPECT_EQ(v.frequency, 2);
  EXPECT_DOUBLE_EQ(v.monetary, 35);
  const RfmValues z = ToRfmValues(*b.Find("z"), 10000);
  EXPECT_EQ(z.recency_days, kNeverBoughtDays);
  EXPECT_EQ(z.frequency, 0);
  EXPECT_DOUBLE_EQ(z.monetary, -6);
  EXPECT_EQ(b.Find("nobody"), nullptr);
}

TEST(CustomersTest, OnlineRetailSampleHandChecked) {
  const std::string path = absl::StrCat(
      TAILOR_SHARED_DATA_DIR, "/online-retail-sample/online_retail_sample.csv");
  if (!std::filesystem::exists(path)) {
    GTEST_SKIP() << "Online Retail sample not found at " << path
                 << " (shared data is read at test time, never copied)";
  }
  CustomerTotalsBuilder b;
  ReadReport report;
  ASSERT_TRUE(ReadOnlineRetailCsv(
                  path, {}, [&](OrderLine&& l) { b.Add(l); }, &report)
                  .ok());
  // Every row is accounted for: 2,290 guest orders (no CustomerID) are
  // rejected with a reason; the 119 lines exported quoted whole are read.
  EXPECT_EQ(report.rows, 8373);
  EXPECT_EQ(report.accepted, 6083);
  EXPECT_EQ(report.skipped, 2290);
  ASSERT_FALSE(report.errors.empty());
  EXPECT_THAT(report.errors[0], HasSubstr("CustomerID: missing"));
  EXPECT_EQ(b.num_customers(), 288);

  // 17850: 34 invoices in the first two days, no returns.
  const CustomerTotals* c17850 = b.Find("17850");
  ASSERT_NE(c17850, nullptr);
  EXPECT_EQ(c17850->orders, 34);
  EXPECT_NEAR(c17850->net(), 5391.21, 0.005);
  EXPECT_EQ(c17850->last_purchase_unix, *ParseTimestamp("2010-12-02 15:27:00"));
  // 15311: one invoice (449.98), one cancelled duck set (C536383, 4.65).
  const CustomerTotals* c15311 = b.Find("15311");
  ASSERT_NE(c15311, nullptr);
  EXPECT_EQ(c15311->orders, 1);
  EXPECT_NEAR(c15311->gross, 449.98, 0.005);
  EXPECT_NEAR(c15311->returned, 4.65, 0.005);
  // 14527: only a cancelled discount line (C536379, 27.50).
  const CustomerTotals* c14527 = b.Find("14527");
  ASSERT_NE(c14527, nullptr);
  EXPECT_EQ(c14527->orders, 0);
  EXPECT_NEAR(c14527->net(), -27.5, 0.005);

  // RFM as of midnight after the last invoice (2010-12-05 12:35).
  const int64_t now = *ParseTimestamp("2010-12-06");
  std::vector<RfmValues> values;
  for (const CustomerTotals& t : b.totals()) {
    values.push_back(ToRfmValues(t, now));
  }
  auto scores = ScoreRfm(values);
  ASSERT_TRUE(scores.ok()) << scores.status();
  auto score_of = [&](const std::string& id) {
    for (int32_t c = 0; c < b.num_customers(); ++c) {
      if (b.ids()[c] == id) return (*scores)[c];
    }
    ADD_FAILURE() << id;
    return RfmScores{};
  };
  // 17850 has the most orders and the most spend: F = M = 5; its last
  // purchase, 3.4 days before, is mid-pack in this 5-day sample (R = 3),
  // which makes it Loyal rather than a Champion.
  EXPECT_EQ(score_of("17850").f, 5);
  EXPECT_EQ(score_of("17850").m, 5);
  EXPECT_EQ(score_of("17850").r, 3);
  EXPECT_EQ(score_of("17850").segment, RfmSegment::kLoyal);
  EXPECT_EQ(score_of("14527").r, 1);
  EXPECT_EQ(score_of("14527").m, 1);
  EXPECT_EQ(score_of("14527").segment, RfmSegment::kLost);
}

}  // namespace
}  // namespace tailor

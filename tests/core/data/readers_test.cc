#include "core/data/readers.h"

#include "absl/strings/str_cat.h"
#include "core/base/text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;
using testing::WriteTextFile;

std::vector<Event> ReadEvents(const std::string& path, ReadOptions options,
                              ReadReport* report, absl::Status* status) {
  std::vector<Event> events;
  *status = ReadEventsCsv(
      path, options, [&](Event&& e) { events.push_back(std::move(e)); },
      report);
  return events;
}

TEST(TimestampTest, UnixSecondsAndIso8601) {
  EXPECT_EQ(*ParseTimestamp("1700000000"), 1700000000);
  EXPECT_EQ(*ParseTimestamp("2024-03-01"), 1709251200);
  EXPECT_EQ(*ParseTimestamp("2024-03-01T12:30:00Z"), 1709296200);
  EXPECT_EQ(*ParseTimestamp("2024-03-01T14:30:00+02:00"), 1709296200);
  EXPECT_EQ(*ParseTimestamp("2024-03-01 12:30:00"), 1709296200);
  EXPECT_EQ(*ParseTimestamp("2024-03-01T12:30:00.250Z"), 1709296200);
  EXPECT_EQ(*ParseTimestamp("2010-12-01 08:26"), 1291191960);
  EXPECT_FALSE(ParseTimestamp("2024-13-01").ok());
  EXPECT_FALSE(ParseTimestamp("yesterday").ok());
  EXPECT_FALSE(ParseTimestamp("").ok());
}

TEST(EventWeightsTest, ParsesOverrides) {
  EventWeights w;
  ASSERT_TRUE(ParseEventWeights("view=0.5, purchase=10", &w).ok());
  EXPECT_EQ(w.of(EventType::kView), 0.5f);
  EXPECT_EQ(w.of(EventType::kPurchase), 10.0f);
  EXPECT_EQ(w.of(EventType::kClick), 2.0f);
  EXPECT_THAT(ParseEventWeights("wishlist=3", &w).message(),
              HasSubstr("wishlist"));
  EXPECT_THAT(ParseEventWeights("view=lots", &w).message(), HasSubstr("lots"));
}

TEST(EventsCsvTest, GoodRowsWithAndWithoutHeader) {
  TempDir dir;
  WriteTextFile(dir.Join("a.csv"),
                "user_id,item_id,event_type,timestamp,value\n"
                "u1,i1,view,1700000000\n"
                "u1,i2,purchase,2024-03-01T12:30:00Z,2\n"
                "u2,i1,rating,1700000001,4.5\n");
  WriteTextFile(dir.Join("b.csv"), "u1,i1,click,1700000000\n");
  ReadReport report;
  absl::Status st;
  auto events = ReadEvents(dir.Join("a.csv"), {}, &report, &st);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].type, EventType::kPurchase);
  EXPECT_EQ(events[1].timestamp, 1709296200);
  EXPECT_EQ(events[1].value, 2.0);
  EXPECT_EQ(events[2].value, 4.5);
  EXPECT_EQ(report.rows, 3);
  EXPECT_EQ(report.skipped, 0);

  ReadReport report_b;
  events = ReadEvents(dir.Join("b.csv"), {}, &report_b, &st);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, EventType::kClick);
  EXPECT_EQ(events[0].value, 1.0);
  EXPECT_LT(events[0].price, 0);  // not given
}

TEST(EventsCsvTest, AnOptionalPriceColumnGivesThePricePaid) {
  TempDir dir;
  WriteTextFile(dir.Join("p.csv"),
                "user_id,item_id,event_type,timestamp,value,price\n"
                "u1,i1,purchase,1700000000,2,19.5\n"
                "u1,i2,purchase,1700000000,1,\n"
                "u1,i3,purchase,1700000000,1,-3\n");
  WriteTextFile(dir.Join("q.csv"), "u1,i1,return,1700000000,1,7.25\n");
  ReadReport report;
  absl::Status st;
  auto events = ReadEvents(dir.Join("p.csv"), {}, &report, &st);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].price, 19.5);
  EXPECT_LT(events[1].price, 0);
  EXPECT_EQ(report.skipped, 1);
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_THAT(report.errors[0], HasSubstr("price: must be >= 0"));
  events = ReadEvents(dir.Join("q.csv"), {}, &report, &st);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].price, 7.25);  // positional, without a header
}

TEST(EventsCsvTest, HeaderMayReorderColumns) {
  TempDir dir;
  WriteTextFile(dir.Join("e.csv"),
                "timestamp,event_type,item_id,user_id,extra\n"
                "1700000000,add_to_cart,i9,u7,ignored\n");
  ReadReport report;
  absl::Status st;
  auto events = ReadEvents(dir.Join("e.csv"), {}, &report, &st);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].user_id, "u7");
  EXPECT_EQ(events[0].item_id, "i9");
  EXPECT_EQ(events[0].type, EventType::kAddToCart);
}

TEST(EventsCsvTest, BadRowsAreSkippedAndCountedWithLineNumbers) {
  TempDir dir;
  const std::string path = dir.Join("bad.csv");
  WriteTextFile(path,
                "\xEF\xBB\xBFuser_id,item_id,event_type,timestamp,value\r\n"
                "u1,i1,view,1700000000\r\n"           // 2 ok
                "u1,i1,wishlist,1700000000\r\n"       // 3 bad type
                ",i1,view,1700000000\r\n"             // 4 empty user
                "u1,i1,view,not-a-time\r\n"           // 5 bad timestamp
                "u1,i1\r\n"                           // 6 too few fields
                "u1,i1,rating,1700000000\r\n"         // 7 rating without value
                "u2,\"i,2\",purchase,1700000000\r\n"  // 8 ok, quoted id
                "u1,i1,view,1700000000,abc\r\n");     // 9 bad value
  ReadReport report;
  absl::Status st;
  auto events = ReadEvents(path, {}, &report, &st);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].item_id, "i,2");
  EXPECT_EQ(report.rows, 8);
  EXPECT_EQ(report.accepted, 2);
  EXPECT_EQ(report.skipped, 6);
  ASSERT_EQ(report.errors.size(), 6u);
  EXPECT_EQ(report.errors[0],
            path +
                ":3: event_type: 'wishlist' is not one of view, click, "
                "add_to_cart, purchase, return, rating");
  EXPECT_EQ(report.errors[1], path + ":4: user_id: must not be empty");
  EXPECT_THAT(report.errors[2], HasSubstr(":5: timestamp: cannot parse"));
  EXPECT_THAT(report.errors[3], HasSubstr(":6: has 2 fields"));
  EXPECT_THAT(report.errors[4], HasSubstr(":7: value: a rating event"));
  EXPECT_THAT(report.errors[5], HasSubstr(":9: value: 'abc'"));
}

TEST(EventsCsvTest, StrictModeStopsAtTheFirstBadRow) {
  TempDir dir;
  const std::string path = dir.Join("bad.csv");
  WriteTextFile(path, "u1,i1,view,1\nu1,i1,view,1\nu1," +
                          std::string(200, 'x') + ",view,1\nu1,i1,view,1\n");
  ReadReport report;
  absl::Status st;
  ReadOptions strict;
  strict.strict = true;
  auto events = ReadEvents(path, strict, &report, &st);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(),
            path + ":3: item_id: is 200 bytes long, the limit is 128");
  EXPECT_EQ(events.size(), 2u);
}

TEST(EventsCsvTest, PipelinedReadingSeesTheSameEventsInOrder) {
  TempDir dir;
  // Enough rows for several batches, with bad rows sprinkled in.
  std::string csv = "user_id,item_id,event_type,timestamp,value\n";
  for (int i = 0; i < 20000; ++i) {
    absl::StrAppend(&csv, "u", i % 97, ",i", i % 13, ",",
                    i % 3 ? "view" : "purchase", ",", 1700000000 + i,
                    i % 5 == 0 ? ",2" : "", "\n");
    if (i % 4999 == 0) absl::StrAppend(&csv, "u1,i1,teleport,1700000000\n");
  }
  WriteTextFile(dir.Join("e.csv"), csv);
  ReadReport plain_report, piped_report;
  absl::Status plain_status;
  const std::vector<Event> plain =
      ReadEvents(dir.Join("e.csv"), {}, &plain_report, &plain_status);
  std::vector<Event> piped;
  const absl::Status piped_status = ReadEventsCsvPipelined(
      dir.Join("e.csv"), {}, [&](Event&& e) { piped.push_back(std::move(e)); },
      &piped_report);
  ASSERT_TRUE(plain_status.ok() && piped_status.ok());
  ASSERT_EQ(plain.size(), 20000u);
  ASSERT_EQ(piped.size(), plain.size());
  for (size_t k = 0; k < plain.size(); ++k) {
    EXPECT_EQ(piped[k].user_id, plain[k].user_id);
    EXPECT_EQ(piped[k].item_id, plain[k].item_id);
    EXPECT_EQ(piped[k].timestamp, plain[k].timestamp);
    EXPECT_EQ(piped[k].type, plain[k].type);
    EXPECT_EQ(piped[k].value, plain[k].value);
  }
  EXPECT_EQ(piped_report.skipped, 5);
  EXPECT_EQ(piped_report.Summary(), plain_report.Summary());

  // Strict mode: the first bad row is the error, after the rows before it.
  ReadOptions strict;
  strict.strict = true;
  piped.clear();
  ReadReport strict_report;
  const absl::Status s = ReadEventsCsvPipelined(
      dir.Join("e.csv"), strict,
      [&](Event&& e) { piped.push_back(std::move(e)); }, &strict_report);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("teleport"));
  EXPECT_EQ(piped.size(), 1u);  // the bad row is the second data row
  // A missing file is NOT_FOUND, as with the plain reader.
  EXPECT_EQ(ReadEventsCsvPipelined(
                dir.Join("none.csv"), {}, [](Event&&) {}, &strict_report)
                .code(),
            absl::StatusCode::kNotFound);
}

TEST(EventsCsvTest, MissingFileIsNotFound) {
  ReadReport report;
  absl::Status st;
  ReadEvents("/nonexistent/events.csv", {}, &report, &st);
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(st.message(), HasSubstr("/nonexistent/events.csv"));
}

TEST(EventsCsvTest, RoundTripsWhatTheWriterWrites) {
  TempDir dir;
  const std::vector<Event> events = {
      {"u,1", "SKU \"A\"", EventType::kPurchase, 1700000000, 2, 19.95},
      {"u2", "B", EventType::kRating, 1700000001, 4.5, -1},
      {"u3", "C", EventType::kReturn, 1700000002, 1, 123456.78}};
  std::string csv = EventsCsvHeader() + "\n";
  for (const Event& e : events) csv += EventCsvRow(e) + "\n";
  WriteTextFile(dir.Join("e.csv"), csv);
  ReadReport report;
  absl::Status st;
  const std::vector<Event> read =
      ReadEvents(dir.Join("e.csv"), {}, &report, &st);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(read.size(), events.size());
  for (size_t k = 0; k < events.size(); ++k) {
    EXPECT_EQ(read[k].user_id, events[k].user_id);
    EXPECT_EQ(read[k].item_id, events[k].item_id);
    EXPECT_EQ(read[k].type, events[k].type);
    EXPECT_EQ(read[k].timestamp, events[k].timestamp);
    EXPECT_EQ(read[k].value, events[k].value);
    EXPECT_EQ(read[k].price, events[k].price);
  }
}

TEST(CatalogCsvTest, RoundTripsWhatTheWriterWrites) {
  TempDir dir;
  Item a{"SKU1",  "Coat, \"wool\"", "outerwear", "Halden",
         "camel", 149.99,           {"S", "M"},  true};
  Item b{"SKU2", "Tee", "tops", "Basico", "white", 9.99, {"One Size"}, false};
  WriteTextFile(dir.Join("c.csv"), CatalogCsvHeader() + "\n" +
                                       CatalogCsvRow(a) + "\n" +
                                       CatalogCsvRow(b) + "\n");
  ReadReport report;
  auto items = ReadCatalogCsv(dir.Join("c.csv"), {}, &report);
  ASSERT_TRUE(items.ok()) << items.status();
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[0], a);
  EXPECT_EQ((*items)[1], b);
}

TEST(CatalogCsvTest, RejectsDuplicatesAndBadValues) {
  TempDir dir;
  WriteTextFile(dir.Join("c.csv"),
                "item_id,title,category,brand,color,price,sizes,in_stock\n"
                "A,t,c,b,x,1.5,S,true\n"
                "A,t,c,b,x,1.5,S,true\n"
                "B,t,c,b,x,-3,S,true\n"
                "C,t,c,b,x,2,S,maybe\n"
                "D,t,c,b,x,,,\n");
  ReadReport report;
  auto items = ReadCatalogCsv(dir.Join("c.csv"), {}, &report);
  ASSERT_TRUE(items.ok()) << items.status();
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[1].item_id, "D");
  EXPECT_TRUE((*items)[1].in_stock);
  ASSERT_EQ(report.errors.size(), 3u);
  EXPECT_THAT(report.errors[0],
              HasSubstr(":3: item_id: 'A' is a duplicate of line 2"));
  EXPECT_THAT(report.errors[1], HasSubstr(":4: price: -3 is negative"));
  EXPECT_THAT(report.errors[2], HasSubstr(":5: in_stock: 'maybe'"));
}

TEST(MovieLensTest, ReadsTheRealData) {
  const std::string dir = testing::MovieLensDir();
  if (dir.empty())
    GTEST_SKIP() << "MovieLens 100K not found under ../shared/data";
  ReadReport report;
  int64_t n = 0;
  double rating_sum = 0;
  ASSERT_TRUE(ReadMovieLensRatings(
                  dir + "/u.data", {},
                  [&](Event&& e) {
                    ++n;
                    rating_sum += e.value;
                    EXPECT_EQ(e.type, EventType::kRating);
                  },
                  &report)
                  .ok());
  EXPECT_EQ(n, 100000);
  EXPECT_EQ(report.skipped, 0);
  EXPECT_NEAR(rating_sum / n, 3.53, 0.01);

  ReadReport item_report;
  auto items = ReadMovieLensItems(dir + "/u.item", {}, &item_report);
  ASSERT_TRUE(items.ok()) << items.status();
  EXPECT_EQ(items->size(), 1682u);
  EXPECT_EQ(item_report.skipped, 0);
  for (const Item& it : *items) ASSERT_TRUE(IsValidUtf8(it.title)) << it.title;
  EXPECT_EQ((*items)[0].title, "Toy Story (1995)");
  EXPECT_EQ((*items)[0].category, "Animation");
}

TEST(OnlineRetailCsvTest, AcceptsTheExportsQuirksAndNamesEveryRejection) {
  TempDir dir;
  WriteTextFile(
      dir.Join("retail.csv"),
      "\xEF\xBB\xBFInvoiceNo,StockCode,Description,Quantity,InvoiceDate,"
      "UnitPrice,CustomerID,Country\n"
      "536365,85123A,WHITE HEART,6,2010-12-01 08:26:00,2.55,17850.0,UK\n"
      "\"536394,21506,\"\"CARD, BIRTHDAY \"\",24,2010-12-01 10:39:00,0.42,"
      "13408.0,UK\"\n"
      "C536379,D,Discount,-1,2010-12-01 09:41:00,27.5,14527.0,UK\n"
      "536414,22139,,56,2010-12-01 11:52:00,0,,UK\n"
      "C536380,D,Discount,1,2010-12-01 09:41:00,27.5,14527.0,UK\n"
      "536381,X,Zero,0,2010-12-01 09:41:00,1.0,14527.0,UK\n"
      "536382,X,Bad price,1,2010-12-01 09:41:00,-1.0,14527.0,UK\n");
  std::vector<OrderLine> lines;
  ReadReport report;
  ASSERT_TRUE(ReadOnlineRetailCsv(
                  dir.Join("retail.csv"), {},
                  [&](OrderLine&& l) { lines.push_back(l); }, &report)
                  .ok());
  EXPECT_EQ(report.rows, 7);
  EXPECT_EQ(report.accepted, 3);
  EXPECT_EQ(report.skipped, 4);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].customer_id, "17850");
  EXPECT_EQ(lines[0].order_id, "536365");
  EXPECT_DOUBLE_EQ(lines[0].quantity, 6);
  EXPECT_DOUBLE_EQ(lines[0].unit_price, 2.55);
  // The line exported quoted whole, with a comma inside its description.
  EXPECT_EQ(lines[1].customer_id, "13408");
  EXPECT_EQ(lines[1].item_id, "21506");
  EXPECT_DOUBLE_EQ(lines[1].quantity, 24);
  EXPECT_EQ(lines[2].order_id, "C536379");
  EXPECT_DOUBLE_EQ(lines[2].quantity, -1);
  ASSERT_EQ(report.errors.size(), 4u);
  EXPECT_THAT(report.errors[0], HasSubstr(":5: CustomerID: missing"));
  EXPECT_THAT(report.errors[1], HasSubstr(":6: Quantity: a cancellation"));
  EXPECT_THAT(report.errors[2], HasSubstr(":7: Quantity: must not be 0"));
  EXPECT_THAT(report.errors[3],
              HasSubstr(":8: UnitPrice: must not be negative"));

  ReadOptions strict;
  strict.strict = true;
  EXPECT_THAT(ReadOnlineRetailCsv(
                  dir.Join("retail.csv"), strict, [](OrderLine&&) {}, &report)
                  .message(),
              HasSubstr("retail.csv:5: CustomerID: missing"));
}

}  // namespace
}  // namespace tailor

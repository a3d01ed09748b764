#include "core/data/column_mapping.h"

#include "core/data/readers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace tailor {
namespace {

using ::testing::HasSubstr;
using testing::TempDir;
using testing::WriteTextFile;

constexpr const char* kOrderColumns =
    "user_id=Customer,item_id=SKU,timestamp=When,quantity=Qty,price=Price,"
    "order_id=Invoice,title=Name";

ColumnMapping Orders(const std::string& time_format = "%d/%m/%Y %H:%M") {
  return *ParseEventMapping(kOrderColumns, "purchase", "", time_format);
}

TEST(ColumnMappingTest, BadMappingsAreNamedAndRefused) {
  auto message = [](absl::string_view columns, absl::string_view type,
                    absl::string_view map = "") {
    return std::string(
        ParseEventMapping(columns, type, map, "").status().message());
  };
  EXPECT_THAT(message("user_id=C,item_id=S,timestamp=T,userid=X", "view"),
              HasSubstr("--columns: 'userid' is not one of user_id"));
  EXPECT_THAT(message("user_id=C,timestamp=T", "view"),
              HasSubstr("--columns: maps no item_id"));
  EXPECT_THAT(message("item_id=S,timestamp=T", "view"),
              HasSubstr("maps no user_id"));
  EXPECT_THAT(message("user_id=C,user_id=D,item_id=S,timestamp=T", "view"),
              HasSubstr("user_id is mapped twice"));
  EXPECT_THAT(message("user_id=,item_id=S,timestamp=T", "view"),
              HasSubstr("user_id names no column"));
  EXPECT_THAT(message("user_id=C,item_id=S,timestamp=T", ""),
              HasSubstr("--event_type"));
  EXPECT_THAT(message("user_id=C,item_id=S,timestamp=T", "sale"),
              HasSubstr("--event_type: "));
  EXPECT_THAT(
      message("user_id=C,item_id=S,timestamp=T,event_type=K", "purchase"),
      HasSubstr("give one or the other"));
  EXPECT_THAT(
      message("user_id=C,item_id=S,timestamp=T,event_type=K", "", "order=sale"),
      HasSubstr("--event_type_map: 'order=sale'"));
  EXPECT_THAT(message("user_id=C,item_id=S,timestamp=T", "view", "a=view"),
              HasSubstr("--columns maps none"));
  EXPECT_THAT(std::string(ParseCatalogMapping("title=Name").status().message()),
              HasSubstr("--catalog_columns: maps no item_id"));
  const ColumnMapping m = *ParseEventMapping(
      "user_id=C,item_id=S,timestamp=T,event_type=K", "", "order=purchase", "");
  EXPECT_EQ(m.Source("user_id"), "C");
  EXPECT_EQ(m.Source("price"), std::nullopt);
  EXPECT_EQ(m.type_values.at("order"), EventType::kPurchase);
}

TEST(ColumnMappingTest, DayMonthDatesAreNeverGuessed) {
  const ColumnMapping none =
      *ParseEventMapping("user_id=C,item_id=S,timestamp=When", "view", "", "");
  const auto ambiguous = ParseMappedTimestamp(none, "When", "12/1/2010 8:26");
  EXPECT_EQ(ambiguous.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(ambiguous.status().message(),
              HasSubstr("When: '12/1/2010 8:26' could be month/day or "
                        "day/month: choose with --time_format='%m/%d/%Y "
                        "%H:%M' (month first) or --time_format='%d/%m/%Y "
                        "%H:%M' (day first)"));
  // Even a date that could only be day-first is not guessed.
  EXPECT_THAT(ParseMappedTimestamp(none, "When", "13.01.10 08:26:05")
                  .status()
                  .message(),
              HasSubstr("'%m.%d.%y %H:%M:%S' (month first) or "
                        "--time_format='%d.%m.%y %H:%M:%S'"));
  EXPECT_EQ(*ParseMappedTimestamp(none, "When", "2010-12-01 08:26:00"),
            1291191960);
  EXPECT_EQ(*ParseMappedTimestamp(none, "When", "1291191960"), 1291191960);
  EXPECT_THAT(
      ParseMappedTimestamp(none, "When", "yesterday").status().message(),
      HasSubstr("When: 'yesterday' is not Unix seconds or ISO-8601"));
  // Chosen: read as UTC with that format only.
  EXPECT_EQ(
      *ParseMappedTimestamp(Orders("%m/%d/%Y %H:%M"), "When", "12/1/2010 8:26"),
      1291191960);
  EXPECT_EQ(*ParseMappedTimestamp(Orders(), "When", "1/12/2010 8:26"),
            1291191960);
  EXPECT_THAT(
      ParseMappedTimestamp(Orders("%m/%d/%Y %H:%M"), "When", "13/1/2010 8:26")
          .status()
          .message(),
      HasSubstr("When: '13/1/2010 8:26' does not match "
                "--time_format='%m/%d/%Y %H:%M'"));
}

std::vector<MappedRow> Read(const std::string& path,
                            const ColumnMapping& mapping, ReadReport* report,
                            absl::Status* status, bool strict = false) {
  std::vector<MappedRow> rows;
  ReadOptions options;
  options.strict = strict;
  *status = ReadMappedEventsCsv(
      path, mapping, options,
      [&](MappedRow&& row) { rows.push_back(std::move(row)); }, report);
  return rows;
}

TEST(MappedEventsTest, OrdersBecomePurchasesAndCancellationsReturns) {
  TempDir dir;
  WriteTextFile(dir.Join("orders.csv"),
                "Invoice,SKU,Name,Qty,When,Price,Customer,Country\n"
                "536365,85123A,WHITE HEART,6,1/12/2010 8:26,2.55,17850,UK\n"
                "C536379,85123A,WHITE HEART,-2,2/12/2010 9:41,2.55,17850,UK\n"
                "536366,22633,HAND WARMER,-1,1/12/2010 8:28,1.85,17850,UK\n"
                "C536367,22633,HAND WARMER,3,1/12/2010 8:28,1.85,17850,UK\n"
                "536368,22633,HAND WARMER,2,1/12/2010 8:28,abc,17850,UK\n"
                "536369,22633,HAND WARMER,0,1/12/2010 8:28,1.85,17850,UK\n"
                "536370,22633,HAND WARMER,1,1/12/2010 8:28,1.85,,UK\n"
                "536371,22633,HAND WARMER,1,31/12/2010 8:28,1.85,13047,UK\n");
  ReadReport report;
  absl::Status st;
  const std::vector<MappedRow> rows =
      Read(dir.Join("orders.csv"), Orders(), &report, &st);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].event.user_id, "17850");
  EXPECT_EQ(rows[0].event.item_id, "85123A");
  EXPECT_EQ(rows[0].event.type, EventType::kPurchase);
  EXPECT_EQ(rows[0].event.timestamp, 1291191960);
  EXPECT_EQ(rows[0].event.value, 6);
  EXPECT_EQ(rows[0].event.price, 2.55);
  EXPECT_TRUE(rows[0].priced);
  EXPECT_EQ(rows[0].title, "WHITE HEART");
  EXPECT_EQ(rows[1].event.type, EventType::kReturn);
  EXPECT_EQ(rows[1].event.value, 2);
  EXPECT_EQ(rows[2].event.user_id, "13047");
  EXPECT_EQ(report.rows, 8);
  EXPECT_EQ(report.accepted, 3);
  EXPECT_EQ(report.skipped, 5);
  // Each bad row by file, line and the file's own column name.
  const std::string f = dir.Join("orders.csv");
  EXPECT_THAT(report.errors,
              ::testing::ElementsAre(
                  HasSubstr(f + ":4: Qty: -1 is negative outside a "
                                "cancellation (Invoice starting with 'C')"),
                  HasSubstr(f + ":5: Qty: a cancellation (Invoice C...) "
                                "must be negative"),
                  HasSubstr(f + ":6: Price: 'abc' is not a finite number"),
                  HasSubstr(f + ":7: Qty: must not be 0"),
                  HasSubstr(f + ":8: Customer")));
  // Strict: the first bad row stops the read.
  st = absl::OkStatus();
  ReadReport strict_report;
  Read(dir.Join("orders.csv"), Orders(), &strict_report, &st, true);
  EXPECT_THAT(st.message(), HasSubstr(f + ":4: Qty"));
}

TEST(MappedEventsTest, AmbiguousDatesAndMissingColumnsRefuseTheFile) {
  TempDir dir;
  WriteTextFile(dir.Join("orders.csv"),
                "Invoice,SKU,Name,Qty,When,Price,Customer\n"
                "536365,85123A,WHITE HEART,6,12/1/2010 8:26,2.55,17850\n");
  ReadReport report;
  absl::Status st;
  Read(dir.Join("orders.csv"),
       *ParseEventMapping(kOrderColumns, "purchase", "", ""), &report, &st);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(st.message(), HasSubstr("orders.csv:2: When: '12/1/2010 8:26'"));
  EXPECT_THAT(st.message(), HasSubstr("--time_format"));
  // A mapped column the header does not have.
  WriteTextFile(dir.Join("other.csv"), "Customer,Item,Date\n1,2,3\n");
  ReadReport other;
  Read(dir.Join("other.csv"), Orders(), &other, &st);
  EXPECT_THAT(st.message(),
              HasSubstr("other.csv:1: header has no 'SKU' column (its "
                        "columns: Customer, Item, Date)"));
}

TEST(MappedEventsTest, EventTypesComeFromTheirColumnThroughTheMap) {
  TempDir dir;
  WriteTextFile(dir.Join("e.csv"),
                "who,what,kind,at,stars\n"
                "a,x,pageview,1700000000,\n"
                "a,y,order,1700000001,\n"
                "a,z,click,1700000002,\n"
                "a,w,rating,1700000003,4.5\n"
                "a,v,rating,1700000004,\n"
                "a,u,wishlist,1700000005,\n");
  const ColumnMapping m = *ParseEventMapping(
      "user_id=who,item_id=what,event_type=kind,timestamp=at,value=stars", "",
      "pageview=view,order=purchase", "");
  ReadReport report;
  absl::Status st;
  const std::vector<MappedRow> rows = Read(dir.Join("e.csv"), m, &report, &st);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].event.type, EventType::kView);
  EXPECT_EQ(rows[1].event.type, EventType::kPurchase);
  EXPECT_EQ(rows[2].event.type, EventType::kClick);
  EXPECT_EQ(rows[3].event.type, EventType::kRating);
  EXPECT_EQ(rows[3].event.value, 4.5);
  EXPECT_FALSE(rows[0].priced);
  EXPECT_THAT(report.errors,
              ::testing::ElementsAre(
                  HasSubstr("e.csv:6: stars: a rating needs a value"),
                  HasSubstr("e.csv:7: kind: 'wishlist' is not an event type "
                            "(map it with --event_type_map=wishlist=TYPE)")));
}

TEST(MappedCatalogTest, ReadsTheShopsOwnColumns) {
  TempDir dir;
  WriteTextFile(dir.Join("products.csv"),
                "SKU,Name,Dept,Label,Colour,Price,Sizes,Stock\n"
                "A1,Linen Shirt,tops,Halden,white,39.90,S;M;L,12\n"
                "A2,Wool Coat,outerwear,Halden,camel,149,M,0\n"
                "A3,Tee,tops,Basico,black,,, no\n"
                "A1,Again,tops,Halden,white,39.90,S,1\n"
                "A4,Bad,tops,Halden,white,cheap,S,1\n");
  ColumnMapping m = *ParseCatalogMapping(
      "item_id=SKU,title=Name,category=Dept,brand=Label,color=Colour,"
      "price=Price,sizes=Sizes,in_stock=Stock");
  m.sizes_separator = ';';
  ReadReport report;
  auto items = ReadMappedCatalogCsv(dir.Join("products.csv"), m, {}, &report);
  ASSERT_TRUE(items.ok()) << items.status();
  ASSERT_EQ(items->size(), 3u);
  EXPECT_EQ((*items)[0].title, "Linen Shirt");
  EXPECT_EQ((*items)[0].category, "tops");
  EXPECT_EQ((*items)[0].brand, "Halden");
  EXPECT_EQ((*items)[0].price, 39.9);
  EXPECT_EQ((*items)[0].sizes, (std::vector<std::string>{"S", "M", "L"}));
  EXPECT_TRUE((*items)[0].in_stock);
  EXPECT_FALSE((*items)[1].in_stock);  // 0 units
  EXPECT_FALSE((*items)[2].in_stock);  // "no"
  EXPECT_TRUE((*items)[2].sizes.empty());
  EXPECT_THAT(report.errors,
              ::testing::ElementsAre(
                  HasSubstr("products.csv:5: SKU: 'A1' is a duplicate of "
                            "line 2"),
                  HasSubstr("products.csv:6: Price: 'cheap' is not a finite "
                            "number")));
}

}  // namespace
}  // namespace tailor

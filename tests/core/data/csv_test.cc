#include "core/data/csv.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tailor {
namespace {

using ::testing::ElementsAre;

std::vector<std::vector<std::string>> ReadAll(const std::string& text,
                                              std::vector<int64_t>* lines,
                                              CsvOptions options = {}) {
  std::istringstream in(text);
  CsvReader reader(&in, options);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  for (;;) {
    absl::StatusOr<bool> more = reader.Next(&row);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    rows.push_back(row);
    if (lines) lines->push_back(reader.line());
  }
  return rows;
}

TEST(CsvReaderTest, PlainRowsAndLineNumbers) {
  std::vector<int64_t> lines;
  auto rows = ReadAll("a,b,c\n1,2,3\n\n4,,6\n", &lines);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_THAT(rows[0], ElementsAre("a", "b", "c"));
  EXPECT_THAT(rows[2], ElementsAre("4", "", "6"));
  EXPECT_THAT(lines, ElementsAre(1, 2, 4));  // the blank line still counts
}

TEST(CsvReaderTest, ByteOrderMarkIsSkipped) {
  auto rows = ReadAll("\xEF\xBB\xBFuser_id,item_id\nu,i\n", nullptr);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0], "user_id");
}

TEST(CsvReaderTest, CrlfLineEnds) {
  auto rows = ReadAll("a,b\r\n1,2\r\n\"q\",3\r\n", nullptr);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_THAT(rows[1], ElementsAre("1", "2"));
  EXPECT_THAT(rows[2], ElementsAre("q", "3"));
}

TEST(CsvReaderTest, QuotedFieldsWithDelimitersQuotesAndNewlines) {
  std::vector<int64_t> lines;
  auto rows = ReadAll(
      "id,title\n1,\"Coat, wool\"\n2,\"The \"\"Best\"\" "
      "Tee\"\n3,\"two\nlines\"\n"
      "4,after\n",
      &lines);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[1][1], "Coat, wool");
  EXPECT_EQ(rows[2][1], "The \"Best\" Tee");
  EXPECT_EQ(rows[3][1], "two\nlines");
  EXPECT_THAT(lines, ElementsAre(1, 2, 3, 4, 6));
}

TEST(CsvReaderTest, LastLineWithoutNewline) {
  auto rows = ReadAll("a,b\n1,2", nullptr);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_THAT(rows[1], ElementsAre("1", "2"));
}

TEST(CsvReaderTest, UnterminatedQuoteNamesItsLine) {
  std::istringstream in("a,b\n1,\"never closed\n2,3\n");
  CsvReader reader(&in);
  std::vector<std::string> row;
  ASSERT_TRUE(*reader.Next(&row));
  absl::StatusOr<bool> bad = reader.Next(&row);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), ::testing::HasSubstr("line 2"));
}

TEST(CsvReaderTest, GarbageAfterClosingQuoteSkipsToNextLine) {
  std::istringstream in("\"a\"x,b\nc,d\n");
  CsvReader reader(&in);
  std::vector<std::string> row;
  absl::StatusOr<bool> bad = reader.Next(&row);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), ::testing::HasSubstr("line 1"));
  absl::StatusOr<bool> next = reader.Next(&row);
  ASSERT_TRUE(next.ok() && *next);
  EXPECT_THAT(row, ElementsAre("c", "d"));
  EXPECT_EQ(reader.line(), 2);
}

TEST(CsvReaderTest, TabSeparatedWithoutQuoting) {
  CsvOptions tsv{'\t', false};
  auto rows = ReadAll("1\t\"2\t3\n", nullptr, tsv);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_THAT(rows[0], ElementsAre("1", "\"2", "3"));
}

TEST(CsvReaderTest, RecordsLargerThanTheBuffer) {
  std::string big(3 << 20, 'x');
  auto rows = ReadAll("a," + big + "\nb,c\n", nullptr);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][1].size(), big.size());
  EXPECT_THAT(rows[1], ElementsAre("b", "c"));
}

}  // namespace
}  // namespace tailor

#include "core/base/text.h"

#include "gtest/gtest.h"

namespace tailor {
namespace {

TEST(TextTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x91\x97"));
  EXPECT_FALSE(IsValidUtf8("\xC3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("a\x80z"));  // stray continuation
}

TEST(TextTest, ValidateIdNamesFieldAndReason) {
  EXPECT_TRUE(ValidateId("user_id", "U1").ok());
  EXPECT_TRUE(ValidateId("user_id", std::string(kMaxIdBytes, 'x')).ok());
  EXPECT_EQ(ValidateId("user_id", "").message(), "user_id: must not be empty");
  EXPECT_EQ(ValidateId("item_id", std::string(kMaxIdBytes + 1, 'x')).message(),
            "item_id: is 129 bytes long, the limit is 128");
  EXPECT_EQ(ValidateId("user_id", "\xFF").message(),
            "user_id: is not valid UTF-8");
}

TEST(TextTest, Latin1ToUtf8) {
  EXPECT_EQ(Latin1ToUtf8("Caf\xE9"), "Caf\xC3\xA9");
  EXPECT_TRUE(IsValidUtf8(Latin1ToUtf8(std::string("\x80\xFF\xA0", 3))));
}

}  // namespace
}  // namespace tailor

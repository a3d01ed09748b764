#include "core/base/id_map.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace tailor {
namespace {

TEST(IdMapTest, InsertFindAndGrowth) {
  IdMap m;
  for (int i = 0; i < 10000; ++i) {  // many rehashes
    ASSERT_EQ(m.Insert(absl::StrCat("user-", i)), i);
  }
  EXPECT_EQ(m.Insert("user-42"), 42);  // already there
  EXPECT_EQ(m.size(), 10000);
  for (int i = 0; i < 10000; i += 37) {
    EXPECT_EQ(m.Find(absl::StrCat("user-", i)), i);
    EXPECT_EQ(m.id(i), absl::StrCat("user-", i));
  }
  EXPECT_EQ(m.Find("user-10000"), std::nullopt);
  EXPECT_EQ(m.Find(""), std::nullopt);
}

TEST(IdMapTest, CopiesAndMovesStayIndependentAndUsable) {
  IdMap a({"x", "y", "z"});
  IdMap copy = a;
  copy.Insert("w");
  EXPECT_EQ(a.size(), 3);
  EXPECT_EQ(a.Find("w"), std::nullopt);
  EXPECT_EQ(copy.Find("w"), 3);

  // Copies share the dictionary until one of them inserts.
  IdMap shared = a;
  EXPECT_TRUE(shared.SharesWith(a));
  IdMap moved = std::move(a);
  EXPECT_EQ(moved.Find("z"), 2);
  moved.Insert("v");
  EXPECT_FALSE(moved.SharesWith(shared));
  EXPECT_EQ(moved.Find("v"), 3);
  EXPECT_EQ(shared.Find("v"), std::nullopt);
  EXPECT_EQ(shared.size(), 3);
  // A moved-from map still works (moves are copies).
  EXPECT_EQ(a.Find("x"), 0);  // NOLINT(bugprone-use-after-move)

  IdMap assigned;
  assigned = copy;
  EXPECT_EQ(assigned, copy);
  EXPECT_EQ(assigned.Find("w"), 3);
  assigned = std::move(moved);
  EXPECT_EQ(assigned.Find("v"), 3);
  EXPECT_EQ(assigned.Find("w"), std::nullopt);
  std::vector<IdMap> many(3, copy);  // copies inside a vector, then moved
  many.reserve(100);
  EXPECT_EQ(many[2].Find("y"), 1);
}

}  // namespace
}  // namespace tailor

// core/base/hash.h against the published FNV-1a 64-bit test vectors, and
// core/base/time.h's days around and before the epoch.
#include "core/base/hash.h"
#include "core/base/time.h"
#include "gtest/gtest.h"

namespace tailor {
namespace {

TEST(HashTest, Fnv1aMatchesTheReferenceVectors) {
  EXPECT_EQ(Fnv1a(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(Fnv1a("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(Fnv1a("foobar"), 0x85944171f73967e8ull);
  // Hashing in two pieces continues from the first piece's value.
  EXPECT_EQ(Fnv1a("bar", Fnv1a("foo")), Fnv1a("foobar"));
}

TEST(TimeTest, UtcDayOfRoundsDownOnBothSidesOfTheEpoch) {
  EXPECT_EQ(UtcDayOf(0), 0);
  EXPECT_EQ(UtcDayOf(kSecondsPerDay - 1), 0);
  EXPECT_EQ(UtcDayOf(kSecondsPerDay), 1);
  EXPECT_EQ(UtcDayOf(-1), -1);
  EXPECT_EQ(UtcDayOf(-kSecondsPerDay), -1);
  EXPECT_EQ(UtcDayOf(-kSecondsPerDay - 1), -2);
  EXPECT_EQ(UtcDayOf(1767225600), 20454);  // 2026-01-01
}

}  // namespace
}  // namespace tailor

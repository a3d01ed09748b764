// RemoveUsers: a snapshot without some of its users.
#include "core/serving/snapshot.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/customer_records.h"

namespace tailor {
namespace {

// Users u0..u3 with factor rows (u, u + 0.5) and history rows of u + 1
// entries; customers are the same users, sharing the dictionary.
Snapshot FourUsers() {
  Snapshot s;
  s.model.users = IdMap({"u0", "u1", "u2", "u3"});
  s.model.items = IdMap({"A", "B", "C", "D"});
  s.model.user_factors = RowMatrix(4, 2);
  for (int u = 0; u < 4; ++u) {
    s.model.user_factors.row(u) << static_cast<float>(u), u + 0.5f;
  }
  s.model.item_factors = RowMatrix::Ones(4, 2);
  s.model.popularity = {4, 3, 2, 1};
  s.history.row_ptr = {0};
  for (int u = 0; u < 4; ++u) {
    for (int i = 0; i <= u; ++i) {
      s.history.item.push_back(i);
      s.history.flags.push_back(static_cast<uint8_t>(u));
      s.history.weight_sum.push_back(10.0f * u + i);
      s.history.net_purchases.push_back(static_cast<int16_t>(u));
    }
    s.history.row_ptr.push_back(static_cast<int64_t>(s.history.item.size()));
  }
  s.segments = testing::MakeCustomerSegments(s.model.users.ids(), 2);
  s.segments.users = s.model.users;
  return s;
}

TEST(RemoveUsersTest, TheOthersKeepTheirRowsHistoriesAndRecords) {
  Snapshot s = FourUsers();
  const Snapshot before = FourUsers();
  std::vector<std::string> asked;
  const RemovedUsers removed = RemoveUsers(
      [&](absl::string_view id) {
        asked.emplace_back(id);
        return id == "u1" || id == "u3";
      },
      &s);
  EXPECT_EQ(removed.model_users, 2);
  EXPECT_EQ(removed.customers, 2);
  // One question per user: the customers share the model's dictionary.
  EXPECT_EQ(asked, (std::vector<std::string>{"u0", "u1", "u2", "u3"}));

  EXPECT_EQ(s.model.users.ids(), (std::vector<std::string>{"u0", "u2"}));
  EXPECT_FALSE(s.model.users.Find("u1").has_value());
  ASSERT_EQ(s.model.user_factors.rows(), 2);
  EXPECT_EQ(s.model.user_factors.row(1), before.model.user_factors.row(2));
  EXPECT_EQ(s.model.item_factors, before.model.item_factors);
  EXPECT_EQ(s.history.row_ptr, (std::vector<int64_t>{0, 1, 4}));
  EXPECT_EQ(s.history.weight_sum, (std::vector<float>{0, 20, 21, 22}));
  EXPECT_EQ(s.history.net_purchases, (std::vector<int16_t>{0, 2, 2, 2}));
  EXPECT_EQ(s.segments.users.ids(), s.model.users.ids());
  ASSERT_EQ(s.segments.records.size(), 2u);
  testing::ExpectSameRecord(s.segments.records[1], before.segments.records[2]);
  EXPECT_TRUE(s.model.Validate().ok());
  EXPECT_TRUE(s.segments.Validate(s.model.items.size()).ok());
}

TEST(RemoveUsersTest, CustomersOutsideTheModelAndNobodyRemoved) {
  Snapshot s = FourUsers();
  s.segments = testing::MakeCustomerSegments({"c0", "u2", "c1"}, 1);
  s.history = TrainingHistory();  // a snapshot without histories
  const RemovedUsers removed = RemoveUsers(
      [](absl::string_view id) { return id == "c1" || id == "u2"; }, &s);
  EXPECT_EQ(removed.model_users, 1);
  EXPECT_EQ(removed.customers, 2);
  EXPECT_EQ(s.segments.users.ids(), (std::vector<std::string>{"c0"}));
  EXPECT_EQ(s.segments.records.size(), 1u);
  EXPECT_TRUE(s.history.row_ptr.empty());

  Snapshot untouched = FourUsers();
  const RemovedUsers none =
      RemoveUsers([](absl::string_view) { return false; }, &untouched);
  EXPECT_EQ(none.model_users, 0);
  EXPECT_EQ(none.customers, 0);
  EXPECT_TRUE(untouched.segments.users.SharesWith(untouched.model.users));
}

}  // namespace
}  // namespace tailor

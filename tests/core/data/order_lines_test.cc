#include "core/data/order_lines.h"

#include "gtest/gtest.h"

namespace tailor {
namespace {

OrderLine Line(const char* item, int64_t t, double quantity, double price,
               const char* description) {
  OrderLine l;
  l.customer_id = "17850";
  l.order_id = quantity < 0 ? "C536379" : "536365";
  l.item_id = item;
  l.timestamp = t;
  l.quantity = quantity;
  l.unit_price = price;
  l.description = description;
  return l;
}

TEST(OrderLinesTest, LinesArePurchasesAndCancellationsReturns) {
  const Event bought = EventOfOrderLine(Line("85123A", 100, 6, 2.55, "HEART"));
  EXPECT_EQ(bought.user_id, "17850");
  EXPECT_EQ(bought.item_id, "85123A");
  EXPECT_EQ(bought.type, EventType::kPurchase);
  EXPECT_EQ(bought.timestamp, 100);
  EXPECT_EQ(bought.value, 6);
  EXPECT_EQ(bought.price, 2.55);
  const Event returned = EventOfOrderLine(Line("D", 200, -2, 27.5, "Discount"));
  EXPECT_EQ(returned.type, EventType::kReturn);
  EXPECT_EQ(returned.value, 2);
  EXPECT_EQ(returned.price, 27.5);
}

TEST(OrderLinesTest, TheCatalogTakesEachItemsLatestLine) {
  OrderLineCatalog catalog;
  catalog.Add(Line("B", 300, 1, 5.0, "LANTERN"));
  catalog.Add(Line("A", 200, 1, 2.95, "HEART, NEW"));
  catalog.Add(Line("A", 100, 1, 2.55, "HEART"));      // older: ignored
  catalog.Add(Line("B", 300, 1, 4.5, "LANTERN II"));  // a tie: the later row
  catalog.Add(Line("C", 50, 1, 1.0, "CUP"));
  catalog.Add(Line("C", 60, -1, 0.85, ""));  // blank: the title stays
  const std::vector<Item> items = catalog.Items();
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].item_id, "A");
  EXPECT_EQ(items[0].title, "HEART, NEW");
  EXPECT_EQ(items[0].price, 2.95);
  EXPECT_EQ(items[1].title, "LANTERN II");
  EXPECT_EQ(items[1].price, 4.5);
  EXPECT_EQ(items[2].title, "CUP");
  EXPECT_EQ(items[2].price, 0.85);
  EXPECT_TRUE(items[2].in_stock);
  EXPECT_TRUE(items[2].category.empty());
}

}  // namespace
}  // namespace tailor

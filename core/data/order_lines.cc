#include "core/data/order_lines.h"

#include <algorithm>
#include <cmath>

namespace tailor {

Event EventOfOrderLine(const OrderLine& line) {
  Event e;
  e.user_id = line.customer_id;
  e.item_id = line.item_id;
  e.type = line.quantity < 0 ? EventType::kReturn : EventType::kPurchase;
  e.timestamp = line.timestamp;
  e.value = std::abs(line.quantity);
  e.price = line.unit_price;
  return e;
}

void OrderLineCatalog::Add(const OrderLine& line) {
  auto [it, added] = items_.try_emplace(line.item_id);
  Latest& latest = it->second;
  if (!added && line.timestamp < latest.timestamp) return;
  latest.timestamp = line.timestamp;
  if (!line.description.empty() || added) latest.title = line.description;
  latest.price = line.unit_price;
}

std::vector<Item> OrderLineCatalog::Items() const {
  std::vector<Item> out;
  out.reserve(items_.size());
  for (const auto& [id, latest] : items_) {
    Item item;
    item.item_id = id;
    item.title = latest.title;
    item.price = latest.price;
    out.push_back(std::move(item));
  }
  std::sort(out.begin(), out.end(),
            [](const Item& a, const Item& b) { return a.item_id < b.item_id; });
  return out;
}

}  // namespace tailor

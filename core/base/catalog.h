// Catalog items: the product attributes shown to shoppers and used in rules.
#ifndef TAILOR_CORE_BASE_CATALOG_H_
#define TAILOR_CORE_BASE_CATALOG_H_

#include <cstdint>
#include <string>
#include <vector>

namespace tailor {

struct Item {
  std::string item_id;
  std::string title;
  std::string category;
  std::string brand;
  std::string color;
  double price = 0.0;
  std::vector<std::string> sizes;
  bool in_stock = true;
  // Units in stock per size, parallel to `sizes`; empty when stock is not
  // tracked per size. A size with 0 units is not offered (size filters
  // leave the item out for it).
  std::vector<int32_t> size_stock;

  bool operator==(const Item&) const = default;
};

}  // namespace tailor

#endif  // TAILOR_CORE_BASE_CATALOG_H_

// An order export's rows (OrderLine, from readers.h) as Tailor's events and
// catalog: what training and profiling read.
#ifndef TAILOR_CORE_DATA_ORDER_LINES_H_
#define TAILOR_CORE_DATA_ORDER_LINES_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/base/catalog.h"
#include "core/base/event.h"
#include "core/data/readers.h"

namespace tailor {

// The line as an event of its customer: a purchase of `quantity` units at
// `unit_price`, or, for a negative quantity (a cancellation), a return of
// that many units at that price.
Event EventOfOrderLine(const OrderLine& line);

// The catalog an order export implies: every item its lines name, titled
// with its description and priced at its unit price, both as its latest
// line (by timestamp; the later row on a tie) has them (a blank
// description keeps the one before). An export has no
// category, brand, colour, sizes or stock: they are left empty, and every
// item counts as in stock.
// Thread safety: not thread-safe.
class OrderLineCatalog {
 public:
  void Add(const OrderLine& line);
  // By item_id.
  std::vector<Item> Items() const;

 private:
  struct Latest {
    int64_t timestamp = 0;
    std::string title;
    double price = 0;
  };
  absl::flat_hash_map<std::string, Latest> items_;
};

}  // namespace tailor

#endif  // TAILOR_CORE_DATA_ORDER_LINES_H_

// Readers for the data sets the trainer accepts: Tailor's events and catalog
// CSVs, MovieLens (u.data-style ratings, u.item), and order lines in the UCI
// Online Retail layout.
//
// A malformed row is never silent: it is either rejected with
// "<file>:<line>: <field>: <reason>" (strict mode, first bad row is fatal) or
// skipped and counted in the ReadReport, whose first errors are kept.
#ifndef TAILOR_CORE_DATA_READERS_H_
#define TAILOR_CORE_DATA_READERS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/catalog.h"
#include "core/base/event.h"
#include "core/data/column_mapping.h"

namespace tailor {

struct ReadOptions {
  // Make the first bad row fatal instead of skipping and counting it.
  bool strict = false;
  // How many row errors a report keeps verbatim.
  size_t max_reported_errors = 20;
  // ReadEventsCsvPipelined parses on a background thread; false makes it
  // the plain ReadEventsCsv (the baseline its speed is measured against).
  bool background_parsing = true;
};

struct ReadReport {
  std::string source;
  int64_t rows = 0;      // data rows seen (header excluded)
  int64_t accepted = 0;  // rows passed to the caller
  int64_t skipped = 0;   // rows rejected
  // Rows accepted but left out because their user was erased (a trainer's
  // erasure list): not passed to the caller.
  int64_t erased = 0;
  std::vector<std::string> errors;  // the first rejections, "file:line: why"

  // One line, e.g. "events.csv: 1000 rows, 998 accepted, 2 skipped".
  std::string Summary() const;
};

using EventSink = std::function<void(Event&&)>;

// Events CSV: user_id,item_id,event_type,timestamp[,value[,price]]. A header
// row
// (a first row with a "user_id" field) is optional; with one, columns may come
// in any order and unknown columns are ignored.
absl::Status ReadEventsCsv(const std::string& path, const ReadOptions& options,
                           const EventSink& sink, ReadReport* report);

// ReadEventsCsv with the parsing on a background thread: `sink` still runs
// on the calling thread and sees the events in file order, but parsing
// overlaps its work (nearly twice as fast on two cores when the sink costs
// about as much as parsing). At most a few thousand events are buffered.
absl::Status ReadEventsCsvPipelined(const std::string& path,
                                    const ReadOptions& options,
                                    const EventSink& sink, ReadReport* report);

// Catalog CSV: item_id,title,category,brand,color,price,sizes,in_stock with
// sizes separated by '|' and in_stock one of true/false/1/0/yes/no. The
// header is optional, as for events. Duplicate item ids are rejected.
absl::StatusOr<std::vector<Item>> ReadCatalogCsv(const std::string& path,
                                                 const ReadOptions& options,
                                                 ReadReport* report);
// The catalog header line and one catalog row, as ReadCatalogCsv reads them.
std::string CatalogCsvHeader();
std::string CatalogCsvRow(const Item& item);
// The events header line (every column) and one event row, as ReadEventsCsv
// reads them: the value always, the price when given (>= 0).
std::string EventsCsvHeader();
std::string EventCsvRow(const Event& event);
// Quotes a CSV field when it holds a comma, quote or line break.
std::string CsvEscape(absl::string_view field);

// MovieLens ratings ("user \t item \t rating \t timestamp", as in u.data and
// the u1..u5 folds). Each row becomes a kRating event with the rating as value.
absl::Status ReadMovieLensRatings(const std::string& path,
                                  const ReadOptions& options,
                                  const EventSink& sink, ReadReport* report);

// MovieLens movies (u.item, Latin-1, '|'-separated) as catalog items: the
// title converted to UTF-8, the first genre as category, no price.
absl::StatusOr<std::vector<Item>> ReadMovieLensItems(const std::string& path,
                                                     const ReadOptions& options,
                                                     ReadReport* report);

// One line of an order. A negative quantity is a return or cancellation.
struct OrderLine {
  std::string customer_id;
  std::string order_id;
  std::string item_id;
  int64_t timestamp = 0;  // Unix seconds
  double quantity = 0;
  double unit_price = 0;
  std::string description;  // the product's name, as the export has it
};
using OrderLineSink = std::function<void(OrderLine&&)>;

// The UCI "Online Retail" export: InvoiceNo, StockCode, Description,
// Quantity, InvoiceDate, UnitPrice, CustomerID, Country (header optional;
// BOM, quoted descriptions and lines quoted whole are accepted).
// - CustomerID written as a float ("17850.0") is read as "17850".
// - A row without a CustomerID (a guest order) is rejected and counted:
//   it cannot be attributed to a customer.
// - InvoiceNo "C..." is a cancellation and must have a negative quantity;
//   any negative quantity is a return of that many units.
// - Quantity 0 and negative prices are rejected.
absl::Status ReadOnlineRetailCsv(const std::string& path,
                                 const ReadOptions& options,
                                 const OrderLineSink& sink, ReadReport* report);

// Any CSV of orders or events, read through `mapping` (column_mapping.h):
// the header row is required and must have every mapped column; BOM,
// quoted fields and lines quoted whole are accepted. Each row
// becomes a MappedRow: its type fixed or from the event_type column (values
// mapped by mapping.type_values, else Tailor's names), the quantity (its
// magnitude) or, for a rating, the value as the event's value, the price as
// the unit price. An order_id starting with mapping.cancel_prefix is a
// cancellation: its negative quantity is a return of that many units (a
// positive one is an error); a negative quantity anywhere else is an error.
// A bad row is named by file, line and source column, counted and skipped
// (fatal with options.strict); a day/month date without
// mapping.time_format is fatal (FAILED_PRECONDITION), whatever `strict`.
using MappedRowSink = std::function<void(MappedRow&&)>;
absl::Status ReadMappedEventsCsv(const std::string& path,
                                 const ColumnMapping& mapping,
                                 const ReadOptions& options,
                                 const MappedRowSink& sink, ReadReport* report);

// Any catalog CSV read through `mapping` (ParseCatalogMapping; header
// required): item_id, then whichever of title, category, brand, color,
// price, sizes (split at mapping.sizes_separator) and in_stock (true/false/
// 1/0/yes/no, or a count of units: in stock when above 0) are mapped.
// Duplicate item ids are rejected as in ReadCatalogCsv.
absl::StatusOr<std::vector<Item>> ReadMappedCatalogCsv(
    const std::string& path, const ColumnMapping& mapping,
    const ReadOptions& options, ReadReport* report);

}  // namespace tailor

#endif  // TAILOR_CORE_DATA_READERS_H_

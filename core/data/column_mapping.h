// Column mappings: how to read any CSV of orders or events (and any
// catalog CSV) whose columns have their own names, without converting it
// first. tailor-trainer's --format=mapped with --columns, --event_type,
// --event_type_map, --time_format and --catalog_columns build them.
#ifndef TAILOR_CORE_DATA_COLUMN_MAPPING_H_
#define TAILOR_CORE_DATA_COLUMN_MAPPING_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/base/catalog.h"
#include "core/base/event.h"

namespace tailor {

// Which source column holds each of Tailor's fields, and how to read them.
// Thread safety: a plain value, shared read-only.
struct ColumnMapping {
  // Tailor's field -> the source header's column name. Events: user_id,
  // item_id and timestamp required; event_type, quantity, value, price,
  // order_id and title optional. Catalog: item_id required; title,
  // category, brand, color, price, sizes and in_stock optional.
  std::vector<std::pair<std::string, std::string>> columns;
  // Events: the type of every row when there is no event_type column.
  std::optional<EventType> fixed_type;
  // Events: the event_type column's values -> Tailor's types (values not
  // listed are read as Tailor's own names: view, click, ...).
  absl::flat_hash_map<std::string, EventType> type_values;
  // strptime-style (absl::ParseTime) format of the timestamp column, read
  // as UTC; empty: Unix seconds or ISO-8601, and dates such as 12/1/2010
  // are refused (day-first and month-first must be chosen).
  std::string time_format;
  // Events: an order_id starting with this is a cancellation: its negative
  // quantity is a return. Negative quantities anywhere else are errors.
  std::string cancel_prefix = "C";
  // Catalog: the separator of the sizes column's values.
  char sizes_separator = '|';

  // The source column of `field`, or nullopt when unmapped.
  std::optional<std::string> Source(absl::string_view field) const;
};

// The fields a mapping may name, for events and for catalogs.
const std::vector<std::string>& EventFields();
const std::vector<std::string>& CatalogFields();

// Parses "field=Column,field=Column,..." (--columns, --catalog_columns)
// against `fields` (EventFields or CatalogFields): unknown fields, a field
// given twice, empty names and missing required fields (`required`) are
// errors naming `flag`.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
ParseColumnSpec(absl::string_view flag, absl::string_view spec,
                const std::vector<std::string>& fields,
                const std::vector<std::string>& required);

// The events mapping from the flags' values: `columns` (--columns),
// `event_type` (--event_type: a fixed type, or empty), `type_map`
// (--event_type_map: "source=type,..."), `time_format` (--time_format).
// Exactly one of an event_type column and a fixed type must be given.
absl::StatusOr<ColumnMapping> ParseEventMapping(absl::string_view columns,
                                                absl::string_view event_type,
                                                absl::string_view type_map,
                                                absl::string_view time_format);
// The catalog mapping from --catalog_columns (item_id required).
absl::StatusOr<ColumnMapping> ParseCatalogMapping(absl::string_view columns);

// The row of a mapped events file: its event, and what it says of the
// catalog (for a catalog derived from the file when none is given).
struct MappedRow {
  Event event;
  std::string title;    // the title column ("" when unmapped or blank)
  bool priced = false;  // the price column is mapped and set
};

// Reads a timestamp with `mapping.time_format` (UTC), or, without one, as
// Unix seconds or ISO-8601. `column` names the source column in errors. A
// day/month date without a format is FAILED_PRECONDITION, with the two
// formats to choose from: the whole file is refused, not the row.
absl::StatusOr<int64_t> ParseMappedTimestamp(const ColumnMapping& mapping,
                                             absl::string_view column,
                                             absl::string_view text);

}  // namespace tailor

#endif  // TAILOR_CORE_DATA_COLUMN_MAPPING_H_

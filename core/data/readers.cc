#include "core/data/readers.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/base/mutex.h"
#include "core/base/status_macros.h"
#include "core/base/text.h"
#include "core/data/csv.h"

namespace tailor {
namespace {

// Records a bad row: fatal in strict mode, otherwise counted and kept.
absl::Status RejectRow(const ReadOptions& options, ReadReport* report,
                       int64_t line, absl::string_view why) {
  std::string msg = absl::StrCat(report->source, ":", line, ": ", why);
  if (options.strict) return absl::InvalidArgumentError(msg);
  ++report->skipped;
  if (report->errors.size() < options.max_reported_errors) {
    report->errors.push_back(std::move(msg));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::ifstream> OpenInput(const std::string& path,
                                        absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot open ", what, " file '", path, "'"));
  }
  return in;
}

// Column positions of a CSV file, from its header or by position.
class Columns {
 public:
  // With `require_header`, the first record is always the header.
  explicit Columns(std::vector<std::string> names, bool require_header = false)
      : names_(std::move(names)), require_header_(require_header) {}

  // Looks at the first record: if any field is names_[0] it is a header,
  // and columns are mapped by name. Returns whether it was a header.
  absl::StatusOr<bool> Detect(const std::vector<std::string>& first,
                              size_t required) {
    index_.clear();
    const bool is_header =
        require_header_ ||
        std::any_of(first.begin(), first.end(), [&](const std::string& f) {
          return absl::StripAsciiWhitespace(f) == names_[0];
        });
    if (!is_header) {
      for (size_t i = 0; i < names_.size(); ++i) index_.push_back(i);
      min_fields_ = required;
      return false;
    }
    min_fields_ = 0;
    for (size_t n = 0; n < names_.size(); ++n) {
      int found = -1;
      for (size_t i = 0; i < first.size(); ++i) {
        if (absl::StripAsciiWhitespace(first[i]) == names_[n]) found = i;
      }
      if (found < 0 && n < required) {
        return absl::InvalidArgumentError(absl::StrCat(
            "header has no '", names_[n], "' column",
            require_header_ ? absl::StrCat(" (its columns: ",
                                           absl::StrJoin(first, ", "), ")")
                            : ""));
      }
      index_.push_back(found < 0 ? SIZE_MAX : static_cast<size_t>(found));
      if (found >= 0 && n < required) {
        min_fields_ = std::max<size_t>(min_fields_, found + 1);
      }
    }
    return true;
  }

  size_t min_fields() const { return min_fields_; }
  // The field for column n, or "" when absent.
  absl::string_view Get(const std::vector<std::string>& row, size_t n) const {
    const size_t i = index_[n];
    return i < row.size() ? absl::string_view(row[i]) : absl::string_view();
  }

 private:
  std::vector<std::string> names_;
  bool require_header_;
  std::vector<size_t> index_;
  size_t min_fields_ = 0;
};

absl::StatusOr<double> ParseNumber(absl::string_view field,
                                   absl::string_view text) {
  double v;
  if (!absl::SimpleAtod(absl::StripAsciiWhitespace(text), &v) ||
      !std::isfinite(v)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": '", text, "' is not a finite number"));
  }
  return v;
}

absl::StatusOr<bool> ParseBool(absl::string_view field,
                               absl::string_view text) {
  const std::string t = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (t == "true" || t == "1" || t == "yes") return true;
  if (t == "false" || t == "0" || t == "no") return false;
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": '", text, "' is not one of true/false/1/0/yes/no"));
}

absl::StatusOr<Event> ParseEventRow(const Columns& cols,
                                    const std::vector<std::string>& row) {
  Event e;
  e.user_id = std::string(cols.Get(row, 0));
  e.item_id = std::string(cols.Get(row, 1));
  TAILOR_RETURN_IF_ERROR(ValidateId("user_id", e.user_id));
  TAILOR_RETURN_IF_ERROR(ValidateId("item_id", e.item_id));
  TAILOR_ASSIGN_OR_RETURN(e.type, ParseEventType(cols.Get(row, 2)));
  TAILOR_ASSIGN_OR_RETURN(e.timestamp, ParseTimestamp(cols.Get(row, 3)));
  absl::string_view value = cols.Get(row, 4);
  if (!absl::StripAsciiWhitespace(value).empty()) {
    TAILOR_ASSIGN_OR_RETURN(e.value, ParseNumber("value", value));
  } else if (e.type == EventType::kRating) {
    return absl::InvalidArgumentError("value: a rating event needs a value");
  }
  absl::string_view price = cols.Get(row, 5);
  if (!absl::StripAsciiWhitespace(price).empty()) {
    TAILOR_ASSIGN_OR_RETURN(e.price, ParseNumber("price", price));
    if (e.price < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("price: must be >= 0, got '", price, "'"));
    }
  }
  return e;
}

absl::StatusOr<Item> ParseItemRow(const Columns& cols,
                                  const std::vector<std::string>& row) {
  Item item;
  item.item_id = std::string(cols.Get(row, 0));
  TAILOR_RETURN_IF_ERROR(ValidateId("item_id", item.item_id));
  item.title = std::string(cols.Get(row, 1));
  item.category = std::string(cols.Get(row, 2));
  item.brand = std::string(cols.Get(row, 3));
  item.color = std::string(cols.Get(row, 4));
  for (auto [name, text] :
       {std::pair{"title", item.title}, std::pair{"category", item.category},
        std::pair{"brand", item.brand}, std::pair{"color", item.color}}) {
    if (!IsValidUtf8(text)) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": is not valid UTF-8"));
    }
  }
  absl::string_view price = cols.Get(row, 5);
  if (!absl::StripAsciiWhitespace(price).empty()) {
    TAILOR_ASSIGN_OR_RETURN(item.price, ParseNumber("price", price));
    if (item.price < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("price: ", item.price, " is negative"));
    }
  }
  for (absl::string_view s :
       absl::StrSplit(cols.Get(row, 6), '|', absl::SkipWhitespace())) {
    item.sizes.emplace_back(absl::StripAsciiWhitespace(s));
  }
  absl::string_view stock = cols.Get(row, 7);
  if (!absl::StripAsciiWhitespace(stock).empty()) {
    TAILOR_ASSIGN_OR_RETURN(item.in_stock, ParseBool("in_stock", stock));
  }
  return item;
}

// Drives a CSV file through `parse_row`, applying the bad-row policy.
// Some exports quote a whole line as one field (inner quotes doubled), as
// in `"536394,21506,""CARD, BIRTHDAY"",24,..."`. Such a one-field record
// that holds the delimiter is split again as a line of its own.
absl::Status SplitWholeLineField(const CsvOptions& csv_options,
                                 std::vector<std::string>* row) {
  if (row->size() != 1 ||
      (*row)[0].find(csv_options.delimiter) == std::string::npos) {
    return absl::OkStatus();
  }
  std::istringstream line((*row)[0]);
  CsvReader inner(&line, csv_options);
  std::vector<std::string> fields;
  TAILOR_ASSIGN_OR_RETURN(bool any, inner.Next(&fields));
  if (any) *row = std::move(fields);
  return absl::OkStatus();
}

template <typename ParseRow>
absl::Status ReadRows(const std::string& path, absl::string_view what,
                      CsvOptions csv_options, Columns* columns, size_t required,
                      bool allow_header, const ReadOptions& options,
                      ReadReport* report, ParseRow parse_row,
                      bool split_whole_line_fields = false) {
  report->source = path;
  TAILOR_ASSIGN_OR_RETURN(std::ifstream in, OpenInput(path, what));
  CsvReader reader(&in, csv_options);
  std::vector<std::string> row;
  bool first = true;
  for (;;) {
    absl::StatusOr<bool> more = reader.Next(&row);
    if (!more.ok()) {
      ++report->rows;
      TAILOR_RETURN_IF_ERROR(
          RejectRow(options, report, reader.line(), more.status().message()));
      continue;
    }
    if (!*more) break;
    if (split_whole_line_fields) {
      if (absl::Status st = SplitWholeLineField(csv_options, &row); !st.ok()) {
        ++report->rows;
        TAILOR_RETURN_IF_ERROR(
            RejectRow(options, report, reader.line(), st.message()));
        continue;
      }
    }
    if (first) {
      first = false;
      absl::StatusOr<bool> header = columns->Detect(row, required);
      if (!header.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ":", reader.line(), ": ", header.status().message()));
      }
      if (*header) {
        if (!allow_header) {
          return absl::InvalidArgumentError(
              absl::StrCat(path, ":1: unexpected header"));
        }
        continue;
      }
    }
    ++report->rows;
    if (row.size() < columns->min_fields()) {
      TAILOR_RETURN_IF_ERROR(RejectRow(
          options, report, reader.line(),
          absl::StrCat("has ", row.size(), " fields, expected at least ",
                       columns->min_fields())));
      continue;
    }
    absl::Status st = parse_row(row, reader.line());
    if (absl::IsFailedPrecondition(st)) {
      // Not the row's fault but the file's (e.g. ambiguous dates): fatal.
      return absl::FailedPreconditionError(
          absl::StrCat(path, ":", reader.line(), ": ", st.message()));
    }
    if (!st.ok()) {
      TAILOR_RETURN_IF_ERROR(
          RejectRow(options, report, reader.line(), st.message()));
      continue;
    }
    ++report->accepted;
  }
  return absl::OkStatus();
}

}  // namespace

std::string ReadReport::Summary() const {
  std::string out = absl::StrCat(source, ": ", rows, " rows, ", accepted,
                                 " accepted, ", skipped, " skipped");
  if (erased > 0) {
    absl::StrAppend(&out, " (", erased, " of erased users left out)");
  }
  return out;
}

absl::Status ReadEventsCsv(const std::string& path, const ReadOptions& options,
                           const EventSink& sink, ReadReport* report) {
  Columns cols(
      {"user_id", "item_id", "event_type", "timestamp", "value", "price"});
  return ReadRows(path, "events", CsvOptions{}, &cols, 4, true, options, report,
                  [&](const std::vector<std::string>& row, int64_t) {
                    TAILOR_ASSIGN_OR_RETURN(Event e, ParseEventRow(cols, row));
                    sink(std::move(e));
                    return absl::OkStatus();
                  });
}

absl::Status ReadEventsCsvPipelined(const std::string& path,
                                    const ReadOptions& options,
                                    const EventSink& sink, ReadReport* report) {
  if (!options.background_parsing) {
    return ReadEventsCsv(path, options, sink, report);
  }
  constexpr size_t kBatch = 4096;
  constexpr size_t kMaxQueued = 8;
  // Thread safety: the queue and the done flag are guarded by mu.
  struct Channel {
    Mutex mu;
    std::deque<std::vector<Event>> queue ABSL_GUARDED_BY(mu);
    bool done ABSL_GUARDED_BY(mu) = false;
  } ch;
  absl::Status parsed;
  std::thread producer([&] {
    std::vector<Event> batch;
    batch.reserve(kBatch);
    auto flush = [&] {
      MutexLock lock(&ch.mu);
      ch.mu.Await(absl::Condition(
          +[](Channel* c) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return c->queue.size() < kMaxQueued;
          },
          &ch));
      ch.queue.push_back(std::move(batch));
      batch = {};
      batch.reserve(kBatch);
    };
    parsed = ReadEventsCsv(
        path, options,
        [&](Event&& e) {
          batch.push_back(std::move(e));
          if (batch.size() == kBatch) flush();
        },
        report);
    if (!batch.empty()) flush();
    MutexLock lock(&ch.mu);
    ch.done = true;
  });
  while (true) {
    std::vector<Event> batch;
    {
      MutexLock lock(&ch.mu);
      ch.mu.Await(absl::Condition(
          +[](Channel* c) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return !c->queue.empty() || c->done;
          },
          &ch));
      if (ch.queue.empty()) break;
      batch = std::move(ch.queue.front());
      ch.queue.pop_front();
    }
    for (Event& e : batch) sink(std::move(e));
  }
  producer.join();
  return parsed;
}

absl::StatusOr<std::vector<Item>> ReadCatalogCsv(const std::string& path,
                                                 const ReadOptions& options,
                                                 ReadReport* report) {
  Columns cols({"item_id", "title", "category", "brand", "color", "price",
                "sizes", "in_stock"});
  std::vector<Item> items;
  absl::flat_hash_map<std::string, int64_t> first_line;
  TAILOR_RETURN_IF_ERROR(ReadRows(
      path, "catalog", CsvOptions{}, &cols, 1, true, options, report,
      [&](const std::vector<std::string>& row, int64_t line) {
        TAILOR_ASSIGN_OR_RETURN(Item item, ParseItemRow(cols, row));
        auto [it, inserted] = first_line.try_emplace(item.item_id, line);
        if (!inserted) {
          return absl::InvalidArgumentError(
              absl::StrCat("item_id: '", item.item_id,
                           "' is a duplicate of line ", it->second));
        }
        items.push_back(std::move(item));
        return absl::OkStatus();
      }));
  return items;
}

absl::Status ReadOnlineRetailCsv(const std::string& path,
                                 const ReadOptions& options,
                                 const OrderLineSink& sink,
                                 ReadReport* report) {
  Columns cols({"InvoiceNo", "StockCode", "Description", "Quantity",
                "InvoiceDate", "UnitPrice", "CustomerID", "Country"});
  return ReadRows(
      path, "online retail", CsvOptions{}, &cols, 7, true, options, report,
      [&](const std::vector<std::string>& row, int64_t) -> absl::Status {
        OrderLine l;
        l.order_id = std::string(absl::StripAsciiWhitespace(cols.Get(row, 0)));
        TAILOR_RETURN_IF_ERROR(ValidateId("InvoiceNo", l.order_id));
        l.item_id = std::string(absl::StripAsciiWhitespace(cols.Get(row, 1)));
        TAILOR_RETURN_IF_ERROR(ValidateId("StockCode", l.item_id));
        l.description =
            std::string(absl::StripAsciiWhitespace(cols.Get(row, 2)));
        TAILOR_ASSIGN_OR_RETURN(l.quantity,
                                ParseNumber("Quantity", cols.Get(row, 3)));
        TAILOR_ASSIGN_OR_RETURN(l.timestamp, ParseTimestamp(cols.Get(row, 4)));
        TAILOR_ASSIGN_OR_RETURN(l.unit_price,
                                ParseNumber("UnitPrice", cols.Get(row, 5)));
        absl::string_view customer =
            absl::StripAsciiWhitespace(cols.Get(row, 6));
        if (customer.empty()) {
          return absl::InvalidArgumentError(
              "CustomerID: missing (a guest order cannot be attributed)");
        }
        // Exported as floats: "17850.0" is customer 17850.
        if (absl::EndsWith(customer, ".0")) customer.remove_suffix(2);
        l.customer_id = std::string(customer);
        TAILOR_RETURN_IF_ERROR(ValidateId("CustomerID", l.customer_id));
        if (l.quantity == 0) {
          return absl::InvalidArgumentError("Quantity: must not be 0");
        }
        if (l.unit_price < 0) {
          return absl::InvalidArgumentError(absl::StrCat(
              "UnitPrice: must not be negative, got ", l.unit_price));
        }
        const bool cancellation = absl::StartsWith(l.order_id, "C");
        if (cancellation && l.quantity > 0) {
          return absl::InvalidArgumentError(
              "Quantity: a cancellation (InvoiceNo C...) must be negative");
        }
        sink(std::move(l));
        return absl::OkStatus();
      },
      /*split_whole_line_fields=*/true);
}

namespace {

// A mapped file's columns: the mapping's source names, in its order; Get
// by Tailor's field name ("" when unmapped).
// Thread safety: immutable once the header is read; one reader's.
class MappedColumns {
 public:
  explicit MappedColumns(const ColumnMapping& mapping) : mapping_(mapping) {
    std::vector<std::string> names;
    for (const auto& [field, column] : mapping.columns) names.push_back(column);
    columns_ = std::make_unique<Columns>(std::move(names),
                                         /*require_header=*/true);
  }
  Columns* columns() { return columns_.get(); }
  size_t size() const { return mapping_.columns.size(); }
  bool has(absl::string_view field) const {
    return mapping_.Source(field).has_value();
  }
  absl::string_view Get(const std::vector<std::string>& row,
                        absl::string_view field) const {
    for (size_t n = 0; n < mapping_.columns.size(); ++n) {
      if (mapping_.columns[n].first == field) {
        return absl::StripAsciiWhitespace(columns_->Get(row, n));
      }
    }
    return absl::string_view();
  }
  // The source column's name, for errors.
  std::string Name(absl::string_view field) const {
    return mapping_.Source(field).value_or(std::string(field));
  }

 private:
  const ColumnMapping& mapping_;
  std::unique_ptr<Columns> columns_;
};

absl::StatusOr<MappedRow> ParseMappedRow(const ColumnMapping& mapping,
                                         const MappedColumns& cols,
                                         const std::vector<std::string>& row) {
  MappedRow out;
  Event& e = out.event;
  e.user_id = std::string(cols.Get(row, "user_id"));
  TAILOR_RETURN_IF_ERROR(ValidateId(cols.Name("user_id"), e.user_id));
  e.item_id = std::string(cols.Get(row, "item_id"));
  TAILOR_RETURN_IF_ERROR(ValidateId(cols.Name("item_id"), e.item_id));
  TAILOR_ASSIGN_OR_RETURN(e.timestamp,
                          ParseMappedTimestamp(mapping, cols.Name("timestamp"),
                                               cols.Get(row, "timestamp")));
  if (mapping.fixed_type.has_value()) {
    e.type = *mapping.fixed_type;
  } else {
    const std::string value(cols.Get(row, "event_type"));
    if (auto it = mapping.type_values.find(value);
        it != mapping.type_values.end()) {
      e.type = it->second;
    } else if (absl::StatusOr<EventType> type = ParseEventType(value);
               type.ok()) {
      e.type = *type;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          cols.Name("event_type"), ": '", value,
          "' is not an event type (map it with --event_type_map=", value,
          "=TYPE)"));
    }
  }
  if (cols.has("quantity")) {
    TAILOR_ASSIGN_OR_RETURN(
        const double quantity,
        ParseNumber(cols.Name("quantity"), cols.Get(row, "quantity")));
    if (quantity == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(cols.Name("quantity"), ": must not be 0"));
    }
    const bool cancellation =
        cols.has("order_id") && !mapping.cancel_prefix.empty() &&
        absl::StartsWith(cols.Get(row, "order_id"), mapping.cancel_prefix);
    if (cancellation && quantity > 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          cols.Name("quantity"), ": a cancellation (", cols.Name("order_id"),
          " ", mapping.cancel_prefix, "...) must be negative, got ", quantity));
    }
    if (quantity < 0) {
      if (cancellation && e.type == EventType::kPurchase) {
        e.type = EventType::kReturn;
      } else if (!cancellation && e.type != EventType::kReturn) {
        return absl::InvalidArgumentError(absl::StrCat(
            cols.Name("quantity"), ": ", quantity,
            " is negative outside a cancellation (",
            cols.has("order_id")
                ? absl::StrCat(cols.Name("order_id"), " starting with '",
                               mapping.cancel_prefix, "'")
                : "map the order number: --columns=...,order_id=COLUMN",
            ") or a return"));
      }
    }
    e.value = std::abs(quantity);
  }
  if (cols.has("value") &&
      (e.type == EventType::kRating || !cols.has("quantity"))) {
    const absl::string_view value = cols.Get(row, "value");
    if (!value.empty()) {
      TAILOR_ASSIGN_OR_RETURN(e.value, ParseNumber(cols.Name("value"), value));
    }
  }
  if (e.type == EventType::kRating &&
      (!cols.has("value") || cols.Get(row, "value").empty())) {
    return absl::InvalidArgumentError(absl::StrCat(
        cols.has("value") ? cols.Name("value") : "value",
        ": a rating needs a value (map it: --columns=...,value=COLUMN)"));
  }
  if (cols.has("price") && !cols.Get(row, "price").empty()) {
    TAILOR_ASSIGN_OR_RETURN(
        e.price, ParseNumber(cols.Name("price"), cols.Get(row, "price")));
    if (e.price < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          cols.Name("price"), ": must not be negative, got ", e.price));
    }
    out.priced = true;
  }
  out.title = std::string(cols.Get(row, "title"));
  return out;
}

absl::StatusOr<Item> ParseMappedItem(const ColumnMapping& mapping,
                                     const MappedColumns& cols,
                                     const std::vector<std::string>& row) {
  Item item;
  item.item_id = std::string(cols.Get(row, "item_id"));
  TAILOR_RETURN_IF_ERROR(ValidateId(cols.Name("item_id"), item.item_id));
  item.title = std::string(cols.Get(row, "title"));
  item.category = std::string(cols.Get(row, "category"));
  item.brand = std::string(cols.Get(row, "brand"));
  item.color = std::string(cols.Get(row, "color"));
  if (const absl::string_view price = cols.Get(row, "price"); !price.empty()) {
    TAILOR_ASSIGN_OR_RETURN(item.price, ParseNumber(cols.Name("price"), price));
    if (item.price < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          cols.Name("price"), ": must not be negative, got ", item.price));
    }
  }
  for (absl::string_view size :
       absl::StrSplit(cols.Get(row, "sizes"), mapping.sizes_separator,
                      absl::SkipWhitespace())) {
    item.sizes.emplace_back(absl::StripAsciiWhitespace(size));
  }
  item.in_stock = true;
  if (const absl::string_view stock = cols.Get(row, "in_stock");
      !stock.empty()) {
    double units;
    if (absl::SimpleAtod(stock, &units) && std::isfinite(units)) {
      item.in_stock = units > 0;
    } else {
      TAILOR_ASSIGN_OR_RETURN(item.in_stock,
                              ParseBool(cols.Name("in_stock"), stock));
    }
  }
  return item;
}

}  // namespace

absl::Status ReadMappedEventsCsv(const std::string& path,
                                 const ColumnMapping& mapping,
                                 const ReadOptions& options,
                                 const MappedRowSink& sink,
                                 ReadReport* report) {
  MappedColumns cols(mapping);
  return ReadRows(
      path, "events", CsvOptions{}, cols.columns(), cols.size(), true, options,
      report,
      [&](const std::vector<std::string>& row, int64_t) {
        TAILOR_ASSIGN_OR_RETURN(MappedRow r,
                                ParseMappedRow(mapping, cols, row));
        sink(std::move(r));
        return absl::OkStatus();
      },
      /*split_whole_line_fields=*/true);
}

absl::StatusOr<std::vector<Item>> ReadMappedCatalogCsv(
    const std::string& path, const ColumnMapping& mapping,
    const ReadOptions& options, ReadReport* report) {
  MappedColumns cols(mapping);
  std::vector<Item> items;
  absl::flat_hash_map<std::string, int64_t> first_line;
  TAILOR_RETURN_IF_ERROR(ReadRows(
      path, "catalog", CsvOptions{}, cols.columns(), cols.size(), true, options,
      report, [&](const std::vector<std::string>& row, int64_t line) {
        TAILOR_ASSIGN_OR_RETURN(Item item, ParseMappedItem(mapping, cols, row));
        auto [it, inserted] = first_line.try_emplace(item.item_id, line);
        if (!inserted) {
          return absl::InvalidArgumentError(
              absl::StrCat(cols.Name("item_id"), ": '", item.item_id,
                           "' is a duplicate of line ", it->second));
        }
        items.push_back(std::move(item));
        return absl::OkStatus();
      }));
  return items;
}

std::string CsvEscape(absl::string_view field) {
  if (field.find_first_of(",\"\r\n") == absl::string_view::npos) {
    return std::string(field);
  }
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string CatalogCsvHeader() {
  return "item_id,title,category,brand,color,price,sizes,in_stock";
}

std::string CatalogCsvRow(const Item& item) {
  return absl::StrCat(CsvEscape(item.item_id), ",", CsvEscape(item.title), ",",
                      CsvEscape(item.category), ",", CsvEscape(item.brand), ",",
                      CsvEscape(item.color), ",",
                      absl::StrFormat("%.2f", item.price), ",",
                      CsvEscape(absl::StrJoin(item.sizes, "|")), ",",
                      item.in_stock ? "true" : "false");
}

std::string EventsCsvHeader() {
  return "user_id,item_id,event_type,timestamp,value,price";
}

std::string EventCsvRow(const Event& event) {
  return absl::StrCat(
      CsvEscape(event.user_id), ",", CsvEscape(event.item_id), ",",
      EventTypeName(event.type), ",", event.timestamp, ",",
      absl::StrFormat("%.10g", event.value), ",",
      event.price >= 0 ? absl::StrFormat("%.10g", event.price) : "");
}

absl::Status ReadMovieLensRatings(const std::string& path,
                                  const ReadOptions& options,
                                  const EventSink& sink, ReadReport* report) {
  Columns cols({"user", "item", "rating", "timestamp"});
  return ReadRows(
      path, "MovieLens ratings", CsvOptions{'\t', false}, &cols, 4, false,
      options, report, [&](const std::vector<std::string>& row, int64_t) {
        Event e;
        e.user_id = std::string(absl::StripAsciiWhitespace(row[0]));
        e.item_id = std::string(absl::StripAsciiWhitespace(row[1]));
        TAILOR_RETURN_IF_ERROR(ValidateId("user", e.user_id));
        TAILOR_RETURN_IF_ERROR(ValidateId("item", e.item_id));
        e.type = EventType::kRating;
        TAILOR_ASSIGN_OR_RETURN(e.value, ParseNumber("rating", row[2]));
        TAILOR_ASSIGN_OR_RETURN(e.timestamp, ParseTimestamp(row[3]));
        sink(std::move(e));
        return absl::OkStatus();
      });
}

absl::StatusOr<std::vector<Item>> ReadMovieLensItems(const std::string& path,
                                                     const ReadOptions& options,
                                                     ReadReport* report) {
  // The 19 genre flags of u.item, in u.genre's order.
  static constexpr const char* kGenres[19] = {
      "unknown",   "Action",   "Adventure",   "Animation", "Children's",
      "Comedy",    "Crime",    "Documentary", "Drama",     "Fantasy",
      "Film-Noir", "Horror",   "Musical",     "Mystery",   "Romance",
      "Sci-Fi",    "Thriller", "War",         "Western"};
  Columns cols({"movie id"});
  std::vector<Item> items;
  TAILOR_RETURN_IF_ERROR(ReadRows(
      path, "MovieLens items", CsvOptions{'|', false}, &cols, 1, false, options,
      report, [&](const std::vector<std::string>& row, int64_t) {
        if (row.size() < 5 + 19) {
          return absl::InvalidArgumentError(
              absl::StrCat("has ", row.size(),
                           " fields, expected 24 (id, title, dates, "
                           "url and 19 genre flags)"));
        }
        Item item;
        item.item_id = row[0];
        TAILOR_RETURN_IF_ERROR(ValidateId("movie id", item.item_id));
        item.title = Latin1ToUtf8(row[1]);
        for (int g = 0; g < 19; ++g) {
          if (row[5 + g] == "1") {
            item.category = kGenres[g];
            break;
          }
        }
        items.push_back(std::move(item));
        return absl::OkStatus();
      }));
  return items;
}

}  // namespace tailor

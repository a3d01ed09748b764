#include "core/data/column_mapping.h"

#include <algorithm>
#include <cctype>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "core/base/status_macros.h"

namespace tailor {
namespace {

// "12/1/2010", "01.12.2010 08:26", "1-12-10 8:26:00": a date whose first
// two numbers could be day and month either way round. Returns the formats
// to choose between (month first, day first), or nullopt.
std::optional<std::pair<std::string, std::string>> DayMonthFormats(
    absl::string_view text) {
  size_t i = 0;
  auto digits = [&](size_t min, size_t max) {
    const size_t start = i;
    while (i < text.size() && absl::ascii_isdigit(text[i])) ++i;
    return i - start >= min && i - start <= max ? i - start : 0;
  };
  if (digits(1, 2) == 0 || i >= text.size()) return std::nullopt;
  const char sep = text[i];
  if (sep != '/' && sep != '.' && sep != '-') return std::nullopt;
  ++i;
  if (digits(1, 2) == 0 || i >= text.size() || text[i] != sep) {
    return std::nullopt;
  }
  ++i;
  const size_t year = digits(2, 4);
  if (year != 2 && year != 4) return std::nullopt;
  std::string time;
  if (i < text.size()) {
    // A time after a space: H:M or H:M:S.
    absl::string_view rest = absl::StripAsciiWhitespace(text.substr(i));
    const int colons =
        static_cast<int>(std::count(rest.begin(), rest.end(), ':'));
    if (rest.empty() || text[i] != ' ' || colons < 1 || colons > 2) {
      return std::nullopt;
    }
    time = colons == 1 ? " %H:%M" : " %H:%M:%S";
  }
  const std::string y = year == 4 ? "%Y" : "%y";
  const std::string s(1, sep);
  return std::make_pair(absl::StrCat("%m", s, "%d", s, y, time),
                        absl::StrCat("%d", s, "%m", s, y, time));
}

}  // namespace

std::optional<std::string> ColumnMapping::Source(
    absl::string_view field) const {
  for (const auto& [f, column] : columns) {
    if (f == field) return column;
  }
  return std::nullopt;
}

const std::vector<std::string>& EventFields() {
  static const auto* fields = new std::vector<std::string>{
      "user_id", "item_id", "timestamp", "event_type", "quantity",
      "value",   "price",   "order_id",  "title"};
  return *fields;
}

const std::vector<std::string>& CatalogFields() {
  static const auto* fields =
      new std::vector<std::string>{"item_id", "title", "category", "brand",
                                   "color",   "price", "sizes",    "in_stock"};
  return *fields;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
ParseColumnSpec(absl::string_view flag, absl::string_view spec,
                const std::vector<std::string>& fields,
                const std::vector<std::string>& required) {
  std::vector<std::pair<std::string, std::string>> out;
  absl::flat_hash_set<std::string> seen;
  for (absl::string_view part : absl::StrSplit(spec, ',', absl::SkipEmpty())) {
    const std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(part, absl::MaxSplits('=', 1));
    const std::string field(absl::StripAsciiWhitespace(kv.first));
    const std::string column(absl::StripAsciiWhitespace(kv.second));
    if (std::find(fields.begin(), fields.end(), field) == fields.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          flag, ": '", field, "' is not one of ", absl::StrJoin(fields, ", ")));
    }
    if (column.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          flag, ": ", field, " names no column (write ", field, "=Column)"));
    }
    if (!seen.insert(field).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": ", field, " is mapped twice"));
    }
    out.emplace_back(field, column);
  }
  for (const std::string& field : required) {
    if (!seen.contains(field)) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": maps no ", field,
                       " (required: ", absl::StrJoin(required, ", "), ")"));
    }
  }
  return out;
}

absl::StatusOr<ColumnMapping> ParseEventMapping(absl::string_view columns,
                                                absl::string_view event_type,
                                                absl::string_view type_map,
                                                absl::string_view time_format) {
  ColumnMapping m;
  TAILOR_ASSIGN_OR_RETURN(m.columns,
                          ParseColumnSpec("--columns", columns, EventFields(),
                                          {"user_id", "item_id", "timestamp"}));
  const bool type_column = m.Source("event_type").has_value();
  if (!event_type.empty()) {
    if (type_column) {
      return absl::InvalidArgumentError(
          "--event_type: the rows' type comes from the event_type column "
          "already; give one or the other");
    }
    absl::StatusOr<EventType> type = ParseEventType(event_type);
    if (!type.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--event_type: ", type.status().message()));
    }
    m.fixed_type = *type;
  } else if (!type_column) {
    return absl::InvalidArgumentError(
        "--columns: maps no event_type column, and --event_type gives no "
        "fixed type (e.g. --event_type=purchase for an order export)");
  }
  for (absl::string_view part :
       absl::StrSplit(type_map, ',', absl::SkipEmpty())) {
    const std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(part, absl::MaxSplits('=', 1));
    absl::StatusOr<EventType> type =
        ParseEventType(absl::StripAsciiWhitespace(kv.second));
    if (!type.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--event_type_map: '", part, "': ", type.status().message()));
    }
    m.type_values[std::string(absl::StripAsciiWhitespace(kv.first))] = *type;
  }
  if (!m.type_values.empty() && !type_column) {
    return absl::InvalidArgumentError(
        "--event_type_map: maps the values of an event_type column, but "
        "--columns maps none");
  }
  m.time_format = std::string(time_format);
  if (!m.time_format.empty()) {
    // A format that cannot even read the time it writes is a typo.
    absl::Time t;
    std::string error;
    const std::string sample = absl::FormatTime(
        m.time_format, absl::FromUnixSeconds(1291191960), absl::UTCTimeZone());
    if (!absl::ParseTime(m.time_format, sample, absl::UTCTimeZone(), &t,
                         &error)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--time_format: '", m.time_format, "' cannot be read: ", error));
    }
  }
  return m;
}

absl::StatusOr<ColumnMapping> ParseCatalogMapping(absl::string_view columns) {
  ColumnMapping m;
  TAILOR_ASSIGN_OR_RETURN(
      m.columns, ParseColumnSpec("--catalog_columns", columns, CatalogFields(),
                                 {"item_id"}));
  return m;
}

absl::StatusOr<int64_t> ParseMappedTimestamp(const ColumnMapping& mapping,
                                             absl::string_view column,
                                             absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (mapping.time_format.empty()) {
    if (auto formats = DayMonthFormats(text)) {
      return absl::FailedPreconditionError(absl::StrCat(
          column, ": '", text,
          "' could be month/day or day/month: choose with --time_format='",
          formats->first, "' (month first) or --time_format='", formats->second,
          "' (day first)"));
    }
    absl::StatusOr<int64_t> t = ParseTimestamp(text);
    if (!t.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          column, ": '", text,
          "' is not Unix seconds or ISO-8601 (set --time_format)"));
    }
    return t;
  }
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(mapping.time_format, text, absl::UTCTimeZone(), &t,
                       &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat(column, ": '", text, "' does not match --time_format='",
                     mapping.time_format, "'"));
  }
  return absl::ToUnixSeconds(t);
}

}  // namespace tailor

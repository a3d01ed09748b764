#include "core/base/event.h"

#include <charconv>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"

namespace tailor {
namespace {
constexpr absl::string_view kNames[kNumEventTypes] = {
    "view", "click", "add_to_cart", "purchase", "return", "rating"};
}  // namespace

absl::string_view EventTypeName(EventType type) {
  return kNames[static_cast<int>(type)];
}

absl::StatusOr<EventType> ParseEventType(absl::string_view name) {
  for (int i = 0; i < kNumEventTypes; ++i) {
    if (name == kNames[i]) return static_cast<EventType>(i);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "event_type: '", name,
      "' is not one of view, click, add_to_cart, purchase, return, rating"));
}

absl::StatusOr<int64_t> ParseTimestamp(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) {
    return absl::InvalidArgumentError("timestamp: is empty");
  }
  int64_t seconds = 0;
  auto [ptr, ec] =
      std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && ptr == text.data() + text.size()) return seconds;

  static constexpr const char* kFormats[] = {
      "%Y-%m-%dT%H:%M:%E*S%Ez", "%Y-%m-%dT%H:%M:%E*SZ", "%Y-%m-%dT%H:%M:%E*S",
      "%Y-%m-%d %H:%M:%E*S%Ez", "%Y-%m-%d %H:%M:%E*SZ", "%Y-%m-%d %H:%M:%E*S",
      "%Y-%m-%dT%H:%M",         "%Y-%m-%d %H:%M",       "%Y-%m-%d"};
  for (const char* format : kFormats) {
    absl::Time t;
    std::string err;
    if (absl::ParseTime(format, text, absl::UTCTimeZone(), &t, &err)) {
      return absl::ToUnixSeconds(t);
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "timestamp: cannot parse '", text, "' as Unix seconds or ISO-8601"));
}

absl::Status ParseEventWeights(absl::string_view spec, EventWeights* weights) {
  for (absl::string_view part :
       absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(part, absl::MaxSplits('=', 1));
    absl::StatusOr<EventType> type =
        ParseEventType(absl::StripAsciiWhitespace(kv.first));
    if (!type.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("event weights: ", type.status().message()));
    }
    float w;
    if (!absl::SimpleAtof(absl::StripAsciiWhitespace(kv.second), &w)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "event weights: '", kv.second, "' is not a number for ", kv.first));
    }
    weights->weight[static_cast<int>(*type)] = w;
  }
  return absl::OkStatus();
}

}  // namespace tailor

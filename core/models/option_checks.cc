#include "core/models/option_checks.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace tailor {

absl::Status CheckInRange(absl::string_view name, int value, int lo, int hi) {
  if (value >= lo && value <= hi) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(name, ": must be in ", lo, "..", hi, ", got ", value));
}

absl::Status CheckAtLeast(absl::string_view name, int value, int min) {
  if (value >= min) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(name, ": must be >= ", min, ", got ", value));
}

absl::Status CheckPositive(absl::string_view name, float value) {
  if (value > 0 && std::isfinite(value)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(name, ": must be a positive number, got ", value));
}

absl::Status CheckNonNegative(absl::string_view name, float value) {
  if (value >= 0 && std::isfinite(value)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(name, ": must be >= 0, got ", value));
}

absl::Status CheckInInterval(absl::string_view name, float value, float lo,
                             float hi) {
  if (value >= lo && value <= hi) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(name, ": must be in [", lo, ", ", hi, "], got ", value));
}

}  // namespace tailor

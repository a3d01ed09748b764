// Range checks for the models' options, shared so that every model words
// the same problem the same way: each error names the option, the rule and
// the value given.
#ifndef TAILOR_CORE_MODELS_OPTION_CHECKS_H_
#define TAILOR_CORE_MODELS_OPTION_CHECKS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tailor {

// `name`: must be in lo..hi (integers).
absl::Status CheckInRange(absl::string_view name, int value, int lo, int hi);
// `name`: must be >= min (integers).
absl::Status CheckAtLeast(absl::string_view name, int value, int min);
// `name`: a finite number > 0.
absl::Status CheckPositive(absl::string_view name, float value);
// `name`: a finite number >= 0.
absl::Status CheckNonNegative(absl::string_view name, float value);
// `name`: a number in [lo, hi].
absl::Status CheckInInterval(absl::string_view name, float value, float lo,
                             float hi);

}  // namespace tailor

#endif  // TAILOR_CORE_MODELS_OPTION_CHECKS_H_

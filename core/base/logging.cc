#include "core/base/logging.h"

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tailor {

void Log(absl::string_view level, absl::string_view message) {
  const std::string line =
      absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                    absl::UTCTimeZone()),
                   " ", level, " ", message, "\n");
  std::fwrite(line.data(), 1, line.size(), stderr);  // one write: atomic line
}

}  // namespace tailor

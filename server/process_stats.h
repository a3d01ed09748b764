// The process's own resource use, read from Linux's /proc: what the
// Prometheus client libraries export as process_* metrics.
#ifndef TAILOR_SERVER_PROCESS_STATS_H_
#define TAILOR_SERVER_PROCESS_STATS_H_

#include <cstdint>

#include "absl/status/statusor.h"

namespace tailor {

struct ProcessStats {
  double cpu_seconds = 0;  // user + system, all threads
  int64_t resident_bytes = 0;
  int64_t virtual_bytes = 0;
  int64_t open_fds = 0;
  int64_t max_fds = 0;  // the soft limit
  double start_time_unix = 0;
  int64_t threads = 0;
};

// UNAVAILABLE naming the file when /proc cannot be read (not Linux, or
// /proc not mounted).
absl::StatusOr<ProcessStats> ReadProcessStats();

}  // namespace tailor

#endif  // TAILOR_SERVER_PROCESS_STATS_H_

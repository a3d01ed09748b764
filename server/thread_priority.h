// Per-thread scheduling priority (Linux applies nice values per thread).
#ifndef TAILOR_SERVER_THREAD_PRIORITY_H_
#define TAILOR_SERVER_THREAD_PRIORITY_H_

#include "absl/status/status.h"

namespace tailor {

// Sets the calling thread's nice value to `nice` (0-19; higher runs when
// threads of lower values leave the CPU). An unprivileged process may only
// raise it. FAILED_PRECONDITION with the system's reason when refused, or
// where threads have no priority of their own.
absl::Status SetThisThreadNice(int nice);

}  // namespace tailor

#endif  // TAILOR_SERVER_THREAD_PRIORITY_H_

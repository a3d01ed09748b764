#include "server/thread_priority.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace tailor {

absl::Status SetThisThreadNice(int nice) {
#if defined(__linux__)
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice) == 0) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat("cannot set this thread's nice value to ", nice, ": ",
                   std::strerror(errno)));
#else
  return absl::FailedPreconditionError(
      "threads have no priority of their own on this system");
#endif
}

}  // namespace tailor

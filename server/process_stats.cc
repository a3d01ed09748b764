#include "server/process_stats.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tailor {
namespace {

absl::StatusOr<std::string> ReadFile(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return absl::UnavailableError(absl::StrCat("cannot read ", path));
  return text.str();
}

}  // namespace

absl::StatusOr<ProcessStats> ReadProcessStats() {
  absl::StatusOr<std::string> stat = ReadFile("/proc/self/stat");
  if (!stat.ok()) return stat.status();
  // The command name (field 2) may hold spaces and parentheses: the fields
  // after it start past the last ')'.
  const size_t close = stat->rfind(')');
  if (close == std::string::npos) {
    return absl::UnavailableError("cannot parse /proc/self/stat");
  }
  const std::vector<absl::string_view> f = absl::StrSplit(
      absl::string_view(*stat).substr(close + 2), ' ', absl::SkipEmpty());
  // f[0] is field 3 (state): field n is f[n - 3].
  auto field = [&](int n, int64_t* out) {
    return n - 3 < static_cast<int>(f.size()) &&
           absl::SimpleAtoi(f[n - 3], out);
  };
  int64_t utime = 0, stime = 0, threads = 0, start_ticks = 0, vsize = 0,
          rss_pages = 0;
  if (!field(14, &utime) || !field(15, &stime) || !field(20, &threads) ||
      !field(22, &start_ticks) || !field(23, &vsize) ||
      !field(24, &rss_pages)) {
    return absl::UnavailableError("cannot parse /proc/self/stat");
  }
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  ProcessStats s;
  s.cpu_seconds = static_cast<double>(utime + stime) / ticks;
  s.threads = threads;
  s.virtual_bytes = vsize;
  s.resident_bytes = rss_pages * sysconf(_SC_PAGESIZE);

  absl::StatusOr<std::string> system = ReadFile("/proc/stat");
  if (!system.ok()) return system.status();
  for (absl::string_view line : absl::StrSplit(*system, '\n')) {
    int64_t boot = 0;
    if (absl::ConsumePrefix(&line, "btime ") && absl::SimpleAtoi(line, &boot)) {
      s.start_time_unix = static_cast<double>(boot) + start_ticks / ticks;
    }
  }

  std::error_code error;
  for (std::filesystem::directory_iterator it("/proc/self/fd", error), end;
       !error && it != end; it.increment(error)) {
    ++s.open_fds;
  }
  if (error) return absl::UnavailableError("cannot list /proc/self/fd");
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    s.max_fds = limit.rlim_cur == RLIM_INFINITY
                    ? -1
                    : static_cast<int64_t>(limit.rlim_cur);
  }
  return s;
}

}  // namespace tailor

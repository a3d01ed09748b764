#include "core/base/cpus.h"

#include <sched.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tailor {
namespace {

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// QUOTA / PERIOD when both are positive numbers ("max" or -1: no quota).
std::optional<double> Ratio(absl::string_view quota, absl::string_view period) {
  double q = 0, p = 0;
  if (!absl::SimpleAtod(absl::StripAsciiWhitespace(quota), &q) ||
      !absl::SimpleAtod(absl::StripAsciiWhitespace(period), &p) || q <= 0 ||
      p <= 0) {
    return std::nullopt;
  }
  return q / p;
}

// `path` and each of its parents up to the root ("/a/b" -> "/a/b", "/a",
// "").
std::vector<std::string> SelfAndParents(absl::string_view path) {
  std::vector<std::string> out;
  std::string p(absl::StripSuffix(absl::StripAsciiWhitespace(path), "/"));
  while (true) {
    out.push_back(p);
    if (p.empty()) break;
    const size_t slash = p.rfind('/');
    p.resize(slash == std::string::npos ? 0 : slash);
  }
  return out;
}

void TakeSmaller(std::optional<double> quota, std::optional<double>* best) {
  if (quota.has_value() && (!best->has_value() || *quota < **best)) {
    *best = quota;
  }
}

}  // namespace

std::optional<double> CgroupCpuQuota(
    absl::string_view proc_self_cgroup,
    absl::FunctionRef<std::optional<std::string>(const std::string& path)>
        read) {
  std::optional<double> best;
  for (absl::string_view line :
       absl::StrSplit(proc_self_cgroup, '\n', absl::SkipWhitespace())) {
    // "ID:CONTROLLERS:PATH"; the path may itself hold ':'.
    std::vector<absl::string_view> f =
        absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (f.size() != 3) continue;
    if (f[0] == "0" && f[1].empty()) {  // cgroup v2
      for (const std::string& dir : SelfAndParents(f[2])) {
        std::optional<std::string> max =
            read(absl::StrCat("/sys/fs/cgroup", dir, "/cpu.max"));
        if (!max.has_value()) continue;
        std::vector<absl::string_view> qp =
            absl::StrSplit(absl::StripAsciiWhitespace(*max), ' ');
        if (qp.size() == 2) TakeSmaller(Ratio(qp[0], qp[1]), &best);
      }
      continue;
    }
    const std::vector<absl::string_view> controllers =
        absl::StrSplit(f[1], ',');
    if (std::find(controllers.begin(), controllers.end(), "cpu") ==
        controllers.end()) {
      continue;
    }
    for (const char* mount :
         {"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"}) {
      for (const std::string& dir : SelfAndParents(f[2])) {
        const std::string base = absl::StrCat(mount, dir);
        std::optional<std::string> quota =
            read(absl::StrCat(base, "/cpu.cfs_quota_us"));
        std::optional<std::string> period =
            read(absl::StrCat(base, "/cpu.cfs_period_us"));
        if (quota.has_value() && period.has_value()) {
          TakeSmaller(Ratio(*quota, *period), &best);
        }
      }
    }
  }
  return best;
}

int CountUsableCpus() {
  int cpus = 0;
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) cpus = CPU_COUNT(&set);
  if (cpus <= 0) cpus = static_cast<int>(std::thread::hardware_concurrency());
  std::optional<std::string> cgroup = ReadFile("/proc/self/cgroup");
  if (cgroup.has_value()) {
    if (std::optional<double> quota = CgroupCpuQuota(*cgroup, ReadFile)) {
      cpus = std::min(cpus, static_cast<int>(std::ceil(*quota - 1e-9)));
    }
  }
  return std::max(1, cpus);
}

int UsableCpus() {
  static const int cpus = CountUsableCpus();
  return cpus;
}

}  // namespace tailor

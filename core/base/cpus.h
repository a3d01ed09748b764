// How many CPUs this process may use: the fewer of the CPUs its affinity
// mask allows (taskset, a container's cpuset) and its cgroup's CPU quota
// (a container's CPU limit, e.g. Kubernetes' resources.limits.cpu),
// rounded up. Thread pools sized "one per core" use it, so that a server
// limited to one CPU runs one call worker instead of one per CPU of the
// machine, each of which would then share that CPU and take twice as long
// per call.
#ifndef TAILOR_CORE_BASE_CPUS_H_
#define TAILOR_CORE_BASE_CPUS_H_

#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"

namespace tailor {

// The usable CPU count, worked out on the first call and kept (>= 1).
// Thread safety: safe to call from any thread.
int UsableCpus();

// The same, worked out afresh on every call, from the calling thread's
// affinity mask and the process's cgroups as /proc/self/cgroup names them.
int CountUsableCpus();

// The CPUs' worth of time the cgroup quota grants (e.g. 1.5), or nullopt
// when no cgroup of the process or of its ancestors sets one.
// `proc_self_cgroup` is the text of /proc/self/cgroup; `read` returns a
// file's contents, or nullopt when it cannot be read. cgroup v2 reads
// cpu.max ("max 100000" or "QUOTA PERIOD") in /sys/fs/cgroup/<path> and each
// parent; cgroup v1 reads cpu.cfs_quota_us and cpu.cfs_period_us under the
// cpu controller's mount (/sys/fs/cgroup/cpu or /sys/fs/cgroup/cpu,cpuacct).
// The smallest quota on the way up applies.
std::optional<double> CgroupCpuQuota(
    absl::string_view proc_self_cgroup,
    absl::FunctionRef<std::optional<std::string>(const std::string& path)>
        read);

}  // namespace tailor

#endif  // TAILOR_CORE_BASE_CPUS_H_

#include "core/base/cpus.h"

#include <sched.h>

#include <map>
#include <optional>
#include <string>

#include "gtest/gtest.h"

namespace tailor {
namespace {

// Files by path, as CgroupCpuQuota reads them.
class FakeFiles {
 public:
  explicit FakeFiles(std::map<std::string, std::string> files)
      : files_(std::move(files)) {}
  std::optional<std::string> operator()(const std::string& path) const {
    auto it = files_.find(path);
    if (it == files_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::map<std::string, std::string> files_;
};

TEST(CpusTest, CgroupV2QuotaIsTheSmallestOnTheWayUp) {
  const FakeFiles files(
      {{"/sys/fs/cgroup/kubepods/pod1/c1/cpu.max", "150000 100000\n"},
       {"/sys/fs/cgroup/kubepods/pod1/cpu.max", "max 100000\n"},
       {"/sys/fs/cgroup/kubepods/cpu.max", "max 100000\n"}});
  EXPECT_EQ(CgroupCpuQuota("0::/kubepods/pod1/c1\n", files), 1.5);

  const FakeFiles tighter_parent(
      {{"/sys/fs/cgroup/a/b/cpu.max", "300000 100000"},
       {"/sys/fs/cgroup/a/cpu.max", "50000 100000"}});
  EXPECT_EQ(CgroupCpuQuota("0::/a/b", tighter_parent), 0.5);
}

TEST(CpusTest, CgroupV1QuotaUnderEitherMount) {
  const FakeFiles cpu_cpuacct(
      {{"/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "200000\n"},
       {"/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n"},
       {"/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1\n"},
       {"/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n"}});
  EXPECT_EQ(CgroupCpuQuota("5:memory:/docker/abc\n"
                           "4:cpu,cpuacct:/docker/abc\n"
                           "0::/\n",
                           cpu_cpuacct),
            2.0);
  const FakeFiles cpu({{"/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "25000"},
                       {"/sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000"}});
  EXPECT_EQ(CgroupCpuQuota("1:cpu:/\n", cpu), 0.25);
}

TEST(CpusTest, NoQuotaWhenUnlimitedUnreadableOrMalformed) {
  const FakeFiles unlimited({{"/sys/fs/cgroup/cpu.max", "max 100000"},
                             {"/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1"},
                             {"/sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000"},
                             {"/sys/fs/cgroup/bad/cpu.max", "lots"},
                             {"/sys/fs/cgroup/zero/cpu.max", "100000 0"}});
  EXPECT_EQ(CgroupCpuQuota("0::/\n1:cpu,cpuacct:/\n", unlimited), std::nullopt);
  EXPECT_EQ(CgroupCpuQuota("0::/bad\n0::/zero\n", unlimited), std::nullopt);
  EXPECT_EQ(CgroupCpuQuota("0::/nowhere\n", unlimited), std::nullopt);
  EXPECT_EQ(CgroupCpuQuota("not a cgroup line\n3:memory:/x", unlimited),
            std::nullopt);
  // A controller named like cpu is not cpu.
  const FakeFiles cpuset(
      {{"/sys/fs/cgroup/cpu/x/cpu.cfs_quota_us", "1000"},
       {"/sys/fs/cgroup/cpu/x/cpu.cfs_period_us", "100000"}});
  EXPECT_EQ(CgroupCpuQuota("3:cpuset:/x\n", cpuset), std::nullopt);
}

TEST(CpusTest, CountFollowsTheAffinityMask) {
  cpu_set_t before;
  ASSERT_EQ(sched_getaffinity(0, sizeof(before), &before), 0);
  int first = -1;
  for (int c = 0; c < CPU_SETSIZE && first < 0; ++c) {
    if (CPU_ISSET(c, &before)) first = c;
  }
  ASSERT_GE(first, 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
  const int pinned = CountUsableCpus();
  ASSERT_EQ(sched_setaffinity(0, sizeof(before), &before), 0);
  EXPECT_EQ(pinned, 1);
  EXPECT_GE(CountUsableCpus(), 1);
  EXPECT_LE(CountUsableCpus(), CPU_COUNT(&before));
}

}  // namespace
}  // namespace tailor

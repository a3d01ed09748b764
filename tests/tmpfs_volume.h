// A small tmpfs mounted on a directory of its own, for the tests of a full
// or read-only disk: a real filesystem that really runs out of space.
// Mounting needs CAP_SYS_ADMIN (root, as in CI); elsewhere Mount says why
// and the test skips.
#ifndef TAILOR_TESTS_TMPFS_VOLUME_H_
#define TAILOR_TESTS_TMPFS_VOLUME_H_

#include <sys/mount.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "tests/test_util.h"

namespace tailor::testing {

// Thread safety: used by one test thread.
class TmpfsVolume {
 public:
  // A tmpfs of `bytes` on a fresh directory; FAILED_PRECONDITION with the
  // reason when this process may not mount.
  static absl::StatusOr<std::unique_ptr<TmpfsVolume>> Mount(int64_t bytes) {
    auto v = std::unique_ptr<TmpfsVolume>(new TmpfsVolume());
    v->path_ = v->dir_.Join("volume");
    std::filesystem::create_directories(v->path_);
    const std::string options = absl::StrCat("size=", bytes);
    if (::mount("tmpfs", v->path_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): ",
                       std::strerror(errno)));
    }
    v->mounted_ = true;
    return v;
  }
  ~TmpfsVolume() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }

  const std::string& path() const { return path_; }
  std::string Join(const std::string& name) const {
    return absl::StrCat(path_, "/", name);
  }

  // Remounts read-only or read-write.
  absl::Status SetReadOnly(bool read_only) {
    unsigned long flags = MS_REMOUNT;  // NOLINT(runtime/int): mount(2)'s
    if (read_only) flags |= MS_RDONLY;
    if (::mount("tmpfs", path_.c_str(), "tmpfs", flags, nullptr) != 0) {
      return absl::InternalError(
          absl::StrCat("remount: ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

  int64_t free_bytes() const {
    struct statvfs s;
    if (::statvfs(path_.c_str(), &s) != 0) return -1;
    return static_cast<int64_t>(s.f_bavail) * static_cast<int64_t>(s.f_frsize);
  }

  // Fills the volume with a file until the filesystem refuses more.
  void Fill() {
    std::ofstream out(Join("filler"), std::ios::binary);
    const std::string block(64 << 10, 'x');
    while (
        out.write(block.data(), static_cast<std::streamsize>(block.size()))) {
      out.flush();
    }
    // Whatever is left is smaller than a block: take it byte by byte.
    out.clear();
    while (out.put('x') && out.flush()) {
    }
  }
  // Removes Fill's file.
  void Unfill() { std::filesystem::remove(Join("filler")); }

 private:
  TmpfsVolume() = default;

  TempDir dir_;
  std::string path_;
  bool mounted_ = false;
};

}  // namespace tailor::testing

#endif  // TAILOR_TESTS_TMPFS_VOLUME_H_

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "storage/env.h"

namespace tailor {
namespace {

constexpr size_t kWriteStep = size_t{4} << 20;

absl::Status PosixError(absl::string_view what, const std::string& path,
                        int err) {
  std::string msg = absl::StrCat(what, " '", path, "': ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(msg);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(msg);
  if (err == ENOSPC) return absl::ResourceExhaustedError(msg);
  return absl::InternalError(msg);
}

class PosixEnv : public Env {
 public:
  absl::Status WriteFile(const std::string& path,
                         absl::string_view data) override {
    const int fd =
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return PosixError("cannot create", path, errno);
    // Written in steps of kWriteStep, each handed to the disk once written
    // and waited for before the next but one: at most two steps are dirty
    // or in flight at any time. Written whole and then synced, a snapshot's
    // hundreds of MB would reach the disk in one burst (or, unsynced, when
    // the kernel's writeback gets to them), and a server on the same
    // volume would wait behind it for every sync of its event log.
    const char* p = data.data();
    size_t left = data.size();
    off_t written = 0;
    off_t handed = 0;       // bytes handed to the disk so far
    off_t handed_last = 0;  // where the last step handed over starts
    while (left > 0) {
      const ssize_t n = ::write(fd, p, std::min(left, kWriteStep));
      if (n < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd);
        return PosixError("cannot write", path, err);
      }
      p += n;
      left -= static_cast<size_t>(n);
      written += n;
      if (written - handed >= static_cast<off_t>(kWriteStep)) {
        // Waits for the previous step, starts this one. Advisory: a
        // filesystem without it still gets the fsync below.
        if (handed > 0) {
          ::sync_file_range(fd, handed_last, handed - handed_last,
                            SYNC_FILE_RANGE_WAIT_BEFORE |
                                SYNC_FILE_RANGE_WRITE |
                                SYNC_FILE_RANGE_WAIT_AFTER);
        }
        ::sync_file_range(fd, handed, written - handed, SYNC_FILE_RANGE_WRITE);
        handed_last = handed;
        handed = written;
      }
    }
    if (::fsync(fd) != 0) {
      const int err = errno;
      ::close(fd);
      return PosixError("cannot sync", path, err);
    }
    if (::close(fd) != 0) return PosixError("cannot close", path, errno);
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> ReadFile(const std::string& path) override {
    std::ifstream in(path, std::ios::binary);
    if (!in) return PosixError("cannot open", path, errno);
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) return PosixError("cannot read", path, errno);
    return std::move(ss).str();
  }

  absl::Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return PosixError(absl::StrCat("cannot rename to '", to, "' from"), from,
                        errno);
    }
    return absl::OkStatus();
  }

  absl::Status CreateDirs(const std::string& path) override {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) return PosixError("cannot create directory", path, ec.value());
    return absl::OkStatus();
  }

  absl::Status RemoveAll(const std::string& path) override {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (ec) return PosixError("cannot remove", path, ec.value());
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& path) override {
    std::error_code ec;
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
      names.push_back(entry.path().filename().string());
    }
    if (ec) return PosixError("cannot list", path, ec.value());
    return names;
  }

  bool Exists(const std::string& path) override {
    return ::access(path.c_str(), F_OK) == 0;
  }

  absl::Status SyncDir(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return PosixError("cannot open directory", path, errno);
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) return PosixError("cannot sync directory", path, err);
    return absl::OkStatus();
  }

  int64_t NowMicros() override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace

Env* Env::Default() {
  static Env* env = new PosixEnv();
  return env;
}

}  // namespace tailor

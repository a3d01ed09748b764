// The fuzzers' bridge to readers that take a path: the input bytes as a file
// in memory (memfd), named by its /proc path. One file serves every input.
#ifndef TAILOR_FUZZ_FUZZ_FILE_H_
#define TAILOR_FUZZ_FUZZ_FILE_H_

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace tailor {

// Thread safety: one per fuzzer thread; not shared.
class FuzzFile {
 public:
  FuzzFile() {
    fd_ = memfd_create("tailor-fuzz", 0);
    if (fd_ < 0) std::abort();
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  // Replaces the file's contents with `data`.
  void Set(const uint8_t* data, size_t size) {
    if (ftruncate(fd_, 0) != 0) std::abort();
    size_t done = 0;
    while (done < size) {
      const ssize_t n =
          pwrite(fd_, data + done, size - done, static_cast<off_t>(done));
      if (n <= 0) std::abort();
      done += static_cast<size_t>(n);
    }
  }
  ~FuzzFile() { close(fd_); }
  FuzzFile(const FuzzFile&) = delete;
  FuzzFile& operator=(const FuzzFile&) = delete;

  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace tailor

#endif  // TAILOR_FUZZ_FUZZ_FILE_H_

// Helpers shared by Tailor's tests.
#ifndef TAILOR_TESTS_TEST_UTIL_H_
#define TAILOR_TESTS_TEST_UTIL_H_

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace tailor::testing {

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "tailor-test-XXXXXX")
            .string();
    char* p = ::mkdtemp(tmpl.data());
    EXPECT_NE(p, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string Join(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void WriteTextFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// ../shared/data beside the repository (configurable at CMake time).
inline std::string SharedDataDir() { return TAILOR_SHARED_DATA_DIR; }

// The MovieLens 100K directory, or "" when it is absent.
inline std::string MovieLensDir() {
  const std::string dir = SharedDataDir() + "/ml-100k";
  return std::filesystem::exists(dir + "/u.data") ? dir : "";
}

}  // namespace tailor::testing

#endif  // TAILOR_TESTS_TEST_UTIL_H_

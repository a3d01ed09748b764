// Helpers shared by Tailor's tests.
#ifndef TAILOR_TESTS_TEST_UTIL_H_
#define TAILOR_TESTS_TEST_UTIL_H_

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

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

// The files under `path` (itself, or recursively below a directory) whose
// bytes hold `needle`, by name: what an erasure must leave none of.
inline std::vector<std::string> FilesHolding(const std::string& path,
                                             const std::string& needle) {
  std::vector<std::string> found;
  auto check = [&](const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)),
                            std::istreambuf_iterator<char>());
    if (bytes.find(needle) != std::string::npos) {
      found.push_back(file.filename().string());
    }
  };
  if (std::filesystem::is_regular_file(path)) {
    check(path);
    return found;
  }
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(path)) {
    if (entry.is_regular_file()) check(entry.path());
  }
  return found;
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

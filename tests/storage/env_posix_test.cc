// The POSIX Env's files: written in steps, read back exactly.
#include <cstdint>
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "storage/env.h"
#include "tests/test_util.h"

namespace tailor {
namespace {

using testing::TempDir;

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// Sizes around the 4 MB write step: empty, within one step, exactly one,
// several and a remainder.
TEST(PosixEnvTest, WriteFileOfAnySizeReadsBackExactly) {
  TempDir dir;
  Env* env = Env::Default();
  uint32_t seed = 1;
  for (size_t size : {size_t{0}, size_t{1000}, size_t{4} << 20,
                      (size_t{9} << 20) + 123, size_t{17} << 20}) {
    const std::string path = dir.Join("file" + std::to_string(size));
    const std::string data = RandomBytes(size, seed++);
    ASSERT_TRUE(env->WriteFile(path, data).ok()) << size;
    absl::StatusOr<std::string> read = env->ReadFile(path);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(read->size(), size);
    EXPECT_TRUE(*read == data) << size;
  }
  // Rewriting a file truncates it.
  ASSERT_TRUE(env->WriteFile(dir.Join("file1000"), "short").ok());
  EXPECT_EQ(*env->ReadFile(dir.Join("file1000")), "short");
}

}  // namespace
}  // namespace tailor

// The source tree's layout rules, read from the includes of every source
// file: layers point down only (proto/ -> server/ -> core/ + storage/),
// each core/ library includes only the libraries it declares, core/ never
// reaches gRPC, Protobuf or RocksDB, and no header includes, directly or
// not, a header that includes it back.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tailor {
namespace {

namespace fs = std::filesystem;

struct Include {
  std::string path;  // as written between the quotes or brackets
  bool quoted;
  int line;
};

// Every .h and .cc file under the given top folders, relative to the root,
// with its includes.
std::map<std::string, std::vector<Include>> ReadTree(
    const std::vector<std::string>& folders) {
  static const std::regex kInclude(R"(^\s*#\s*include\s*([<"])([^>"]+)[>"])");
  std::map<std::string, std::vector<Include>> files;
  const fs::path root(TAILOR_SOURCE_DIR);
  for (const std::string& folder : folders) {
    if (!fs::exists(root / folder)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root / folder)) {
      const std::string ext = entry.path().extension().string();
      if (!entry.is_regular_file() || (ext != ".h" && ext != ".cc")) continue;
      const std::string rel = fs::relative(entry.path(), root).generic_string();
      std::ifstream in(entry.path());
      std::string text;
      int line = 0;
      std::vector<Include>& includes = files[rel];
      while (std::getline(in, text)) {
        ++line;
        std::smatch m;
        if (std::regex_search(text, m, kInclude)) {
          includes.push_back({m[2].str(), m[1].str() == "\"", line});
        }
      }
    }
  }
  return files;
}

// "core/retrieval/x.h" -> "core/retrieval"; "server/x.h" -> "server".
std::string UnitOf(const std::string& path) {
  const size_t first = path.find('/');
  if (first == std::string::npos) return "";
  const std::string top = path.substr(0, first);
  if (top == "core") {
    const size_t second = path.find('/', first + 1);
    return second == std::string::npos ? top : path.substr(0, second);
  }
  return top;
}

// What each unit's files may include from the project ("tailor/v1" and
// "grpc/health" are the generated API; every unit may include its own).
const std::map<std::string, std::set<std::string>>& Allowed() {
  static const auto* allowed = new std::map<std::string, std::set<std::string>>{
      {"core/base", {}},
      {"core/data", {"core/base"}},
      {"core/retrieval", {"core/base"}},
      {"core/customers", {"core/base"}},
      {"core/eval", {"core/base"}},
      {"core/experiments", {"core/base"}},
      {"core/serving", {"core/base", "core/retrieval", "core/customers"}},
      {"core/models", {"core/base", "core/retrieval", "core/serving"}},
      {"core/analytics", {"core/base", "core/customers", "core/data"}},
      {"storage",
       {"core/base", "core/retrieval", "core/customers", "core/serving",
        "core/experiments"}},
      {"server",
       {"core/base", "core/retrieval", "core/customers", "core/serving",
        "core/experiments", "storage", "tailor", "grpc"}},
      {"trainer",
       {"core/base", "core/data", "core/retrieval", "core/customers",
        "core/serving", "core/models", "core/analytics", "core/eval",
        "storage"}},
      {"tools",
       {"core/base", "core/data", "core/retrieval", "core/customers",
        "core/serving", "core/models", "core/eval", "tailor", "grpc"}},
      {"fuzz",
       {"core/base", "core/data", "core/retrieval", "core/customers",
        "core/serving", "storage", "server", "tailor", "grpc", "tests"}},
  };
  return *allowed;
}

const std::vector<std::string> kFolders = {"core", "storage", "server",
                                           "trainer", "tools"};

TEST(LayoutTest, EveryUnitIncludesOnlyWhatItMayUse) {
  const auto files = ReadTree(kFolders);
  ASSERT_GT(files.size(), 100u) << "no sources under " << TAILOR_SOURCE_DIR;
  std::vector<std::string> violations;
  for (const auto& [file, includes] : files) {
    const std::string unit = UnitOf(file);
    auto allowed = Allowed().find(unit);
    if (allowed == Allowed().end()) {
      violations.push_back(absl::StrCat(file, ": in no known unit (", unit,
                                        "): add it to the layout rules"));
      continue;
    }
    for (const Include& inc : includes) {
      if (!inc.quoted) continue;
      const std::string target = UnitOf(inc.path);
      const std::string top = inc.path.substr(0, inc.path.find('/'));
      const bool project =
          top == "core" || top == "storage" || top == "server" ||
          top == "trainer" || top == "tools" || top == "proto" ||
          top == "tailor" || top == "grpc" || top == "bench" || top == "fuzz";
      if (!project || target == unit) continue;
      const std::string key = (top == "core") ? target : top;
      if (!allowed->second.contains(key)) {
        violations.push_back(absl::StrCat(file, ":", inc.line, ": ", unit,
                                          " may not include ", inc.path));
      }
    }
  }
  EXPECT_THAT(violations, ::testing::IsEmpty())
      << absl::StrJoin(violations, "\n");
}

TEST(LayoutTest, CoreNeverReachesGrpcProtobufRocksDbOrPrometheus) {
  const auto files = ReadTree({"core"});
  std::vector<std::string> violations;
  for (const auto& [file, includes] : files) {
    for (const Include& inc : includes) {
      for (const char* banned :
           {"grpc", "google/protobuf", "rocksdb", "prometheus", "tailor/v1",
            "storage/", "server/"}) {
        if (inc.path.rfind(banned, 0) == 0) {
          violations.push_back(
              absl::StrCat(file, ":", inc.line, ": includes ", inc.path));
        }
      }
    }
  }
  EXPECT_THAT(violations, ::testing::IsEmpty())
      << absl::StrJoin(violations, "\n");
}

TEST(LayoutTest, NoHeaderIncludesItselfBack) {
  const auto files = ReadTree(
      {"core", "storage", "server", "trainer", "tools", "tests", "bench"});
  // Header-to-header edges (a .cc file is never included).
  std::map<std::string, std::vector<std::string>> edges;
  for (const auto& [file, includes] : files) {
    if (!file.ends_with(".h")) continue;
    for (const Include& inc : includes) {
      if (inc.quoted && files.contains(inc.path)) {
        edges[file].push_back(inc.path);
      }
    }
  }
  // Depth-first search; a grey node met again closes a cycle.
  enum Colour { kWhite, kGrey, kBlack };
  std::map<std::string, Colour> colour;
  std::vector<std::string> stack;
  std::vector<std::string> cycles;
  std::function<void(const std::string&)> visit = [&](const std::string& h) {
    colour[h] = kGrey;
    stack.push_back(h);
    for (const std::string& next : edges[h]) {
      if (colour[next] == kGrey) {
        auto from = std::find(stack.begin(), stack.end(), next);
        std::vector<std::string> cycle(from, stack.end());
        cycle.push_back(next);
        cycles.push_back(absl::StrJoin(cycle, " -> "));
      } else if (colour[next] == kWhite) {
        visit(next);
      }
    }
    stack.pop_back();
    colour[h] = kBlack;
  };
  for (const auto& [file, unused] : files) {
    if (file.ends_with(".h") && colour[file] == kWhite) visit(file);
  }
  EXPECT_THAT(cycles, ::testing::IsEmpty()) << absl::StrJoin(cycles, "\n");
}

}  // namespace
}  // namespace tailor

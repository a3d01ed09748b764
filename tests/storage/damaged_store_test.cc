// A damaged RocksDB directory: a table file truncated or overwritten, a
// write-ahead log overwritten in the middle. The open fails naming the
// file and how to recover, never opening onto silently missing records;
// salvaging keeps what checks out and says what it moved.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/state_store.h"
#include "tests/test_util.h"

namespace tailor {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

LoggedEvent Logged(const std::string& id, const std::string& user) {
  return {id, Event{user, "A", EventType::kView, 100, 1.0}, 0};
}

// The files of `dir` whose names end in `suffix`.
std::vector<fs::path> FilesEndingIn(const std::string& dir,
                                    const std::string& suffix) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        fs::file_size(e.path()) > 0) {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());  // RocksDB numbers files in order
  return out;
}

// Overwrites `n` bytes at `offset` of `path` with 0x5A.
void Scribble(const fs::path& path, uint64_t offset, size_t n) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f.good()) << path;
  f.seekp(static_cast<std::streamoff>(offset));
  const std::string junk(n, '\x5A');
  f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
}

// A store with a catalog in a table file (flushed) and three event batches
// in the write-ahead log, closed.
void BuildStore(const std::string& path) {
  auto store = OpenRocksDbStateStore(path);
  ASSERT_TRUE(store.ok()) << store.status();
  std::vector<Item> items;
  for (int i = 0; i < 200; ++i) {
    items.push_back(Item{absl::StrCat("item-", i),
                         "Coat",
                         "outerwear",
                         "B",
                         "camel",
                         10.0 + i,
                         {"S", "M"},
                         true});
  }
  {
    absl::StatusOr<std::unique_ptr<BulkLoad>> load = (*store)->StartBulkLoad();
    ASSERT_TRUE(load.ok()) << load.status();
    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
      return a.item_id < b.item_id;
    });
    for (const Item& item : items) ASSERT_TRUE((*load)->AddItem(item).ok());
    ASSERT_TRUE((*load)->Commit().ok());  // a table file
  }
  for (int b = 0; b < 3; ++b) {
    std::vector<LoggedEvent> batch;
    for (int k = 0; k < 20; ++k) {
      batch.push_back(Logged(absl::StrCat("e", b, "-", k), "u"));
    }
    ASSERT_TRUE((*store)->AppendEvents(batch).ok());
  }
}

TEST(DamagedStoreTest, ATruncatedTableFileFailsTheOpenNamingIt) {
  TempDir dir;
  const std::string path = dir.Join("db");
  ASSERT_NO_FATAL_FAILURE(BuildStore(path));
  std::vector<fs::path> tables = FilesEndingIn(path, ".sst");
  ASSERT_FALSE(tables.empty());
  for (const fs::path& t : tables) fs::resize_file(t, fs::file_size(t) / 2);

  auto reopened = OpenRocksDbStateStore(path);
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), absl::StatusCode::kDataLoss);
  const std::string message(reopened.status().message());
  EXPECT_NE(message.find(tables[0].filename().string()), std::string::npos)
      << message;
  EXPECT_NE(message.find("--salvage_data_dir"), std::string::npos) << message;
  EXPECT_NE(message.find("restore the directory from a backup"),
            std::string::npos);
}

TEST(DamagedStoreTest, ALogOverwrittenInTheMiddleFailsTheOpen) {
  TempDir dir;
  const std::string path = dir.Join("db");
  ASSERT_NO_FATAL_FAILURE(BuildStore(path));
  // The newest log holds the three event batches, one record each.
  std::vector<fs::path> logs = FilesEndingIn(path, ".log");
  ASSERT_FALSE(logs.empty());
  // Inside the first batch's record, with two whole records after it:
  // dropping them would lose acknowledged events.
  const uint64_t size = fs::file_size(logs.back());
  ASSERT_GT(size, 300u);
  ASSERT_NO_FATAL_FAILURE(Scribble(logs.back(), size / 4, 16));

  auto reopened = OpenRocksDbStateStore(path);
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), absl::StatusCode::kDataLoss)
      << reopened.status();
  EXPECT_NE(reopened.status().message().find(logs.back().filename().string()),
            std::string::npos)
      << reopened.status();
  EXPECT_NE(reopened.status().message().find("--salvage_data_dir"),
            std::string::npos);
}

TEST(DamagedStoreTest, AnIncompleteLastRecordIsACrashMidWriteAndOpens) {
  TempDir dir;
  const std::string path = dir.Join("db");
  ASSERT_NO_FATAL_FAILURE(BuildStore(path));
  std::vector<fs::path> logs = FilesEndingIn(path, ".log");
  ASSERT_FALSE(logs.empty());
  // Cut into the last record: the write a crash interrupted, never
  // acknowledged.
  fs::resize_file(logs.back(), fs::file_size(logs.back()) - 10);
  auto reopened = OpenRocksDbStateStore(path);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->LastSequence(), 40u);
}

TEST(DamagedStoreTest, SalvageKeepsWhatChecksOutAndSaysWhatItMoved) {
  TempDir dir;
  const std::string path = dir.Join("db");
  ASSERT_NO_FATAL_FAILURE(BuildStore(path));
  {
    auto store = OpenRocksDbStateStore(path);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->PutMeta("imported_version", "00000007").ok());
  }
  // The catalog's table file (the first flushed); the reopen above flushed
  // the events into tables of their own.
  std::vector<fs::path> tables = FilesEndingIn(path, ".sst");
  ASSERT_GT(tables.size(), 1u);
  fs::resize_file(tables[0], fs::file_size(tables[0]) / 2);
  ASSERT_FALSE(OpenRocksDbStateStore(path).ok());

  auto salvaged = OpenRocksDbStateStore(path, {.salvage = true});
  ASSERT_TRUE(salvaged.ok()) << salvaged.status();
  // The damaged table file was moved aside, not deleted.
  EXPECT_TRUE(fs::exists(fs::path(path) / "lost" / tables[0].filename()));
  // The events were in the log, intact: all kept.
  EXPECT_EQ((*salvaged)->LastSequence(), 60u);
  auto events = (*salvaged)->EventsSince(0, 100);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ(events->size(), 60u);
  // The next snapshot load imports its state again.
  auto imported = (*salvaged)->GetMeta("imported_version");
  ASSERT_TRUE(imported.ok());
  EXPECT_FALSE(imported->has_value());
  // And it writes again.
  auto more = (*salvaged)->AppendEvents({Logged("after", "u")});
  ASSERT_TRUE(more.ok()) << more.status();
  EXPECT_EQ((*more)[0].seq, 61u);
}

}  // namespace
}  // namespace tailor

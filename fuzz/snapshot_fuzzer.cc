// libFuzzer target: the snapshot loader. A valid snapshot (SmallSnapshot)
// is published once; each input replaces the payload of one of its files
// (the first byte picks which), framed with a correct checksum and length
// so that the decoders, not the checksum, see the bytes. Loading must fail
// with a status or succeed with a snapshot that is safe to serve: it is
// then loaded into a serving state and asked for recommendations,
// neighbours and a segment.
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fuzz/small_snapshot.h"
#include "server/event_writer.h"
#include "server/recommender_service.h"
#include "server/serving_state.h"
#include "storage/env.h"
#include "storage/memory_state_store.h"
#include "storage/snapshot_file.h"
#include "storage/snapshot_store.h"

namespace tailor {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteAll(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) std::abort();
}

// The published snapshot and its files' original contents.
// Thread safety: one fuzzer thread.
struct Published {
  Published() {
    dir = fs::temp_directory_path() /
          ("tailor-snapshot-fuzz-" + std::to_string(getpid()));
    fs::remove_all(dir);
    store = std::make_unique<SnapshotStore>(Env::Default(), dir.string());
    absl::StatusOr<std::string> v = store->Publish(SmallSnapshot());
    if (!v.ok()) {
      std::fprintf(stderr, "cannot publish the seed snapshot: %s\n",
                   std::string(v.status().message()).c_str());
      std::abort();
    }
    version = *v;
    for (const auto& entry : fs::directory_iterator(dir / version)) {
      files.push_back(entry.path());
    }
    if (files.empty()) std::abort();
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) originals.push_back(ReadAll(file));
    // TAILOR_FUZZ_WRITE_SEEDS=DIR writes the seed corpus: each file's own
    // payload behind its selector byte.
    if (const char* seeds = std::getenv("TAILOR_FUZZ_WRITE_SEEDS")) {
      for (size_t i = 0; i < files.size(); ++i) {
        WriteAll(fs::path(seeds) / files[i].filename(),
                 std::string(1, static_cast<char>(i)) +
                     originals[i].substr(kSnapshotFileHeaderSize));
      }
    }
  }
  ~Published() { fs::remove_all(dir); }

  fs::path dir;
  std::unique_ptr<SnapshotStore> store;
  std::string version;
  std::vector<fs::path> files;
  std::vector<std::string> originals;
};

// Serves `snapshot` as the server would and asks it a few questions.
void Serve(Snapshot snapshot) {
  MemoryStateStore store;
  absl::StatusOr<std::shared_ptr<const ServingState>> state =
      BuildServingState(std::move(snapshot), &store);
  if (!state.ok()) return;
  ServingStateHolder holder;
  holder.Set(*state);
  EventWriter writer(&store);
  RecommenderService service(&holder, &store, &writer);
  for (const char* user : {"alice", "bob", "stranger"}) {
    v1::RecommendRequest request;
    request.set_user_id(user);
    request.set_count(4);
    request.set_diversity(0.5f);
    v1::RecommendResponse response;
    // The model, and the strategies the snapshot's own data serves.
    for (const char* strategy : {"", "ease", "recent-popularity"}) {
      request.set_strategy(strategy);
      (void)service.Recommend(request, &response);
    }
    v1::GetSegmentRequest segment;
    segment.set_user_id(user);
    v1::Segment answer;
    (void)service.Segment(segment, &answer);
  }
  v1::SimilarItemsRequest similar;
  similar.set_item_id("A");
  similar.set_count(3);
  v1::SimilarItemsResponse neighbours;
  (void)service.Similar(similar, &neighbours);
  v1::BoughtTogetherRequest together;
  together.add_item_ids("A");
  together.set_count(3);
  v1::BoughtTogetherResponse bought;
  (void)service.Together(together, &bought);
}

}  // namespace
}  // namespace tailor

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tailor;  // NOLINT: a fuzz entry point outside the namespace
  static Published& published = *new Published();
  if (size == 0) return 0;
  const size_t which = data[0] % published.files.size();
  const std::string payload(reinterpret_cast<const char*>(data + 1), size - 1);
  WriteAll(published.files[which], FrameSnapshotFile(payload));
  absl::StatusOr<Snapshot> loaded = published.store->Load(published.version);
  WriteAll(published.files[which], published.originals[which]);
  if (loaded.ok()) Serve(*std::move(loaded));
  return 0;
}

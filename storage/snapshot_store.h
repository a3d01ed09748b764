// Versioned model snapshots on disk, published atomically.
//
// Layout under the snapshot directory:
//   CURRENT            one line: the version the server should serve
//   ERASURES           the writer's erasure list (StateStore::EraseUser), for
//                      servers that share this directory but not its data
//                      directory: keyed digests, never an id
//   00000001/          one directory per version, never modified once named:
//     MANIFEST         format version, snapshot version, counts, training info
//     users, items     id dictionaries
//     user_factors, item_factors, popularity, catalog, history, rules,
//     segments (customer profiles, RFM, clusters, propensity scores),
//     ann (the IVF partition for approximate retrieval; may be empty)
//   00000002.tmp/      a version being written; ignored by readers
// Every file is framed as magic, CRC-32 and length, so a truncated or
// corrupted file is detected on load. A version directory is written under a
// temporary name, synced, and renamed; CURRENT is then replaced by writing
// CURRENT.tmp and renaming it. A reader therefore sees either the old or the
// new snapshot, never a half-written one (cf. LevelDB's db/filename.cc).
#ifndef TAILOR_STORAGE_SNAPSHOT_STORE_H_
#define TAILOR_STORAGE_SNAPSHOT_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/base/catalog_change.h"
#include "core/experiments/experiment.h"
#include "core/serving/snapshot.h"
#include "storage/env.h"
#include "storage/erasure_list.h"

namespace tailor {

// A version's MANIFEST: what a listing shows without loading the snapshot.
struct SnapshotManifest {
  uint32_t format = 0;  // on-disk format version
  std::string version;
  int64_t created_unix = 0;
  uint64_t users = 0;
  uint64_t items = 0;
  uint32_t factors = 0;
  std::vector<std::pair<std::string, std::string>> info;
  OnlineParams online;
};

// Thread safety: Load*, Read* and List* may run concurrently with each other
// and with one Publish, SetCurrent or Remove; two concurrent writers may
// fail but never corrupt.
class SnapshotStore {
 public:
  // `env` must outlive the store.
  SnapshotStore(Env* env, std::string dir);

  // Writes `snapshot` as the next version (its `version` field is ignored)
  // and points CURRENT at it. Returns the new version. On failure (a full
  // disk, say) the partial copy is removed and CURRENT is untouched; the
  // error says so.
  absl::StatusOr<std::string> Publish(const Snapshot& snapshot);

  // The version CURRENT names. NOT_FOUND when nothing was published yet.
  absl::StatusOr<std::string> CurrentVersion() const;
  // Loads and fully validates one version: every checksum, size and count.
  absl::StatusOr<Snapshot> Load(const std::string& version) const;
  absl::StatusOr<Snapshot> LoadCurrent() const;
  // Complete versions, oldest first.
  absl::StatusOr<std::vector<std::string>> ListVersions() const;
  // One version's MANIFEST (checksummed), without its other files.
  absl::StatusOr<SnapshotManifest> ReadManifest(
      const std::string& version) const;

  // Points CURRENT at an existing version, atomically (as Publish does).
  absl::Status SetCurrent(const std::string& version);
  // Deletes a version's directory. The caller makes sure it is not the one
  // CURRENT names.
  absl::Status Remove(const std::string& version);

  // Replaces ERASURES with `list`, atomically (as CURRENT).
  absl::Status PublishErasures(const ErasureList& list);
  // The list ERASURES holds; empty when there is none. DATA_LOSS naming the
  // file when it is malformed.
  absl::StatusOr<ErasureList> ReadErasures() const;

  // Replaces EXPERIMENTS with `experiments` (checksummed; atomically, as
  // CURRENT): the writer's experiments, for the read replicas to follow.
  absl::Status PublishExperiments(const std::vector<Experiment>& experiments);
  // The list EXPERIMENTS holds; nullopt when there is none. DATA_LOSS
  // naming the file when it is damaged.
  absl::StatusOr<std::optional<std::vector<Experiment>>> ReadExperiments()
      const;

  // Replaces LIVE_CATALOG with `entries` (checksummed; atomically): the
  // writer's live catalog (StateStore::LoadLiveCatalog), for the read
  // replicas to adopt.
  absl::Status PublishLiveCatalog(const std::vector<LiveItem>& entries);
  // The entries LIVE_CATALOG holds; nullopt when there is none. DATA_LOSS
  // naming the file when it is damaged.
  absl::StatusOr<std::optional<std::vector<LiveItem>>> ReadLiveCatalog() const;

  const std::string& dir() const { return dir_; }

 private:
  // Replaces the file `name` of the directory with `payload`, framed,
  // atomically (written beside it, renamed, the directory synced).
  absl::Status ReplaceFramed(absl::string_view name, absl::string_view payload);
  // The framed payload of the directory's file `name`; nullopt when there
  // is none.
  absl::StatusOr<std::optional<std::string>> ReadFramedIfAny(
      absl::string_view name) const;
  // Writes `snapshot`'s files into `tmp` (created afresh).
  absl::Status WriteVersion(const Snapshot& snapshot,
                            const std::string& version,
                            const std::string& tmp) const;

  Env* env_;
  std::string dir_;
};

// True for names of the form of a snapshot version ("00000042").
bool IsSnapshotVersion(absl::string_view name);

}  // namespace tailor

#endif  // TAILOR_STORAGE_SNAPSHOT_STORE_H_

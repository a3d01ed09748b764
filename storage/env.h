// File-system and clock access, injectable so that tests can fail any write
// or freeze time (in the manner of LevelDB's Env).
#ifndef TAILOR_STORAGE_ENV_H_
#define TAILOR_STORAGE_ENV_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tailor {

// Thread safety: implementations must be safe to call from several threads.
class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX environment; never deleted.
  static Env* Default();

  // Creates or truncates `path`, writes `data` and fsyncs it.
  virtual absl::Status WriteFile(const std::string& path,
                                 absl::string_view data) = 0;
  virtual absl::StatusOr<std::string> ReadFile(const std::string& path) = 0;
  // Atomically replaces `to` (a file, or an empty directory) with `from`.
  virtual absl::Status Rename(const std::string& from,
                              const std::string& to) = 0;
  // Creates `path` and missing parents; OK if it already exists.
  virtual absl::Status CreateDirs(const std::string& path) = 0;
  virtual absl::Status RemoveAll(const std::string& path) = 0;
  // Names (not paths) of the entries of a directory.
  virtual absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& path) = 0;
  virtual bool Exists(const std::string& path) = 0;
  // Makes renames and creations inside `path` durable.
  virtual absl::Status SyncDir(const std::string& path) = 0;
  virtual int64_t NowMicros() = 0;
};

// Forwards every call to another Env; override what a test needs to change.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}
  absl::Status WriteFile(const std::string& path,
                         absl::string_view data) override {
    return target_->WriteFile(path, data);
  }
  absl::StatusOr<std::string> ReadFile(const std::string& path) override {
    return target_->ReadFile(path);
  }
  absl::Status Rename(const std::string& from, const std::string& to) override {
    return target_->Rename(from, to);
  }
  absl::Status CreateDirs(const std::string& path) override {
    return target_->CreateDirs(path);
  }
  absl::Status RemoveAll(const std::string& path) override {
    return target_->RemoveAll(path);
  }
  absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& path) override {
    return target_->ListDir(path);
  }
  bool Exists(const std::string& path) override {
    return target_->Exists(path);
  }
  absl::Status SyncDir(const std::string& path) override {
    return target_->SyncDir(path);
  }
  int64_t NowMicros() override { return target_->NowMicros(); }

 private:
  Env* target_;
};

}  // namespace tailor

#endif  // TAILOR_STORAGE_ENV_H_

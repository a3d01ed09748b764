// The people erased from a store (StateStore::EraseUser), held as keyed
// digests of their user ids, never the ids: what every later read, append,
// snapshot load and training run checks a user id against.
#ifndef TAILOR_STORAGE_ERASURE_LIST_H_
#define TAILOR_STORAGE_ERASURE_LIST_H_

#include <cstddef>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tailor {

// Bytes of a digest and of the key.
inline constexpr size_t kErasureDigestBytes = 32;

// HMAC-SHA-256 of `user_id` under `key` (kErasureDigestBytes raw bytes). A
// keyed digest rather than a plain hash: without the store's key, a list
// of erased digests cannot be checked against a list of guessed ids
// (e-mail addresses, say).
std::string ErasureDigest(absl::string_view key, absl::string_view user_id);

// A new random key (kErasureDigestBytes bytes from OpenSSL's generator).
absl::StatusOr<std::string> NewErasureKey();

// Thread safety: immutable once built; safe to share between threads.
class ErasureList {
 public:
  // Nobody erased.
  ErasureList() = default;
  // `digests` are ErasureDigest(key, id) of the erased ids.
  ErasureList(std::string key, absl::flat_hash_set<std::string> digests)
      : key_(std::move(key)), digests_(std::move(digests)) {}

  // Whether `user_id` was erased. Costs one HMAC unless the list is empty.
  bool Contains(absl::string_view user_id) const {
    return !digests_.empty() && digests_.contains(ErasureDigest(key_, user_id));
  }
  // How many people were erased: the list only grows, so this also tells
  // a newer list from an older one.
  size_t size() const { return digests_.size(); }
  bool empty() const { return digests_.empty(); }
  const std::string& key() const { return key_; }
  const absl::flat_hash_set<std::string>& digests() const { return digests_; }

 private:
  std::string key_;
  absl::flat_hash_set<std::string> digests_;
};

}  // namespace tailor

#endif  // TAILOR_STORAGE_ERASURE_LIST_H_

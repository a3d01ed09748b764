// Dictionary between opaque string ids and dense indexes 0..size()-1.
#ifndef TAILOR_CORE_BASE_ID_MAP_H_
#define TAILOR_CORE_BASE_ID_MAP_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"

namespace tailor {

// Maps ids to dense indexes in order of first insertion. Each id is stored
// once: the hash index holds only indexes into the id list (about 40 bytes
// per id less than a map from strings, which matters at 1 M shoppers).
// Copies share the dictionary until one of them inserts (copy on write), so
// equal maps held in several places (a snapshot's users and customers)
// cost one.
// Thread safety: const methods may be called concurrently, also on copies;
// Insert must not run concurrently with anything else on the same object.
class IdMap {
 public:
  IdMap();
  explicit IdMap(std::vector<std::string> ids);  // ids must be distinct
  // Copies (and moves, which are copies) share the dictionary.
  IdMap(const IdMap&) = default;
  IdMap& operator=(const IdMap&) = default;

  // Returns the index of `id`, adding it if it is new.
  int32_t Insert(absl::string_view id);
  // Returns the index of `id`, or nullopt when it is unknown.
  std::optional<int32_t> Find(absl::string_view id) const;
  const std::string& id(int32_t index) const { return data_->ids[index]; }
  const std::vector<std::string>& ids() const { return data_->ids; }
  int32_t size() const { return static_cast<int32_t>(data_->ids.size()); }
  // Whether this map shares its dictionary with `other`.
  bool SharesWith(const IdMap& other) const { return data_ == other.data_; }

  bool operator==(const IdMap& other) const {
    return data_ == other.data_ || data_->ids == other.data_->ids;
  }

 private:
  // Hash and equality of indexes by the ids they stand for, so that the
  // index can be searched with a string.
  struct Hash {
    using is_transparent = void;
    const std::vector<std::string>* ids;
    size_t operator()(int32_t i) const { return (*this)((*ids)[i]); }
    size_t operator()(absl::string_view id) const {
      return absl::Hash<absl::string_view>()(id);
    }
  };
  struct Eq {
    using is_transparent = void;
    const std::vector<std::string>* ids;
    bool operator()(int32_t a, int32_t b) const { return a == b; }
    bool operator()(int32_t a, absl::string_view b) const {
      return (*ids)[a] == b;
    }
    bool operator()(absl::string_view a, int32_t b) const {
      return a == (*ids)[b];
    }
  };
  // Never moved once built (the index's functors point at `ids`).
  struct Data {
    explicit Data(std::vector<std::string> ids);
    Data(const Data&) = delete;
    Data& operator=(const Data&) = delete;
    std::vector<std::string> ids;
    absl::flat_hash_set<int32_t, Hash, Eq> index;
  };

  std::shared_ptr<Data> data_;
};

}  // namespace tailor

#endif  // TAILOR_CORE_BASE_ID_MAP_H_

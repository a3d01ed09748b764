// Dictionary between opaque string ids and dense indexes 0..size()-1.
#ifndef TAILOR_CORE_ID_MAP_H_
#define TAILOR_CORE_ID_MAP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace tailor {

// Maps ids to dense indexes in order of first insertion.
// Thread safety: const methods may be called concurrently; Insert must not
// run concurrently with anything else.
class IdMap {
 public:
  IdMap() = default;
  explicit IdMap(std::vector<std::string> ids);  // ids must be distinct

  // Returns the index of `id`, adding it if it is new.
  int32_t Insert(absl::string_view id);
  // Returns the index of `id`, or nullopt when it is unknown.
  std::optional<int32_t> Find(absl::string_view id) const;
  const std::string& id(int32_t index) const { return ids_[index]; }
  const std::vector<std::string>& ids() const { return ids_; }
  int32_t size() const { return static_cast<int32_t>(ids_.size()); }

  bool operator==(const IdMap& other) const { return ids_ == other.ids_; }

 private:
  std::vector<std::string> ids_;
  absl::flat_hash_map<std::string, int32_t> index_;
};

}  // namespace tailor

#endif  // TAILOR_CORE_ID_MAP_H_

#include "core/id_map.h"

#include <utility>

namespace tailor {

IdMap::IdMap(std::vector<std::string> ids) : ids_(std::move(ids)) {
  index_.reserve(ids_.size());
  for (size_t i = 0; i < ids_.size(); ++i) {
    index_.emplace(ids_[i], static_cast<int32_t>(i));
  }
}

int32_t IdMap::Insert(absl::string_view id) {
  auto [it, inserted] =
      index_.try_emplace(std::string(id), static_cast<int32_t>(ids_.size()));
  if (inserted) ids_.emplace_back(id);
  return it->second;
}

std::optional<int32_t> IdMap::Find(absl::string_view id) const {
  auto it = index_.find(id);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

}  // namespace tailor

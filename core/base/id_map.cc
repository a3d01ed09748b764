#include "core/base/id_map.h"

#include <utility>

namespace tailor {

IdMap::Data::Data(std::vector<std::string> ids_in)
    : ids(std::move(ids_in)), index(0, Hash{&ids}, Eq{&ids}) {
  index.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) index.insert(static_cast<int32_t>(i));
}

IdMap::IdMap() : IdMap(std::vector<std::string>()) {}

IdMap::IdMap(std::vector<std::string> ids)
    : data_(std::make_shared<Data>(std::move(ids))) {}

int32_t IdMap::Insert(absl::string_view id) {
  if (auto it = data_->index.find(id); it != data_->index.end()) return *it;
  if (data_.use_count() > 1) data_ = std::make_shared<Data>(data_->ids);
  const auto index = static_cast<int32_t>(data_->ids.size());
  data_->ids.emplace_back(id);
  data_->index.insert(index);
  return index;
}

std::optional<int32_t> IdMap::Find(absl::string_view id) const {
  auto it = data_->index.find(id);
  if (it == data_->index.end()) return std::nullopt;
  return *it;
}

}  // namespace tailor

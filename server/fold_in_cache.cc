#include "server/fold_in_cache.h"

#include <utility>

#include "absl/hash/hash.h"

namespace tailor {

const FoldInCache::Shard& FoldInCache::ShardOf(
    absl::string_view user_id) const {
  return shards_[absl::HashOf(user_id) % kShards];
}

FoldInCache::Shard& FoldInCache::ShardOf(absl::string_view user_id) {
  return shards_[absl::HashOf(user_id) % kShards];
}

std::optional<Vector> FoldInCache::Find(absl::string_view user_id,
                                        uint64_t last_seq) const {
  const Shard& shard = ShardOf(user_id);
  MutexLock lock(&shard.mu);
  auto it = shard.entries.find(user_id);
  if (it == shard.entries.end() || it->second.last_seq != last_seq) {
    return std::nullopt;
  }
  return it->second.x;
}

void FoldInCache::Put(absl::string_view user_id, uint64_t last_seq, Vector x) {
  Shard& shard = ShardOf(user_id);
  MutexLock lock(&shard.mu);
  if (shard.entries.size() >= capacity_ / kShards) shard.entries.clear();
  shard.entries.insert_or_assign(std::string(user_id),
                                 Entry{last_seq, std::move(x)});
}

}  // namespace tailor

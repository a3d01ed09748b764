#include "core/retrieval/required_sets.h"

#include <algorithm>
#include <cstring>

namespace tailor {
namespace {

// Rows scored per kernel call in a compact scan; the norm bound is checked
// before each block.
constexpr int64_t kBlock = 64;

}  // namespace

RequiredSetCache::RequiredSetCache(const std::vector<int32_t>* item_of,
                                   const std::vector<float>* norm,
                                   const Int8Rows* codes,
                                   RequiredSetOptions options)
    : item_of_(item_of), norm_(norm), codes_(codes), options_(options) {}

std::shared_ptr<const RequiredSetCopy> RequiredSetCache::Get(
    const ItemSet& set) const {
  const Key key{&set, set.Fingerprint()};
  {
    MutexLock lock(&mu_);
    auto it = copies_.find(key);
    if (it != copies_.end()) return it->second;
  }
  std::shared_ptr<const RequiredSetCopy> copy = Build(set);
  const size_t bytes = copy->memory_bytes();
  MutexLock lock(&mu_);
  // Another search may have built the same copy meanwhile: keep the first.
  auto [it, inserted] = copies_.try_emplace(key, copy);
  if (!inserted) return it->second;
  bytes_ += bytes;
  if ((bytes_ > options_.max_bytes || copies_.size() > options_.max_sets) &&
      copies_.size() > 1) {
    copies_.clear();
    copies_.try_emplace(key, copy);
    bytes_ = bytes;
  }
  return copy;
}

int RequiredSetCache::SelectiveSet(
    const ItemFilter& filter,
    std::shared_ptr<const RequiredSetCopy>* copy) const {
  int best = -1;
  int64_t best_count = 0;
  for (size_t i = 0; i < filter.require.size(); ++i) {
    const int64_t count = filter.require[i]->Count();
    if (best < 0 || count < best_count) {
      best = static_cast<int>(i);
      best_count = count;
    }
  }
  const auto n = static_cast<double>(item_of_->size());
  if (best < 0 ||
      static_cast<double>(best_count) > options_.compact_share * n) {
    return -1;
  }
  *copy = Get(*filter.require[best]);
  return (*copy)->compact.has_value() ? best : -1;
}

size_t RequiredSetCache::memory_bytes() const {
  MutexLock lock(&mu_);
  return bytes_;
}

std::shared_ptr<const RequiredSetCopy> RequiredSetCache::Build(
    const ItemSet& set) const {
  auto copy = std::make_shared<RequiredSetCopy>();
  const auto n = static_cast<int64_t>(item_of_->size());
  const std::vector<uint64_t>& words = set.words();
  const auto member = [&](int32_t item) {
    const auto w = static_cast<size_t>(item >> 6);
    return w < words.size() && ((words[w] >> (item & 63)) & 1) != 0;
  };
  std::vector<int32_t> positions;
  if (options_.position_bits) copy->bits.assign((n + 63) / 64 + 1, 0);
  for (int64_t p = 0; p < n; ++p) {
    if (!member((*item_of_)[p])) continue;
    positions.push_back(static_cast<int32_t>(p));
    if (options_.position_bits) copy->bits[p >> 6] |= uint64_t{1} << (p & 63);
  }
  copy->count = static_cast<int64_t>(positions.size());
  if (static_cast<double>(copy->count) >
      options_.compact_share * static_cast<double>(n)) {
    return copy;
  }
  const std::vector<float>& norm = *norm_;
  std::stable_sort(positions.begin(), positions.end(),
                   [&](int32_t a, int32_t b) { return norm[a] > norm[b]; });
  CompactSet& c = copy->compact.emplace();
  const auto m = static_cast<int64_t>(positions.size());
  c.norm.resize(m);
  for (int64_t i = 0; i < m; ++i) c.norm[i] = norm[positions[i]];
  if (codes_ != nullptr) {
    c.codes = Int8Rows{AlignedRows<int8_t>(m, codes_->codes.dim()),
                       std::vector<float>(m), std::vector<float>(m)};
    const size_t row_bytes = codes_->codes.stride() * sizeof(int8_t);
    for (int64_t i = 0; i < m; ++i) {
      const int32_t p = positions[i];
      std::memcpy(c.codes.codes.row(i), codes_->codes.row(p), row_bytes);
      c.codes.scale[i] = codes_->scale[p];
      c.codes.slack[i] = codes_->slack[p];
    }
  }
  c.position = std::move(positions);
  return copy;
}

ItemFilter WithoutRequired(const ItemFilter& filter, int index) {
  ItemFilter rest = filter;
  rest.require.erase(rest.require.begin() + index);
  return rest;
}

int64_t ScanCompactSet(const CompactSet& set,
                       const std::vector<int32_t>& item_of,
                       const Int8Query& query, const DotKernels& kernels,
                       const ItemFilter& rest, CappedCollector* lower,
                       std::vector<std::pair<int32_t, float>>* maybe) {
  const float max_score = query.norm * kNormSlack;
  const auto m = static_cast<int64_t>(set.position.size());
  int32_t acc[kBlock];
  float up[kBlock], lo[kBlock];
  float threshold = lower->threshold();
  int64_t scanned = 0;
  for (int64_t begin = 0; begin < m; begin += kBlock) {
    if (max_score * set.norm[begin] < threshold) break;
    const int64_t len = std::min(kBlock, m - begin);
    // Score first: the codes are contiguous, and most rows then fail the
    // threshold before their (scattered) filter bits are read.
    Int8Bounds(set.codes, begin, len, query, kernels, acc, up, lo);
    scanned += len;
    for (int64_t j = 0; j < len; ++j) {
      if (up[j] < threshold) continue;
      const int32_t position = set.position[begin + j];
      const int32_t item = item_of[position];
      if (!rest.Accepts(item)) continue;
      maybe->emplace_back(position, up[j]);
      lower->Push({item, lo[j]});
      threshold = std::max(threshold, lower->threshold());
    }
    // Caps make the threshold a selection over every kept item: refresh it
    // every 1,024 rows.
    if ((begin / kBlock) % 16 == 15) {
      lower->Refresh();
      threshold = std::max(threshold, lower->threshold());
    }
  }
  lower->Refresh();
  return scanned;
}

}  // namespace tailor

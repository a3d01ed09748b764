#include "tools/bench/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace tailor {
namespace {
constexpr int kMaxExponent = 32;  // 2^32 us: about 71 minutes
}  // namespace

LatencyHistogram::LatencyHistogram()
    : buckets_((kMaxExponent - kSubBits + 1) * kSub, 0) {}

// Values below 64 get one bucket each; above, v in [2^e, 2^(e+1)) with
// e >= 6 falls in bucket (e - 5) * 64 + the top 6 bits below the leading one.
int LatencyHistogram::BucketOf(int64_t v) {
  if (v < kSub) return static_cast<int>(std::max<int64_t>(v, 0));
  const int e = std::bit_width(static_cast<uint64_t>(v)) - 1;
  if (e >= kMaxExponent) return (kMaxExponent - kSubBits + 1) * kSub - 1;
  const int sub = static_cast<int>((v >> (e - kSubBits)) & (kSub - 1));
  return (e - kSubBits + 1) * kSub + sub;
}

int64_t LatencyHistogram::UpperEdge(int bucket) {
  if (bucket < kSub) return bucket;
  const int e = bucket / kSub + kSubBits - 1;
  const int64_t sub = bucket % kSub;
  const int64_t width = int64_t{1} << (e - kSubBits);
  return (int64_t{1} << e) + (sub + 1) * width - 1;
}

void LatencyHistogram::Record(int64_t micros) {
  micros = std::max<int64_t>(micros, 0);
  ++buckets_[BucketOf(micros)];
  min_ = count_ == 0 ? micros : std::min(min_, micros);
  max_ = std::max(max_, micros);
  sum_ += static_cast<double>(micros);
  ++count_;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (size_t b = 0; b < buckets_.size(); ++b) buckets_[b] += other.buckets_[b];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
  count_ += other.count_;
}

int64_t LatencyHistogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  const auto rank = std::clamp<int64_t>(
      static_cast<int64_t>(std::ceil(p * static_cast<double>(count_))), 1,
      count_);
  int64_t seen = 0;
  for (size_t b = 0; b < buckets_.size(); ++b) {
    seen += buckets_[b];
    if (seen >= rank) {
      if (b + 1 == buckets_.size()) return max_;  // the overflow bucket
      return std::min(UpperEdge(static_cast<int>(b)), max_);
    }
  }
  return max_;
}

}  // namespace tailor

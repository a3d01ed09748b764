// A latency histogram with bounded relative error (log-linear buckets, in
// the manner of HdrHistogram): each power-of-two range of microseconds is
// split into 64 equal buckets, so a recorded value is known to within 1/64
// (1.6%) and percentiles never interpolate across far-apart samples.
#ifndef TAILOR_TOOLS_BENCH_HISTOGRAM_H_
#define TAILOR_TOOLS_BENCH_HISTOGRAM_H_

#include <cstdint>
#include <vector>

namespace tailor {

// Thread safety: not thread-safe; merge per-thread histograms instead.
class LatencyHistogram {
 public:
  LatencyHistogram();

  // Records one latency in microseconds (negative counts as 0; values above
  // about 73 minutes land in the last bucket; max() stays exact).
  void Record(int64_t micros);
  void Merge(const LatencyHistogram& other);

  int64_t count() const { return count_; }
  int64_t max() const { return max_; }
  int64_t min() const { return count_ == 0 ? 0 : min_; }
  double mean() const { return count_ == 0 ? 0 : sum_ / count_; }
  // The value at nearest rank p (0 < p <= 1): the upper edge of the bucket
  // holding the ceil(p * count)-th smallest value, capped at max(); 0 when
  // empty.
  int64_t Percentile(double p) const;

 private:
  static constexpr int kSubBits = 6;  // 64 buckets per power of two
  static constexpr int kSub = 1 << kSubBits;
  static int BucketOf(int64_t v);
  static int64_t UpperEdge(int bucket);

  std::vector<int64_t> buckets_;
  int64_t count_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
  double sum_ = 0;
};

}  // namespace tailor

#endif  // TAILOR_TOOLS_BENCH_HISTOGRAM_H_

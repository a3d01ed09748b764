// Top-N retrieval over item factors: one small interface (Retriever), many
// implementations (exact, int8-compressed, and later approximate), all
// honouring the same filters and per-group caps inside the scan.
#ifndef TAILOR_CORE_RETRIEVAL_RETRIEVAL_H_
#define TAILOR_CORE_RETRIEVAL_RETRIEVAL_H_

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <limits>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/base/matrix.h"
#include "core/retrieval/simd.h"

namespace tailor {

struct ScoredItem {
  int32_t item;
  float score;
  bool operator==(const ScoredItem&) const = default;
};

// The order of every top-N list: higher score first, ties broken by the
// lower item index.
inline bool RanksBefore(const ScoredItem& a, const ScoredItem& b) {
  return a.score > b.score || (a.score == b.score && a.item < b.item);
}

// A set of item indexes, as a bitmap.
// Thread safety: const methods may be called concurrently.
class ItemSet {
 public:
  explicit ItemSet(int32_t size = 0) : bits_((size + 63) / 64, 0) {}
  void Insert(int32_t i) { bits_[i >> 6] |= uint64_t{1} << (i & 63); }
  bool Contains(int32_t i) const { return (bits_[i >> 6] >> (i & 63)) & 1; }
  // Number of indexes in the set.
  int64_t Count() const;
  size_t memory_bytes() const { return bits_.size() * sizeof(uint64_t); }
  // The bitmap, 64 indexes per word (index i is bit i % 64 of word i / 64).
  const std::vector<uint64_t>& words() const { return bits_; }
  // A hash of the contents: sets with different members differ (but for
  // hash collisions).
  uint64_t Fingerprint() const;

 private:
  std::vector<uint64_t> bits_;
};

// A matrix whose rows each start on a 64-byte boundary: the row width is
// padded with zeros to a multiple of 16 elements (the SIMD kernels' step).
// Thread safety: const methods may be called concurrently.
template <typename T>
class AlignedRows {
 public:
  AlignedRows() = default;
  // Zero-filled.
  AlignedRows(int64_t rows, int dim)
      : rows_(rows), dim_(dim), stride_((dim + 15) / 16 * 16) {
    // 64-byte rows for floats; int8 rows are 16-byte aligned.
    const size_t bytes =
        (static_cast<size_t>(rows_ * stride_) * sizeof(T) + 63) / 64 * 64;
    data_.reset(
        static_cast<T*>(std::aligned_alloc(64, bytes == 0 ? 64 : bytes)));
    std::fill(data_.get(), data_.get() + rows_ * stride_, T{0});
  }
  int64_t rows() const { return rows_; }
  int dim() const { return dim_; }
  int64_t stride() const { return stride_; }
  T* row(int64_t r) { return data_.get() + r * stride_; }
  const T* row(int64_t r) const { return data_.get() + r * stride_; }
  const T* data() const { return data_.get(); }
  size_t memory_bytes() const {
    return static_cast<size_t>(rows_ * stride_) * sizeof(T);
  }

 private:
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  int64_t rows_ = 0;
  int dim_ = 0;
  int64_t stride_ = 0;
  std::unique_ptr<T[], Free> data_;
};

// A copy of `m` in aligned, zero-padded rows.
AlignedRows<float> AlignRows(const RowMatrix& m);

// `query` (dim floats) copied into a zero-padded buffer of `stride`
// floats, as the kernels read it.
std::vector<float> PadQuery(const float* query, int dim, int64_t stride);

// A row's score is at most |q| |x|; the factor covers float rounding, so
// |q| |x| * kNormSlack bounds a computed score.
inline constexpr float kNormSlack = 1.0f + 1e-5f;

// Which items a search may return. Every part is optional; an item is
// eligible when it passes all of them. The sets are typically shared by
// every request of a snapshot (in stock, per size, per category) and only
// `exclude` is built per request.
// Thread safety: a plain value; Accepts may be called concurrently.
struct ItemFilter {
  // Never these (already seen, on the page, ...).
  const ItemSet* exclude = nullptr;
  // Only items in every one of these sets.
  std::vector<const ItemSet*> require;
  // Only items whose value (e.g. price) lies in [min_value, max_value].
  const float* values = nullptr;
  float min_value = -std::numeric_limits<float>::infinity();
  float max_value = std::numeric_limits<float>::infinity();
  // When set, only these items (ascending, unique, valid indexes) are
  // considered at all: the search scores just them instead of scanning the
  // catalog, which is what makes a filter that keeps 1% of the catalog
  // cheap.
  const std::vector<int32_t>* candidates = nullptr;

  // Whether `item` passes everything but `candidates` (the scans check
  // candidates by construction).
  bool Accepts(int32_t item) const {
    if (exclude != nullptr && exclude->Contains(item)) return false;
    for (const ItemSet* s : require) {
      if (!s->Contains(item)) return false;
    }
    if (values != nullptr &&
        !(values[item] >= min_value && values[item] <= max_value)) {
      return false;
    }
    return true;
  }
  // Whether `item` passes everything, `candidates` included.
  bool Eligible(int32_t item) const {
    return (candidates == nullptr ||
            std::binary_search(candidates->begin(), candidates->end(), item)) &&
           Accepts(item);
  }
};

// What to search for.
struct SearchParams {
  explicit SearchParams(int k = 10) : k(k) {}
  // How many items to return.
  int k;
  ItemFilter filter;
  // Per-group caps (e.g. at most 3 items per category): when group_of is
  // set and max_per_group > 0, at most max_per_group items of each group
  // (group_of[item] >= 0) are returned; items with a negative group are not
  // capped. The answer is the best list that respects the caps.
  const int32_t* group_of = nullptr;
  int max_per_group = 0;
};

// One search of a batch: its query, what to search for, and where the
// answer goes.
struct BatchQuery {
  const float* query;
  const SearchParams* params;
  std::vector<ScoredItem>* out;
};

// Finds the items with the highest inner product with a query vector.
// Thread safety: implementations are immutable after construction and Search
// may be called from many threads at once.
class Retriever {
 public:
  virtual ~Retriever() = default;
  virtual int32_t num_items() const = 0;
  virtual int dim() const = 0;
  // Writes the best min(k, eligible items) items, ordered by RanksBefore, to
  // `out`: only items params.filter accepts, and respecting the group caps.
  // `query` has dim() floats.
  virtual void Search(const float* query, const SearchParams& params,
                      std::vector<ScoredItem>* out) const = 0;
  // Bytes held for searching (factors, codes, side tables).
  virtual size_t memory_bytes() const = 0;
  // Runs several searches; each answer equals what Search gives for it.
  // Implementations may share work between them (ExactRetriever reads each
  // block of rows once for the whole batch); this default runs them one by
  // one.
  virtual void SearchBatch(const std::vector<BatchQuery>& batch) const {
    for (const BatchQuery& q : batch) Search(q.query, *q.params, q.out);
  }
};

class CappedCollector;
class RequiredSetCache;
struct CompactSet;
struct RequiredSetCopy;

struct ExactOptions {
  // Threads one search may use (0: all cores). A catalog is split only when
  // each part has at least min_items_per_thread items.
  int threads = 0;
  int64_t min_items_per_thread = int64_t{1} << 18;
  // Rows are stored by decreasing norm, and a scan stops at the first block
  // whose largest possible score (|query| times the block's largest norm)
  // cannot beat the k-th best score found: exact, and on trained factors
  // (whose norms follow popularity) most of the catalog is never read.
  // false scans everything (for benchmarks).
  bool prune_by_norm = true;
  // A search requiring a set that keeps at most this share of the catalog
  // (a category, a rare size) scores only that set's members, by
  // decreasing norm from a cached copy of their positions (see
  // required_sets.h), instead of scanning the catalog; 0: never. The int8
  // path copies their codes too.
  double compact_share = 0.125;
  // Kernels to use; null means BestKernels().
  const DotKernels* kernels = nullptr;
};

// Scores eligible items with SIMD inner products over aligned rows and
// keeps a bounded heap; splits large catalogs across threads, which share
// their thresholds. Returns exactly the brute-force answer (up to float
// summation order).
// Thread safety: Search may be called from many threads at once; the
// cache of selective sets' copies is guarded by a mutex, the rest is
// immutable after construction.
class ExactRetriever : public Retriever {
 public:
  // Copies `items` into aligned rows, by decreasing norm.
  explicit ExactRetriever(const RowMatrix& items, ExactOptions options = {});
  ~ExactRetriever() override;
  int32_t num_items() const override {
    return static_cast<int32_t>(rows_.rows());
  }
  int dim() const override { return rows_.dim(); }
  void Search(const float* query, const SearchParams& params,
              std::vector<ScoredItem>* out) const override;
  size_t memory_bytes() const override;
  // Scans the catalog once for all the batch's full-catalog searches, on
  // the calling thread: each block of rows is scored for every search that
  // can still improve while it is in cache.
  void SearchBatch(const std::vector<BatchQuery>& batch) const override;

  // Exact scores of `items` (any order, valid indexes) for a query already
  // padded to the row stride.
  void ScoreItems(const float* padded_query, const int32_t* items, int64_t n,
                  float* out) const;
  // Item `item`'s aligned, padded row.
  const float* row_of(int32_t item) const { return rows_.row(position_[item]); }
  int64_t stride() const { return rows_.stride(); }
  const ExactOptions& options() const { return options_; }
  const DotKernels& kernels() const { return *kernels_; }
  // Storage order: order()[position] is the item stored there; norms()
  // (non-increasing when pruning) are by position.
  const std::vector<int32_t>& order() const { return order_; }
  const std::vector<float>& norms() const { return norm_; }

 private:
  // Scores rows at positions [begin, begin + len) against a padded query
  // into `scores` and offers `top` each eligible item not below
  // `threshold` (raised as `top` fills), then refreshes `top`.
  void ScanBlock(int64_t begin, int64_t len, const float* padded_query,
                 float threshold, const ItemFilter& filter,
                 CappedCollector* top, float* scores) const;
  // Scores the members of filter.require[set_index] (`set`), by decreasing
  // norm until none can reach the k-th best score.
  void SearchCompact(const float* query, const SearchParams& params,
                     const CompactSet& set, int set_index,
                     std::vector<ScoredItem>* out) const;

  AlignedRows<float> rows_;  // by position
  std::vector<int32_t> order_;
  std::vector<int32_t> position_;  // by item
  std::vector<float> norm_;        // by position
  ExactOptions options_;
  const DotKernels* kernels_;
  std::unique_ptr<RequiredSetCache> required_sets_;  // positions only
};

// Rows as int8 codes with a per-row scale, for a first pass that reads a
// quarter of the fp32 bytes, and per row a bound on the error of its
// approximate score per unit of |query| (codes and query rounding, float
// rounding), so callers can tell which rows might still beat a threshold.
// Thread safety: a plain value; const use may be concurrent.
struct Int8Rows {
  AlignedRows<int8_t> codes;
  std::vector<float> scale;  // value = code * scale
  std::vector<float> slack;  // score error bound per unit of |query|
  size_t memory_bytes() const {
    return codes.memory_bytes() + (scale.size() + slack.size()) * sizeof(float);
  }
};

// Quantises `n` rows of `dim` floats; row(r) returns row r and norms[r] is
// its length.
Int8Rows QuantizeRows(int64_t n, int dim,
                      const std::function<const float*(int64_t)>& row,
                      const std::vector<float>& norms);

// A query quantised for DotKernels::dot_i8.
struct Int8Query {
  std::vector<int16_t> q16;  // padded to the rows' stride
  float scale = 0;           // query ~= q16 * scale
  float norm = 0;            // |query|
};

// Quantises `query` (dim floats) for rows of stride `stride`. Returns false
// for an all-zero query (which has no order to approximate).
bool QuantizeQuery(const float* query, int dim, int64_t stride, Int8Query* out);

// For rows [begin, begin + len) of `rows`: upper and lower bounds on their
// exact scores against `query` (acc is scratch; all three hold len values).
void Int8Bounds(const Int8Rows& rows, int64_t begin, int64_t len,
                const Int8Query& query, const DotKernels& kernels, int32_t* acc,
                float* upper, float* lower);

// int8 codes with a per-item scale for a first pass over the whole
// catalog (a quarter of the fp32 bytes), then fp32 re-scoring of the items
// that might be in the answer. Each item also stores a bound on its
// quantization error, so an item is dropped only when its best possible
// score is below the k-th best guaranteed score: the answer equals the
// exact one (up to float summation order), not just most of it. A search
// requiring a selective set (ExactOptions::compact_share) scans
// only that set's members, through a cached compact copy of their codes
// (see required_sets.h).
// Thread safety: Search may be called from many threads at once; the
// cache of set copies is guarded by a mutex, the rest is immutable.
class QuantizedRetriever : public Retriever {
 public:
  explicit QuantizedRetriever(const RowMatrix& items,
                              ExactOptions options = {});
  ~QuantizedRetriever() override;
  int32_t num_items() const override { return exact_.num_items(); }
  int dim() const override { return exact_.dim(); }
  void Search(const float* query, const SearchParams& params,
              std::vector<ScoredItem>* out) const override;
  size_t memory_bytes() const override;

  // How many items the last search on this thread re-scored in fp32 (for
  // benchmarks and tests).
  static int64_t last_rescored();

 private:
  // Pass 1 over a compact copy of filter.require[set_index], then pass 2.
  void SearchCompact(const float* query, const Int8Query& q8,
                     const SearchParams& params, const CompactSet& set,
                     int set_index, std::vector<ScoredItem>* out) const;
  // Pass 2: the best of `items` by exact fp32 score.
  void Rescore(const float* query, const SearchParams& params,
               const std::vector<int32_t>& items,
               std::vector<ScoredItem>* out) const;

  ExactRetriever exact_;
  // By position, in exact_'s storage order.
  Int8Rows codes_;
  std::unique_ptr<RequiredSetCache> required_sets_;  // over codes_
};

// The reference answer: scores every eligible item one by one and sorts
// them all, then applies the group caps greedily.
std::vector<ScoredItem> BruteForceTopN(const RowMatrix& items,
                                       const float* query,
                                       const SearchParams& params);

// Keeps the best `k` items seen so far under RanksBefore.
// Thread safety: not thread-safe.
class TopNCollector {
 public:
  explicit TopNCollector(int k) : k_(k) { heap_.reserve(k); }
  // Worst score still kept, or -inf while not full.
  float threshold() const;
  void Push(ScoredItem s);
  // Moves the kept items, best first, into `out`.
  void Finish(std::vector<ScoredItem>* out);
  const std::vector<ScoredItem>& kept() const { return heap_; }

 private:
  int k_;
  std::vector<ScoredItem> heap_;  // min-heap: the worst kept item on top
};

// Keeps the best `k` items seen so far subject to SearchParams' group caps
// (a TopNCollector when there are none).
// Thread safety: not thread-safe.
class CappedCollector {
 public:
  CappedCollector(int k, const int32_t* group_of, int max_per_group);
  // A score below which an item cannot be in the answer; only rises.
  float threshold() const { return threshold_; }
  void Push(ScoredItem s);
  // Recomputes threshold() (cheap; call every few thousand items).
  void Refresh();
  // Moves the answer, best first, into `out`.
  void Finish(std::vector<ScoredItem>* out);
  // Every item currently kept, in no particular order.
  std::vector<ScoredItem> Kept() const;

 private:
  int k_;
  const int32_t* group_of_;
  int cap_;
  float threshold_ = -std::numeric_limits<float>::infinity();
  TopNCollector uncapped_;
  absl::flat_hash_map<int32_t, TopNCollector> groups_;
};

}  // namespace tailor

#endif  // TAILOR_CORE_RETRIEVAL_RETRIEVAL_H_

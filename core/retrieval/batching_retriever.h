// Micro-batching: searches that arrive together are scored together.
#ifndef TAILOR_CORE_RETRIEVAL_BATCHING_RETRIEVER_H_
#define TAILOR_CORE_RETRIEVAL_BATCHING_RETRIEVER_H_

#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "core/base/mutex.h"
#include "core/retrieval/retriever.h"

namespace tailor {

struct BatchingOptions {
  // How long the first search of a batch waits for company. Zero turns
  // batching off (each search runs at once on its own thread).
  absl::Duration max_wait = absl::ZeroDuration();
  // The most searches scored together.
  int max_batch = 16;
};

// Wraps a retriever so that concurrent searches are scored as one batch
// (Retriever::SearchBatch: each block of item rows is read once for the
// whole batch). The first search to arrive leads: it waits up to max_wait
// for others (less once max_batch have come), runs the batch on its own
// thread and wakes the rest; a waiting search becomes the next leader.
// Results are identical to the wrapped retriever's Search.
// Thread safety: Search may be called from many threads at once.
class BatchingRetriever : public Retriever {
 public:
  BatchingRetriever(std::unique_ptr<const Retriever> inner,
                    BatchingOptions options);
  int32_t num_items() const override { return inner_->num_items(); }
  int dim() const override { return inner_->dim(); }
  void Search(const float* query, const SearchParams& params,
              std::vector<ScoredItem>* out) const override;
  size_t memory_bytes() const override { return inner_->memory_bytes(); }
  const Retriever& inner() const { return *inner_; }

  // Searches run so far and the batches they ran in (for tests and
  // benchmarks).
  int64_t searches() const;
  int64_t batches() const;

 private:
  struct Pending {
    BatchQuery query;
    bool done = false;
  };

  std::unique_ptr<const Retriever> inner_;
  const BatchingOptions options_;
  mutable Mutex mu_;
  mutable std::vector<Pending*> queue_ ABSL_GUARDED_BY(mu_);
  mutable bool leading_ ABSL_GUARDED_BY(mu_) = false;
  mutable int64_t searches_ ABSL_GUARDED_BY(mu_) = 0;
  mutable int64_t batches_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace tailor

#endif  // TAILOR_CORE_RETRIEVAL_BATCHING_RETRIEVER_H_

#include "core/retrieval/batching_retriever.h"

#include <algorithm>

namespace tailor {

BatchingRetriever::BatchingRetriever(std::unique_ptr<const Retriever> inner,
                                     BatchingOptions options)
    : inner_(std::move(inner)), options_(options) {}

void BatchingRetriever::Search(const float* query, const SearchParams& params,
                               std::vector<ScoredItem>* out) const {
  if (options_.max_wait <= absl::ZeroDuration() || options_.max_batch <= 1) {
    inner_->Search(query, params, out);
    return;
  }
  Pending me{{query, &params, out}};
  MutexLock lock(&mu_);
  queue_.push_back(&me);
  ++searches_;
  const size_t max_batch = static_cast<size_t>(options_.max_batch);
  // Conditions read guarded members; absl::Mutex evaluates them holding
  // the lock.
  auto leader_done_or_gone = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return me.done || !leading_;
  };
  auto batch_full = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return queue_.size() >= max_batch;
  };
  while (!me.done) {
    if (leading_) {
      // Wait for the leader to finish (this search may be in its batch) or
      // to step down (then lead the next batch).
      mu_.Await(absl::Condition(&leader_done_or_gone));
      continue;
    }
    leading_ = true;
    mu_.AwaitWithTimeout(absl::Condition(&batch_full), options_.max_wait);
    const size_t n = std::min(queue_.size(), max_batch);
    std::vector<Pending*> batch(queue_.begin(), queue_.begin() + n);
    queue_.erase(queue_.begin(), queue_.begin() + n);
    ++batches_;
    mu_.Unlock();
    std::vector<BatchQuery> queries;
    queries.reserve(n);
    for (Pending* p : batch) queries.push_back(p->query);
    inner_->SearchBatch(queries);
    mu_.Lock();
    for (Pending* p : batch) p->done = true;
    leading_ = false;
  }
}

int64_t BatchingRetriever::searches() const {
  MutexLock lock(&mu_);
  return searches_;
}

int64_t BatchingRetriever::batches() const {
  MutexLock lock(&mu_);
  return batches_;
}

}  // namespace tailor

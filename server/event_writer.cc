#include "server/event_writer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace tailor {

EventWriter::EventWriter(StateStore* store, EventWriterOptions options,
                         ServerMetrics* metrics)
    : store_(store),
      options_(options),
      metrics_(metrics),
      thread_([this] { Run(); }) {}

EventWriter::~EventWriter() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

absl::Status EventWriter::Submit(std::vector<LoggedEvent> events, Done done) {
  const auto n = static_cast<int64_t>(events.size());
  MutexLock lock(&mu_);
  // An oversized batch is still taken when nothing waits: it can never fit.
  if (queued_events_ > 0 && queued_events_ + n > options_.max_queued_events) {
    return absl::ResourceExhaustedError(
        absl::StrCat("events: ", queued_events_,
                     " events already wait for the disk (at most ",
                     options_.max_queued_events, "); retry the batch later"));
  }
  queued_events_ += n;
  queue_.push_back({std::move(events), std::move(done)});
  return absl::OkStatus();
}

int64_t EventWriter::writes() const {
  MutexLock lock(&mu_);
  return writes_;
}

int64_t EventWriter::queued_events() const {
  MutexLock lock(&mu_);
  return queued_events_;
}

void EventWriter::Run() {
  for (;;) {
    std::vector<Batch> group;
    {
      MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !queue_.empty() || stopping_;
      };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping, and everything is written
      int64_t events = 0;
      while (!queue_.empty() && events < options_.max_events_per_write) {
        events += static_cast<int64_t>(queue_.front().events.size());
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    // Moving the events out leaves each batch's size, which splits the
    // outcomes back below.
    std::vector<LoggedEvent> all;
    for (Batch& b : group) {
      all.insert(all.end(), std::make_move_iterator(b.events.begin()),
                 std::make_move_iterator(b.events.end()));
    }
    const absl::Time start = absl::Now();
    absl::StatusOr<std::vector<AppendOutcome>> outcomes =
        store_->AppendEvents(all);
    if (metrics_ != nullptr) {
      metrics_->CountEventWrite(
          absl::Now() - start, static_cast<int64_t>(all.size()), outcomes.ok());
    }
    {
      MutexLock lock(&mu_);
      queued_events_ -= static_cast<int64_t>(all.size());
      ++writes_;
    }
    if (!outcomes.ok()) {
      // Every batch gets the error; the last one takes the writer's own
      // reference, so the error is freed by whoever releases it last among
      // the callers (absl::Status counts references in uninstrumented code
      // that ThreadSanitizer cannot see).
      absl::Status error = std::move(outcomes).status();
      for (size_t k = 0; k < group.size(); ++k) {
        std::move(group[k].done)(k + 1 < group.size() ? error
                                                      : std::move(error));
      }
      continue;
    }
    size_t next = 0;
    for (Batch& b : group) {
      std::vector<AppendOutcome> mine(
          outcomes->begin() + next, outcomes->begin() + next + b.events.size());
      next += b.events.size();
      std::move(b.done)(std::move(mine));
    }
  }
}

}  // namespace tailor

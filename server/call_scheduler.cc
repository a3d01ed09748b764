#include "server/call_scheduler.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/base/logging.h"
#include "core/base/parallel.h"
#include "server/thread_priority.h"

namespace tailor {
namespace {

constexpr std::array<absl::string_view, kCallMethods> kNames = {
    "RecommendFor", "SimilarItems", "BoughtTogether",
    "GetSegment",   "ListSegments", "TargetAudience",
    "RecordEvents", "StreamEvents", "UpdateCatalog"};

// The per-page calls: 64 in flight per worker by default, held to
// kOverloadCallsPerWorker under overload.
bool PerPage(CallMethod method) {
  return method == CallMethod::kRecommendFor ||
         method == CallMethod::kSimilarItems ||
         method == CallMethod::kBoughtTogether ||
         method == CallMethod::kGetSegment;
}

int DefaultLimit(CallMethod method, int workers) {
  if (PerPage(method)) return 64 * workers;
  switch (method) {
    case CallMethod::kListSegments:
    case CallMethod::kTargetAudience:
      return std::max(1, workers / 2);
    case CallMethod::kStreamEvents:
    case CallMethod::kUpdateCatalog:  // a worker each, waiting for the disk
      return 4 * workers;
    default:  // RecordEvents: held while the disk syncs, not a worker
      return 16 * workers;
  }
}

int IndexOf(absl::string_view name) {
  for (int m = 0; m < kCallMethods; ++m) {
    if (kNames[m] == name) return m;
  }
  return -1;
}

}  // namespace

absl::string_view CallMethodName(CallMethod method) {
  return kNames[static_cast<int>(method)];
}

absl::Status ParseMaxInFlight(absl::string_view spec, absl::string_view flag,
                              absl::flat_hash_map<std::string, int>* limits) {
  for (absl::string_view part : absl::StrSplit(spec, ',', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(part, absl::MaxSplits('=', 1));
    int limit = 0;
    if (IndexOf(kv.first) < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          flag, ": unknown method '", kv.first, "' in '", part,
          "' (one of RecommendFor, SimilarItems, BoughtTogether, GetSegment, "
          "ListSegments, TargetAudience, RecordEvents, StreamEvents, "
          "UpdateCatalog)"));
    }
    if (!absl::SimpleAtoi(kv.second, &limit) || limit < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": the bound in '", part,
                       "' must be a whole number >= 1 (Method=N)"));
    }
    (*limits)[std::string(kv.first)] = limit;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<CallScheduler>> CallScheduler::Create(
    const CallSchedulerOptions& options) {
  if (options.workers < 0) {
    return absl::InvalidArgumentError(
        "workers: must be >= 0 (0: one per hardware thread)");
  }
  if (options.worker_nice < 0 || options.worker_nice > 19) {
    return absl::InvalidArgumentError("worker_nice: must be in 0..19");
  }
  if (options.max_queue_wait < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "max_queue_wait: must be >= 0 (0: no bound)");
  }
  if (options.target_queue_wait < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "target_queue_wait: must be >= 0 (0: off)");
  }
  if (options.max_queue_wait > absl::ZeroDuration() &&
      2 * options.target_queue_wait > options.max_queue_wait) {
    return absl::InvalidArgumentError(
        absl::StrCat("target_queue_wait: must be at most half max_queue_wait (",
                     absl::FormatDuration(options.max_queue_wait), "), got ",
                     absl::FormatDuration(options.target_queue_wait)));
  }
  const int workers = ResolveThreadCount(options.workers);
  std::unique_ptr<CallScheduler> s(new CallScheduler(options));
  for (int m = 0; m < kCallMethods; ++m) {
    s->methods_[m].limit = DefaultLimit(static_cast<CallMethod>(m), workers);
  }
  for (const auto& [name, limit] : options.max_in_flight) {
    const int m = IndexOf(name);
    if (m < 0 || limit < 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "max_in_flight: '", name, "=", limit,
          "' needs a Recommender method with unary calls or StreamEvents, "
          "and a bound >= 1"));
    }
    s->methods_[m].limit = limit;
  }
  for (int m = 0; m < kCallMethods; ++m) {
    Method& method = s->methods_[m];
    method.overload_limit =
        PerPage(static_cast<CallMethod>(m))
            ? std::min(method.limit, kOverloadCallsPerWorker * workers)
            : method.limit;
  }
  s->threads_.reserve(workers);
  for (int w = 0; w < workers; ++w) {
    s->threads_.emplace_back([p = s.get(), nice = options.worker_nice] {
      // Failure leaves the workers at gRPC's priority, which only matters
      // under overload.
      if (absl::Status st = SetThisThreadNice(nice); nice != 0 && !st.ok()) {
        LogWarning(absl::StrCat("call workers: ", st.message()));
      }
      p->Work();
    });
  }
  return s;
}

CallScheduler::CallScheduler(const CallSchedulerOptions& options)
    : max_queue_wait_(options.max_queue_wait),
      target_queue_wait_(options.target_queue_wait),
      burst_queue_wait_(options.max_queue_wait > absl::ZeroDuration()
                            ? options.max_queue_wait / 2
                            : options.target_queue_wait),
      clock_(options.clock) {
  MutexLock lock(&mu_);
  last_short_ = Now();
}

CallScheduler::~CallScheduler() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) t.join();
}

absl::StatusOr<CallScheduler::Slot> CallScheduler::TakeSlot(CallMethod method) {
  Method& m = methods_[static_cast<int>(method)];
  // Take a place first, so that two racing calls cannot both see the last
  // one free.
  const int before = m.in_flight.fetch_add(1, std::memory_order_acq_rel);
  Slot slot(&m.in_flight);
  const bool cautious = cautious_.load(std::memory_order_relaxed);
  const int limit = cautious ? m.overload_limit : m.limit;
  if (before >= limit) {
    m.refused.fetch_add(1, std::memory_order_relaxed);
    // More still arrives than is answered: stay cautious (see Schedule).
    if (cautious) {
      cautious_refusal_nanos_.store(absl::ToUnixNanos(Now()),
                                    std::memory_order_relaxed);
    }
    return absl::ResourceExhaustedError(absl::StrCat(
        CallMethodName(method), ": the server is overloaded (", limit,
        " calls in flight, ",
        limit < m.limit ? absl::StrCat("the bound while calls keep queueing, ",
                                       kOverloadCallsPerWorker, " per worker")
                        : std::string("the --max_in_flight bound"),
        "); retry with backoff or on another replica"));
  }
  return slot;
}

absl::StatusOr<CallScheduler::Slot> CallScheduler::Admit(CallMethod method) {
  absl::StatusOr<Slot> slot = TakeSlot(method);
  if (slot.ok()) {
    methods_[static_cast<int>(method)].admitted.fetch_add(
        1, std::memory_order_relaxed);
  }
  return slot;
}

void CallScheduler::Schedule(CallMethod method, absl::Time deadline,
                             absl::AnyInvocable<bool() const> cancelled,
                             Run run) {
  absl::StatusOr<Slot> slot = TakeSlot(method);
  if (!slot.ok()) {
    std::move(run)(slot.status());
    return;
  }
  const absl::Time now = Now();
  Method* m = &methods_[static_cast<int>(method)];
  if (now >= deadline) {
    m->admitted.fetch_add(1, std::memory_order_relaxed);
    m->expired.fetch_add(1, std::memory_order_relaxed);
    std::move(run)(absl::DeadlineExceededError(
        absl::StrCat(CallMethodName(method),
                     ": the deadline passed before the call "
                     "arrived; nothing was done")));
    return;
  }
  const int64_t estimate = m->run_nanos.load(std::memory_order_relaxed);
  absl::Duration ahead, bound;
  {
    MutexLock lock(&mu_);
    ahead = absl::Nanoseconds((queued_nanos_ + running_nanos_ / 2) / workers());
    cautious_until_ = std::max(cautious_until_,
                               absl::FromUnixNanos(cautious_refusal_nanos_.load(
                                   std::memory_order_relaxed)) +
                                   kOverloadCooldown);
    const bool cautious = Standing(now) || now < cautious_until_;
    cautious_.store(cautious, std::memory_order_relaxed);
    bound = cautious ? target_queue_wait_ : burst_queue_wait_;
    if (target_queue_wait_ <= absl::ZeroDuration() || ahead <= bound) {
      if (queue_.empty()) last_short_ = now;  // empty until this call
      queued_nanos_ += estimate;
      queue_.push_back(Task{m, *std::move(slot), deadline, now, estimate,
                            std::move(cancelled), std::move(run)});
      m->admitted.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    // Still more arrives than is answered: stay cautious.
    if (cautious) cautious_until_ = now + kOverloadCooldown;
  }
  m->refused.fetch_add(1, std::memory_order_relaxed);
  { Slot give_back = *std::move(slot); }  // before answering
  std::move(run)(absl::ResourceExhaustedError(absl::StrCat(
      CallMethodName(method),
      ": the server is overloaded (the calls ahead would keep this one "
      "waiting about ",
      absl::FormatDuration(absl::Trunc(ahead, absl::Microseconds(100))),
      ", longer than ",
      bound == target_queue_wait_
          ? absl::StrCat("--target_queue_wait=",
                         absl::FormatDuration(target_queue_wait_),
                         ", the bound while calls keep queueing")
          : absl::StrCat("half --max_queue_wait=",
                         absl::FormatDuration(max_queue_wait_)),
      "); retry with backoff or on another replica")));
}

bool CallScheduler::Standing(absl::Time now) {
  if (target_queue_wait_ > absl::ZeroDuration() && !queue_.empty() &&
      now - last_short_ > kOverloadInterval) {
    overloaded_ = true;
  }
  if (overloaded_) {
    cautious_until_ = now + kOverloadCooldown;
    cautious_.store(true, std::memory_order_relaxed);
  }
  return overloaded_;
}

CallScheduler::Task CallScheduler::Take(bool newest) {
  Task task = std::move(newest ? queue_.back() : queue_.front());
  if (newest) {
    queue_.pop_back();
  } else {
    queue_.pop_front();
  }
  queued_nanos_ -= task.estimate_nanos;
  return task;
}

void CallScheduler::Work() {
  int64_t taken_nanos = 0;  // the estimate of the call this worker took last
  bool busy = false;        // whether it took one
  while (true) {
    std::optional<Task> task;
    std::vector<Task> late;  // refused outside the lock
    bool overloaded = false;
    {
      MutexLock lock(&mu_);
      running_nanos_ -= taken_nanos;  // that call is done
      taken_nanos = 0;
      if (busy) --running_;
      busy = false;
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping, and nothing queued
      const absl::Time now = Now();
      if (now - queue_.front().queued_at <= target_queue_wait_) {
        last_short_ = now;
      }
      // Overload lasts until the queue empties: the newest-first order
      // keeps the oldest calls old, and going back to arrival order early
      // would answer them all late.
      overloaded = Standing(now);
      if (overloaded) {
        // Newest first; the oldest, which waited too long, are refused now
        // rather than when their turn comes.
        while (target_queue_wait_ > absl::ZeroDuration() && !queue_.empty() &&
               now - queue_.front().queued_at > 2 * target_queue_wait_) {
          late.push_back(Take(/*newest=*/false));
        }
        if (!queue_.empty()) task.emplace(Take(/*newest=*/true));
      } else {
        task.emplace(Take(/*newest=*/false));
      }
      if (queue_.empty()) {
        last_short_ = now;
        overloaded_ = false;
      }
      if (task.has_value()) {
        taken_nanos = task->estimate_nanos;
        running_nanos_ += taken_nanos;
        ++running_;
        busy = true;
      }
    }
    for (Task& t : late) Dispatch(std::move(t), /*overloaded=*/true);
    if (task.has_value()) Dispatch(*std::move(task), overloaded);
  }
}

void CallScheduler::Dispatch(Task task, bool overloaded) {
  Method& m = *task.method;
  const CallMethod method = static_cast<CallMethod>(&m - methods_.data());
  const absl::Time now = Now();
  if (now >= task.deadline) {
    m.expired.fetch_add(1, std::memory_order_relaxed);
    std::move(task.run)(absl::DeadlineExceededError(
        absl::StrCat(CallMethodName(method),
                     ": the deadline passed while the call waited for a "
                     "worker; nothing was done")));
    return;
  }
  if (task.cancelled && task.cancelled()) {
    m.expired.fetch_add(1, std::memory_order_relaxed);
    std::move(task.run)(absl::CancelledError(absl::StrCat(
        CallMethodName(method), ": the client cancelled the call")));
    return;
  }
  const absl::Duration waited = now - task.queued_at;
  const absl::Duration bound =
      overloaded ? 2 * target_queue_wait_ : max_queue_wait_;
  if (bound > absl::ZeroDuration() && waited > bound) {
    m.queue_timeouts.fetch_add(1, std::memory_order_relaxed);
    std::move(task.run)(absl::ResourceExhaustedError(absl::StrCat(
        CallMethodName(method), ": the server is overloaded (the call waited ",
        absl::FormatDuration(waited), " for a worker, longer than ",
        overloaded
            ? absl::StrCat("twice --target_queue_wait=",
                           absl::FormatDuration(target_queue_wait_),
                           ", the bound while calls keep queueing")
            : absl::StrCat("--max_queue_wait=", absl::FormatDuration(bound)),
        "); retry with backoff or on another replica")));
    return;
  }
  std::move(task.run)(std::move(task.slot));
  // The method's recent run time, for the estimate of the queued work.
  // A call that takes far longer than the recent ones mostly waited (for
  // a lock, the CPU, the disk) rather than worked, and the calls behind it
  // will not take as long: counted whole, the few calls running during a
  // pause of tens of milliseconds would make the queue look several times
  // longer than it is and refuse calls the workers answer in time. So one
  // call counts as at most twice the average: the average rises by at most
  // an eighth per call, and a real slowdown (calls three times
  // slower) is followed within a dozen calls.
  const int64_t took = absl::ToInt64Nanoseconds(Now() - now);
  const int64_t average = m.run_nanos.load(std::memory_order_relaxed);
  m.run_nanos.store(average == 0
                        ? took
                        : average + (std::min(took, 2 * average) - average) / 8,
                    std::memory_order_relaxed);
}

CallScheduler::MethodStats CallScheduler::Stats(CallMethod method) const {
  const Method& m = methods_[static_cast<int>(method)];
  MethodStats s;
  s.limit = m.limit;
  s.in_flight = std::min(m.in_flight.load(std::memory_order_acquire), m.limit);
  s.admitted = m.admitted.load(std::memory_order_relaxed);
  s.refused = m.refused.load(std::memory_order_relaxed);
  s.queue_timeouts = m.queue_timeouts.load(std::memory_order_relaxed);
  s.expired = m.expired.load(std::memory_order_relaxed);
  s.recent_run_time =
      absl::Nanoseconds(m.run_nanos.load(std::memory_order_relaxed));
  return s;
}

int CallScheduler::queued() const {
  MutexLock lock(&mu_);
  return static_cast<int>(queue_.size());
}

int CallScheduler::running() const {
  MutexLock lock(&mu_);
  return running_;
}

bool CallScheduler::overloaded() const {
  MutexLock lock(&mu_);
  return overloaded_;
}

}  // namespace tailor

// Overload protection for the Recommender service's calls: bounds on the
// calls in flight per method and on the work queued ahead of a call, worker
// threads that run the handlers off gRPC's threads, and a bound on how long
// an admitted call may wait for a worker.
//
// Without it a server offered more calls than it can answer queues them all
// (inside gRPC, on its two callback threads) until every one misses its
// deadline. With it a call is refused at once with RESOURCE_EXHAUSTED (the
// client backs off or tries another replica) when its method already has
// its bound of calls in flight or when the calls queued ahead of it would
// keep it waiting longer than target_queue_wait (estimated from each
// method's recent run times); a call whose deadline has passed or whose
// client went away is dropped before any work. gRPC's threads only read,
// refuse and write, so that the health service
// and the refusals keep up under overload.
//
// The queue follows "controlled delay" with adaptive LIFO, as Facebook's
// RPC servers do. A queue whose oldest call is now and then younger than
// target_queue_wait is absorbing a burst or a pause (a snapshot swap, the
// machine's neighbours): calls are admitted while the work ahead is under
// half max_queue_wait and may wait up to max_queue_wait, in arrival order,
// so that a pause of a few dozen milliseconds refuses nothing. A queue
// whose oldest call has stayed older than target_queue_wait for
// kOverloadInterval is a standing one: the server takes more calls than it
// answers. Until the queue next empties, the newest call runs first (it
// has the most time left; the oldest are the ones to give up on) and a
// call that waited longer than twice target_queue_wait is refused; and
// until kOverloadCooldown after that, and after the last call refused for
// it, calls are admitted only while the work ahead is under
// target_queue_wait. So the answered calls' latency
// stays a few service times however far the offered load exceeds the
// capacity.
#ifndef TAILOR_SERVER_CALL_SCHEDULER_H_
#define TAILOR_SERVER_CALL_SCHEDULER_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/base/mutex.h"

namespace tailor {

// The methods with a bound, named as in tailor.v1.Recommender. Admin calls
// and the health service are never bounded: an operator must reach an
// overloaded server.
enum class CallMethod {
  kRecommendFor,
  kSimilarItems,
  kBoughtTogether,
  kGetSegment,
  kListSegments,
  kTargetAudience,
  kRecordEvents,
  kStreamEvents,  // bounds the open streams
  kUpdateCatalog,
};
inline constexpr int kCallMethods = 9;
absl::string_view CallMethodName(CallMethod method);

struct CallSchedulerOptions {
  // Threads that run the handlers; 0: one per usable CPU (UsableCpus():
  // the affinity mask and the cgroup's CPU quota).
  int workers = 0;
  // Calls of a method admitted and not yet answered (waiting for a worker
  // or running; for StreamEvents, open streams), by method name. A method
  // not named gets its default: 64 per worker for the per-page calls
  // (RecommendFor, SimilarItems, BoughtTogether, GetSegment), so that a
  // pause of a healthy server (a few dozen milliseconds at thousands of
  // calls per second) refuses nothing, and the bound on the queued work
  // decides; under overload they are held to kOverloadCallsPerWorker
  // (below); 16 per worker for RecordEvents, whose calls
  // wait for the disk's sync rather than a worker; half the workers (at
  // least 1) for the scans over every shopper (ListSegments,
  // TargetAudience), so that they never hold every worker; and 4 per worker
  // for StreamEvents.
  absl::flat_hash_map<std::string, int> max_in_flight;
  // The workers' nice value (0-19; gRPC's threads keep the process's,
  // normally 0). Above 0 the workers yield to gRPC's threads, and also to
  // every other busy thread at nice 0 on the machine (RocksDB's flushes, a
  // neighbour process), which takes a nice-10 thread down to a tenth of a
  // core: the bounds on the queued work keep gRPC's share small without
  // it.
  int worker_nice = 0;
  // An admitted call that waited longer than this for a worker is refused
  // (RESOURCE_EXHAUSTED) instead of run: its answer would come too late to
  // be of use. Longer than any pause of a healthy server (a snapshot swap's
  // included), so that it only acts under overload. Zero: no bound.
  absl::Duration max_queue_wait = absl::Milliseconds(50);
  // The wait the queue is kept near under overload: a queue whose oldest
  // call stays older than it for kOverloadInterval is a standing one (see
  // above), in which calls that waited twice as long are refused, and
  // until kOverloadCooldown after it a call is refused on arrival when the
  // work queued ahead of it, per worker, exceeds it (otherwise: half
  // max_queue_wait, or this when max_queue_wait is 0). Twice it must be at
  // most max_queue_wait when that is set. Zero: none of this (only
  // max_queue_wait and the in-flight bounds apply).
  absl::Duration target_queue_wait = absl::Milliseconds(5);
  // The clock the waits are measured by (tests); null: absl::Now.
  std::function<absl::Time()> clock;
};

// How long the queue's oldest call must stay older than target_queue_wait
// before the queue counts as a standing one.
inline constexpr absl::Duration kOverloadInterval = absl::Milliseconds(100);
// How long after a standing queue, and after the last call refused for
// exceeding target_queue_wait, calls are still admitted only within
// target_queue_wait: a load above the capacity empties the queue now and
// then, and would otherwise build a long one again each time.
inline constexpr absl::Duration kOverloadCooldown = absl::Seconds(1);
// The calls in flight per worker each per-page method (RecommendFor,
// SimilarItems, BoughtTogether, GetSegment) is held to while a standing
// queue lasts and until kOverloadCooldown after it and after the last call
// refused for it (or its max_in_flight, if lower): enough that a worker always
// has its next call waiting, few enough that the wait stays a few calls long
// whatever the estimates of the run times say (they miss the time gRPC's
// threads take from the workers under overload).
inline constexpr int kOverloadCallsPerWorker = 8;

// Parses "RecommendFor=64,TargetAudience=2" into `limits`;
// INVALID_ARGUMENT naming `flag` for an unknown method or a bound below 1.
absl::Status ParseMaxInFlight(absl::string_view spec, absl::string_view flag,
                              absl::flat_hash_map<std::string, int>* limits);

// Thread safety: Schedule and the accessors may be called from any thread;
// calls run on the scheduler's workers, several at a time.
class CallScheduler {
 public:
  // What a method's calls came to so far.
  struct MethodStats {
    int limit = 0;
    int in_flight = 0;
    int64_t admitted = 0;
    int64_t refused = 0;         // at arrival: in-flight bound, queued work
    int64_t queue_timeouts = 0;  // waited longer than max_queue_wait
    int64_t expired = 0;         // deadline passed or cancelled before running
    // A moving average of the run time on a worker (of the last few dozen
    // calls).
    absl::Duration recent_run_time;
  };

  // Holds one of a method's in-flight places until destroyed. Move-only.
  class Slot {
   public:
    Slot(Slot&& other) noexcept : count_(other.count_) {
      other.count_ = nullptr;
    }
    Slot& operator=(Slot&& other) noexcept {
      if (this != &other) {
        Release();
        count_ = other.count_;
        other.count_ = nullptr;
      }
      return *this;
    }
    ~Slot() { Release(); }

   private:
    friend class CallScheduler;
    explicit Slot(std::atomic<int>* count) : count_(count) {}
    void Release() {
      if (count_ != nullptr) count_->fetch_sub(1, std::memory_order_acq_rel);
      count_ = nullptr;
    }
    std::atomic<int>* count_;
  };

  // Checks the options (INVALID_ARGUMENT naming the field) and starts the
  // workers.
  static absl::StatusOr<std::unique_ptr<CallScheduler>> Create(
      const CallSchedulerOptions& options);
  // Runs every call still queued (each is refused or dropped, or runs if it
  // is still in time), then stops the workers.
  ~CallScheduler();
  CallScheduler(const CallScheduler&) = delete;
  CallScheduler& operator=(const CallScheduler&) = delete;

  // `run` is the call's work; it gets the call's Slot, which it keeps for
  // as long as the call is in flight (the handler's end for a synchronous
  // handler, the answer for one that finishes later), or the refusal that
  // the caller must answer with instead of doing any work:
  //  - RESOURCE_EXHAUSTED, at once on this thread, when `method` already
  //    has its bound of calls in flight, or when the calls queued would
  //    keep this one waiting longer than target_queue_wait;
  //  - DEADLINE_EXCEEDED, at once, when `deadline` has passed;
  //  - on a worker: DEADLINE_EXCEEDED when the deadline passed while the
  //    call waited, CANCELLED when `cancelled()` says the client has gone,
  //    RESOURCE_EXHAUSTED when it waited longer than max_queue_wait (twice
  //    target_queue_wait while the queue is a standing one).
  // Otherwise `run` gets the slot on a worker.
  using Run = absl::AnyInvocable<void(absl::StatusOr<Slot>) &&>;
  void Schedule(CallMethod method, absl::Time deadline,
                absl::AnyInvocable<bool() const> cancelled, Run run);

  // Admits a call of `method` that runs on the caller's thread (a stream):
  // its Slot, or RESOURCE_EXHAUSTED as Schedule would answer.
  absl::StatusOr<Slot> Admit(CallMethod method);

  MethodStats Stats(CallMethod method) const;
  int workers() const { return static_cast<int>(threads_.size()); }
  // Calls waiting for a worker.
  int queued() const;
  // Workers busy with a call (running it, or measuring it after).
  int running() const;
  // Whether the queue is a standing one now (as a worker last saw it).
  bool overloaded() const;

 private:
  struct Method {
    int limit = 0;
    int overload_limit = 0;  // while cautious_
    std::atomic<int> in_flight{0};
    std::atomic<int64_t> admitted{0};
    std::atomic<int64_t> refused{0};
    std::atomic<int64_t> queue_timeouts{0};
    std::atomic<int64_t> expired{0};
    // Recent run time on a worker (a moving average), nanoseconds.
    std::atomic<int64_t> run_nanos{0};
  };
  struct Task {
    Method* method;
    Slot slot;
    absl::Time deadline;
    absl::Time queued_at;
    int64_t estimate_nanos;  // its method's run_nanos when it was queued
    absl::AnyInvocable<bool() const> cancelled;
    Run run;
  };

  explicit CallScheduler(const CallSchedulerOptions& options);
  absl::Time Now() const { return clock_ ? clock_() : absl::Now(); }
  // One of `method`'s in-flight places, or RESOURCE_EXHAUSTED (counted).
  absl::StatusOr<Slot> TakeSlot(CallMethod method);
  // Takes the newest (or the oldest) call out of the non-empty queue and
  // its estimate out of the queued work.
  Task Take(bool newest) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether the queue is a standing one at `now` (and notes it).
  bool Standing(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Work();
  // Runs `task`, or answers it with why it no longer runs; `overloaded`
  // says which bound on its wait applies.
  void Dispatch(Task task, bool overloaded);

  const absl::Duration max_queue_wait_;
  const absl::Duration target_queue_wait_;
  // The arrival bound on the work ahead outside overload.
  const absl::Duration burst_queue_wait_;
  const std::function<absl::Time()> clock_;
  std::array<Method, kCallMethods> methods_;
  mutable Mutex mu_;
  std::deque<Task> queue_ ABSL_GUARDED_BY(mu_);
  // The queued calls' estimated run times, summed.
  int64_t queued_nanos_ ABSL_GUARDED_BY(mu_) = 0;
  // The estimated run times of the calls the workers took, summed (half of
  // it is, on average, still to run).
  int64_t running_nanos_ ABSL_GUARDED_BY(mu_) = 0;
  int running_ ABSL_GUARDED_BY(mu_) = 0;  // workers busy with a call
  // The last moment the queue was seen empty, or a worker found its oldest
  // call waiting for no longer than target_queue_wait.
  absl::Time last_short_ ABSL_GUARDED_BY(mu_);
  // Whether the queue is a standing one: set when the oldest call stayed
  // older than target_queue_wait for kOverloadInterval, cleared when the
  // queue empties.
  bool overloaded_ ABSL_GUARDED_BY(mu_) = false;
  // Until when arrivals are admitted within target_queue_wait only.
  absl::Time cautious_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // Whether the last call scheduled found the queue standing or within its
  // cooldown: the per-page calls are then held to their overload_limit.
  // Written under mu_, read without it on arrival.
  std::atomic<bool> cautious_{false};
  // When a call was last refused on arrival for the overload bound on the
  // calls in flight (Unix nanoseconds): like a refusal for the queued
  // work, it keeps the scheduler cautious for kOverloadCooldown more.
  std::atomic<int64_t> cautious_refusal_nanos_{
      std::numeric_limits<int64_t>::min()};
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;  // started last, in Create
};

}  // namespace tailor

#endif  // TAILOR_SERVER_CALL_SCHEDULER_H_

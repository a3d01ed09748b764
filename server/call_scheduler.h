// Overload protection for the Recommender service's calls: a bound on the
// calls in flight per method, worker threads that run the handlers off
// gRPC's threads, and a bound on how long an admitted call may wait for a
// worker.
//
// Without it a server offered more calls than it can answer queues them all
// (inside gRPC, on its two callback threads) until every one misses its
// deadline. With it a call beyond its method's bound is refused at once
// with RESOURCE_EXHAUSTED (the client backs off or tries another replica),
// a call whose deadline has passed or whose client went away is dropped
// before any work, and an admitted call waits for a worker behind a few
// calls at most. gRPC's threads only read, refuse and write, and run above
// the workers, so that the health service and the refusals keep up under
// overload.
#ifndef TAILOR_SERVER_CALL_SCHEDULER_H_
#define TAILOR_SERVER_CALL_SCHEDULER_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
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
};
inline constexpr int kCallMethods = 8;
absl::string_view CallMethodName(CallMethod method);

struct CallSchedulerOptions {
  // Threads that run the handlers; 0: one per hardware thread.
  int workers = 0;
  // Calls of a method admitted and not yet answered (waiting for a worker
  // or running; for StreamEvents, open streams), by method name. A method
  // not named gets its default: 8 per worker for the per-page calls
  // (RecommendFor, SimilarItems, BoughtTogether, GetSegment): enough that
  // a worker always has its next call waiting, few enough that the wait
  // stays a few calls long; 16 per worker for RecordEvents, whose calls
  // wait for the disk's sync rather than a worker; half the workers (at
  // least 1) for the scans over every shopper (ListSegments,
  // TargetAudience), so that they never hold every worker; and 4 per worker
  // for StreamEvents.
  absl::flat_hash_map<std::string, int> max_in_flight;
  // The workers' nice value (0-19; gRPC's threads keep the process's,
  // normally 0): under overload gRPC's threads must still get the CPU to
  // read every call and refuse the excess at once, or calls queue inside
  // gRPC, unseen by the bounds, until they miss their deadlines. The
  // workers still get all the CPU gRPC's threads leave.
  int worker_nice = 10;
  // An admitted call that waited longer than this for a worker is refused
  // (RESOURCE_EXHAUSTED) instead of run: its answer would come too late to
  // be of use. Longer than any pause of a healthy server (a snapshot swap's
  // included), so that it only acts under overload. Zero: no bound.
  absl::Duration max_queue_wait = absl::Milliseconds(50);
};

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
    int64_t refused = 0;         // over the in-flight bound, at arrival
    int64_t queue_timeouts = 0;  // waited longer than max_queue_wait
    int64_t expired = 0;         // deadline passed or cancelled before running
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
  //    has its bound of calls in flight;
  //  - DEADLINE_EXCEEDED, at once, when `deadline` has passed;
  //  - on a worker: DEADLINE_EXCEEDED when the deadline passed while the
  //    call waited, CANCELLED when `cancelled()` says the client has gone,
  //    RESOURCE_EXHAUSTED when it waited longer than max_queue_wait.
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

 private:
  struct Method {
    int limit = 0;
    std::atomic<int> in_flight{0};
    std::atomic<int64_t> admitted{0};
    std::atomic<int64_t> refused{0};
    std::atomic<int64_t> queue_timeouts{0};
    std::atomic<int64_t> expired{0};
  };
  struct Task {
    Method* method;
    Slot slot;
    absl::Time deadline;
    absl::Time queued_at;
    absl::AnyInvocable<bool() const> cancelled;
    Run run;
  };

  explicit CallScheduler(absl::Duration max_queue_wait)
      : max_queue_wait_(max_queue_wait) {}
  void Work();
  // Runs `task`, or answers it with why it no longer runs.
  void Dispatch(Task task);

  const absl::Duration max_queue_wait_;
  std::array<Method, kCallMethods> methods_;
  mutable Mutex mu_;
  std::deque<Task> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;  // started last, in Create
};

}  // namespace tailor

#endif  // TAILOR_SERVER_CALL_SCHEDULER_H_

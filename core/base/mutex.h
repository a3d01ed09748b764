// absl::Mutex, made visible to ThreadSanitizer.
//
// Debian's Abseil is not built with TSan, so TSan cannot see absl::Mutex
// synchronise anything and reports every guarded access as a race. In TSan
// builds this wrapper also announces each acquire and release to TSan, and
// turns off Abseil's deadlock detection: its lock graph is guarded by a
// spinlock TSan cannot see either, so a mutex destroyed on one thread (a
// retriever's cache when a snapshot is swapped out) while another locks
// shows as a race inside Abseil, and TSan reports lock-order inversions
// itself. In every other build it is exactly absl::Mutex.
#ifndef TAILOR_CORE_BASE_MUTEX_H_
#define TAILOR_CORE_BASE_MUTEX_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define TAILOR_TSAN_ACQUIRE(addr) __tsan_acquire(addr)
#define TAILOR_TSAN_RELEASE(addr) __tsan_release(addr)
#else
#define TAILOR_TSAN_ACQUIRE(addr) ((void)(addr))
#define TAILOR_TSAN_RELEASE(addr) ((void)(addr))
#endif

namespace tailor {

// Thread safety: a mutex; see absl::Mutex.
class ABSL_LOCKABLE Mutex {
 public:
#if defined(__SANITIZE_THREAD__)
  Mutex() {
    static const bool detection_off = [] {
      absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
      return true;
    }();
    (void)detection_off;
  }
#endif
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    mu_.Lock();
    TAILOR_TSAN_ACQUIRE(this);
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    TAILOR_TSAN_RELEASE(this);
    mu_.Unlock();
  }
  // With the lock held: releases it until `cond` holds, then holds it again.
  void Await(const absl::Condition& cond) ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    AnnotatedCondition annotated{this, &cond};
    TAILOR_TSAN_RELEASE(this);
    mu_.Await(absl::Condition(&annotated, &AnnotatedCondition::Eval));
    TAILOR_TSAN_ACQUIRE(this);
  }
  // With the lock held: releases it until `cond` holds or `timeout` passes,
  // then holds it again. Returns whether `cond` holds.
  bool AwaitWithTimeout(const absl::Condition& cond, absl::Duration timeout)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    // absl::Mutex evaluates `cond` holding the lock, possibly on another
    // thread, so each evaluation is announced as a critical section too.
    AnnotatedCondition annotated{this, &cond};
    TAILOR_TSAN_RELEASE(this);
    const bool met = mu_.AwaitWithTimeout(
        absl::Condition(&annotated, &AnnotatedCondition::Eval), timeout);
    TAILOR_TSAN_ACQUIRE(this);
    return met;
  }

 private:
  struct AnnotatedCondition {
    Mutex* mu;
    const absl::Condition* cond;
    bool Eval() {
      TAILOR_TSAN_ACQUIRE(mu);
      const bool met = cond->Eval();
      TAILOR_TSAN_RELEASE(mu);
      return met;
    }
  };

  absl::Mutex mu_;
};

// Holds a Mutex for its scope.
// Thread safety: an RAII guard used by one thread.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->Lock();
  }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* mu_;
};

// absl::Notification on a Mutex, so that ThreadSanitizer sees a wait
// synchronise with the Notify it waited for (Debian's absl::Notification is
// as invisible to it as absl::Mutex).
// Thread safety: Notify at most once, from any thread; the other methods
// from any threads.
class Notification {
 public:
  void Notify() {
    MutexLock lock(&mu_);
    notified_ = true;
  }
  bool HasBeenNotified() const {
    MutexLock lock(&mu_);
    return notified_;
  }
  void WaitForNotification() const {
    MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&notified_));
  }
  // Returns whether it was notified within `timeout`.
  bool WaitForNotificationWithTimeout(absl::Duration timeout) const {
    MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&notified_), timeout);
  }

 private:
  mutable Mutex mu_;
  bool notified_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace tailor

#endif  // TAILOR_CORE_BASE_MUTEX_H_

// A thread that runs one function whenever asked.
#ifndef TAILOR_CORE_BASE_BACKGROUND_TASK_H_
#define TAILOR_CORE_BASE_BACKGROUND_TASK_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "core/base/mutex.h"

namespace tailor {

// Runs `fn` on a thread of its own each time Request is called; requests
// made while one is pending are one. The thread has the priority of the
// thread that creates the task. Destruction waits for a run under way.
// Thread safety: Request and runs may be called from any thread.
class BackgroundTask {
 public:
  explicit BackgroundTask(std::function<void()> fn);
  ~BackgroundTask();
  BackgroundTask(const BackgroundTask&) = delete;
  BackgroundTask& operator=(const BackgroundTask&) = delete;

  // Asks for a run soon; returns at once.
  void Request();
  // Runs done so far.
  int64_t runs() const { return runs_.load(std::memory_order_acquire); }

 private:
  void Loop();

  const std::function<void()> fn_;
  Mutex mu_;
  bool requested_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<int64_t> runs_{0};
  std::thread thread_;  // started last
};

}  // namespace tailor

#endif  // TAILOR_CORE_BASE_BACKGROUND_TASK_H_

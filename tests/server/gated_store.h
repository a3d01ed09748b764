// A MemoryStateStore whose event appends and history reads can be held at a
// gate (a disk that stalls), whose appends can be made to fail, and which
// counts history reads, for the tests of what waits on the disk.
#ifndef TAILOR_TESTS_SERVER_GATED_STORE_H_
#define TAILOR_TESTS_SERVER_GATED_STORE_H_

#include <atomic>
#include <vector>

#include "core/base/mutex.h"
#include "storage/memory_state_store.h"

namespace tailor {

// Thread safety: as MemoryStateStore; Gate, FailAppends and GateHistories
// are called before the calls they affect.
class GatedStore : public MemoryStateStore {
 public:
  absl::StatusOr<std::vector<AppendOutcome>> AppendEvents(
      absl::Span<const LoggedEvent> events) override {
    // Only the event writer's thread appends, so this check is not racy.
    if (!entered_.HasBeenNotified()) entered_.Notify();
    if (gate_ != nullptr) gate_->WaitForNotification();
    appends_.fetch_add(1);
    if (fail_) return absl::UnavailableError("disk gone");
    return MemoryStateStore::AppendEvents(events);
  }
  absl::StatusOr<UserHistory> GetHistory(absl::string_view user_id) override {
    history_reads_.fetch_add(1);
    if (Notification* gate = history_gate_.load(); gate != nullptr) {
      if (!history_entered_.HasBeenNotified()) history_entered_.Notify();
      gate->WaitForNotification();
    }
    return MemoryStateStore::GetHistory(user_id);
  }
  // Appends wait until `gate` is notified.
  void Gate(Notification* gate) { gate_ = gate; }
  void FailAppends() { fail_ = true; }
  // History reads wait until `gate` is notified (a disk read that stalls).
  void GateHistories(Notification* gate) { history_gate_ = gate; }
  // Blocks until a history read has reached the gate.
  void WaitUntilHistoryEntered() { history_entered_.WaitForNotification(); }
  // Blocks until the first append has started.
  void WaitUntilEntered() { entered_.WaitForNotification(); }
  int appends() const { return appends_.load(); }
  int history_reads() const { return history_reads_.load(); }

 private:
  Notification* gate_ = nullptr;
  std::atomic<bool> fail_{false};
  Notification entered_;
  std::atomic<Notification*> history_gate_{nullptr};
  Notification history_entered_;
  std::atomic<int> appends_{0};
  std::atomic<int> history_reads_{0};
};

}  // namespace tailor

#endif  // TAILOR_TESTS_SERVER_GATED_STORE_H_

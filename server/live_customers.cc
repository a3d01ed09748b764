#include "server/live_customers.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/logging.h"
#include "server/serving_state.h"
#include "server/shopper.h"

namespace tailor {

namespace {

// Users recomputed between two publications of the moves.
constexpr size_t kRecomputeBatch = 4096;

}  // namespace

LiveCustomers::LiveCustomers(const ServingState* state, StateStore* store)
    : state_(state),
      store_(store),
      view_(std::make_shared<const CustomerMoves>()),
      task_(std::make_unique<BackgroundTask>([this] { Run(); })) {}

LiveCustomers::~LiveCustomers() { task_.reset(); }

void LiveCustomers::Touch(absl::Span<const std::string> user_ids) {
  if (state_->segments == nullptr || state_->segments->segments().empty()) {
    return;
  }
  {
    MutexLock lock(&mu_);
    for (const std::string& id : user_ids) {
      if (!state_->segments->Find(id).has_value()) continue;
      dirty_.insert(id);
    }
  }
  task_->Request();
}

std::shared_ptr<const CustomerMoves> LiveCustomers::Moves() const {
  MutexLock view_lock(&view_mu_);
  std::vector<MovedCustomer> moved;
  {
    MutexLock lock(&mu_);
    if (view_changes_ == changes_) return view_;
    view_changes_ = changes_;
    moved.reserve(moved_.size());
    for (const auto& [user, m] : moved_) moved.push_back(m);
  }
  view_ = std::make_shared<const CustomerMoves>(
      state_->segments->segments().users.size(), std::move(moved));
  return view_;
}

void LiveCustomers::Run() {
  const SegmentIndex& index = *state_->segments;
  for (;;) {
    std::vector<std::string> batch;
    {
      MutexLock lock(&mu_);
      if (dirty_.empty()) return;
      for (auto it = dirty_.begin();
           it != dirty_.end() && batch.size() < kRecomputeBatch;) {
        batch.push_back(*it);
        dirty_.erase(it++);
      }
    }
    for (const std::string& id : batch) {
      const std::optional<int32_t> user = index.Find(id);
      if (!user.has_value()) continue;
      absl::StatusOr<Shopper> shopper = ResolveShopper(
          *state_, store_, id, {.items = false, .customer = true});
      if (!shopper.ok()) {
        // Tried again with the user's next event.
        LogWarning(
            absl::StrCat("live audiences: ", shopper.status().ToString()));
        continue;
      }
      MutexLock lock(&mu_);
      ++changes_;
      if (!shopper->customer.has_value()) {
        moved_.erase(*user);  // erased since
        continue;
      }
      const CustomerRecord& r = *shopper->customer;
      moved_[*user] = MovedCustomer{
          *user,
          static_cast<int8_t>(
              r.rfm.has_value() ? static_cast<int>(r.rfm->segment) : -1),
          r.profile.net()};
    }
  }
}

}  // namespace tailor

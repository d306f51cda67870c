#include "lab/apiserver/watch_hub.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "lab/apiserver/api_status.h"

namespace raven::apiserver {

Watcher::State Watcher::Next(absl::Time deadline, std::vector<WatchItem>& out) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !queue_.empty() || state_ != State::kOpen;
  };
  mu_.AwaitWithDeadline(absl::Condition(&ready), deadline);
  if (state_ != State::kOpen) return state_;
  out.insert(out.end(), std::make_move_iterator(queue_.begin()),
             std::make_move_iterator(queue_.end()));
  queue_.clear();
  return state_;
}

void Watcher::Offer(const ChangeEvent& event) {
  if (event.group_resource != filter_.group_resource) return;
  if (!filter_.ns.empty() && event.ns != filter_.ns) return;
  auto matches = [this](const DocPtr& doc) {
    return doc != nullptr && filter_.labels.Matches(LabelsOf(*doc)) && filter_.fields.Matches(*doc);
  };
  bool now = matches(event.object);
  std::string type = event.type;
  if (type == "MODIFIED") {
    bool before = matches(event.old_object);
    if (!before && !now) return;
    if (!before) type = "ADDED";
    if (!now) type = "DELETED";  // left the selection: the last state it had is the new one
  } else if (!now) {
    return;
  }
  Push({type, event.object, event.rv});
}

void Watcher::Push(WatchItem item) {
  absl::MutexLock lock(&mu_);
  if (state_ != State::kOpen) return;
  if (queue_.size() >= queue_limit_) {
    state_ = State::kOverflowed;
    queue_.clear();
    return;
  }
  queue_.push_back(std::move(item));
}

void Watcher::Close(State state) {
  absl::MutexLock lock(&mu_);
  if (state_ == State::kOpen) state_ = state;
  queue_.clear();
}

void WatchHub::Publish(ChangeEvent event) {
  absl::MutexLock lock(&mu_);
  current_rv_ = event.rv;
  for (const auto& w : watchers_) w->Offer(event);
  history_.push_back(std::move(event));
  while (history_.size() > history_limit_) {
    compacted_rv_ = history_.front().rv;
    history_.pop_front();
  }
}

absl::StatusOr<std::shared_ptr<Watcher>> WatchHub::Subscribe(WatchFilter filter, int64_t from_rv) {
  absl::MutexLock lock(&mu_);
  if (shutdown_) return ApiError(503, "ServiceUnavailable", "the server is shutting down");
  if (from_rv < compacted_rv_) {
    return ExpiredError(
        absl::StrCat("too old resource version: ", from_rv, " (", compacted_rv_ + 1, ")"));
  }
  auto watcher = std::make_shared<Watcher>(std::move(filter), queue_limit_);
  for (const ChangeEvent& e : history_) {
    if (e.rv > from_rv) watcher->Offer(e);
  }
  watchers_.push_back(watcher);
  return watcher;
}

void WatchHub::Unsubscribe(const std::shared_ptr<Watcher>& watcher) {
  absl::MutexLock lock(&mu_);
  watchers_.erase(std::remove(watchers_.begin(), watchers_.end(), watcher), watchers_.end());
}

void WatchHub::Bookmark(const std::shared_ptr<Watcher>& watcher) {
  absl::MutexLock lock(&mu_);
  watcher->Push({"BOOKMARK", nullptr, current_rv_});
}

void WatchHub::Reset(int64_t rv) {
  absl::MutexLock lock(&mu_);
  current_rv_ = rv;
  compacted_rv_ = rv;
  history_.clear();
}

int64_t WatchHub::current_rv() const {
  absl::MutexLock lock(&mu_);
  return current_rv_;
}

int64_t WatchHub::compacted_rv() const {
  absl::MutexLock lock(&mu_);
  return compacted_rv_;
}

void WatchHub::DropAll() {
  absl::MutexLock lock(&mu_);
  for (const auto& w : watchers_) w->Close(Watcher::State::kDropped);
  watchers_.clear();
}

void WatchHub::Compact() {
  absl::MutexLock lock(&mu_);
  history_.clear();
  compacted_rv_ = current_rv_;
}

void WatchHub::Shutdown() {
  absl::MutexLock lock(&mu_);
  shutdown_ = true;
  for (const auto& w : watchers_) w->Close(Watcher::State::kShutdown);
  watchers_.clear();
}

size_t WatchHub::watch_count() const {
  absl::MutexLock lock(&mu_);
  return watchers_.size();
}

}  // namespace raven::apiserver

// The watch machinery: a bounded history of every change (one global
// resourceVersion sequence, one event per version) and the open watches,
// each with its own bounded queue, so that writers never wait for a slow
// watcher. A watcher whose queue overflows is closed (its client re-lists or
// re-watches, as with kube-apiserver).
//
// Lock order: the store's mutex, then the hub's, then a watcher's.
#ifndef RAVEN_LAB_APISERVER_WATCH_HUB_H_
#define RAVEN_LAB_APISERVER_WATCH_HUB_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lab/apiserver/json_util.h"
#include "lab/apiserver/selectors.h"

namespace raven::apiserver {

// One stored change. For MODIFIED, `old_object` is the previous state (used
// to turn a change across a selector boundary into ADDED or DELETED).
struct ChangeEvent {
  int64_t rv = 0;
  std::string type;  // ADDED, MODIFIED, DELETED
  std::string group_resource;
  std::string ns;
  DocPtr object;
  DocPtr old_object;
};

// What a watcher receives.
struct WatchItem {
  std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK
  DocPtr object;     // null for BOOKMARK
  int64_t rv = 0;
};

struct WatchFilter {
  std::string group_resource;
  std::string ns;  // "" for all namespaces
  LabelSelector labels;
  FieldSelector fields;
};

class Watcher {
 public:
  enum class State { kOpen, kDropped, kOverflowed, kShutdown };

  Watcher(WatchFilter filter, size_t queue_limit)
      : filter_(std::move(filter)), queue_limit_(queue_limit) {}

  // Waits until an item is queued, the watcher is closed, or `deadline`; then
  // returns everything queued (possibly nothing) and the state.
  State Next(absl::Time deadline, std::vector<WatchItem>& out);

 private:
  friend class WatchHub;
  // Called by the hub (under its lock): queues the item the event means for
  // this watcher, if any.
  void Offer(const ChangeEvent& event);
  void Push(WatchItem item);
  void Close(State state);

  const WatchFilter filter_;
  const size_t queue_limit_;
  absl::Mutex mu_;
  std::deque<WatchItem> queue_ ABSL_GUARDED_BY(mu_);
  State state_ ABSL_GUARDED_BY(mu_) = State::kOpen;
};

class WatchHub {
 public:
  WatchHub(size_t history_limit, size_t queue_limit)
      : history_limit_(history_limit), queue_limit_(queue_limit) {}

  // Records a change (its rv must be the next version) and fans it out.
  void Publish(ChangeEvent event);

  // Opens a watch that sees every change after `from_rv`; 410 Expired when
  // changes after `from_rv` have been compacted away.
  absl::StatusOr<std::shared_ptr<Watcher>> Subscribe(WatchFilter filter, int64_t from_rv);
  void Unsubscribe(const std::shared_ptr<Watcher>& watcher);

  // Queues a BOOKMARK at the current version, behind every event queued so far.
  void Bookmark(const std::shared_ptr<Watcher>& watcher);

  // Sets the starting version (before any Publish).
  void Reset(int64_t rv);
  int64_t current_rv() const;
  int64_t compacted_rv() const;

  void DropAll();  // closes every open watch
  void Compact();  // forgets all history: watches from older versions get 410
  void Shutdown();
  size_t watch_count() const;

 private:
  const size_t history_limit_;
  const size_t queue_limit_;
  mutable absl::Mutex mu_;
  std::deque<ChangeEvent> history_ ABSL_GUARDED_BY(mu_);
  int64_t current_rv_ ABSL_GUARDED_BY(mu_) = 0;
  // Changes up to and including this version are gone.
  int64_t compacted_rv_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::shared_ptr<Watcher>> watchers_ ABSL_GUARDED_BY(mu_);
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace raven::apiserver

#endif  // RAVEN_LAB_APISERVER_WATCH_HUB_H_

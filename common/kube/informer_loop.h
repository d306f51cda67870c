// The kind-independent half of an informer: list, then watch from the list's
// resourceVersion with bookmarks; follow the last resourceVersion seen
// (bookmarks included); reconnect after a watch ends or fails, with jittered
// exponential backoff reset by progress; re-list after 410 Gone. What to do
// with the objects is the sink's business (Informer<T>).
#ifndef RAVEN_COMMON_KUBE_INFORMER_LOOP_H_
#define RAVEN_COMMON_KUBE_INFORMER_LOOP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/kube/backoff.h"
#include "common/kube/clock.h"
#include "common/kube/resource_path.h"
#include "common/kube/rest_client.h"
#include "common/kube/watch_event.h"
#include "rapidjson/document.h"

namespace raven::kube {

struct InformerOptions {
  ListOptions list;  // selectors (used for the watch too) and page size
  // timeoutSeconds of each watch: the server ends it then and we reconnect.
  absl::Duration watch_timeout = absl::Minutes(5);
  // A watch silent for this long is presumed dead (no events, no bookmarks).
  // Zero means watch_timeout + 30 s.
  absl::Duration idle_timeout = absl::ZeroDuration();
  BackoffOptions backoff = {absl::Milliseconds(100), absl::Seconds(30), 2.0, 0.5};
  uint64_t jitter_seed = 0;           // 0 = random
  size_t max_event_bytes = 16 << 20;  // a longer watch line is skipped
  Clock* clock = nullptr;             // for backoff sleeps; a RealClock when null
  std::string name;                   // for logs; the collection path when empty
};

struct InformerStats {
  uint64_t lists = 0;               // successful (re)lists
  uint64_t relists_after_gone = 0;  // 410: resourceVersion too old
  uint64_t watches = 0;             // watch requests made
  uint64_t watch_failures = 0;      // watches that ended in an error
  uint64_t reconnects = 0;          // watches ended by Reconnect()
  uint64_t list_failures = 0;
  uint64_t events = 0;  // ADDED/MODIFIED/DELETED received
  uint64_t bookmarks = 0;
  uint64_t decode_failures = 0;  // objects or lines skipped
  std::string resource_version;  // where the next watch starts
  // Since when lists/watches have been failing without progress in between,
  // by Clock::MonotonicNow(); unset while the informer is in contact.
  std::optional<absl::Time> failing_since;
};

class InformerSink {
 public:
  virtual ~InformerSink() = default;
  // After every successful (re)list: the complete current state.
  virtual void Replace(const RawList& list) = 0;
  // One ADDED, MODIFIED or DELETED event.
  virtual void Apply(WatchEventType type, const rapidjson::Value& object) = 0;
};

class InformerLoop {
 public:
  InformerLoop(RestClient* rest, ResourcePath path, InformerOptions options, InformerSink* sink);
  ~InformerLoop();
  InformerLoop(const InformerLoop&) = delete;
  InformerLoop& operator=(const InformerLoop&) = delete;

  void Start();
  // Prompt: aborts the request in flight and joins the thread. Idempotent;
  // must not be called from a handler (the loop's own thread).
  void Stop();
  // Ends the watch in flight, if any, and watches again at once from where it
  // was: for a caller that knows the connection is dead before the idle
  // timeout can tell (its own requests to the server just failed, e.g. a NAT
  // on the way restarted and forgot every connection).
  void Reconnect();
  bool HasSynced() const;
  bool WaitForSync(absl::Duration timeout);
  InformerStats Stats() const;

  void CountDecodeFailure();
  const std::string& name() const { return options_.name; }

 private:
  void Run();
  absl::Status ListAndReplace();
  void MarkFailing() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WatchOnce(bool& progressed);
  // Sleeps d unless stopped first; returns false when stopping.
  bool Sleep(absl::Duration d);
  bool stopping() const;

  RestClient* const rest_;
  const ResourcePath path_;
  InformerOptions options_;
  InformerSink* const sink_;
  RealClock real_clock_;
  Clock* clock_;
  Cancellation cancel_;

  mutable absl::Mutex mu_;
  std::thread thread_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool synced_ ABSL_GUARDED_BY(mu_) = false;
  Cancellation* watch_cancel_ ABSL_GUARDED_BY(mu_) = nullptr;  // the watch in flight's
  InformerStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_INFORMER_LOOP_H_

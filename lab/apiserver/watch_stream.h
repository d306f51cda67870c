// One watch response: JSON lines {"type":...,"object":...}, periodic
// BOOKMARKs, the timeout, and the way the stream ends.
#ifndef RAVEN_LAB_APISERVER_WATCH_STREAM_H_
#define RAVEN_LAB_APISERVER_WATCH_STREAM_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "lab/apiserver/resources.h"
#include "lab/apiserver/store.h"
#include "lab/apiserver/watch_hub.h"

namespace raven::apiserver {

struct WatchStreamOptions {
  ResourcePtr resource;
  std::string table_api_version;  // non-empty: objects are sent as one-row Tables
  bool bookmarks = false;
  absl::Duration bookmark_interval = absl::Seconds(1);
  absl::Time deadline = absl::InfiniteFuture();
  // sendInitialEvents=true: after the initial ADDED events, a BOOKMARK
  // annotated k8s.io/initial-events-end=true.
  bool initial_events_end = false;
};

class WatchStream {
 public:
  WatchStream(WatchHub& hub, WatchStart start, WatchStreamOptions options);
  // A stream that sends one ERROR event carrying `error` (e.g. 410 Expired)
  // and ends, as kube-apiserver answers a watch from a compacted version.
  WatchStream(WatchHub& hub, absl::Status error, WatchStreamOptions options);
  ~WatchStream();

  WatchStream(const WatchStream&) = delete;
  WatchStream& operator=(const WatchStream&) = delete;

  // Streams lines through `write` (which returns false when the client is
  // gone) until the watch ends. Returns true when the stream ended cleanly
  // (timeout, error event, overflow), false when it must be cut off
  // (DropAllWatches, shutdown, a failed write).
  bool Run(const std::function<bool(absl::string_view)>& write);

 private:
  std::string Line(const WatchItem& item);
  std::string BookmarkLine(int64_t rv, bool initial_events_end) const;

  WatchHub& hub_;
  WatchStart start_;
  absl::Status error_;
  WatchStreamOptions options_;
  bool headers_sent_ = false;
};

}  // namespace raven::apiserver

#endif  // RAVEN_LAB_APISERVER_WATCH_STREAM_H_

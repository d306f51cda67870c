#include "common/kube/informer_loop.h"

#include "absl/strings/str_cat.h"
#include "common/kube/api_error.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace raven::kube {

InformerLoop::InformerLoop(RestClient* rest, ResourcePath path, InformerOptions options,
                           InformerSink* sink)
    : rest_(rest), path_(std::move(path)), options_(std::move(options)), sink_(sink) {
  clock_ = options_.clock != nullptr ? options_.clock : &real_clock_;
  if (options_.idle_timeout <= absl::ZeroDuration()) {
    options_.idle_timeout = options_.watch_timeout + absl::Seconds(30);
  }
  if (options_.name.empty()) options_.name = path_.Collection();
}

InformerLoop::~InformerLoop() { Stop(); }

void InformerLoop::Start() {
  absl::MutexLock lock(&mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Run(); });
}

void InformerLoop::Stop() {
  std::thread thread;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    thread = std::move(thread_);
    if (watch_cancel_ != nullptr) watch_cancel_->Cancel();
  }
  cancel_.Cancel();
  if (thread.joinable()) thread.join();
}

void InformerLoop::Reconnect() {
  absl::MutexLock lock(&mu_);
  if (watch_cancel_ == nullptr) return;
  watch_cancel_->Cancel();
  ++stats_.reconnects;
}

bool InformerLoop::stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

bool InformerLoop::HasSynced() const {
  absl::MutexLock lock(&mu_);
  return synced_;
}

bool InformerLoop::WaitForSync(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto done = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return synced_ || stopping_; };
  mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  return synced_;
}

InformerStats InformerLoop::Stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void InformerLoop::CountDecodeFailure() {
  absl::MutexLock lock(&mu_);
  ++stats_.decode_failures;
}

bool InformerLoop::Sleep(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  clock_->AwaitWithTimeout(mu_, absl::Condition(&stopping_), d);
  return !stopping_;
}

void InformerLoop::MarkFailing() {
  if (!stats_.failing_since) stats_.failing_since = clock_->MonotonicNow();
}

absl::Status InformerLoop::ListAndReplace() {
  ASSIGN_OR_RETURN(RawList list, ListAll(*rest_, path_, options_.list, &cancel_));
  sink_->Replace(list);
  absl::MutexLock lock(&mu_);
  stats_.resource_version = list.resource_version;
  stats_.failing_since.reset();
  ++stats_.lists;
  synced_ = true;
  return absl::OkStatus();
}

absl::Status InformerLoop::WatchOnce(bool& progressed) {
  std::string rv;
  {
    absl::MutexLock lock(&mu_);
    rv = stats_.resource_version;
    ++stats_.watches;
  }
  StreamOptions stream;
  stream.idle_timeout = options_.idle_timeout;
  stream.max_line_bytes = options_.max_event_bytes;
  stream.on_oversize = [&](size_t bytes) {
    progressed = true;
    RAVEN_LOG(kWarning, options_.name, ": skipped a watch event of ", bytes, " bytes (limit ",
              options_.max_event_bytes, ")");
    CountDecodeFailure();
  };
  absl::Status event_error;
  Cancellation watch_cancel;  // Stop() and Reconnect() end this watch
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::CancelledError("stopping");
    watch_cancel_ = &watch_cancel;
  }
  absl::Status s = rest_->Stream(
      path_.Watch(options_.list, rv, options_.watch_timeout), stream,
      [&](absl::string_view line) {
        progressed = true;
        absl::StatusOr<WatchEvent> ev = ParseWatchEvent(line);
        if (!ev.ok()) {
          RAVEN_LOG(kWarning, options_.name, ": skipped a watch line: ", ev.status().message());
          CountDecodeFailure();
          return true;
        }
        if (ev->type == WatchEventType::kError) {
          event_error =
              ApiErrorFromStatusObject(ev->object(), absl::StrCat("watch ", options_.name));
          return false;
        }
        if (ev->type != WatchEventType::kBookmark) sink_->Apply(ev->type, ev->object());
        absl::MutexLock lock(&mu_);
        stats_.failing_since.reset();
        if (!ev->resource_version.empty()) stats_.resource_version = ev->resource_version;
        if (ev->type == WatchEventType::kBookmark) {
          ++stats_.bookmarks;
        } else {
          ++stats_.events;
        }
        return true;
      },
      &watch_cancel);
  absl::MutexLock lock(&mu_);
  watch_cancel_ = nullptr;
  return event_error.ok() ? s : event_error;
}

void InformerLoop::Run() {
  Backoff backoff(options_.backoff, options_.jitter_seed);
  bool need_list = true;
  while (!stopping()) {
    bool just_listed = false;
    if (need_list) {
      absl::Status s = ListAndReplace();
      if (stopping()) break;
      if (!s.ok()) {
        RAVEN_LOG(kWarning, options_.name, ": list failed: ", s.ToString());
        {
          absl::MutexLock lock(&mu_);
          ++stats_.list_failures;
          MarkFailing();
        }
        if (!Sleep(backoff.Next())) break;
        continue;
      }
      need_list = false;
      just_listed = true;
    }
    bool progressed = false;
    absl::Status s = WatchOnce(progressed);
    if (stopping()) break;
    if (absl::IsCancelled(s)) continue;  // Reconnect(): watch again at once
    if (progressed) backoff.Reset();
    if (IsGone(s)) {
      RAVEN_LOG(kInfo, options_.name, ": ", s.message(), "; re-listing");
      {
        absl::MutexLock lock(&mu_);
        ++stats_.relists_after_gone;
      }
      need_list = true;
      // Gone at once after a fresh list: do not hammer the server.
      if (just_listed && !progressed && !Sleep(backoff.Next())) break;
      continue;
    }
    if (s.ok()) {
      // The server ended the watch (timeoutSeconds). Reconnect at once,
      // unless it ended without a word.
      if (!progressed && !Sleep(backoff.Next())) break;
      continue;
    }
    RAVEN_LOG(kWarning, options_.name, ": watch failed: ", s.ToString());
    {
      absl::MutexLock lock(&mu_);
      ++stats_.watch_failures;
      MarkFailing();
    }
    if (!Sleep(backoff.Next())) break;
  }
}

}  // namespace raven::kube

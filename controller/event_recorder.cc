#include "controller/event_recorder.h"

#include "common/kube/api_error.h"
#include "common/logging.h"

namespace raven::controller {

bool EventDeduper::ShouldRecord(const std::string& gateway, absl::string_view type,
                                const std::string& reason, const std::string& message,
                                absl::Time mono) {
  absl::MutexLock lock(&mu_);
  for (auto it = seen_.begin(); it != seen_.end();) {
    it = mono - it->second >= window_ ? seen_.erase(it) : std::next(it);
  }
  Key key{gateway, std::string(type), reason, message};
  auto [it, inserted] = seen_.try_emplace(key, mono);
  return inserted;
}

KubeEventRecorder::KubeEventRecorder(kube::RestClient* rest, std::string ns, std::string component,
                                     std::string host, kube::Clock* clock,
                                     absl::Duration dedup_window)
    : events_(rest, ns),
      ns_(std::move(ns)),
      component_(std::move(component)),
      host_(std::move(host)),
      clock_(clock),
      dedup_(dedup_window) {
  events_.set_request_timeout(absl::Seconds(5));
}

void KubeEventRecorder::Record(const kube::Gateway& gateway, absl::string_view type,
                               const std::string& reason, const std::string& full_message) {
  const std::string& name = gateway.meta.name;
  std::string message = full_message.substr(0, kMaxEventMessageBytes);
  if (!dedup_.ShouldRecord(name, type, reason, message, clock_->MonotonicNow())) return;
  RAVEN_LOG(kInfo, "event ", type, " ", reason, " gateway/", name, ": ", message);
  kube::ObjectReference ref{kube::kGatewayApiVersion, kube::kGatewayKind,           "", name,
                            gateway.meta.uid,         gateway.meta.resource_version};
  kube::Event event = kube::MakeEvent(ref, ns_, type, reason, message, component_, clock_->Now());
  event.source_host = host_;
  absl::StatusOr<kube::Event> created = events_.Create(event);
  if (absl::IsUnavailable(created.status()) && kube::HttpCodeOf(created.status()) == 0) {
    // A transport failure (a pooled connection the server had closed): once more
    // on a fresh one; at worst the Event is recorded twice.
    created = events_.Create(event);
  }
  if (!created.ok()) {
    RAVEN_LOG(kWarning, "recording event ", reason, " for gateway/", name, ": ",
              created.status().message());
    return;
  }
  absl::MutexLock lock(&mu_);
  ++recorded_;
}

uint64_t KubeEventRecorder::recorded() const {
  absl::MutexLock lock(&mu_);
  return recorded_;
}

}  // namespace raven::controller

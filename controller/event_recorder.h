// Events about Gateways (kubectl describe gw shows them), deduplicated: the
// same (Gateway, type, reason, message) is recorded once per window, so a
// flapping node or a retried write does not flood the API.
//
// Reasons (as upstream raven where it has them):
//   Normal  ActiveEndpointElected   a node became an active endpoint
//   Normal  ActiveEndpointLost      a node stopped being one (and why)
//   Warning NoActiveEndpoint        a type with Replicas > 0 has no healthy candidate
//   Warning InvalidGateway          the spec failed validation; nothing was applied
//   Warning PrefixConflict          members claim pod CIDRs another Gateway holds
//   Normal  PathChanged             an active endpoint's path to another Gateway changed
//                                   (direct, hole punched, NAT relay; path_report.h)
//   Warning NoPath                  an active endpoint has no path to another Gateway
#ifndef RAVEN_CONTROLLER_EVENT_RECORDER_H_
#define RAVEN_CONTROLLER_EVENT_RECORDER_H_

#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/kube/clock.h"
#include "common/kube/resource_client.h"
#include "common/kube/resources/event.h"
#include "common/kube/resources/gateway.h"
#include "common/kube/rest_client.h"

namespace raven::controller {

inline constexpr char kEventElected[] = "ActiveEndpointElected";
inline constexpr char kEventLost[] = "ActiveEndpointLost";
inline constexpr char kEventNoActiveEndpoint[] = "NoActiveEndpoint";
inline constexpr char kEventInvalidGateway[] = "InvalidGateway";
inline constexpr char kEventPrefixConflict[] = "PrefixConflict";
inline constexpr char kEventInvalidStatus[] = "InvalidStatus";
inline constexpr char kEventPathChanged[] = "PathChanged";
inline constexpr char kEventNoPath[] = "NoPath";

// Longer messages are cut (Events are for people, and a hostile object must
// not make them, or the log lines that echo them, large).
inline constexpr size_t kMaxEventMessageBytes = 1024;

class EventRecorder {
 public:
  virtual ~EventRecorder() = default;
  // type: kube::kEventTypeNormal or kEventTypeWarning. Best effort: failures are logged.
  virtual void Record(const kube::Gateway& gateway, absl::string_view type,
                      const std::string& reason, const std::string& message) = 0;
};

// Remembers what was recorded and when (monotonic), forgetting entries older
// than the window. Thread-safe.
class EventDeduper {
 public:
  explicit EventDeduper(absl::Duration window = absl::Minutes(10)) : window_(window) {}
  // True when this event was not recorded within the window (and notes it now).
  bool ShouldRecord(const std::string& gateway, absl::string_view type, const std::string& reason,
                    const std::string& message, absl::Time mono);

 private:
  using Key = std::tuple<std::string, std::string, std::string, std::string>;
  const absl::Duration window_;
  absl::Mutex mu_;
  std::map<Key, absl::Time> seen_ ABSL_GUARDED_BY(mu_);
};

// Creates core/v1 Events in `ns` through the API.
class KubeEventRecorder final : public EventRecorder {
 public:
  KubeEventRecorder(kube::RestClient* rest, std::string ns, std::string component, std::string host,
                    kube::Clock* clock, absl::Duration dedup_window);
  void Record(const kube::Gateway& gateway, absl::string_view type, const std::string& reason,
              const std::string& message) override;
  uint64_t recorded() const;

 private:
  kube::ResourceClient<kube::Event> events_;
  const std::string ns_;
  const std::string component_;
  const std::string host_;
  kube::Clock* const clock_;
  EventDeduper dedup_;
  mutable absl::Mutex mu_;
  uint64_t recorded_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace raven::controller

#endif  // RAVEN_CONTROLLER_EVENT_RECORDER_H_

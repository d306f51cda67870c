// The agent's presence in the cluster, kept up on a thread of its own:
//  - a coordination.k8s.io/v1 Lease named after the node (namespace
//    raven-system by default), renewed every `interval` while the node's
//    dataplane is healthy. The elector treats a Lease that stopped changing
//    for leaseDurationSeconds as a dead gateway and fails over, so an agent
//    whose programs or WireGuard device are gone stops renewing on purpose.
//  - the Node annotations the elector copies into the Gateway status (public
//    key, listen port), published at start and re-checked periodically.
// API errors are logged once per change of error and retried every tick (a
// transport failure of a renewal at once as well); they never touch the
// dataplane.
#ifndef RAVEN_DAEMON_CLUSTER_HEARTBEAT_H_
#define RAVEN_DAEMON_CLUSTER_HEARTBEAT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/kube/resource_client.h"
#include "common/kube/resources/lease.h"
#include "common/kube/resources/node.h"
#include "common/kube/rest_client.h"

namespace raven {

struct HeartbeatOptions {
  std::string lease_namespace = "raven-system";
  std::string node_name;
  absl::Duration interval = absl::Seconds(1);
  absl::Duration lease_duration = absl::Seconds(2);  // rounded up to whole seconds
  absl::Duration republish_interval = absl::Seconds(30);
  std::map<std::string, std::string> node_annotations;
  // "" while the dataplane can carry traffic; otherwise why not (no renewal).
  std::function<std::string()> dataplane_problem;
  // Called when a renewal fails in transport (connection reset, timeout):
  // the connections to the API server may all be gone (a NAT on the way
  // restarted), the agent's watch too. The renewal is then tried once more
  // at once, on a fresh connection, so that the Lease does not expire.
  std::function<void()> on_connection_lost;
  // At most one on_connection_lost per this: an API server slower than the
  // request timeout fails every renewal, and must not also be made to list
  // every watched object again each tick.
  absl::Duration connection_lost_interval = absl::Seconds(10);
};

struct HeartbeatState {
  std::optional<absl::Time> last_renewal;  // wall clock of the last successful renewal
  bool annotations_published = false;
  uint64_t renewals = 0;
  uint64_t failures = 0;
  std::string last_error;  // "" after a success
};

// What the agent reads of its heartbeat (a fake in tests).
class HeartbeatView {
 public:
  virtual ~HeartbeatView() = default;
  virtual HeartbeatState state() const = 0;
};

class Heartbeat final : public HeartbeatView {
 public:
  Heartbeat(kube::RestClient* rest, HeartbeatOptions options);
  ~Heartbeat() override;  // Stop()
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

  void Start();
  void Stop();
  HeartbeatState state() const override;
  // An annotation learnt after the start (the NAT type); thread-safe,
  // published at the next tick when it changed.
  void SetAnnotation(const std::string& key, const std::string& value);

  // One tick (what the thread does every interval); exposed for tests.
  void Tick();

 private:
  void Renew();  // the Lease, or why not
  absl::Status RenewLease();
  absl::Status PublishAnnotations();
  void Record(const absl::Status& status, absl::string_view what, bool renewal);

  const HeartbeatOptions options_;
  kube::ResourceClient<kube::Lease> leases_;
  kube::ResourceClient<kube::Node> nodes_;
  std::optional<kube::Lease> lease_;  // the last version written or read
  std::optional<absl::Time> next_publish_;
  std::optional<absl::Time> connection_lost_at_;  // when on_connection_lost was last called

  mutable absl::Mutex mu_;
  HeartbeatState state_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> learnt_annotations_ ABSL_GUARDED_BY(mu_);
  bool annotations_changed_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace raven

#endif  // RAVEN_DAEMON_CLUSTER_HEARTBEAT_H_

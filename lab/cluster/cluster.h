// A simulated cluster for the controller's integration tests and benchmark, on
// the project's API server: Nodes (Ready, InternalIP, pod CIDRs, gateway
// label, agent annotations), Gateways, and the agents' heartbeat Leases,
// renewed every second by a thread standing in for the agents (renewal of
// any node can be paused, as if its agent died). Objects are written
// in-process (ApiServer::CreateJson & co.): no faults, no latency.
#ifndef RAVEN_LAB_CLUSTER_CLUSTER_H_
#define RAVEN_LAB_CLUSTER_CLUSTER_H_

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/kube/resources/gateway.h"
#include "lab/apiserver/apiserver.h"

namespace raven::lab {

using kube::Gateway;
using kube::GatewayEndpoint;
using kube::GatewaySpec;

inline constexpr char kNamespace[] = "raven-system";
inline constexpr char kGatewaysPath[] = "/apis/raven.openyurt.io/v1beta1/gateways";

struct NodeSpec {
  std::string name;
  std::string gateway;      // label value; "" = no label
  std::string internal_ip;  // InternalIP addresses, comma-separated, in order; "" = none
  std::vector<std::string> pod_cidrs;
  bool ready = true;
  std::string public_key;  // annotation; "" = none
  int wireguard_port = 0;  // annotation; 0 = none
};

// A 32-byte key in base64, distinct per n.
std::string TestKey(int n);

// Node i of gateway g: "g<g>-n<i>", 100.64.<g>.<i> and pod CIDRs in both families.
NodeSpec MemberNode(int g, int i);

// A Gateway "gw-<g>" with `candidates` tunnel endpoints (nodes 1..candidates), Replicas 1.
Gateway TestGateway(int g, int candidates, int replicas = 1);

class Cluster {
 public:
  explicit Cluster(apiserver::ApiServer* server, absl::Duration renew_every = absl::Seconds(1),
                   int lease_seconds = 2);
  ~Cluster();  // stops renewing

  absl::Status AddNode(const NodeSpec& node);
  absl::Status SetNodeReady(const std::string& name, bool ready);
  absl::Status SetNodeLabel(const std::string& name, const std::string& gateway);
  absl::Status AddGateway(const Gateway& gateway);
  // Replaces the spec (keeps the status).
  absl::Status UpdateGatewaySpec(const std::string& name, const GatewaySpec& spec);
  absl::StatusOr<Gateway> GetGateway(const std::string& name);

  // Creates the node's heartbeat Lease (renewed now) and keeps renewing it.
  absl::Status StartHeartbeat(const std::string& node);
  // Stops renewing; returns the time (absl::Now) of the last renewal.
  absl::Time StopHeartbeat(const std::string& node);
  // Renews at once and keeps renewing.
  absl::Status ResumeHeartbeat(const std::string& node);
  absl::Time LastRenewal(const std::string& node);
  // Renews every renewing Lease once (what the thread does each period).
  void RenewAll();

  apiserver::ApiServer* server() { return server_; }

 private:
  absl::Status Renew(const std::string& node) ABSL_LOCKS_EXCLUDED(mu_);
  void Loop();

  apiserver::ApiServer* const server_;
  const absl::Duration renew_every_;
  const int lease_seconds_;
  absl::Mutex mu_;
  std::set<std::string> renewing_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Time> last_renewal_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// Polls the Gateway until pred(gateway) holds; returns when (absl::Now), or
// DeadlineExceeded with the last status seen.
absl::StatusOr<absl::Time> WaitForGateway(Cluster& cluster, const std::string& name,
                                          const std::function<bool(const Gateway&)>& pred,
                                          absl::Duration timeout,
                                          absl::Duration poll = absl::Milliseconds(5));

// Names of the active endpoints, in order.
std::vector<std::string> ActiveNodes(const Gateway& gateway);

}  // namespace raven::lab

#endif  // RAVEN_LAB_CLUSTER_CLUSTER_H_

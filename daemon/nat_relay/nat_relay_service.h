// The NAT relay of one node, on a thread of its own (so that relayed traffic
// never waits for a reconcile): the Registrar, this gateway's registrations
// with the relays of its relayed peers and NAT discovery from their acks, and
// the RelayPorts, the relay this node is when its Gateway can relay. One
// epoll loop drives both; Configure() hands it each new plan, and the agent
// learns of new direct paths through direct_paths_fd().
#ifndef RAVEN_DAEMON_NAT_RELAY_NAT_RELAY_SERVICE_H_
#define RAVEN_DAEMON_NAT_RELAY_NAT_RELAY_SERVICE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/fd.h"
#include "daemon/model/nat_relay_plan.h"
#include "daemon/nat_relay/registrar.h"
#include "daemon/nat_relay/relay_ports.h"
#include "daemon/wireguard/keys.h"

namespace raven::nat_relay {

struct NatRelayCounters {
  RelayCounters relay;
  RegistrarCounters registrar;
};

struct NatRelayOptions {
  wg::KeyPair keys;
  uint16_t wireguard_port = 4500;  // the registrations' source port
  uint32_t mark = 0;               // on every socket: Raven's programs pass these packets
  absl::Duration register_interval = absl::Seconds(1);
  // Until a registration is acked (a relay that just took over may not have
  // bound its port yet), it is sent again this often.
  // Also the direct probes' tick (nat_relay/direct_prober.h: every 100 ms).
  absl::Duration retry_interval = absl::Milliseconds(100);
};

class NatRelayService {
 public:
  static absl::StatusOr<std::unique_ptr<NatRelayService>> Start(NatRelayOptions options);
  ~NatRelayService();

  // Thread-safe; applied by the relay's thread right away.
  void Configure(const NatRelayPlan& plan);
  NatRelayCounters counters() const;
  // Relay ports that could not be bound, for /healthz; empty when all are.
  std::vector<std::string> problems() const { return relay_.problems(); }
  std::vector<NatObservation> observations() const { return registrar_.observations(); }
  std::map<std::string, std::string> filtering() const { return registrar_.filtering(); }
  // Readable when the direct paths changed; direct_paths() clears it.
  int direct_paths_fd() const { return direct_paths_changed_.get(); }
  std::map<std::string, UdpAddress> direct_paths() const;
  // What the direct probes measure on those paths, as of the last datagram
  // or tick (not signalled: it changes with every ack).
  std::map<std::string, DirectQuality> direct_quality() const;

 private:
  explicit NatRelayService(NatRelayOptions options);
  void Run();
  void PublishDirectPaths();
  // The raw socket that reads acks and direct probes sees every UDP datagram
  // the node receives (its filter drops the rest): open only while there
  // are relays to register with.
  void UpdateAckSocket(bool wanted);

  const NatRelayOptions options_;
  Fd epoll_;
  Fd wake_;                  // eventfd: a new plan, or stop
  Fd timer_;                 // the registrations' retry tick, the direct probes' tick
  Fd direct_paths_changed_;  // eventfd for the agent
  Registrar registrar_;
  RelayPorts relay_;
  std::thread thread_;

  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<NatRelayPlan> pending_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, UdpAddress> direct_paths_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, DirectQuality> direct_quality_ ABSL_GUARDED_BY(mu_);
};

}  // namespace raven::nat_relay

#endif  // RAVEN_DAEMON_NAT_RELAY_NAT_RELAY_SERVICE_H_

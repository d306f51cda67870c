// The NAT relay of one node, on a thread of its own (so that relayed traffic
// never waits for a reconcile): it registers this gateway with the relays of
// its relayed peers (at once when they change, every 200 ms until acked, then
// every second, which also re-registers after a relay restarts or a NAT
// mapping changes), probes each
// relay at this gateway's own port too, and reads the relays' acks (a raw
// socket that sees only acks to the WireGuard port): the NAT's mapping as
// each relay port saw it, and whether it depends on the destination. When
// this node is a relay, it binds the relay ports of its duty and forwards
// between them (relay_table.h decides).
#ifndef RAVEN_DAEMON_NAT_RELAY_NAT_RELAY_SERVICE_H_
#define RAVEN_DAEMON_NAT_RELAY_NAT_RELAY_SERVICE_H_

#include <array>
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
#include "daemon/nat_relay/raw_udp_sender.h"
#include "daemon/nat_relay/relay_table.h"
#include "daemon/wireguard/keys.h"

namespace raven::nat_relay {

// This gateway's NAT mapping as a relay port saw it (its last ack).
struct NatObservation {
  std::string relay;  // the relay's Gateway
  uint16_t relay_port = 0;
  UdpAddress mapped;
  absl::Duration rtt;
  bool operator==(const NatObservation&) const = default;
};

// "endpoint-independent" when every port of the relay saw the same mapping,
// "endpoint-dependent" when they differ, "" with fewer than two.
std::string MappingBehaviour(const std::vector<NatObservation>& observations,
                             const std::string& relay);

struct NatRelayCounters {
  std::array<uint64_t, kOutcomeCount> datagrams{};  // by Outcome
  uint64_t forwarded_bytes = 0;
  uint64_t forward_errors = 0;
  uint64_t registrations_sent = 0;
  uint64_t registration_errors = 0;
  uint64_t acks = 0;             // verified acks of our registrations and probes
  uint64_t acks_rejected = 0;    // acks that did not verify or answered nothing we sent
  uint64_t mapping_changes = 0;  // a relay port saw a new mapping
};

struct NatRelayOptions {
  wg::KeyPair keys;
  uint16_t wireguard_port = 4500;  // the registrations' source port
  uint32_t mark = 0;               // on every socket: Raven's programs pass these packets
  absl::Duration register_interval = absl::Seconds(1);
  // Until a registration is acked (a relay that just took over may not have
  // bound its port yet), it is sent again this often.
  absl::Duration retry_interval = absl::Milliseconds(200);
};

class NatRelayService {
 public:
  static absl::StatusOr<std::unique_ptr<NatRelayService>> Start(NatRelayOptions options);
  ~NatRelayService();

  // Thread-safe; applied by the relay's thread right away.
  void Configure(const NatRelayPlan& plan);
  NatRelayCounters counters() const;
  // Relay ports that could not be bound, for /healthz; empty when all are.
  std::vector<std::string> problems() const;
  std::vector<NatObservation> observations() const;

 private:
  explicit NatRelayService(NatRelayOptions options);
  void Run();
  void Apply(const NatRelayPlan& plan);
  void Bind(const std::map<std::string, uint16_t>& ports);
  // To every target (all), or to those due: unacked, or acked a register_interval ago.
  void SendRegistrations(bool all);
  void Receive(uint16_t port);
  void ReceiveAcks();
  void OnAck(const UdpAddress& from, absl::Span<const uint8_t> payload, absl::Time now);

  const NatRelayOptions options_;
  Fd epoll_;
  Fd wake_;   // eventfd: a new plan, or stop
  Fd timer_;  // registration interval
  std::thread thread_;

  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<NatRelayPlan> pending_ ABSL_GUARDED_BY(mu_);
  NatRelayCounters counters_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> problems_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, uint16_t>, NatObservation> observations_ ABSL_GUARDED_BY(mu_);

  // The relay thread's own.
  RelayTable table_;
  RawUdpSender sender_;
  std::map<uint16_t, Fd> sockets_;  // relay port -> its socket
  std::map<uint16_t, bool> v6_sockets_;
  Fd acks_;  // raw IPv4 UDP socket, filtered to relay acks to the WireGuard port
  std::vector<RelayRegistrationTarget> targets_;  // registrations, then probes
  size_t registrations_ = 0;                      // how many of targets_ register
  std::map<wg::Key, RegistrationKey> target_keys_;
  struct Sent {
    uint64_t counter = 0;
    absl::Time at;
    uint64_t acked = 0;  // the counter of the last ack taken
  };
  std::map<UdpAddress, Sent> sent_;
  uint64_t last_counter_ = 0;
};

}  // namespace raven::nat_relay

#endif  // RAVEN_DAEMON_NAT_RELAY_NAT_RELAY_SERVICE_H_

// The NAT relay of one node, on a thread of its own (so that relayed traffic
// never waits for a reconcile): it registers this gateway with the relays of
// its relayed peers (at once when they change, then every second, which also
// re-registers after a relay restarts or a NAT mapping changes), and, when
// this node is a relay, binds the relay ports of its duty and forwards
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

struct NatRelayCounters {
  std::array<uint64_t, kOutcomeCount> datagrams{};  // by Outcome
  uint64_t forwarded_bytes = 0;
  uint64_t forward_errors = 0;
  uint64_t registrations_sent = 0;
  uint64_t registration_errors = 0;
};

struct NatRelayOptions {
  wg::KeyPair keys;
  uint16_t wireguard_port = 4500;  // the registrations' source port
  uint32_t mark = 0;               // on every socket: Raven's programs pass these packets
  absl::Duration register_interval = absl::Seconds(1);
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

 private:
  explicit NatRelayService(NatRelayOptions options);
  void Run();
  void Apply(const NatRelayPlan& plan);
  void Bind(const std::map<std::string, uint16_t>& ports);
  void SendRegistrations();
  void Receive(uint16_t port);

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

  // The relay thread's own.
  RelayTable table_;
  RawUdpSender sender_;
  std::map<uint16_t, Fd> sockets_;  // relay port -> its socket
  std::map<uint16_t, bool> v6_sockets_;
  std::vector<RelayRegistrationTarget> targets_;
  std::map<wg::Key, RegistrationKey> target_keys_;
  uint64_t last_counter_ = 0;
};

}  // namespace raven::nat_relay

#endif  // RAVEN_DAEMON_NAT_RELAY_NAT_RELAY_SERVICE_H_

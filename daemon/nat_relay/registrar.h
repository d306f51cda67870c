// This gateway's side of its NAT relays: it registers with the relay of every
// relayed peer (at once when they change, every retry tick until an ack
// names the peer's address, then every register_interval, which also
// re-registers after a relay restarts or a NAT mapping changes), probes each
// relay at this gateway's own port, and
// reads the relays' acks through a raw socket that sees only acks to the
// WireGuard port: the NAT's mapping as each relay port saw it (NAT discovery)
// and whether it depends on the destination. It also runs the DirectProber
// of its relayed peers on the same port and sockets (the relays' acks name
// the peers' mapped addresses). Driven by one thread (the NAT relay
// service's); observations() and counters() may be read from any.
#ifndef RAVEN_DAEMON_NAT_RELAY_REGISTRAR_H_
#define RAVEN_DAEMON_NAT_RELAY_REGISTRAR_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/fd.h"
#include "daemon/model/nat_relay_plan.h"
#include "daemon/nat_relay/ack_window.h"
#include "daemon/nat_relay/direct_prober.h"
#include "daemon/nat_relay/raw_udp_sender.h"
#include "daemon/nat_relay/registration.h"
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

// The NAT type in upstream Raven's words (its natType field) from the
// mapping (MappingBehaviour) and whether the NAT filters by port, as one
// relay saw them; "" while either is unknown. Filtering that does not
// depend on the port is "Restricted cone NAT": one relay address cannot tell
// address-dependent filtering from none ("Full cone NAT").
std::string NatType(const std::string& mapping, const std::string& filtering);

struct RegistrarCounters {
  uint64_t registrations_sent = 0;
  uint64_t registration_errors = 0;
  uint64_t acks = 0;             // verified acks of our registrations and probes
  uint64_t acks_rejected = 0;    // acks that did not verify or answered nothing we sent
  uint64_t mapping_changes = 0;  // a relay port saw a new mapping
  DirectCounters direct;
};

class Registrar {
 public:
  Registrar(wg::KeyPair keys, uint16_t wireguard_port, uint32_t mark,
            absl::Duration register_interval, DirectProberOptions direct = {});

  // The raw socket for acks; without it (no CAP_NET_RAW) there is no discovery.
  absl::Status OpenAckSocket();
  void CloseAckSocket() { acks_.Reset(); }
  int ack_fd() const { return acks_.get(); }

  // The registrations and probes of the plan; sent at once when they changed.
  void SetTargets(const NatRelayPlan& plan);
  // To every target (all), or to those due: unacked, or acked a register_interval ago;
  // and the direct probes due.
  void Send(bool all);
  void ReceiveAcks();
  // The proven direct path of each relayed peer that has one.
  std::map<std::string, UdpAddress> DirectPaths() { return direct_.Paths(absl::Now()); }
  // What the probes measure on those paths.
  std::map<std::string, DirectQuality> DirectPathQuality() const { return direct_.Quality(); }

  std::vector<NatObservation> observations() const;
  // Per relay: "port-dependent" (its filtering probes' acks from another
  // port never came, the discovery probes' did) or "port-independent".
  std::map<std::string, std::string> filtering() const;
  RegistrarCounters counters() const;

 private:
  void OnAck(const UdpAddress& from, absl::Span<const uint8_t> payload, absl::Time now);
  void SendDirect(const std::vector<Datagram>& datagrams);
  // Whether the ack is a filtering probe's (taken if it verifies).
  bool OnFilterAck(const UdpAddress& from, const RegistrationAck& ack,
                   absl::Span<const uint8_t> payload, absl::Time now);
  void OnProbeAck(const std::string& relay, absl::Time now);

  const wg::KeyPair keys_;
  const absl::Duration register_interval_;
  RawUdpSender sender_;
  const uint16_t wireguard_port_;
  Fd acks_;
  std::vector<RelayRegistrationTarget> targets_;  // registrations, then probes
  size_t registrations_ = 0;                      // how many of targets_ register
  std::map<wg::Key, RegistrationKey> keys_by_relay_;
  std::map<UdpAddress, AckWindow> sent_;
  std::set<UdpAddress> peer_known_;  // registrations whose last ack named the peer
  std::map<std::string, UdpAddress> direct_candidates_;  // the plan's, kept as candidates
  uint64_t last_counter_ = 0;
  DirectProber direct_;
  struct FilterState {
    AckWindow acks;
    std::optional<absl::Time> open_at;  // the last filtering ack
    int closed_rounds = 0;              // discovery acks since, without one
  };
  static constexpr absl::Duration kFilterMemory = absl::Seconds(30);
  static constexpr int kClosedRounds = 3;
  std::map<std::string, FilterState> filters_;  // per relay

  mutable absl::Mutex mu_;
  RegistrarCounters counters_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, uint16_t>, NatObservation> observations_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> filtering_ ABSL_GUARDED_BY(mu_);
};

}  // namespace raven::nat_relay

#endif  // RAVEN_DAEMON_NAT_RELAY_REGISTRAR_H_

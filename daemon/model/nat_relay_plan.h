// NAT relays, decided from the Gateways alone (pure; every node computes the
// same answers from the same Gateways). Two pools whose active gateways are
// both behind NAT without a public address cannot reach each other; their
// WireGuard packets go through a relay instead: the active gateway of a
// Gateway exposed with exposeType PublicIP or LoadBalancer whose endpoint is
// not underNAT. The relay only forwards the pair's ciphertext; the WireGuard
// session stays end to end between the two pools' gateways.
//
// Which relay: of all candidates, the one with the highest hash of (the two
// Gateway names, the candidate's name): rendezvous hashing. Both ends and the
// relay agree without talking, pairs spread over the candidates, and when a
// candidate goes (no active endpoint) only its pairs move.
//
// Relay ports: the Gateways in name order get the ports relay_port_base,
// relay_port_base + 1, ...; what arrives at Gateway X's port goes to X. So
// the relay's firewall must let in relay_port_base up to relay_port_base + the
// number of Gateways - 1 (UDP), and every agent must use the same base.
#ifndef RAVEN_DAEMON_MODEL_NAT_RELAY_PLAN_H_
#define RAVEN_DAEMON_MODEL_NAT_RELAY_PLAN_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/ip_prefix.h"
#include "common/kube/resources/gateway.h"
#include "common/wg_key.h"

namespace raven {

struct UdpAddress {
  IpAddress ip;
  uint16_t port = 0;

  std::string ToString() const;
  friend bool operator==(const UdpAddress&, const UdpAddress&) = default;
  friend auto operator<=>(const UdpAddress& a, const UdpAddress& b) {
    return std::tie(a.ip.family, a.ip.bytes, a.port) <=> std::tie(b.ip.family, b.ip.bytes, b.port);
  }
};

struct RelayCandidate {
  std::string gateway;
  IpAddress address;  // its publicIP, or its active node's privateIP
  wg::Key key;        // its active endpoint's WireGuard key
};

// Where this gateway registers so that the relay forwards a peer's packets
// to it: the relay port of the remote Gateway, at the relay.
struct RelayRegistrationTarget {
  std::string relay;   // the relay's Gateway
  std::string peer;    // the remote Gateway the registration is for
  UdpAddress address;  // the relay's address and the peer's relay port
  wg::Key relay_key;
  wg::Key peer_key;  // the peer's active WireGuard key (registrations only)

  bool operator==(const RelayRegistrationTarget&) const = default;
};

// What a relay serves: the relay port of every Gateway of its pairs, their
// active keys, and the pairs (names in order) it relays.
struct RelayDuty {
  std::map<std::string, uint16_t> ports;
  std::map<wg::Key, std::string> gateways;
  std::set<std::pair<std::string, std::string>> pairs;

  bool empty() const { return pairs.empty(); }
  bool operator==(const RelayDuty&) const = default;
};

struct NatRelayPlan {
  std::vector<RelayRegistrationTarget> registrations;
  // One discovery probe per relay, at this gateway's own relay port (peer:
  // this Gateway): its ack and a registration's show whether the NAT maps
  // both destinations alike.
  std::vector<RelayRegistrationTarget> probes;
  RelayDuty duty;  // empty unless this node is a relay
  // Registered peers with a direct path and its address: probed at all
  // times, so that their direct path's quality is known while the pair
  // detours (failover/path_choice.h).
  std::map<std::string, UdpAddress> direct_candidates;

  bool operator==(const NatRelayPlan&) const = default;
};

// Gateways with exposeType PublicIP or LoadBalancer whose active tunnel
// endpoint is not underNAT and has a key and an address.
std::vector<RelayCandidate> RelayCandidates(const std::map<std::string, kube::Gateway>& gateways);

// The relay of the pair (a, b) (in either order), or none without candidates.
std::optional<RelayCandidate> ChooseRelay(const std::vector<RelayCandidate>& candidates,
                                          const std::string& a, const std::string& b);
// All candidates in the order ChooseRelay prefers them for the pair.
std::vector<RelayCandidate> RankRelays(std::vector<RelayCandidate> candidates, const std::string& a,
                                       const std::string& b);

// The relay port of every Gateway (see above).
std::map<std::string, uint16_t> RelayPorts(const std::map<std::string, kube::Gateway>& gateways,
                                           uint16_t relay_port_base);

}  // namespace raven

#endif  // RAVEN_DAEMON_MODEL_NAT_RELAY_PLAN_H_

// A NAT relay's decisions, without sockets: which datagram arriving at which
// relay port goes where (nat_relay_plan.h has the ports and pairs).
//
// A datagram at Gateway D's port is either a registration (registration.h)
// or a WireGuard message. A valid registration from Gateway S records "S is
// at the datagram's source address, as seen at D's port", and is acked with
// that address; a valid discovery probe (S at its own port) is only acked. A WireGuard message
// from S's recorded address at D's port goes out of S's port to D's address
// recorded at S's port: D sees it come from S's port at the relay, which is
// the address D's WireGuard has for S. Anything else is dropped and counted.
// Only datagrams shaped like WireGuard messages are forwarded, and only
// between the two ends of a pair the relay serves, so the relay is no open
// reflector; it never sees a key that decrypts them.
#ifndef RAVEN_DAEMON_NAT_RELAY_RELAY_TABLE_H_
#define RAVEN_DAEMON_NAT_RELAY_RELAY_TABLE_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "daemon/model/nat_relay_plan.h"
#include "daemon/nat_relay/registration.h"
#include "daemon/wireguard/keys.h"

namespace raven::nat_relay {

// What became of one datagram; the metrics count each.
enum class Outcome {
  kForwarded,
  kRegistered,
  kProbed,              // a discovery probe, acked
  kBadRegistration,     // malformed, wrong port, or the MAC does not verify
  kStaleRegistration,   // counter not newer than the last, or outside the clock window
  kUnknownSender,       // a key that is no Gateway of a pair this relay serves
  kUnregisteredSource,  // a WireGuard message from an address nobody registered
  kPeerUnregistered,    // its destination has not registered (yet)
  kNotWireGuard,        // neither a registration nor shaped like a WireGuard message
  kUnknownPort,
};
inline constexpr int kOutcomeCount = 10;
const char* OutcomeName(Outcome outcome);

// What to send for a datagram: the datagram itself (forwarded), or, for a
// registration or probe, the ack.
// A Forward's from_port for the acks of filtering probes: the relay's
// socket on a port of no Gateway (relay_ports.h).
inline constexpr uint16_t kFilterSocket = 0;

struct Forward {
  uint16_t from_port = 0;  // the relay port to send it from, or kFilterSocket
  UdpAddress to;
  std::optional<std::array<uint8_t, kRegistrationSize>> ack;
};

struct RelayTableOptions {
  // A registration must be this close to the relay's clock.
  absl::Duration clock_window = absl::Seconds(60);
  // A registration not refreshed for this long is forgotten.
  absl::Duration registration_lifetime = absl::Seconds(30);
};

class RelayTable {
 public:
  explicit RelayTable(wg::KeyPair own, RelayTableOptions options = {});

  // Keeps the registrations that are still valid under the new duty.
  void Configure(const RelayDuty& duty);
  const RelayDuty& duty() const { return duty_; }

  Outcome Handle(uint16_t port, const UdpAddress& from, absl::Span<const uint8_t> datagram,
                 absl::Time now, Forward& forward);
  // Whether the filtering probes' acks can be sent (the relay has that
  // socket); said in every ack, so that a gateway does not read their
  // absence as its NAT's filtering.
  void set_filter_acks(bool on) { filter_acks_ = on; }

 private:
  struct Entry {
    wg::Key key;
    UdpAddress address;
    absl::Time registered;
  };
  Outcome Register(uint16_t port, const std::string& destination, const UdpAddress& from,
                   absl::Span<const uint8_t> datagram, absl::Time now, Forward& forward);
  // The live entry of `gateway` at `port`, or nullptr.
  const Entry* Find(uint16_t port, const std::string& gateway, absl::Time now) const;

  const wg::KeyPair own_;
  const RelayTableOptions options_;
  RelayDuty duty_;
  std::map<uint16_t, std::string> port_owner_;  // relay port -> its Gateway
  std::map<wg::Key, RegistrationKey> mac_keys_;
  bool filter_acks_ = false;
  // The last counter taken from a sender at a relay port (its own port for
  // probes, its peers' for registrations); kept while the sender is a
  // Gateway of the duty, also when its pairs or entries go, so that its
  // old registrations cannot be replayed when they come back.
  std::map<std::pair<wg::Key, uint16_t>, uint64_t> last_counters_;
  // Per relay port: the registered Gateways and who sends from where.
  std::map<uint16_t, std::map<std::string, Entry>> entries_;
  std::map<uint16_t, std::map<UdpAddress, std::string>> senders_;
};

}  // namespace raven::nat_relay

#endif  // RAVEN_DAEMON_NAT_RELAY_RELAY_TABLE_H_

// The registration a gateway sends to a NAT relay (udp_address.h has the
// relay's ports): "packets that arrive at this relay port from the address
// this datagram came from are mine". It is sent from the WireGuard port, so
// it takes the NAT mapping the WireGuard packets take, whatever the NAT's
// mapping behaviour, and the relay learns the mapped address from it.
//
// Wire format (64 bytes, integers big-endian):
//   "RVRL" | version 1 | type | relay port (2) | counter (8) | sender's
//   WireGuard public key (32) | MAC (16)
// Type 1 registers; type 3 (a discovery probe) only asks for the ack; type 6
// (a filtering probe) asks for it from a port of the relay that the sender
// never sent to, so whether it arrives tells whether the sender's NAT filters
// by port. The relay answers all three, from the port they arrived at (type
// 6: from that other port), with an ack (type 2):
//   "RVRL" | version 1 | type 2 | relay port (2) | the counter (8) |
//   the source address the relay saw: family 4 or 6 (1) | 0 (1) | port (2) |
//   address (16) | the peer's registered address, when the relay has one
//   and it is IPv4: 4 (1) | 0 (1) | port (2) | address (4), else 0 (8) |
//   1 when the relay also acks filtering probes (from its other port), else
//   0 (1) | 0 (3) | MAC (16)
// so that the gateway learns its NAT's mapping (NAT discovery, with the
// cluster's own public gateways and no outside STUN server), and where the
// peer's NAT maps it, for a direct path (direct_prober.h).
// Between the two gateways of a relayed pair, on the direct path: a direct
// probe (type 4, laid out like a registration, relay port 0) and its direct
// ack (type 5, laid out like a relay ack without the peer's address), both
// MACed with the key of (the probe's sender, the probe's receiver).
// The MAC is a keyed BLAKE2b over the first 48 bytes. Its key comes from the
// X25519 of the sender's and the relay's WireGuard keys: only the holder of
// the sender's private key can register for it, only that relay can check
// it, and the relay learns no key that decrypts the tunnel (WireGuard's
// sessions are end to end). The counter must grow from one registration to
// the next (the sender uses the wall clock in nanoseconds) and lie within a
// window of the relay's clock, which bounds replays.
#ifndef RAVEN_DAEMON_NAT_RELAY_REGISTRATION_H_
#define RAVEN_DAEMON_NAT_RELAY_REGISTRATION_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/wg_key.h"
#include "daemon/model/nat_relay_plan.h"

namespace raven::nat_relay {

inline constexpr size_t kRegistrationSize = 64;

// The MAC key of one (sender, relay) pair; either end computes it from its
// private key and the other's public key.
struct RegistrationKey {
  std::array<uint8_t, 32> bytes{};
};
absl::StatusOr<RegistrationKey> DeriveRegistrationKey(const wg::Key& own_private,
                                                      const wg::Key& other_public,
                                                      const wg::Key& sender_public,
                                                      const wg::Key& relay_public);

enum class RegistrationType : uint8_t {
  kRegister = 1,
  kAck = 2,
  kProbe = 3,
  kDirectProbe = 4,
  kDirectAck = 5,
  kFilterProbe = 6,
};

struct Registration {
  RegistrationType type = RegistrationType::kRegister;  // or kProbe, kFilterProbe, kDirectProbe
  uint16_t relay_port = 0;
  uint64_t counter = 0;
  wg::Key sender;
};

struct RegistrationAck {
  RegistrationType type = RegistrationType::kAck;  // or kDirectAck
  uint16_t relay_port = 0;
  uint64_t counter = 0;
  UdpAddress observed;
  std::optional<UdpAddress> peer;  // kAck only: the peer's registered address (IPv4)
  bool filter_acks = false;        // kAck only: filtering probes are acked too
};

std::array<uint8_t, kRegistrationSize> EncodeRegistration(const Registration& r,
                                                          const RegistrationKey& key);
std::array<uint8_t, kRegistrationSize> EncodeAck(const RegistrationAck& ack,
                                                 const RegistrationKey& key);

// Whether a datagram has the registration's magic and size (it may still be
// forged): what the relay tells apart from WireGuard messages by.
bool LooksLikeRegistration(absl::Span<const uint8_t> datagram);
// The fields, unauthenticated: the sender's key picks the MAC key.
std::optional<Registration> ParseRegistration(absl::Span<const uint8_t> datagram);
std::optional<RegistrationAck> ParseAck(absl::Span<const uint8_t> datagram);
// The MAC of a registration, probe or ack.
bool VerifyRegistration(absl::Span<const uint8_t> datagram, const RegistrationKey& key);
// Whether a counter (the sender's wall clock in nanoseconds) lies within
// `window` of `now`; newer than the last one taken is the receiver's check.
bool CounterNearClock(uint64_t counter, absl::Time now, absl::Duration window);

}  // namespace raven::nat_relay

#endif  // RAVEN_DAEMON_NAT_RELAY_REGISTRATION_H_

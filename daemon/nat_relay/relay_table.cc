#include "daemon/nat_relay/relay_table.h"

#include <utility>

namespace raven::nat_relay {
namespace {

// WireGuard's messages start with a type 1-4 and three zero bytes. The
// handshake and cookie messages have fixed sizes. Transport data is a 16-byte
// header, the plaintext and a 16-byte tag: 32 bytes at least, and of any
// length near the MTU (the padding to 16 bytes stops at the MTU).
bool LooksLikeWireGuard(absl::Span<const uint8_t> d) {
  if (d.size() < 32 || d[1] != 0 || d[2] != 0 || d[3] != 0) return false;
  switch (d[0]) {
    case 1:
      return d.size() == 148;  // handshake initiation
    case 2:
      return d.size() == 92;  // handshake response
    case 3:
      return d.size() == 64;  // cookie reply
    case 4:
      return true;
    default:
      return false;
  }
}

std::pair<std::string, std::string> Ordered(const std::string& a, const std::string& b) {
  return a < b ? std::make_pair(a, b) : std::make_pair(b, a);
}

}  // namespace

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kForwarded:
      return "forwarded";
    case Outcome::kRegistered:
      return "registered";
    case Outcome::kProbed:
      return "probed";
    case Outcome::kBadRegistration:
      return "bad_registration";
    case Outcome::kStaleRegistration:
      return "stale_registration";
    case Outcome::kUnknownSender:
      return "unknown_sender";
    case Outcome::kUnregisteredSource:
      return "unregistered_source";
    case Outcome::kPeerUnregistered:
      return "peer_unregistered";
    case Outcome::kNotWireGuard:
      return "not_wireguard";
    case Outcome::kUnknownPort:
      return "unknown_port";
  }
  return "unknown";
}

RelayTable::RelayTable(wg::KeyPair own, RelayTableOptions options)
    : own_(std::move(own)), options_(options) {}

void RelayTable::Configure(const RelayDuty& duty) {
  duty_ = duty;
  port_owner_.clear();
  for (const auto& [gateway, port] : duty_.ports) port_owner_[port] = gateway;
  std::erase_if(mac_keys_, [&](const auto& e) { return !duty_.gateways.contains(e.first); });
  std::erase_if(last_counters_,
                [&](const auto& e) { return !duty_.gateways.contains(e.first.first); });
  // An entry stays while its port still belongs to the same Gateway and its
  // sender still has that key and a pair with it.
  for (auto port_it = entries_.begin(); port_it != entries_.end();) {
    auto owner = port_owner_.find(port_it->first);
    auto& senders = senders_[port_it->first];
    for (auto it = port_it->second.begin(); it != port_it->second.end();) {
      auto key = duty_.gateways.find(it->second.key);
      bool keep = owner != port_owner_.end() && key != duty_.gateways.end() &&
                  key->second == it->first &&
                  duty_.pairs.contains(Ordered(it->first, owner->second));
      if (keep) {
        ++it;
      } else {
        senders.erase(it->second.address);
        it = port_it->second.erase(it);
      }
    }
    port_it = port_it->second.empty() ? entries_.erase(port_it) : std::next(port_it);
  }
  std::erase_if(senders_, [](const auto& e) { return e.second.empty(); });
}

const RelayTable::Entry* RelayTable::Find(uint16_t port, const std::string& gateway,
                                          absl::Time now) const {
  auto at_port = entries_.find(port);
  if (at_port == entries_.end()) return nullptr;
  auto it = at_port->second.find(gateway);
  if (it == at_port->second.end()) return nullptr;
  if (now - it->second.registered > options_.registration_lifetime) return nullptr;
  return &it->second;
}

Outcome RelayTable::Register(uint16_t port, const std::string& destination, const UdpAddress& from,
                             absl::Span<const uint8_t> datagram, absl::Time now, Forward& forward) {
  std::optional<Registration> r = ParseRegistration(datagram);
  // Counters are the sender's wall clock in nanoseconds, which fits an int64.
  if (!r || r->relay_port != port || r->counter > INT64_MAX) return Outcome::kBadRegistration;
  const bool probe =
      r->type == RegistrationType::kProbe || r->type == RegistrationType::kFilterProbe;
  auto sender = duty_.gateways.find(r->sender);
  // A registration names a pair the relay serves; a probe comes to the sender's own port.
  if (sender == duty_.gateways.end() ||
      (probe ? sender->second != destination
             : !duty_.pairs.contains(Ordered(sender->second, destination)))) {
    return Outcome::kUnknownSender;
  }
  auto mac_key = mac_keys_.find(r->sender);
  if (mac_key == mac_keys_.end()) {
    absl::StatusOr<RegistrationKey> derived =
        DeriveRegistrationKey(own_.private_key, r->sender, r->sender, own_.public_key);
    if (!derived.ok()) return Outcome::kBadRegistration;
    mac_key = mac_keys_.emplace(r->sender, *derived).first;
  }
  if (!VerifyRegistration(datagram, mac_key->second)) return Outcome::kBadRegistration;
  if (!CounterNearClock(r->counter, now, options_.clock_window)) {
    return Outcome::kStaleRegistration;
  }
  RegistrationAck answer{RegistrationType::kAck, port,        r->counter, from,
                         std::nullopt,           filter_acks_};
  if (!probe) {
    // Where the other end registered to receive from this sender: its NAT's
    // mapping, a candidate for a direct path between the two.
    auto sender_port = duty_.ports.find(sender->second);
    const Entry* peer =
        sender_port != duty_.ports.end() ? Find(sender_port->second, destination, now) : nullptr;
    if (peer != nullptr) answer.peer = peer->address;
  }
  const Forward ack{port, from, EncodeAck(answer, mac_key->second)};
  uint64_t& last = last_counters_[{r->sender, port}];
  if (r->counter <= last) return Outcome::kStaleRegistration;
  last = r->counter;
  forward = ack;
  if (r->type == RegistrationType::kFilterProbe) forward.from_port = kFilterSocket;
  if (probe) return Outcome::kProbed;
  Entry& entry = entries_[port][sender->second];
  auto& senders = senders_[port];
  if (!entry.key.IsZero()) senders.erase(entry.address);
  entry = {r->sender, from, now};
  // An address is one sender's: a later registration from it takes it over.
  if (auto old = senders.find(from); old != senders.end() && old->second != sender->second) {
    entries_[port].erase(old->second);
  }
  senders[from] = sender->second;
  return Outcome::kRegistered;
}

Outcome RelayTable::Handle(uint16_t port, const UdpAddress& from,
                           absl::Span<const uint8_t> datagram, absl::Time now, Forward& forward) {
  auto owner = port_owner_.find(port);
  if (owner == port_owner_.end()) return Outcome::kUnknownPort;
  const std::string& destination = owner->second;
  if (LooksLikeRegistration(datagram)) {
    return Register(port, destination, from, datagram, now, forward);
  }
  if (!LooksLikeWireGuard(datagram)) return Outcome::kNotWireGuard;
  auto senders = senders_.find(port);
  if (senders == senders_.end()) return Outcome::kUnregisteredSource;
  auto sender = senders->second.find(from);
  if (sender == senders->second.end() || Find(port, sender->second, now) == nullptr) {
    return Outcome::kUnregisteredSource;
  }
  const uint16_t sender_port = duty_.ports.at(sender->second);
  const Entry* peer = Find(sender_port, destination, now);
  if (peer == nullptr) return Outcome::kPeerUnregistered;
  forward = {sender_port, peer->address};
  return Outcome::kForwarded;
}

}  // namespace raven::nat_relay

#include "daemon/nat_relay/registrar.h"

#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace raven::nat_relay {
namespace {

// Datagrams read per turn, so that the relay's ports get their turn too.
constexpr int kBurst = 64;

}  // namespace

std::string MappingBehaviour(const std::vector<NatObservation>& observations,
                             const std::string& relay) {
  std::set<UdpAddress> mapped;
  int ports = 0;
  for (const NatObservation& o : observations) {
    if (o.relay != relay) continue;
    ++ports;
    mapped.insert(o.mapped);
  }
  if (ports < 2) return "";
  return mapped.size() == 1 ? "endpoint-independent" : "endpoint-dependent";
}

Registrar::Registrar(wg::KeyPair keys, uint16_t wireguard_port, uint32_t mark,
                     absl::Duration register_interval, DirectProberOptions direct)
    : keys_(keys),
      register_interval_(register_interval),
      sender_(wireguard_port, mark),
      wireguard_port_(wireguard_port),
      direct_(std::move(keys), direct) {}

absl::Status Registrar::OpenAckSocket() {
  Fd fd(socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP));
  if (!fd.valid()) {
    return absl::InternalError(absl::StrCat("raw UDP socket for relay acks: ", strerror(errno)));
  }
  // Only datagrams to the WireGuard port whose payload starts with "RVRL"
  // (the kernel delivers them to WireGuard's socket too, which drops them).
  // The filter sees the IPv4 header first: X = its length, then the UDP header.
  sock_filter code[] = {
      BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
      BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),  // destination port
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, wireguard_port_, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_IND, 8),                  // the payload's first 4 bytes
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x5256524c, 0, 1),  // "RVRL"
      BPF_STMT(BPF_RET | BPF_K, 0xffff),
      BPF_STMT(BPF_RET | BPF_K, 0),
  };
  sock_fprog filter{static_cast<unsigned short>(std::size(code)), code};
  if (setsockopt(fd.get(), SOL_SOCKET, SO_ATTACH_FILTER, &filter, sizeof(filter)) != 0) {
    return absl::InternalError(absl::StrCat("SO_ATTACH_FILTER: ", strerror(errno)));
  }
  // Room for bursts (a stranger's flood of "RVRL" datagrams must not crowd
  // out the acks for long); FORCE past rmem_max, as root may.
  int bytes = 1 << 20;
  if (setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) != 0) {
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
  }
  acks_ = std::move(fd);
  return absl::OkStatus();
}

void Registrar::SetTargets(const NatRelayPlan& plan) {
  std::vector<RelayRegistrationTarget> targets = plan.registrations;
  targets.insert(targets.end(), plan.probes.begin(), plan.probes.end());
  direct_candidates_ = plan.direct_candidates;
  if (targets == targets_) return;
  targets_ = std::move(targets);
  registrations_ = plan.registrations.size();
  std::vector<DirectPeer> peers;
  for (const RelayRegistrationTarget& t : plan.registrations) peers.push_back({t.peer, t.peer_key});
  direct_.SetPeers(peers);
  // Forget what belongs to relays, keys and ports no longer in use.
  auto unused = [&](auto&& is_target) {
    return std::none_of(targets_.begin(), targets_.end(), is_target);
  };
  std::erase_if(keys_by_relay_, [&](const auto& e) {
    return unused([&](const RelayRegistrationTarget& t) { return t.relay_key == e.first; });
  });
  std::erase_if(sent_, [&](const auto& e) {
    return unused([&](const RelayRegistrationTarget& t) { return t.address == e.first; });
  });
  peer_known_.clear();
  std::erase_if(filters_, [&](const auto& e) {
    return unused([&](const RelayRegistrationTarget& t) { return t.relay == e.first; });
  });
  {
    absl::MutexLock lock(&mu_);
    std::erase_if(filtering_, [&](const auto& e) { return !filters_.contains(e.first); });
    std::erase_if(observations_, [&](const auto& e) {
      return unused([&](const RelayRegistrationTarget& t) {
        return t.relay == e.first.first && t.address.port == e.first.second;
      });
    });
  }
  for (const RelayRegistrationTarget& t : plan.registrations) {
    RAVEN_LOG(kInfo, "NAT relay: Gateway ", t.peer, " through relay ", t.relay, " at ",
              t.address.ToString());
  }
  Send(/*all=*/true);  // at once: the pair's first packets wait for it
}

void Registrar::Send(bool all) {
  uint64_t sent = 0, errors = 0;
  const absl::Time now = absl::Now();
  for (size_t i = 0; i < targets_.size(); ++i) {
    const RelayRegistrationTarget& t = targets_[i];
    auto last = sent_.find(t.address);
    // A registration whose ack did not name the peer yet is repeated at
    // every tick: the peer's address starts the direct probes.
    const bool done = last != sent_.end() && last->second.AckedSince(now - register_interval_) &&
                      (i >= registrations_ || peer_known_.contains(t.address));
    if (!all && done) continue;
    auto key = keys_by_relay_.find(t.relay_key);
    if (key == keys_by_relay_.end()) {
      absl::StatusOr<RegistrationKey> derived =
          DeriveRegistrationKey(keys_.private_key, t.relay_key, keys_.public_key, t.relay_key);
      if (!derived.ok()) {
        ++errors;
        continue;
      }
      key = keys_by_relay_.emplace(t.relay_key, *derived).first;
    }
    // Strictly growing, from the wall clock: the relay also checks it against its own.
    last_counter_ = std::max<uint64_t>(absl::ToUnixNanos(now), last_counter_ + 1);
    Registration r{i < registrations_ ? RegistrationType::kRegister : RegistrationType::kProbe,
                   t.address.port, last_counter_, keys_.public_key};
    if (absl::Status st = sender_.Send(t.address, EncodeRegistration(r, key->second)); !st.ok()) {
      ++errors;
      RAVEN_LOG(kDebug, "NAT relay: registration with ", t.relay, ": ", st.message());
      continue;
    }
    ++sent;
    sent_[t.address].Sent(last_counter_, now);
    if (i >= registrations_) {
      // With the discovery probe, the filtering probe: acked from another port.
      last_counter_ += 1;
      Registration f{RegistrationType::kFilterProbe, t.address.port, last_counter_,
                     keys_.public_key};
      if (sender_.Send(t.address, EncodeRegistration(f, key->second)).ok()) {
        filters_[t.relay].acks.Sent(last_counter_, now);
      }
    }
  }
  for (const auto& [gateway, address] : direct_candidates_) {
    direct_.AddCandidate(gateway, address, now);  // never forgotten while planned
  }
  SendDirect(direct_.Due(now));
  absl::MutexLock lock(&mu_);
  counters_.registrations_sent += sent;
  counters_.registration_errors += errors;
  counters_.direct = direct_.counters();
}

void Registrar::SendDirect(const std::vector<Datagram>& datagrams) {
  for (const Datagram& d : datagrams) {
    if (absl::Status st = sender_.Send(d.to, d.payload); !st.ok()) {
      RAVEN_LOG(kDebug, "direct probe to ", d.to.ToString(), ": ", st.message());
    }
  }
}

void Registrar::ReceiveAcks() {
  uint8_t buf[2048];
  for (int i = 0; i < kBurst; ++i) {
    ssize_t n = recv(acks_.get(), buf, sizeof(buf), 0);
    if (n < 0) return;
    // IPv4 header, UDP header, payload (the filter checked port and magic).
    const size_t ihl = (buf[0] & 0xf) * 4u;
    if (static_cast<size_t>(n) < ihl + 8) continue;
    UdpAddress from;
    memcpy(from.ip.bytes.data(), &buf[12], 4);
    from.port = static_cast<uint16_t>(buf[ihl] << 8 | buf[ihl + 1]);
    absl::Span<const uint8_t> payload(buf + ihl + 8, static_cast<size_t>(n) - ihl - 8);
    const absl::Time now = absl::Now();
    if (payload.size() > 5 && (payload[5] == static_cast<uint8_t>(RegistrationType::kDirectProbe) ||
                               payload[5] == static_cast<uint8_t>(RegistrationType::kDirectAck))) {
      if (std::optional<Datagram> ack = direct_.Receive(from, payload, now)) SendDirect({*ack});
      absl::MutexLock lock(&mu_);
      counters_.direct = direct_.counters();
    } else {
      OnAck(from, payload, now);
    }
  }
}

bool Registrar::OnFilterAck(const UdpAddress& from, const RegistrationAck& ack,
                            absl::Span<const uint8_t> payload, absl::Time now) {
  // From the relay's address, but not from the probe target's port.
  auto probe = std::find_if(targets_.begin() + static_cast<std::ptrdiff_t>(registrations_),
                            targets_.end(), [&](const RelayRegistrationTarget& t) {
                              return t.address.ip == from.ip && t.address.port == ack.relay_port &&
                                     t.address.port != from.port;
                            });
  if (probe == targets_.end()) return false;
  auto key = keys_by_relay_.find(probe->relay_key);
  auto filter = filters_.find(probe->relay);
  if (key == keys_by_relay_.end() || filter == filters_.end() ||
      !VerifyRegistration(payload, key->second) || !filter->second.acks.Take(ack.counter, now)) {
    return false;
  }
  filter->second.open_at = now;
  filter->second.closed_rounds = 0;
  absl::MutexLock lock(&mu_);
  ++counters_.acks;
  filtering_[probe->relay] = "port-independent";
  return true;
}

void Registrar::OnProbeAck(const std::string& relay, absl::Time now) {
  FilterState& f = filters_[relay];
  if (f.open_at && now - *f.open_at < kFilterMemory) return;
  if (++f.closed_rounds < kClosedRounds) return;
  absl::MutexLock lock(&mu_);
  filtering_[relay] = "port-dependent";
}

void Registrar::OnAck(const UdpAddress& from, absl::Span<const uint8_t> payload, absl::Time now) {
  std::optional<RegistrationAck> ack = ParseAck(payload);
  if (ack && ack->type == RegistrationType::kAck && OnFilterAck(from, *ack, payload, now)) return;
  auto target = std::find_if(targets_.begin(), targets_.end(),
                             [&](const RelayRegistrationTarget& t) { return t.address == from; });
  auto sent = sent_.find(from);
  auto key =
      target != targets_.end() ? keys_by_relay_.find(target->relay_key) : keys_by_relay_.end();
  // Only an ack of a recent registration or probe sent there, newer than the last taken.
  std::optional<absl::Duration> rtt;
  if (ack && ack->relay_port == from.port && key != keys_by_relay_.end() && sent != sent_.end() &&
      VerifyRegistration(payload, key->second)) {
    rtt = sent->second.Take(ack->counter, now);
  }
  if (!rtt) {
    absl::MutexLock lock(&mu_);
    ++counters_.acks_rejected;
    return;
  }
  if (ack->peer) {
    direct_.AddCandidate(target->peer, *ack->peer, now);
    peer_known_.insert(from);
  }
  if (target - targets_.begin() >= static_cast<std::ptrdiff_t>(registrations_) &&
      ack->filter_acks) {
    OnProbeAck(target->relay, now);
  }
  NatObservation o{target->relay, from.port, ack->observed, *rtt};
  absl::MutexLock lock(&mu_);
  ++counters_.acks;
  auto [it, inserted] = observations_.try_emplace({o.relay, o.relay_port}, o);
  if (!inserted && it->second.mapped != o.mapped) {
    ++counters_.mapping_changes;
    RAVEN_LOG(kWarning, "NAT mapping changed: relay ", o.relay, " port ", o.relay_port, " saw ",
              it->second.mapped.ToString(), ", now ", o.mapped.ToString(),
              " (a NAT restart or a new carrier address; the relay follows it)");
  }
  it->second = o;
}

std::vector<NatObservation> Registrar::observations() const {
  absl::MutexLock lock(&mu_);
  std::vector<NatObservation> out;
  for (const auto& [where, o] : observations_) out.push_back(o);
  return out;
}

std::map<std::string, std::string> Registrar::filtering() const {
  absl::MutexLock lock(&mu_);
  return filtering_;
}

std::string NatType(const std::string& mapping, const std::string& filtering) {
  if (mapping == "endpoint-dependent") return "Symmetric NAT";
  if (mapping != "endpoint-independent") return "";
  if (filtering == "port-dependent") return "Port Restricted cone NAT";
  if (filtering == "port-independent") return "Restricted cone NAT";
  return "";
}

RegistrarCounters Registrar::counters() const {
  absl::MutexLock lock(&mu_);
  return counters_;
}

}  // namespace raven::nat_relay

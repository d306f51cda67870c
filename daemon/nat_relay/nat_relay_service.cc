#include "daemon/nat_relay/nat_relay_service.h"

#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "daemon/nat_relay/socket_address.h"

namespace raven::nat_relay {
namespace {

constexpr uint64_t kWakeId = 1ull << 32;
constexpr uint64_t kTimerId = 2ull << 32;
constexpr uint64_t kAcksId = 3ull << 32;
// Datagrams read from one socket per turn, so that one busy port cannot starve the rest.
constexpr int kBurst = 64;

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", strerror(errno)));
}

absl::Status Watch(int epoll, int fd, uint64_t id) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = id;
  if (epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev) != 0) return Errno("epoll_ctl");
  return absl::OkStatus();
}

// A UDP socket on `port` of every address: dual-stack when the node has
// IPv6, else IPv4 only.
absl::StatusOr<std::pair<Fd, bool>> BindRelayPort(uint16_t port, uint32_t mark) {
  bool v6 = true;
  Fd fd(socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    v6 = false;
    fd = Fd(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  }
  if (!fd.valid()) return Errno("UDP socket");
  int off = 0;
  if (v6 && setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) != 0) {
    return Errno("IPV6_V6ONLY");
  }
  if (setsockopt(fd.get(), SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) != 0) {
    return Errno("SO_MARK");
  }
  sockaddr_storage ss;
  socklen_t len = ToSockaddr(UdpAddress{IpAddress{}, port}, v6, ss);
  if (v6)
    memset(&reinterpret_cast<sockaddr_in6&>(ss).sin6_addr, 0, 16);  // [::], not ::ffff:0.0.0.0
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    return Errno(absl::StrCat("bind UDP port ", port));
  }
  return std::make_pair(std::move(fd), v6);
}

// A raw IPv4 UDP socket that receives only datagrams to `port` whose payload
// starts with the registrations' magic (the relays' acks); the kernel still
// delivers them to WireGuard's socket too, which drops them.
absl::StatusOr<Fd> OpenAckSocket(uint16_t port) {
  Fd fd(socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP));
  if (!fd.valid()) return Errno("raw UDP socket for relay acks");
  // The filter sees the IPv4 header first: X = its length, then the UDP header.
  sock_filter code[] = {
      BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
      BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),  // destination port
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, port, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_IND, 8),                  // the payload's first 4 bytes
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x5256524c, 0, 1),  // "RVRL"
      BPF_STMT(BPF_RET | BPF_K, 0xffff),
      BPF_STMT(BPF_RET | BPF_K, 0),
  };
  sock_fprog filter{static_cast<unsigned short>(std::size(code)), code};
  if (setsockopt(fd.get(), SOL_SOCKET, SO_ATTACH_FILTER, &filter, sizeof(filter)) != 0) {
    return Errno("SO_ATTACH_FILTER");
  }
  return fd;
}

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

NatRelayService::NatRelayService(NatRelayOptions options)
    : options_(std::move(options)),
      table_(options_.keys),
      sender_(options_.wireguard_port, options_.mark) {}

absl::StatusOr<std::unique_ptr<NatRelayService>> NatRelayService::Start(NatRelayOptions options) {
  std::unique_ptr<NatRelayService> s(new NatRelayService(std::move(options)));
  s->epoll_ = Fd(epoll_create1(EPOLL_CLOEXEC));
  s->wake_ = Fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  s->timer_ = Fd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!s->epoll_.valid() || !s->wake_.valid() || !s->timer_.valid()) {
    return Errno("NAT relay: epoll, eventfd or timerfd");
  }
  itimerspec spec{};
  spec.it_interval = absl::ToTimespec(s->options_.retry_interval);
  spec.it_value = spec.it_interval;
  if (timerfd_settime(s->timer_.get(), 0, &spec, nullptr) != 0) return Errno("timerfd_settime");
  if (absl::Status st = Watch(s->epoll_.get(), s->wake_.get(), kWakeId); !st.ok()) return st;
  if (absl::Status st = Watch(s->epoll_.get(), s->timer_.get(), kTimerId); !st.ok()) return st;
  if (absl::StatusOr<Fd> acks = OpenAckSocket(s->options_.wireguard_port); acks.ok()) {
    s->acks_ = *std::move(acks);
    if (absl::Status st = Watch(s->epoll_.get(), s->acks_.get(), kAcksId); !st.ok()) return st;
  } else {
    RAVEN_LOG(kWarning, "NAT relay: no NAT discovery (", acks.status().message(), ")");
  }
  s->thread_ = std::thread([p = s.get()] { p->Run(); });
  return s;
}

NatRelayService::~NatRelayService() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  uint64_t one = 1;
  if (write(wake_.get(), &one, sizeof(one)) < 0) RAVEN_LOG(kError, "NAT relay: wake failed");
  if (thread_.joinable()) thread_.join();
}

void NatRelayService::Configure(const NatRelayPlan& plan) {
  {
    absl::MutexLock lock(&mu_);
    pending_ = std::make_unique<NatRelayPlan>(plan);
  }
  uint64_t one = 1;
  if (write(wake_.get(), &one, sizeof(one)) < 0) RAVEN_LOG(kError, "NAT relay: wake failed");
}

NatRelayCounters NatRelayService::counters() const {
  absl::MutexLock lock(&mu_);
  return counters_;
}

std::vector<std::string> NatRelayService::problems() const {
  absl::MutexLock lock(&mu_);
  return problems_;
}

std::vector<NatObservation> NatRelayService::observations() const {
  absl::MutexLock lock(&mu_);
  std::vector<NatObservation> out;
  for (const auto& [where, o] : observations_) out.push_back(o);
  return out;
}

void NatRelayService::Run() {
  epoll_event events[16];
  for (;;) {
    int n = epoll_wait(epoll_.get(), events, std::size(events), -1);
    if (n < 0 && errno != EINTR) {
      RAVEN_LOG(kError, "NAT relay: epoll_wait: ", strerror(errno), "; relay stopped");
      return;
    }
    for (int i = 0; i < n; ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == kWakeId) {
        uint64_t count;
        if (read(wake_.get(), &count, sizeof(count)) < 0 && errno != EAGAIN) continue;
        std::unique_ptr<NatRelayPlan> plan;
        {
          absl::MutexLock lock(&mu_);
          if (stop_) return;
          plan = std::move(pending_);
        }
        if (plan) Apply(*plan);
      } else if (id == kAcksId) {
        ReceiveAcks();
      } else if (id == kTimerId) {
        uint64_t expirations;
        if (read(timer_.get(), &expirations, sizeof(expirations)) < 0 && errno != EAGAIN) continue;
        SendRegistrations(/*all=*/false);
      } else {
        Receive(static_cast<uint16_t>(id));
      }
    }
  }
}

void NatRelayService::Apply(const NatRelayPlan& plan) {
  if (!(plan.duty == table_.duty())) {
    Bind(plan.duty.ports);
    table_.Configure(plan.duty);
    if (!plan.duty.empty()) {
      RAVEN_LOG(kInfo, "NAT relay: relaying ", plan.duty.pairs.size(), " pair(s) on ",
                sockets_.size(), " port(s)");
    }
  }
  std::vector<RelayRegistrationTarget> targets = plan.registrations;
  targets.insert(targets.end(), plan.probes.begin(), plan.probes.end());
  if (targets != targets_) {
    targets_ = std::move(targets);
    registrations_ = plan.registrations.size();
    {
      // Forget what relays no longer in use saw.
      absl::MutexLock lock(&mu_);
      for (auto it = observations_.begin(); it != observations_.end();) {
        bool used =
            std::any_of(targets_.begin(), targets_.end(), [&](const RelayRegistrationTarget& t) {
              return t.relay == it->first.first && t.address.port == it->first.second;
            });
        it = used ? std::next(it) : observations_.erase(it);
      }
    }
    for (auto it = target_keys_.begin(); it != target_keys_.end();) {
      bool used =
          std::any_of(targets_.begin(), targets_.end(),
                      [&](const RelayRegistrationTarget& t) { return t.relay_key == it->first; });
      it = used ? std::next(it) : target_keys_.erase(it);
    }
    for (const RelayRegistrationTarget& t : plan.registrations) {
      RAVEN_LOG(kInfo, "NAT relay: Gateway ", t.peer, " through relay ", t.relay, " at ",
                t.address.ToString());
    }
    SendRegistrations(/*all=*/true);  // at once: the pair's first packets wait for it
  }
}

void NatRelayService::Bind(const std::map<std::string, uint16_t>& ports) {
  std::set<uint16_t> wanted;
  for (const auto& [gateway, port] : ports) wanted.insert(port);
  for (auto it = sockets_.begin(); it != sockets_.end();) {
    if (wanted.contains(it->first)) {
      ++it;
      continue;
    }
    v6_sockets_.erase(it->first);
    it = sockets_.erase(it);  // closing it removes it from the epoll set
  }
  std::vector<std::string> problems;
  for (uint16_t port : wanted) {
    if (sockets_.contains(port)) continue;
    absl::StatusOr<std::pair<Fd, bool>> bound = BindRelayPort(port, options_.mark);
    absl::Status st = bound.ok() ? Watch(epoll_.get(), bound->first.get(), port) : bound.status();
    if (!st.ok()) {
      problems.push_back(absl::StrCat("NAT relay port ", port, ": ", st.message()));
      RAVEN_LOG(kError, problems.back());
      continue;
    }
    v6_sockets_[port] = bound->second;
    sockets_[port] = std::move(bound->first);
  }
  absl::MutexLock lock(&mu_);
  problems_ = std::move(problems);
}

void NatRelayService::SendRegistrations(bool all) {
  uint64_t sent = 0, errors = 0;
  const absl::Time now = absl::Now();
  for (size_t i = 0; i < targets_.size(); ++i) {
    const RelayRegistrationTarget& t = targets_[i];
    auto last = sent_.find(t.address);
    const bool acked = last != sent_.end() && last->second.acked == last->second.counter;
    if (!all && acked && now - last->second.at < options_.register_interval) continue;
    auto key = target_keys_.find(t.relay_key);
    if (key == target_keys_.end()) {
      absl::StatusOr<RegistrationKey> derived = DeriveRegistrationKey(
          options_.keys.private_key, t.relay_key, options_.keys.public_key, t.relay_key);
      if (!derived.ok()) {
        ++errors;
        continue;
      }
      key = target_keys_.emplace(t.relay_key, *derived).first;
    }
    // Strictly growing, from the wall clock: the relay also checks it against its own.
    last_counter_ = std::max<uint64_t>(absl::ToUnixNanos(now), last_counter_ + 1);
    Registration r{i < registrations_ ? RegistrationType::kRegister : RegistrationType::kProbe,
                   t.address.port, last_counter_, options_.keys.public_key};
    std::array<uint8_t, kRegistrationSize> bytes = EncodeRegistration(r, key->second);
    if (absl::Status st = sender_.Send(t.address, bytes); !st.ok()) {
      ++errors;
      RAVEN_LOG(kDebug, "NAT relay: registration with ", t.relay, ": ", st.message());
    } else {
      ++sent;
      Sent& s = sent_[t.address];
      s.counter = last_counter_;
      s.at = now;
    }
  }
  absl::MutexLock lock(&mu_);
  counters_.registrations_sent += sent;
  counters_.registration_errors += errors;
}

void NatRelayService::Receive(uint16_t port) {
  auto socket = sockets_.find(port);
  if (socket == sockets_.end()) return;
  uint8_t buf[65536];
  NatRelayCounters delta;
  for (int i = 0; i < kBurst; ++i) {
    sockaddr_storage from{};
    socklen_t from_len = sizeof(from);
    ssize_t n = recvfrom(socket->second.get(), buf, sizeof(buf), 0,
                         reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0) break;
    Forward forward;
    Outcome outcome =
        table_.Handle(port, FromSockaddr(from), absl::MakeConstSpan(buf, static_cast<size_t>(n)),
                      absl::Now(), forward);
    ++delta.datagrams[static_cast<int>(outcome)];
    if (outcome != Outcome::kForwarded && !forward.ack) continue;
    auto out = sockets_.find(forward.from_port);
    if (out == sockets_.end()) {
      ++delta.forward_errors;
      continue;
    }
    const uint8_t* data = forward.ack ? forward.ack->data() : buf;
    const size_t size = forward.ack ? forward.ack->size() : static_cast<size_t>(n);
    sockaddr_storage to;
    socklen_t to_len = ToSockaddr(forward.to, v6_sockets_[forward.from_port], to);
    if (sendto(out->second.get(), data, size, 0, reinterpret_cast<sockaddr*>(&to), to_len) < 0) {
      ++delta.forward_errors;
    } else if (!forward.ack) {
      delta.forwarded_bytes += size;
    }
  }
  absl::MutexLock lock(&mu_);
  for (int i = 0; i < kOutcomeCount; ++i) counters_.datagrams[i] += delta.datagrams[i];
  counters_.forwarded_bytes += delta.forwarded_bytes;
  counters_.forward_errors += delta.forward_errors;
}

void NatRelayService::ReceiveAcks() {
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
    OnAck(from, absl::MakeConstSpan(buf + ihl + 8, static_cast<size_t>(n) - ihl - 8), absl::Now());
  }
}

void NatRelayService::OnAck(const UdpAddress& from, absl::Span<const uint8_t> payload,
                            absl::Time now) {
  std::optional<RegistrationAck> ack = ParseAck(payload);
  auto target = std::find_if(targets_.begin(), targets_.end(),
                             [&](const RelayRegistrationTarget& t) { return t.address == from; });
  auto sent = sent_.find(from);
  auto key = target != targets_.end() ? target_keys_.find(target->relay_key) : target_keys_.end();
  // Only an ack of the last registration or probe sent there, newer than the last taken.
  if (!ack || ack->relay_port != from.port || key == target_keys_.end() || sent == sent_.end() ||
      ack->counter != sent->second.counter || ack->counter <= sent->second.acked ||
      !VerifyRegistration(payload, key->second)) {
    absl::MutexLock lock(&mu_);
    ++counters_.acks_rejected;
    return;
  }
  sent->second.acked = ack->counter;
  NatObservation o{target->relay, from.port, ack->observed, now - sent->second.at};
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

}  // namespace raven::nat_relay

#include "daemon/nat_relay/nat_relay_service.h"

#include <errno.h>
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
  if (v6) memset(&reinterpret_cast<sockaddr_in6&>(ss).sin6_addr, 0, 16);  // [::], not ::ffff:0.0.0.0
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    return Errno(absl::StrCat("bind UDP port ", port));
  }
  return std::make_pair(std::move(fd), v6);
}

}  // namespace

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
  spec.it_interval = absl::ToTimespec(s->options_.register_interval);
  spec.it_value = spec.it_interval;
  if (timerfd_settime(s->timer_.get(), 0, &spec, nullptr) != 0) return Errno("timerfd_settime");
  if (absl::Status st = Watch(s->epoll_.get(), s->wake_.get(), kWakeId); !st.ok()) return st;
  if (absl::Status st = Watch(s->epoll_.get(), s->timer_.get(), kTimerId); !st.ok()) return st;
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
      } else if (id == kTimerId) {
        uint64_t expirations;
        if (read(timer_.get(), &expirations, sizeof(expirations)) < 0 && errno != EAGAIN) continue;
        SendRegistrations();
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
  if (plan.registrations != targets_) {
    targets_ = plan.registrations;
    for (auto it = target_keys_.begin(); it != target_keys_.end();) {
      bool used = std::any_of(targets_.begin(), targets_.end(),
                              [&](const RelayRegistrationTarget& t) { return t.relay_key == it->first; });
      it = used ? std::next(it) : target_keys_.erase(it);
    }
    for (const RelayRegistrationTarget& t : targets_) {
      RAVEN_LOG(kInfo, "NAT relay: Gateway ", t.peer, " through relay ", t.relay, " at ",
                t.address.ToString());
    }
    SendRegistrations();  // at once: the pair's first packets wait for it
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

void NatRelayService::SendRegistrations() {
  uint64_t sent = 0, errors = 0;
  for (const RelayRegistrationTarget& t : targets_) {
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
    last_counter_ = std::max<uint64_t>(absl::ToUnixNanos(absl::Now()), last_counter_ + 1);
    Registration r{t.address.port, last_counter_, options_.keys.public_key};
    std::array<uint8_t, kRegistrationSize> bytes = EncodeRegistration(r, key->second);
    if (absl::Status st = sender_.Send(t.address, bytes); !st.ok()) {
      ++errors;
      RAVEN_LOG(kDebug, "NAT relay: registration with ", t.relay, ": ", st.message());
    } else {
      ++sent;
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
    Outcome outcome = table_.Handle(port, FromSockaddr(from),
                                    absl::MakeConstSpan(buf, static_cast<size_t>(n)), absl::Now(),
                                    forward);
    ++delta.datagrams[static_cast<int>(outcome)];
    if (outcome != Outcome::kForwarded) continue;
    auto out = sockets_.find(forward.from_port);
    if (out == sockets_.end()) {
      ++delta.forward_errors;
      continue;
    }
    sockaddr_storage to;
    socklen_t to_len = ToSockaddr(forward.to, v6_sockets_[forward.from_port], to);
    if (sendto(out->second.get(), buf, static_cast<size_t>(n), 0,
               reinterpret_cast<sockaddr*>(&to), to_len) < 0) {
      ++delta.forward_errors;
    } else {
      delta.forwarded_bytes += static_cast<uint64_t>(n);
    }
  }
  absl::MutexLock lock(&mu_);
  for (int i = 0; i < kOutcomeCount; ++i) counters_.datagrams[i] += delta.datagrams[i];
  counters_.forwarded_bytes += delta.forwarded_bytes;
  counters_.forward_errors += delta.forward_errors;
}

}  // namespace raven::nat_relay

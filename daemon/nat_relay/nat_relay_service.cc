#include "daemon/nat_relay/nat_relay_service.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>

#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace raven::nat_relay {
namespace {

// epoll data: a relay port (below 2^16), or one of these.
constexpr uint64_t kWakeId = 1ull << 32;
constexpr uint64_t kTimerId = 2ull << 32;
constexpr uint64_t kAcksId = 3ull << 32;

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

void Wake(int fd) {
  uint64_t one = 1;
  if (write(fd, &one, sizeof(one)) < 0) RAVEN_LOG(kError, "NAT relay: wake failed");
}

}  // namespace

NatRelayService::NatRelayService(NatRelayOptions options)
    : options_(std::move(options)),
      epoll_(epoll_create1(EPOLL_CLOEXEC)),
      wake_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      timer_(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)),
      direct_paths_changed_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      registrar_(options_.keys, options_.wireguard_port, options_.mark, options_.register_interval),
      relay_(options_.keys, options_.mark, epoll_.get()) {}

absl::StatusOr<std::unique_ptr<NatRelayService>> NatRelayService::Start(NatRelayOptions options) {
  std::unique_ptr<NatRelayService> s(new NatRelayService(std::move(options)));
  if (!s->epoll_.valid() || !s->wake_.valid() || !s->timer_.valid() ||
      !s->direct_paths_changed_.valid()) {
    return Errno("NAT relay: epoll, eventfd or timerfd");
  }
  itimerspec spec{};
  spec.it_interval = absl::ToTimespec(s->options_.retry_interval);
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
  Wake(wake_.get());
  if (thread_.joinable()) thread_.join();
}

void NatRelayService::Configure(const NatRelayPlan& plan) {
  {
    absl::MutexLock lock(&mu_);
    pending_ = std::make_unique<NatRelayPlan>(plan);
  }
  Wake(wake_.get());
}

std::map<std::string, UdpAddress> NatRelayService::direct_paths() const {
  uint64_t count;
  if (read(direct_paths_changed_.get(), &count, sizeof(count)) < 0 && errno != EAGAIN) {
    RAVEN_LOG(kError, "NAT relay: reading the direct paths' eventfd: ", strerror(errno));
  }
  absl::MutexLock lock(&mu_);
  return direct_paths_;
}

std::map<std::string, DirectQuality> NatRelayService::direct_quality() const {
  absl::MutexLock lock(&mu_);
  return direct_quality_;
}

void NatRelayService::PublishDirectPaths() {
  std::map<std::string, UdpAddress> paths = registrar_.DirectPaths();
  {
    absl::MutexLock lock(&mu_);
    direct_quality_ = registrar_.DirectPathQuality();
    if (paths == direct_paths_) return;
    for (const auto& [gateway, address] : paths) {
      auto was = direct_paths_.find(gateway);
      if (was == direct_paths_.end() || was->second != address) {
        RAVEN_LOG(kInfo, "direct path to Gateway ", gateway, " at ", address.ToString(),
                  " (probes answered; the relay stands by)");
      }
    }
    for (const auto& [gateway, address] : direct_paths_) {
      if (!paths.contains(gateway)) {
        RAVEN_LOG(kWarning, "direct path to Gateway ", gateway, " at ", address.ToString(),
                  " stopped answering: back to the relay");
      }
    }
    direct_paths_ = std::move(paths);
  }
  Wake(direct_paths_changed_.get());
}

void NatRelayService::UpdateAckSocket(bool wanted) {
  if (!wanted) {
    registrar_.CloseAckSocket();  // which also leaves the epoll set
    return;
  }
  if (registrar_.ack_fd() >= 0) return;
  absl::Status st = registrar_.OpenAckSocket();
  if (st.ok()) st = Watch(epoll_.get(), registrar_.ack_fd(), kAcksId);
  if (!st.ok()) {
    registrar_.CloseAckSocket();
    RAVEN_LOG(kWarning, "NAT relay: no NAT discovery and no direct paths (", st.message(), ")");
  }
}

NatRelayCounters NatRelayService::counters() const {
  return {relay_.counters(), registrar_.counters()};
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
      uint64_t count;
      if (id == kWakeId) {
        if (read(wake_.get(), &count, sizeof(count)) < 0 && errno != EAGAIN) continue;
        std::unique_ptr<NatRelayPlan> plan;
        {
          absl::MutexLock lock(&mu_);
          if (stop_) return;
          plan = std::move(pending_);
        }
        if (plan) {
          relay_.Configure(plan->duty);
          // Before the first registrations go out: their acks come at once.
          UpdateAckSocket(!plan->registrations.empty() || !plan->probes.empty());
          registrar_.SetTargets(*plan);
        }
      } else if (id == kTimerId) {
        if (read(timer_.get(), &count, sizeof(count)) < 0 && errno != EAGAIN) continue;
        registrar_.Send(/*all=*/false);
        relay_.RetryFailedBinds(absl::Now());
      } else if (id == kAcksId) {
        registrar_.ReceiveAcks();
      } else {
        relay_.Receive(static_cast<uint16_t>(id));
      }
    }
    PublishDirectPaths();
  }
}

}  // namespace raven::nat_relay

#include "daemon/agent.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "daemon/bpf/bpffs.h"
#include "daemon/gateway_file.h"
#include "daemon/netlink/link_monitor.h"
#include "daemon/wireguard/key_file.h"

namespace raven {
namespace {

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", strerror(errno)));
}

// A file descriptor closed on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

absl::StatusOr<int> OpenSignalFd() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  if (sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) return Errno("block signals");
  int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return Errno("signalfd");
  return fd;
}

absl::StatusOr<int> OpenTimerFd(absl::Duration interval) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) return Errno("timerfd_create");
  itimerspec spec{};
  spec.it_interval = absl::ToTimespec(interval);
  spec.it_value = spec.it_interval;
  if (timerfd_settime(fd, 0, &spec, nullptr) != 0) {
    close(fd);
    return Errno("timerfd_settime");
  }
  return fd;
}

}  // namespace

Agent::Agent(AgentConfig config, wg::KeyPair keys, UplinkInfo uplink,
             std::unique_ptr<bpf::DataplanePrograms> programs,
             std::unique_ptr<wg::WireGuardDevice> wireguard)
    : config_(std::move(config)),
      keys_(keys),
      uplink_(std::move(uplink)),
      programs_(std::move(programs)),
      wireguard_(std::move(wireguard)),
      tc_(config_.tc_state_file()),
      route_table_(programs_->routes4_fd(), programs_->routes6_fd()),
      attacher_(AttachPlan{config_.pod_interface_globs, uplink_.name, config_.vxlan_device},
                *programs_, tc_),
      reconciler_(route_table_, *wireguard_) {}

absl::StatusOr<std::unique_ptr<Agent>> Agent::Start(const AgentConfig& config) {
  if (mkdir(config.state_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Errno("create state dir " + config.state_dir);
  }
  ASSIGN_OR_RETURN(wg::KeyPair keys, wg::LoadOrCreateKeyFile(config.key_file()));
  RAVEN_LOG(kInfo, "WireGuard public key ", keys.public_key.ToBase64());
  RETURN_IF_ERROR(bpf::EnsurePinDir(config.bpffs_dir));
  ASSIGN_OR_RETURN(UplinkInfo uplink, FindUplink(config));
  ASSIGN_OR_RETURN(auto programs, bpf::DataplanePrograms::Load(bpf::ProgramOptions{
                                      config.bpffs_dir, config.wireguard_port, config.vxlan_port,
                                      config.vxlan_vni, config.tunnel_mark}));
  ASSIGN_OR_RETURN(auto wireguard,
                   wg::OpenDevice(config.wireguard_device, config.wireguard_backend));
  RAVEN_LOG(kInfo, "WireGuard backend: ", wireguard->backend(), "; uplink ", uplink.name, " (MTU ",
            uplink.mtu, ")");
  std::unique_ptr<Agent> agent(
      new Agent(config, keys, uplink, std::move(programs), std::move(wireguard)));
  RETURN_IF_ERROR(agent->EnsureNode());
  agent->Sync();
  return agent;
}

absl::Status Agent::EnsureNode() {
  ASSIGN_OR_RETURN(devices_, EnsureTunnelDevices(config_, uplink_, keys_.private_key, *wireguard_));
  return attacher_.AttachAll();
}

void Agent::Sync() {
  auto snapshot = ReadGatewayFile(config_.gateway_file);
  if (!snapshot.ok()) {
    RAVEN_LOG(kError, "gateway file rejected, keeping the last good dataplane: ",
              snapshot.status().message());
    return;
  }
  for (const auto& r : store_.ReplaceAll(*std::move(snapshot))) {
    RAVEN_LOG(kError, "Gateway ", r.name.empty() ? "<unnamed>" : r.name, " rejected: ", r.reason,
              r.kept_last_good ? "; keeping its last good version" : "; ignored");
  }
  DesiredDataplane desired =
      ComputeDesiredDataplane(store_.gateways(), config_.node_name, config_.dataplane);
  for (const auto& warning : desired.warnings) RAVEN_LOG(kWarning, warning);
  if (desired.role != last_role_) {
    RAVEN_LOG(kInfo, "role ", NodeRoleName(last_role_), " -> ", NodeRoleName(desired.role),
              desired.local_gateway.empty() ? "" : " in Gateway ", desired.local_gateway,
              desired.reason.empty() ? "" : ": ", desired.reason);
    last_role_ = desired.role;
  }
  auto stats = reconciler_.Apply(desired, devices_);
  if (!stats.ok()) {
    RAVEN_LOG(kError, "reconcile failed (will retry): ", stats.status().message());
  } else if (stats->changed()) {
    RAVEN_LOG(kInfo, "dataplane updated: ", FormatStats(*stats));
  }
}

absl::Status Agent::Run() {
  ASSIGN_OR_RETURN(int signal_fd, OpenSignalFd());
  Fd signals(signal_fd);
  ASSIGN_OR_RETURN(int timer_fd, OpenTimerFd(config_.resync_interval));
  Fd timer(timer_fd);
  ASSIGN_OR_RETURN(FileWatch watch, FileWatch::Open(config_.gateway_file));
  ASSIGN_OR_RETURN(nl::LinkMonitor links, nl::LinkMonitor::Open());
  // Links that appeared between setup and the monitor opening.
  RETURN_IF_ERROR(attacher_.AttachAll());

  pollfd fds[] = {{signals.get(), POLLIN, 0},
                  {timer.get(), POLLIN, 0},
                  {watch.fd(), POLLIN, 0},
                  {links.fd(), POLLIN, 0}};
  for (;;) {
    if (poll(fds, 4, -1) < 0) {
      if (errno == EINTR) continue;
      return Errno("poll");
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info;
      if (read(signals.get(), &info, sizeof(info)) == sizeof(info)) {
        RAVEN_LOG(kInfo, "signal ", info.ssi_signo, ": exiting, dataplane left in place");
        return absl::OkStatus();
      }
    }
    if (fds[1].revents & POLLIN) {
      uint64_t expirations;
      if (read(timer.get(), &expirations, sizeof(expirations)) < 0 && errno != EAGAIN) {
        return Errno("read timer");
      }
      if (absl::Status st = EnsureNode(); !st.ok()) {
        RAVEN_LOG(kError, "resync of devices failed (will retry): ", st.message());
      }
      Sync();
    }
    if ((fds[2].revents & POLLIN) && watch.Drain()) Sync();
    if (fds[3].revents & POLLIN) {
      ASSIGN_OR_RETURN(std::vector<nl::LinkEvent> events, links.Drain());
      for (const auto& event : events) {
        if (event.type == nl::LinkEvent::Type::kNew) attacher_.OnLinkAdded(event.name);
        if (event.type == nl::LinkEvent::Type::kDelete) attacher_.OnLinkRemoved(event.name);
        if (event.type == nl::LinkEvent::Type::kResync) {
          if (absl::Status st = attacher_.AttachAll(); !st.ok()) {
            RAVEN_LOG(kError, "re-attach after link event overrun: ", st.message());
          }
        }
      }
    }
  }
}

}  // namespace raven

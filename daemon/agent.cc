#include "daemon/agent.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <net/if.h>

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/kube/config.h"
#include "common/logging.h"
#include "common/raven_annotations.h"
#include "common/status_macros.h"
#include "daemon/bpf/bpffs.h"
#include "daemon/cluster/api_gateway_source.h"
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
      relay_members_(programs_->relay_members_fd()),
      attacher_(AttachPlan{config_.pod_interface_globs, uplink_.name, config_.vxlan_device},
                *programs_, tc_),
      reconciler_(route_table_, relay_members_, *wireguard_) {
  config_.dataplane.public_key = keys_.public_key.ToBase64();
}

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
  agent->CheckDataplane();
  RETURN_IF_ERROR(agent->ConnectCluster());
  agent->Sync();
  return agent;
}

Agent::~Agent() = default;

absl::Status Agent::ConnectCluster() {
  if (!config_.gateway_file.empty()) {
    ASSIGN_OR_RETURN(source_, FileGatewaySource::Open(config_.gateway_file));
  } else {
    ASSIGN_OR_RETURN(kube::ClientConfig client, kube::LoadDefault(config_.kubeconfig));
    ASSIGN_OR_RETURN(rest_, kube::RestClient::Create(client));
    RAVEN_LOG(kInfo, "Kubernetes API server ", client.server);
    ASSIGN_OR_RETURN(std::unique_ptr<ApiGatewaySource> api,
                     ApiGatewaySource::Start(rest_.get(), config_.watch_stale_after));
    // The heartbeat starts before the Gateways are listed: a restarted
    // gateway must renew its Lease before the elector gives up on it.
    HeartbeatOptions heartbeat;
    heartbeat.lease_namespace = config_.lease_namespace;
    heartbeat.node_name = config_.node_name;
    heartbeat.interval = config_.heartbeat_interval;
    heartbeat.lease_duration = config_.heartbeat_lease_duration;
    heartbeat.node_annotations = {{kPublicKeyAnnotation, keys_.public_key.ToBase64()},
                                  {kWireGuardPortAnnotation, absl::StrCat(config_.wireguard_port)}};
    heartbeat.dataplane_problem = [this] { return status_.DataplaneProblem(); };
    heartbeat_ = std::make_unique<Heartbeat>(rest_.get(), std::move(heartbeat));
    heartbeat_->Start();
    // A first list within a few seconds lets the first Sync() use it; later
    // ones arrive through fd().
    if (!api->WaitForSync(absl::Seconds(5))) {
      RAVEN_LOG(kWarning, "Gateways not listed yet; keeping the dataplane as found until they are");
    }
    source_ = std::move(api);
  }
  metrics_ = std::make_unique<AgentMetrics>(
      registry_, status_, heartbeat_.get(),
      BpfCounterFds{programs_->peer_stats_fd(), programs_->relay_members_fd(),
                    programs_->drops_fd()});
  if (config_.http.enabled()) {
    ASSIGN_OR_RETURN(http_, metrics::HttpServer::Start(config_.http, &registry_, [this] {
                       std::vector<std::string> problems = status_.HealthProblems();
                       return metrics::Health{problems.empty(), absl::StrJoin(problems, "\n")};
                     }));
    RAVEN_LOG(kInfo, "serving ", http_->Describe());
  }
  return absl::OkStatus();
}

absl::Status Agent::EnsureNode() {
  ASSIGN_OR_RETURN(devices_, EnsureTunnelDevices(config_, uplink_, keys_.private_key, *wireguard_));
  return attacher_.AttachAll();
}

void Agent::CheckDataplane() {
  std::vector<std::string> problems;
  auto attached = [&](const std::string& ifname, bpf::TcDirection direction, int prog_fd,
                      const char* what) {
    absl::StatusOr<uint32_t> id = tc_.AttachedProgramId(ifname, direction);
    absl::StatusOr<uint32_t> want = bpf::ProgramId(prog_fd);
    if (!id.ok() || !want.ok() || *id != *want) {
      problems.push_back(absl::StrCat(what, " program not attached to ", ifname));
    }
  };
  attached(uplink_.name, bpf::TcDirection::kEgress, programs_->host_egress_fd(), "host egress");
  if (if_nametoindex(config_.vxlan_device.c_str()) == 0) {
    problems.push_back(absl::StrCat("VXLAN device ", config_.vxlan_device, " missing"));
  } else {
    attached(config_.vxlan_device, bpf::TcDirection::kIngress, programs_->relay_ingress_fd(),
             "relay ingress");
  }
  std::vector<PeerObservation> peers;
  absl::StatusOr<std::vector<wg::PeerStatus>> wg_peers = wireguard_->GetPeers();
  if (!wg_peers.ok()) {
    problems.push_back(absl::StrCat("WireGuard device ", config_.wireguard_device, ": ",
                                    wg_peers.status().message()));
  } else {
    WatchHandshakes(*wg_peers);
    for (const wg::PeerStatus& p : *wg_peers) {
      PeerObservation o;
      auto name = peer_gateways_.find(p.config.public_key.ToBase64());
      o.gateway = name != peer_gateways_.end() ? name->second : p.config.public_key.ToBase64();
      if (p.last_handshake_unix_nanos > 0) {
        o.last_handshake = absl::FromUnixNanos(p.last_handshake_unix_nanos);
      }
      o.rx_bytes = p.rx_bytes;
      o.tx_bytes = p.tx_bytes;
      peers.push_back(std::move(o));
    }
  }
  std::string staleness = source_ ? source_->Staleness() : "";
  std::string source_problem = !staleness.empty() ? staleness : last_read_error_;
  // A hung API server leaves the watch open but silent; the heartbeat's
  // failing renewals are what show it.
  if (source_problem.empty() && heartbeat_ != nullptr && problems.empty()) {
    HeartbeatState beat = heartbeat_->state();
    if (beat.last_renewal && absl::Now() - *beat.last_renewal > config_.watch_stale_after) {
      source_problem = absl::StrCat(
          "API server unreachable: no heartbeat renewal for ",
          absl::FormatDuration(absl::Trunc(absl::Now() - *beat.last_renewal, absl::Seconds(1))),
          " (", beat.last_error, "); the dataplane keeps the last Gateways seen");
    }
  }
  std::string joined = absl::StrJoin(problems, "; ");
  if (joined != status_.DataplaneProblem()) {
    if (problems.empty()) {
      RAVEN_LOG(kInfo, "dataplane healthy again");
    } else {
      RAVEN_LOG(kError, "dataplane unhealthy (repairing): ", joined);
    }
  }
  status_.Update([&](AgentSnapshot& s) {
    s.dataplane_problems = problems;
    s.peers = std::move(peers);
    s.source_problem = source_problem;
  });
  if (!problems.empty()) {
    if (absl::Status st = EnsureNode(); !st.ok()) {
      RAVEN_LOG(kError, "repair failed (will retry): ", st.message());
    }
  }
}

void Agent::Sync() {
  auto snapshot = source_->Read();
  if (!snapshot.ok()) {
    std::string error = std::string(snapshot.status().message());
    if (error != last_read_error_) {
      RAVEN_LOG(kError, "Gateways unavailable, keeping the last good dataplane: ", error);
    }
    last_read_error_ = error;
    status_.Update([&](AgentSnapshot& s) { s.source_problem = error; });
    return;
  }
  last_read_error_.clear();
  for (const auto& r : store_.ReplaceAll(*std::move(snapshot))) {
    RAVEN_LOG(kError, "Gateway ", r.name.empty() ? "<unnamed>" : r.name, " rejected: ", r.reason,
              r.kept_last_good ? "; keeping its last good version" : "; ignored");
  }
  absl::Time start = absl::Now();
  DesiredDataplane desired =
      ComputeDesiredDataplane(store_.gateways(), config_.node_name, config_.dataplane);
  for (const auto& warning : desired.warnings) RAVEN_LOG(kWarning, warning);
  if (desired.role != last_role_) {
    RAVEN_LOG(kInfo, "role ", NodeRoleName(last_role_), " -> ", NodeRoleName(desired.role),
              desired.local_gateway.empty() ? "" : " in Gateway ", desired.local_gateway,
              desired.reason.empty() ? "" : ": ", desired.reason);
    last_role_ = desired.role;
  }
  auto stats = reconciler_.Apply(desired, devices_, absl::Now());
  metrics_->ObserveReconcile(absl::Now() - start, stats.ok());
  if (!stats.ok()) {
    RAVEN_LOG(kError, "reconcile failed (will retry): ", stats.status().message());
  } else if (stats->changed()) {
    RAVEN_LOG(kInfo, "dataplane updated: ", FormatStats(*stats));
  }
  peer_gateways_.clear();
  peer_plans_.clear();
  for (const auto& [gateway, peer] : desired.peers) {
    peer_gateways_[peer.public_key] = gateway;
    if (auto key = wg::Key::FromBase64(peer.public_key); key.ok()) peer_plans_[*key] = peer;
  }
  if (stats.ok() && (stats->peers_written || stats->peers_removed)) {
    // New peers start their wait for a handshake now, not at the next check.
    if (auto peers = wireguard_->GetPeers(); peers.ok()) WatchHandshakes(*peers);
  }
  status_.Update([&](AgentSnapshot& s) {
    s.role = desired.role;
    s.local_gateway = desired.local_gateway;
    s.role_reason = desired.reason;
    s.routes = desired.routes.size();
    s.peer_names.clear();
    for (const auto& [prefix, route] : desired.routes) s.peer_names[route.peer_id] = route.gateway;
    s.member_names = desired.relay_members;
    s.source_problem = source_->Staleness();
    s.reconcile_error = stats.ok() ? "" : std::string(stats.status().message());
  });
}

void Agent::WatchHandshakes(const std::vector<wg::PeerStatus>& peers) {
  absl::Time now = absl::Now();
  std::set<wg::Key> initiators;
  for (const auto& [key, plan] : peer_plans_) {
    if (plan.initiates) initiators.insert(key);
  }
  std::vector<wg::Key> due = watchdog_.Due(now, peers, initiators);
  if (!due.empty()) {
    std::vector<wg::PeerConfig> configs;
    for (const wg::PeerStatus& p : peers) {
      if (std::find(due.begin(), due.end(), p.config.public_key) == due.end()) continue;
      wg::PeerConfig config = p.config;
      auto plan = peer_plans_.find(config.public_key);
      const bool waited = plan != peer_plans_.end() && !plan->second.initiates;
      if (!config.endpoint && plan != peer_plans_.end()) {
        config.endpoint = plan->second.fallback_endpoint;
      }
      auto gateway = peer_gateways_.find(config.public_key.ToBase64());
      RAVEN_LOG(kInfo, "WireGuard peer ",
                gateway != peer_gateways_.end() ? gateway->second : config.public_key.ToBase64(),
                waited ? ": its handshake did not come; re-creating it to start one ourselves"
                       : ": no session yet; re-creating it to start a fresh handshake");
      configs.push_back(std::move(config));
    }
    absl::Status st = wireguard_->RemovePeers(due);
    if (st.ok()) st = wireguard_->UpsertPeers(configs);
    if (!st.ok()) {
      RAVEN_LOG(kError, "re-creating WireGuard peers failed (the next resync restores them): ",
                st.message());
    }
    if (metrics_) metrics_->CountHandshakeRestarts(static_cast<int>(due.size()));
  }
  if (kick_timer_fd_ < 0) return;
  itimerspec spec{};  // zero: disarmed
  if (std::optional<absl::Time> next = watchdog_.NextKick()) {
    spec.it_value = absl::ToTimespec(std::max(*next - now, absl::Milliseconds(1)));
  }
  timerfd_settime(kick_timer_fd_, 0, &spec, nullptr);
}

absl::Status Agent::Run() {
  ASSIGN_OR_RETURN(int signal_fd, OpenSignalFd());
  Fd signals(signal_fd);
  ASSIGN_OR_RETURN(int timer_fd, OpenTimerFd(config_.resync_interval));
  Fd timer(timer_fd);
  ASSIGN_OR_RETURN(int health_fd, OpenTimerFd(config_.health_interval));
  Fd health(health_fd);
  ASSIGN_OR_RETURN(int kick_fd, OpenTimerFd(absl::ZeroDuration()));
  Fd kick(kick_fd);
  kick_timer_fd_ = kick.get();
  ASSIGN_OR_RETURN(nl::LinkMonitor links, nl::LinkMonitor::Open());
  // Links that appeared between setup and the monitor opening.
  RETURN_IF_ERROR(attacher_.AttachAll());

  pollfd fds[] = {{signals.get(), POLLIN, 0}, {timer.get(), POLLIN, 0},  {source_->fd(), POLLIN, 0},
                  {links.fd(), POLLIN, 0},    {health.get(), POLLIN, 0}, {kick.get(), POLLIN, 0}};
  for (;;) {
    if (poll(fds, 6, -1) < 0) {
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
    if ((fds[2].revents & POLLIN) && source_->Drain()) Sync();
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
    if (fds[4].revents & POLLIN) {
      uint64_t expirations;
      if (read(health.get(), &expirations, sizeof(expirations)) < 0 && errno != EAGAIN) {
        return Errno("read timer");
      }
      CheckDataplane();
    }
    if (fds[5].revents & POLLIN) {
      uint64_t expirations;
      if (read(kick.get(), &expirations, sizeof(expirations)) < 0 && errno != EAGAIN) {
        return Errno("read timer");
      }
      if (auto peers = wireguard_->GetPeers(); peers.ok()) WatchHandshakes(*peers);
    }
  }
}

}  // namespace raven

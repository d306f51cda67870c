#include "daemon/agent_runtime.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/fd.h"
#include "common/kube/config.h"
#include "common/logging.h"
#include "common/raven_annotations.h"
#include "common/status_macros.h"
#include "daemon/bpf/bpffs.h"
#include "daemon/cluster/api_gateway_source.h"
#include "daemon/gateway_file.h"
#include "daemon/wireguard/key_file.h"

namespace raven {
namespace {

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", strerror(errno)));
}

absl::StatusOr<Fd> OpenSignalFd() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  if (sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) return Errno("block signals");
  Fd fd(signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!fd.valid()) return Errno("signalfd");
  return fd;
}

// A timer firing every `interval`, or a disarmed one for a zero interval.
absl::StatusOr<Fd> OpenTimerFd(absl::Duration interval) {
  Fd fd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!fd.valid()) return Errno("timerfd_create");
  itimerspec spec{};
  spec.it_interval = absl::ToTimespec(interval);
  spec.it_value = spec.it_interval;
  if (timerfd_settime(fd.get(), 0, &spec, nullptr) != 0) return Errno("timerfd_settime");
  return fd;
}

// Fires once, `delay` from now (at least 1 ms); none: disarmed.
void ArmOnce(const Fd& timer, std::optional<absl::Duration> delay) {
  itimerspec spec{};
  if (delay) spec.it_value = absl::ToTimespec(std::max(*delay, absl::Milliseconds(1)));
  timerfd_settime(timer.get(), 0, &spec, nullptr);
}

absl::Status ConsumeTimer(const Fd& timer) {
  uint64_t expirations;
  if (read(timer.get(), &expirations, sizeof(expirations)) < 0 && errno != EAGAIN) {
    return Errno("read timer");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<AgentRuntime>> AgentRuntime::Start(const AgentConfig& config) {
  if (mkdir(config.state_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Errno("create state dir " + config.state_dir);
  }
  std::unique_ptr<AgentRuntime> rt(new AgentRuntime(config));
  ASSIGN_OR_RETURN(rt->keys_, wg::LoadOrCreateKeyFile(config.key_file()));
  RAVEN_LOG(kInfo, "WireGuard public key ", rt->keys_.public_key.ToBase64());
  RETURN_IF_ERROR(bpf::EnsurePinDir(config.bpffs_dir));
  ASSIGN_OR_RETURN(UplinkInfo uplink, FindUplink(config));
  ASSIGN_OR_RETURN(rt->programs_, bpf::DataplanePrograms::Load(bpf::ProgramOptions{
                                      config.bpffs_dir, config.wireguard_port, config.vxlan_port,
                                      config.vxlan_vni, config.tunnel_mark}));
  ASSIGN_OR_RETURN(rt->wireguard_,
                   wg::OpenDevice(config.wireguard_device, config.wireguard_backend));
  RAVEN_LOG(kInfo, "WireGuard backend: ", rt->wireguard_->backend(), "; uplink ", uplink.name,
            " (MTU ", uplink.mtu, ")");
  rt->routes_ = std::make_unique<bpf::BpfRouteTable>(rt->programs_->routes4_fd(),
                                                     rt->programs_->routes6_fd());
  rt->members_ = std::make_unique<bpf::BpfRelayMembers>(rt->programs_->relay_members_fd());
  ASSIGN_OR_RETURN(rt->node_,
                   KernelNode::Open(rt->config_, std::move(uplink), rt->keys_.private_key,
                                    *rt->programs_, *rt->wireguard_));
  RETURN_IF_ERROR(rt->ConnectCluster());
  ASSIGN_OR_RETURN(rt->nat_relay_, nat_relay::NatRelayService::Start(nat_relay::NatRelayOptions{
                                       rt->keys_, config.wireguard_port, config.tunnel_mark}));
  rt->metrics_ = std::make_unique<AgentMetrics>(
      rt->registry_, rt->status_, rt->heartbeat_.get(),
      BpfCounterFds{rt->programs_->peer_stats_fd(), rt->programs_->relay_members_fd(),
                    rt->programs_->drops_fd()});
  rt->metrics_->AddNatRelay(rt->nat_relay_.get());

  AgentSettings settings;
  settings.node_name = config.node_name;
  settings.public_key = rt->keys_.public_key;
  settings.dataplane = config.dataplane;
  settings.watch_stale_after = config.watch_stale_after;
  AgentParts parts{rt->source_.get(),  rt->node_.get(),      rt->routes_.get(),
                   rt->members_.get(), rt->wireguard_.get(), rt->heartbeat_.get(),
                   rt->metrics_.get(), &rt->clock_};
  parts.configure_nat_relay = [relay = rt->nat_relay_.get()](const NatRelayPlan& plan) {
    relay->Configure(plan);
  };
  if (config.liveness.interval > absl::ZeroDuration() ||
      config.liveness.measure_interval > absl::ZeroDuration()) {
    absl::StatusOr<failover::EchoSocket> echoes = failover::EchoSocket::Open();
    if (echoes.ok()) {
      rt->echoes_ = std::make_unique<failover::EchoSocket>(*std::move(echoes));
      rt->liveness_ = std::make_unique<failover::Liveness>(config.liveness);
    } else {
      RAVEN_LOG(kWarning, "no liveness echoes (", echoes.status().message(),
                "): a failover waits for the controller's Lease, and no path is measured");
    }
  }
  rt->agent_ = std::make_unique<Agent>(std::move(settings), parts, rt->status_);
  RETURN_IF_ERROR(rt->agent_->Start());
  if (rt->heartbeat_) {
    // The heartbeat starts before the Gateways are listed: a restarted
    // gateway must renew its Lease before the elector gives up on it.
    rt->heartbeat_->Start();
    auto* api = static_cast<ApiGatewaySource*>(rt->source_.get());
    // A first list within a few seconds lets this Sync use it; later ones
    // arrive through the source's fd.
    if (!api->WaitForSync(absl::Seconds(5))) {
      RAVEN_LOG(kWarning, "Gateways not listed yet; keeping the dataplane as found until they are");
    }
    rt->agent_->Sync();
  }
  if (config.http.enabled()) {
    AgentStatus* status = &rt->status_;
    ASSIGN_OR_RETURN(rt->http_, metrics::HttpServer::Start(config.http, &rt->registry_, [status] {
                       std::vector<std::string> problems = status->HealthProblems();
                       if (problems.empty()) {
                         return metrics::Health{true, absl::StrJoin(status->Warnings(), "\n")};
                       }
                       return metrics::Health{false, absl::StrJoin(problems, "\n")};
                     }));
    RAVEN_LOG(kInfo, "serving ", rt->http_->Describe());
  }
  return rt;
}

AgentRuntime::~AgentRuntime() = default;

absl::Status AgentRuntime::ConnectCluster() {
  if (!config_.gateway_file.empty()) {
    ASSIGN_OR_RETURN(source_, FileGatewaySource::Open(config_.gateway_file));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(kube::ClientConfig client, kube::LoadDefault(config_.kubeconfig));
  ASSIGN_OR_RETURN(rest_, kube::RestClient::Create(client));
  RAVEN_LOG(kInfo, "Kubernetes API server ", client.server);
  ASSIGN_OR_RETURN(source_, ApiGatewaySource::Start(rest_.get(), config_.watch_stale_after));
  HeartbeatOptions heartbeat;
  heartbeat.lease_namespace = config_.lease_namespace;
  heartbeat.node_name = config_.node_name;
  heartbeat.interval = config_.heartbeat_interval;
  heartbeat.lease_duration = config_.heartbeat_lease_duration;
  heartbeat.node_annotations = {{kPublicKeyAnnotation, keys_.public_key.ToBase64()},
                                {kWireGuardPortAnnotation, absl::StrCat(config_.wireguard_port)}};
  heartbeat.dataplane_problem = [this] { return status_.DataplaneProblem(); };
  heartbeat.on_connection_lost = [api = static_cast<ApiGatewaySource*>(source_.get())] {
    RAVEN_LOG(kWarning,
              "API connection lost (a heartbeat renewal failed in transport): "
              "restarting the Gateway watch");
    api->Reconnect();
  };
  heartbeat_ = std::make_unique<Heartbeat>(rest_.get(), std::move(heartbeat));
  return absl::OkStatus();
}

absl::Time AgentRuntime::RunLiveness() {
  const absl::Time now = clock_.MonotonicNow();
  liveness_->SetTargets(agent_->echo_targets(), now);
  // Every reply waiting is read before anything is judged: after a stall,
  // replies still queued are not silences.
  for (int fd : {echoes_->v4_fd(), echoes_->v6_fd()}) {
    echoes_->Receive(fd, [&](const IpAddress& from, uint32_t ifindex, uint16_t sequence) {
      liveness_->Answered(from, ifindex, sequence, now);
    });
  }
  for (const failover::EchoRequest& request : liveness_->Due(now)) {
    if (absl::Status sent = echoes_->Send(request.target, request.sequence); !sent.ok()) {
      RAVEN_LOG(kDebug, "echo to ", request.node, ": ", sent.message());
    }
  }
  liveness_->Update(now);
  // Also when a target was dropped or started over (a role change): the
  // agent must not keep passing over an endpoint nobody watches any more.
  agent_->SetSilentEndpoints(liveness_->Silent());
  agent_->ObservePathQuality(liveness_->Endpoints(),
                             nat_relay_ ? nat_relay_->direct_quality()
                                        : std::map<std::string, nat_relay::DirectQuality>{});
  return liveness_->NextWakeup();
}

absl::Status AgentRuntime::Run() {
  ASSIGN_OR_RETURN(Fd signals, OpenSignalFd());
  ASSIGN_OR_RETURN(Fd resync, OpenTimerFd(config_.resync_interval));
  ASSIGN_OR_RETURN(Fd health, OpenTimerFd(config_.health_interval));
  ASSIGN_OR_RETURN(Fd kick, OpenTimerFd(absl::ZeroDuration()));
  ASSIGN_OR_RETURN(Fd echo_timer, OpenTimerFd(absl::ZeroDuration()));
  // With no target yet, a look every interval (targets may come).
  const absl::Duration idle = config_.liveness.interval > absl::ZeroDuration()
                                  ? config_.liveness.interval
                                  : config_.liveness.measure_interval;
  auto arm_echoes = [&](absl::Time at) {
    ArmOnce(echo_timer, at == absl::InfiniteFuture()
                            ? std::optional<absl::Duration>(idle)
                            : std::optional<absl::Duration>(
                                  std::max(at - clock_.MonotonicNow(), absl::Microseconds(1))));
  };
  // Links that appeared between setup and now.
  RETURN_IF_ERROR(node_->HandleEvents());
  auto arm_kick = [&](std::optional<absl::Time> at) {
    ArmOnce(kick, at ? std::optional<absl::Duration>(*at - clock_.Now()) : std::nullopt);
  };
  arm_kick(agent_->WatchHandshakes());

  pollfd fds[] = {{signals.get(), POLLIN, 0},
                  {resync.get(), POLLIN, 0},
                  {source_->fd(), POLLIN, 0},
                  {node_->fd(), POLLIN, 0},
                  {health.get(), POLLIN, 0},
                  {kick.get(), POLLIN, 0},
                  {nat_relay_->direct_paths_fd(), POLLIN, 0},
                  {echo_timer.get(), POLLIN, 0},
                  {echoes_ ? echoes_->v4_fd() : -1, POLLIN, 0},
                  {echoes_ ? echoes_->v6_fd() : -1, POLLIN, 0}};
  if (liveness_) arm_echoes(RunLiveness());
  for (;;) {
    if (poll(fds, std::size(fds), -1) < 0) {
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
      RETURN_IF_ERROR(ConsumeTimer(resync));
      agent_->CheckDataplane();
      agent_->Sync();
    }
    if ((fds[2].revents & POLLIN) && source_->Drain()) agent_->Sync();
    if (fds[3].revents & POLLIN) RETURN_IF_ERROR(node_->HandleEvents());
    if (fds[4].revents & POLLIN) {
      RETURN_IF_ERROR(ConsumeTimer(health));
      agent_->CheckDataplane();
      status_.Update([&](AgentSnapshot& s) {
        s.nat_relay_problems = nat_relay_->problems();
        s.nat_observations = nat_relay_->observations();
        s.nat_filtering = nat_relay_->filtering();
        if (liveness_) s.echoes = liveness_->Endpoints();
        s.direct_quality = nat_relay_->direct_quality();
      });
      // Where the controller copies it into the Gateway's natType; "" (which
      // the controller ignores) once no relay tells it any more.
      if (heartbeat_) {
        heartbeat_->SetAnnotation(kNatTypeAnnotation, status_.NatType());
        // Where the controller copies them into the Gateway's status.paths.
        heartbeat_->SetAnnotation(kPathsAnnotation, status_.Get().paths_annotation);
      }
    }
    if (fds[5].revents & POLLIN) RETURN_IF_ERROR(ConsumeTimer(kick));
    if (fds[6].revents & POLLIN) agent_->SetDirectPaths(nat_relay_->direct_paths());
    if (liveness_ && ((fds[7].revents | fds[8].revents | fds[9].revents) & POLLIN)) {
      if (fds[7].revents & POLLIN) RETURN_IF_ERROR(ConsumeTimer(echo_timer));
      arm_echoes(RunLiveness());
    }
    // New peers (a Sync) or a kick: the watchdog says when it wants to look again.
    if ((fds[1].revents | fds[2].revents | fds[4].revents | fds[5].revents | fds[6].revents) &
        POLLIN) {
      arm_kick(agent_->WatchHandshakes());
    }
  }
}

}  // namespace raven

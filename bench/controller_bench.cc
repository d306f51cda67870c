// raven-controller at scale: 5,000 nodes in 500 Gateways (10 members, 2
// candidates each), every agent renewing its heartbeat Lease every second,
// against the project's API server run in-process. The controller runs in a
// process of its own (this binary re-executed with --role=controller), so its
// peak memory is its own, not the API server's.
//
// Prints:
//   - a pure election pass: NodesByGateway + ComputeOutcome (validation,
//     Elect, condition) over all 500 Gateways, no I/O;
//   - the controller's first full reconcile pass: 500 elections and 500
//     status writes over HTTP;
//   - Lease stop → status write, for a few Gateways in turn (the Lease's
//     2 s duration included), and the ratio against upstream-style detection
//     (node NotReady after the 40 s node-monitor grace period);
//   - the controller process's peak RSS (VmHWM of its own process).
//
//   controller_bench [--gateways=500] [--members=10] [--candidates=2] [--samples=3]
//                    [--crd=crd/gateways.raven.openyurt.io.yaml]
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/kube/informer.h"
#include "common/kube/resource_client.h"
#include "common/kube/resources/gateway.h"
#include "common/kube/resources/node.h"
#include "common/kube/rest_client.h"
#include "common/kube/yaml_json.h"
#include "common/logging.h"
#include "common/metrics/registry.h"
#include "common/status_macros.h"
#include "controller/controller.h"
#include "controller/gateway_status.h"
#include "controller/node_view.h"
#include "lab/apiserver/apiserver.h"
#include "lab/cluster/cluster.h"

ABSL_FLAG(std::string, role, "cluster", "cluster (API server + agents) or controller");
ABSL_FLAG(std::string, server, "", "controller role: the API server's URL");
ABSL_FLAG(int, gateways, 500, "Gateways");
ABSL_FLAG(int, members, 10, "member nodes per Gateway");
ABSL_FLAG(int, candidates, 2, "candidate endpoints per Gateway");
ABSL_FLAG(int, samples, 3, "Lease-expiry failovers measured");
ABSL_FLAG(std::string, crd, "crd/gateways.raven.openyurt.io.yaml", "the Gateway CRD (YAML)");

extern char** environ;

namespace raven::controller::bench {
namespace {

using lab::Cluster;

constexpr double kUpstreamGraceSeconds = 40;  // kube-controller-manager node-monitor-grace-period

std::string ProcStatus(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      size_t v = line.find_first_not_of(" \t", line.find(':') + 1);
      return line.substr(v);
    }
  }
  return "?";
}

// ---- the controller process -------------------------------------------------

absl::Status RunController() {
  kube::ClientConfig config;
  config.server = absl::GetFlag(FLAGS_server);
  ASSIGN_OR_RETURN(std::unique_ptr<kube::RestClient> rest, kube::RestClient::Create(config));

  // 1. The pure election pass, on a listed snapshot.
  kube::ResourceClient<kube::Node> node_client(rest.get());
  kube::ResourceClient<Gateway> gateway_client(rest.get());
  ASSIGN_OR_RETURN(kube::ObjectList<kube::Node> node_list, node_client.List());
  ASSIGN_OR_RETURN(kube::ObjectList<Gateway> gateway_list, gateway_client.List());
  {
    std::map<std::string, NodeView> nodes;
    for (const auto& n : node_list.items) {
      NodeView v = ToNodeView(n);
      v.lease_fresh = true;
      nodes.emplace(v.name, std::move(v));
    }
    const absl::Time now = absl::Now();
    std::vector<double> runs;
    size_t elected = 0;
    std::map<std::string, Gateway> gateways;
    for (const Gateway& gw : gateway_list.items) gateways.emplace(gw.meta.name, gw);
    for (int run = 0; run < 20; ++run) {
      absl::Time start = absl::Now();
      elected = 0;
      auto by_gateway = NodesByGateway(gateways, nodes);
      for (const auto& [name, gw] : gateways) {
        elected += ComputeOutcome(gw, by_gateway[name], {}, now).status.active_endpoints.size();
      }
      runs.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
    }
    std::sort(runs.begin(), runs.end());
    std::printf(
        "pure election pass: %zu gateways, %zu nodes, %zu endpoints elected: median %.2f ms, "
        "min %.2f ms (20 runs)\n",
        gateway_list.items.size(), nodes.size(), elected, runs[runs.size() / 2], runs[0]);
  }
  node_list = {};
  gateway_list = {};

  // 2. The controller itself.
  metrics::Registry registry;
  ControllerConfig cc;
  cc.ns = lab::kNamespace;
  cc.leader_elect = true;
  cc.election.identity = "bench";
  cc.election.lease_name = "raven-controller";
  absl::Time started = absl::Now();
  ASSIGN_OR_RETURN(std::unique_ptr<Controller> controller,
                   Controller::Create(rest.get(), cc, &registry));
  controller->Start();
  if (!controller->WaitForSync(absl::Minutes(2))) return absl::DeadlineExceededError("sync");
  absl::Time synced = absl::Now();
  while (!controller->first_pass()) absl::SleepFor(absl::Milliseconds(5));
  absl::Time first_done = absl::Now();
  PassReport first = *controller->first_pass();
  std::printf(
      "controller: informers synced in %.2f s; first full reconcile pass %.3f s "
      "(%d gateways, %d status writes, %d errors); start -> all published %.2f s\n",
      absl::ToDoubleSeconds(synced - started), absl::ToDoubleSeconds(first.duration),
      static_cast<int>(first.result.gateways.size()), first.result.writes(), first.result.errors(),
      absl::ToDoubleSeconds(first_done - started));
  std::printf("READY\n");
  std::fflush(stdout);

  // 3. Until the cluster side is done (stdin closes): keep running.
  char buf[64];
  while (std::fgets(buf, sizeof(buf), stdin) != nullptr) {
  }
  absl::SleepFor(absl::Milliseconds(200));  // the last write's metrics and Events land
  std::optional<PassReport> last = controller->last_pass();
  std::printf(
      "controller: %lu passes; last pass %.3f ms (%d writes); status writes %g, "
      "failovers %g, reconcile errors %g\n",
      static_cast<unsigned long>(controller->passes()),
      last ? absl::ToDoubleMilliseconds(last->duration) : 0.0, last ? last->result.writes() : 0,
      controller->metrics().status_writes.value(), controller->metrics().failovers.value(),
      controller->metrics().reconcile_errors.value());
  controller->Stop();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  // VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the
  // spawning (cluster) process image.
  std::printf(
      "controller process peak memory: VmHWM %s (VmRSS now %s); CPU user %.2f s, "
      "system %.2f s\n",
      ProcStatus("VmHWM").c_str(), ProcStatus("VmRSS").c_str(),
      ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
      ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
  return absl::OkStatus();
}

// ---- the cluster process ----------------------------------------------------

absl::Status InstallCrd(apiserver::ApiServer& server) {
  std::ifstream file(absl::GetFlag(FLAGS_crd));
  if (!file) return absl::NotFoundError(absl::StrCat("CRD ", absl::GetFlag(FLAGS_crd)));
  std::stringstream text;
  text << file.rdbuf();
  ASSIGN_OR_RETURN(std::string json, kube::yaml::ToJson(text.str()));
  RETURN_IF_ERROR(
      server.CreateJson("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json).status());
  for (int i = 0; i < 200; ++i) {
    if (server.GetJson(lab::kGatewaysPath).ok()) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::DeadlineExceededError("CRD never served");
}

struct Child {
  pid_t pid = -1;
  FILE* out = nullptr;  // its stdout
  FILE* in = nullptr;   // its stdin
};

absl::StatusOr<Child> SpawnController(const char* self, const std::string& url) {
  int out_pipe[2], in_pipe[2];
  if (pipe(out_pipe) != 0 || pipe(in_pipe) != 0) return absl::InternalError("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
  posix_spawn_file_actions_addclose(&actions, in_pipe[1]);
  std::vector<std::string> args = {self, "--role=controller", "--server=" + url};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  Child c;
  int rc = posix_spawn(&c.pid, self, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(in_pipe[0]);
  if (rc != 0) return absl::InternalError("posix_spawn");
  c.out = fdopen(out_pipe[0], "r");
  c.in = fdopen(in_pipe[1], "w");
  return c;
}

absl::Status RunCluster(const char* self) {
  const int gateways = absl::GetFlag(FLAGS_gateways);
  const int members = absl::GetFlag(FLAGS_members);
  const int candidates = absl::GetFlag(FLAGS_candidates);
  apiserver::ApiServerOptions options;
  options.worker_threads = 32;
  ASSIGN_OR_RETURN(std::unique_ptr<apiserver::ApiServer> server,
                   apiserver::ApiServer::Start(options));
  RETURN_IF_ERROR(InstallCrd(*server));
  Cluster cluster(server.get());
  absl::Time t0 = absl::Now();
  for (int g = 1; g <= gateways; ++g) {
    for (int i = 1; i <= members; ++i) {
      lab::NodeSpec n = lab::MemberNode(g, i);
      RETURN_IF_ERROR(cluster.AddNode(n));
      RETURN_IF_ERROR(cluster.StartHeartbeat(n.name));
    }
    RETURN_IF_ERROR(cluster.AddGateway(lab::TestGateway(g, candidates)));
  }
  std::printf(
      "controller_bench: %d gateways x %d nodes (%d candidates each) = %d nodes and "
      "heartbeat Leases (renewed every 1 s, duration 2 s), created in %.2f s; HTTP\n",
      gateways, members, candidates, gateways * members, absl::ToDoubleSeconds(absl::Now() - t0));
  std::fflush(stdout);

  ASSIGN_OR_RETURN(Child child, SpawnController(self, server->base_url()));
  char line[1024];
  while (std::fgets(line, sizeof(line), child.out) != nullptr) {
    if (std::string(line) == "READY\n") break;
    std::fputs(line, stdout);
  }
  std::fflush(stdout);

  // Lease expiry → status write, for a few Gateways spread over the range.
  const int samples = absl::GetFlag(FLAGS_samples);
  std::vector<double> from_renewal, from_stop;
  for (int s = 0; s < samples; ++s) {
    int g = 1 + (s * 997 + gateways / 2) % gateways;
    std::string gw = absl::StrCat("gw-", g);
    std::string active = absl::StrCat("g", g, "-n1");
    std::string next = absl::StrCat("g", g, "-n2");
    absl::StatusOr<absl::Time> ready = lab::WaitForGateway(
        cluster, gw,
        [&](const Gateway& o) { return lab::ActiveNodes(o) == std::vector<std::string>{active}; },
        absl::Seconds(30));
    RETURN_IF_ERROR(ready.status());
    absl::Time stop = absl::Now();
    absl::Time last = cluster.StopHeartbeat(active);
    ASSIGN_OR_RETURN(
        absl::Time switched,
        lab::WaitForGateway(
            cluster, gw,
            [&](const Gateway& o) { return lab::ActiveNodes(o) == std::vector<std::string>{next}; },
            absl::Seconds(30), absl::Milliseconds(2)));
    from_renewal.push_back(absl::ToDoubleSeconds(switched - last));
    from_stop.push_back(absl::ToDoubleSeconds(switched - stop));
    std::printf(
        "lease expiry: %s: last renewal -> status write %.3f s (lease stop -> write %.3f s)\n",
        gw.c_str(), from_renewal.back(), from_stop.back());
    std::fflush(stdout);
  }
  std::sort(from_renewal.begin(), from_renewal.end());
  double median = from_renewal[from_renewal.size() / 2];
  std::printf(
      "ratio: upstream-style detection (node NotReady after the %.0f s grace period, "
      "before any election) / ours (last heartbeat -> status write, median %.3f s) = %.1fx\n",
      kUpstreamGraceSeconds, median, kUpstreamGraceSeconds / median);
  std::fflush(stdout);

  std::fclose(child.in);  // the controller reports and exits
  while (std::fgets(line, sizeof(line), child.out) != nullptr) std::fputs(line, stdout);
  int status = 0;
  waitpid(child.pid, &status, 0);
  std::printf("cluster process (API server + %d simulated agents) peak memory: VmHWM %s\n",
              gateways * members, ProcStatus("VmHWM").c_str());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError("the controller process failed");
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace raven::controller::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  raven::SetMinLogLevel(raven::LogLevel::kWarning);
  absl::Status st = absl::GetFlag(FLAGS_role) == "controller"
                        ? raven::controller::bench::RunController()
                        : raven::controller::bench::RunCluster("/proc/self/exe");
  if (!st.ok()) {
    std::fprintf(stderr, "controller_bench: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  return 0;
}

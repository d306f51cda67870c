// Informer throughput and latency, end to end (write → handler), against the
// project's API server run in-process, compared with a naive client that
// re-lists the collection on every change. Prints events per second,
// write→handler latency percentiles and peak memory (VmHWM).
//
//   informer_bench [--changes=10000] [--naive_changes=2000] [--writers=8]
//                  [--names=500] [--tls] [--crd=crd/gateways.raven.openyurt.io.yaml]
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/barrier.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bench/latencies.h"
#include "bench/naive_relister.h"
#include "common/kube/informer.h"
#include "common/kube/resource_client.h"
#include "common/kube/resources/gateway.h"
#include "common/kube/resources/node.h"
#include "common/kube/rest_client.h"
#include "common/kube/yaml_json.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "lab/apiserver/apiserver.h"

ABSL_FLAG(int, changes, 10000, "changes (creates/updates/deletes) for the informer run");
ABSL_FLAG(int, naive_changes, 1000, "changes for the re-list-on-every-change client");
ABSL_FLAG(int, writers, 8, "writer threads");
ABSL_FLAG(int, names, 500, "distinct names per kind that the workload writes");
ABSL_FLAG(int, prepopulate, 2000,
          "objects of each kind stored before the run (the collection a re-list reads)");
ABSL_FLAG(bool, tls, false, "serve HTTPS (certificates from --certs_dir)");
ABSL_FLAG(std::string, certs_dir, "", "directory with ca.crt, server.crt, server.key");
ABSL_FLAG(std::string, crd, "crd/gateways.raven.openyurt.io.yaml",
          "the Gateway CRD (YAML, read with yaml-cpp); a minimal one when absent");
ABSL_FLAG(uint32_t, seed, 1, "workload seed");

namespace raven::kube::bench {
namespace {

constexpr char kMinimalCrd[] = R"({
  "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
  "metadata": {"name": "gateways.raven.openyurt.io"},
  "spec": {"group": "raven.openyurt.io", "scope": "Cluster",
    "names": {"plural": "gateways", "singular": "gateway", "kind": "Gateway",
              "listKind": "GatewayList", "shortNames": ["gw"]},
    "versions": [{"name": "v1beta1", "served": true, "storage": true,
      "subresources": {"status": {}},
      "schema": {"openAPIV3Schema": {"type": "object",
                                     "x-kubernetes-preserve-unknown-fields": true}}}]}})";

std::string ProcStatus(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) {
      std::string v = line.substr(std::string(field).size());
      v.erase(0, v.find_first_not_of(" \t:"));
      return v;
    }
  }
  return "?";
}

// Writers: each owns the names i ≡ w (mod writers), so writes never conflict.
// Creates and merge-patch updates are keyed by the resourceVersion the
// server returns; deletes by a per-name deletion count.
struct Workload {
  int changes;
  int writers;
  int names;
  uint32_t seed;
  std::atomic<int> creates{0}, updates{0}, deletes{0};

  absl::Status Run(const ClientConfig& config, Latencies& lat,
                   const std::function<void(const char* kind)>& notify) {
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    // Writers connect first (one at a time: the server's listen backlog is
    // small), then start together.
    absl::Mutex connect_mu;
    absl::Barrier* ready = new absl::Barrier(writers);
    for (int w = 0; w < writers; ++w) {
      threads.emplace_back([&, w] {
        absl::StatusOr<std::unique_ptr<RestClient>> rest = RestClient::Create(config);
        if (rest.ok()) {
          absl::MutexLock l(&connect_mu);
          absl::Status warm = (*rest)->Get("/version").status();
          if (!warm.ok()) rest = warm;
        }
        if (ready->Block()) delete ready;
        if (!rest.ok()) {
          ++failures;
          return;
        }
        ResourceClient<Gateway> gateways(rest->get());
        ResourceClient<Node> nodes(rest->get());
        std::mt19937 rng(seed * 7919 + static_cast<uint32_t>(w));
        std::map<std::string, int> deleted;  // name → deletions so far
        std::map<std::string, bool> exists;
        for (int i = w; i < changes; i += writers) {
          bool gw = rng() % 2 == 0;
          const char* kind = gw ? "Gateway" : "Node";
          int index =
              static_cast<int>(rng() % static_cast<uint32_t>(names / writers)) * writers + w;
          std::string name = absl::StrCat(gw ? "gw-" : "node-", index);
          std::string id = absl::StrCat(kind, "/", name);
          absl::Time start = absl::Now();
          absl::StatusOr<std::string> rv;
          if (!exists[id]) {
            if (gw) {
              Gateway g;
              g.meta.name = name;
              g.spec.tunnel_replicas = 1;
              absl::StatusOr<Gateway> r = gateways.Create(g);
              rv = r.ok() ? absl::StatusOr<std::string>(r->meta.resource_version) : r.status();
            } else {
              Node n;
              n.meta.name = name;
              n.pod_cidr =
                  IpPrefix::Parse(absl::StrCat("100.", 64 + index / 250, ".", index % 250, ".0/24"))
                      .value();
              absl::StatusOr<Node> r = nodes.Create(n);
              rv = r.ok() ? absl::StatusOr<std::string>(r->meta.resource_version) : r.status();
            }
            exists[id] = rv.ok();
            ++creates;
          } else if (rng() % 10 < 7) {
            std::string patch =
                absl::StrCat(R"({"metadata":{"annotations":{"bench":")", i, R"("}}})");
            if (gw) {
              absl::StatusOr<Gateway> r = gateways.MergePatch(name, patch);
              rv = r.ok() ? absl::StatusOr<std::string>(r->meta.resource_version) : r.status();
            } else {
              absl::StatusOr<Node> r = nodes.MergePatch(name, patch);
              rv = r.ok() ? absl::StatusOr<std::string>(r->meta.resource_version) : r.status();
            }
            ++updates;
          } else {
            absl::Status s = gw ? gateways.Delete(name) : nodes.Delete(name);
            rv = s.ok() ? absl::StatusOr<std::string>(absl::StrCat("deleted-", ++deleted[id]))
                        : absl::StatusOr<std::string>(s);
            exists[id] = false;
            ++deletes;
          }
          if (!rv.ok()) {
            RAVEN_LOG(kError, "write ", id, ": ", rv.status().ToString());
            ++failures;
            continue;
          }
          lat.Wrote(Key(kind, name, *rv), start);

          if (notify) notify(kind);
        }
      });
    }
    for (auto& t : threads) t.join();
    if (failures > 0) return absl::InternalError(absl::StrCat(failures.load(), " writes failed"));
    return absl::OkStatus();
  }
};

template <typename T>
InformerHandlers<T> Record(const char* kind, Latencies& lat, std::map<std::string, int>& deletes,
                           absl::Mutex& mu) {
  InformerHandlers<T> h;
  h.on_add = [&lat, kind](const T& o) {
    lat.Delivered(Key(kind, ResourceTraits<T>::Name(o), ResourceTraits<T>::ResourceVersion(o)),
                  absl::Now());
  };
  h.on_update = [&lat, kind](const T&, const T& o) {
    lat.Delivered(Key(kind, ResourceTraits<T>::Name(o), ResourceTraits<T>::ResourceVersion(o)),
                  absl::Now());
  };
  h.on_delete = [&lat, &deletes, &mu, kind](const T& o) {
    std::string id = absl::StrCat(kind, "/", ResourceTraits<T>::Name(o));
    int n;
    {
      absl::MutexLock l(&mu);
      n = ++deletes[id];
    }
    lat.Delivered(Key(kind, ResourceTraits<T>::Name(o), absl::StrCat("deleted-", n)), absl::Now());
  };
  return h;
}

void Print(const char* what, int changes, const Latencies::Summary& s) {
  std::printf(
      "%s: %d changes, %.0f events/s end to end; write->handler latency p50 %s, p99 %s, "
      "max %s (%zu matched)\n",
      what, changes, s.events_per_second, absl::FormatDuration(s.p50).c_str(),
      absl::FormatDuration(s.p99).c_str(), absl::FormatDuration(s.max).c_str(), s.matched);
}

// A fresh server for each run, so both start from an empty store.
absl::StatusOr<std::unique_ptr<apiserver::ApiServer>> StartServer(ClientConfig& config) {
  apiserver::ApiServerOptions options;
  options.token = "bench";
  if (absl::GetFlag(FLAGS_tls)) {
    std::string dir = absl::GetFlag(FLAGS_certs_dir);
    options.cert_file = dir + "/server.crt";
    options.key_file = dir + "/server.key";
    std::ifstream in(dir + "/ca.crt");
    std::stringstream ss;
    ss << in.rdbuf();
    config.ca_pem = ss.str();
  }
  options.history_limit = 100000;
  options.watch_queue_limit = 100000;
  ASSIGN_OR_RETURN(std::unique_ptr<apiserver::ApiServer> server,
                   apiserver::ApiServer::Start(options));
  config.server = server->base_url();
  config.bearer_token = "bench";
  std::ifstream crd_file(absl::GetFlag(FLAGS_crd));
  std::string crd_json = kMinimalCrd;
  if (crd_file) {
    std::stringstream crd;
    crd << crd_file.rdbuf();
    ASSIGN_OR_RETURN(crd_json, yaml::ToJson(crd.str()));
  }
  RETURN_IF_ERROR(
      server->CreateJson("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd_json)
          .status());
  for (int i = 0; i < 200 && !server->GetJson("/apis/raven.openyurt.io/v1beta1/gateways").ok();
       ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  for (int i = 0; i < absl::GetFlag(FLAGS_prepopulate); ++i) {
    Gateway g;
    g.meta.name = absl::StrCat("static-gw-", i);
    g.spec.tunnel_replicas = 1;
    RETURN_IF_ERROR(
        server->CreateJson("/apis/raven.openyurt.io/v1beta1/gateways", EncodeGatewayJson(g))
            .status());
    Node n;
    n.meta.name = absl::StrCat("static-node-", i);
    n.pod_cidr = IpPrefix::Parse(absl::StrCat("100.", 96 + i / 250, ".", i % 250, ".0/24")).value();
    n.addresses.push_back({"InternalIP", absl::StrCat("100.127.", i / 250, ".", i % 250)});
    n.ready_status = "True";
    RETURN_IF_ERROR(server->CreateJson("/api/v1/nodes", EncodeNodeJson(n)).status());
  }
  return server;
}

int Main() {
  SetMinLogLevel(LogLevel::kWarning);
  const int changes = absl::GetFlag(FLAGS_changes);
  const int naive_changes = absl::GetFlag(FLAGS_naive_changes);
  std::printf("informer_bench: %d writers; per kind %d stored objects + %d names written; %s\n",
              absl::GetFlag(FLAGS_writers), absl::GetFlag(FLAGS_prepopulate),
              absl::GetFlag(FLAGS_names), absl::GetFlag(FLAGS_tls) ? "HTTPS" : "HTTP");

  // --- Informers.
  ClientConfig config;
  absl::StatusOr<std::unique_ptr<apiserver::ApiServer>> server = StartServer(config);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  std::string hwm_before = ProcStatus("VmHWM");
  absl::StatusOr<std::unique_ptr<RestClient>> rest = RestClient::Create(config);
  if (!rest.ok()) return 1;
  Latencies lat;
  absl::Mutex delete_mu;
  std::map<std::string, int> deletes;
  InformerOptions options;
  options.idle_timeout = absl::Seconds(10);
  Informer<Gateway> gateways(rest->get(), "", options,
                             Record<Gateway>("Gateway", lat, deletes, delete_mu));
  Informer<Node> nodes(rest->get(), "", options, Record<Node>("Node", lat, deletes, delete_mu));
  gateways.Start();
  nodes.Start();
  if (!gateways.WaitForSync(absl::Seconds(10)) || !nodes.WaitForSync(absl::Seconds(10))) {
    std::fprintf(stderr, "informers did not sync\n");
    return 1;
  }
  const int64_t initial_events = lat.events();  // the initial list's adds
  Workload work{changes, absl::GetFlag(FLAGS_writers), absl::GetFlag(FLAGS_names),
                absl::GetFlag(FLAGS_seed)};
  absl::Status s = work.Run(config, lat, nullptr);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (lat.events() - initial_events < changes && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  Latencies::Summary informer = lat.Summarize(changes);
  InformerStats gs = gateways.Stats(), ns = nodes.Stats();
  std::printf("workload: %d creates, %d updates, %d deletes over Gateways and Nodes\n",
              work.creates.load(), work.updates.load(), work.deletes.load());
  Print("informer", changes, informer);
  std::printf(
      "  handler events %lld for %d changes (+%lld initial adds); caches: %zu gateways, %zu nodes; "
      "watch events %llu, "
      "bookmarks %llu, relists %llu\n",
      static_cast<long long>(lat.events() - initial_events), changes,
      static_cast<long long>(initial_events), gateways.size(), nodes.size(),
      static_cast<unsigned long long>(gs.events + ns.events),
      static_cast<unsigned long long>(gs.bookmarks + ns.bookmarks),
      static_cast<unsigned long long>(gs.lists + ns.lists));
  std::printf(
      "  memory (whole process, API server included): VmHWM %s before the informers, "
      "%s after; VmRSS now %s\n",
      hwm_before.c_str(), ProcStatus("VmHWM").c_str(), ProcStatus("VmRSS").c_str());
  gateways.Stop();
  nodes.Stop();
  server->reset();

  // --- Naive: re-list the changed kind on every change.
  ClientConfig naive_config;
  server = StartServer(naive_config);
  if (!server.ok()) return 1;
  rest = RestClient::Create(naive_config);
  if (!rest.ok()) return 1;
  Latencies naive_lat;
  NaiveRelister naive(rest->get(), naive_lat);
  naive.Start();
  Workload naive_work{naive_changes, absl::GetFlag(FLAGS_writers), absl::GetFlag(FLAGS_names),
                      absl::GetFlag(FLAGS_seed)};
  s = naive_work.Run(naive_config, naive_lat, [&](const char* kind) { naive.Notify(kind); });
  naive.StopWhenDrained();
  const absl::Time drained = absl::Now();
  if (!s.ok()) return 1;
  // Done when every change's re-list has run: what the client can sustain.
  Latencies::Summary relist = naive_lat.Summarize(naive_changes, drained);
  Print("naive re-list per change", naive_changes, relist);
  std::printf("  %lld lists, %lld objects decoded, caught up %s after the first write\n",
              static_cast<long long>(naive.lists()),
              static_cast<long long>(naive.objects_decoded()),
              absl::FormatDuration(drained - naive_lat.first_write()).c_str());
  std::printf(
      "ratio: the informer delivers %.1fx the events/s of re-listing on every change "
      "(p50 latency %s vs %s)\n",
      relist.events_per_second > 0 ? informer.events_per_second / relist.events_per_second : 0.0,
      absl::FormatDuration(informer.p50).c_str(), absl::FormatDuration(relist.p50).c_str());
  std::printf("peak memory of the process (both runs, API servers included): VmHWM %s\n",
              ProcStatus("VmHWM").c_str());
  return 0;
}

}  // namespace
}  // namespace raven::kube::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return raven::kube::bench::Main();
}

// ResourceClient against the project's API server over HTTPS: CRUD of every
// kind, the error mapping with real Status bodies, optimistic concurrency.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/kube/resource_client.h"
#include "common/kube/resources/event.h"
#include "common/kube/resources/gateway.h"
#include "common/kube/resources/lease.h"
#include "common/kube/resources/node.h"
#include "tests/unit/kube/apiserver_env.h"

namespace raven::kube {
namespace {

using testing::ApiServerEnv;
using testing::IsOk;
using testing::StatusIs;

class CrudIntegrationTest : public testing::ApiServerTest {
 protected:
  static Gateway MakeGateway(const std::string& name) {
    Gateway gw;
    gw.meta.name = name;
    gw.meta.labels["pool"] = "edge";
    GatewayEndpoint ep;
    ep.node_name = name + "-node";
    ep.type = EndpointType::kTunnel;
    ep.port = 4500;
    gw.spec.endpoints.push_back(ep);
    gw.spec.tunnel_replicas = 1;
    return gw;
  }
};

TEST_F(CrudIntegrationTest, GatewayLifecycle) {
  ResourceClient<Gateway> gateways(rest_.get());
  absl::StatusOr<Gateway> created = gateways.Create(MakeGateway("gw-a"));
  ASSERT_THAT(created, IsOk());
  EXPECT_FALSE(created->meta.resource_version.empty());
  EXPECT_FALSE(created->meta.uid.empty());
  EXPECT_THAT(gateways.Create(MakeGateway("gw-a")),
              StatusIs(absl::StatusCode::kAlreadyExists, "HTTP 409 AlreadyExists"));
  EXPECT_THAT(gateways.Get("nope"), StatusIs(absl::StatusCode::kNotFound, "HTTP 404"));

  // Update with the current resourceVersion works; with a stale one, 409.
  Gateway changed = *created;
  changed.spec.tunnel_replicas = 2;
  absl::StatusOr<Gateway> updated = gateways.Update(changed);
  ASSERT_THAT(updated, IsOk());
  EXPECT_EQ(updated->spec.tunnel_replicas, 2);
  EXPECT_NE(updated->meta.resource_version, created->meta.resource_version);
  EXPECT_THAT(gateways.Update(changed), StatusIs(absl::StatusCode::kAborted, "HTTP 409"));

  // Status through the subresource only.
  Gateway with_status = *updated;
  with_status.status.nodes.push_back({"gw-a-node",
                                      IpAddress::Parse("100.127.0.1").value(),
                                      {IpPrefix::Parse("100.64.1.0/24").value()}});
  absl::StatusOr<Gateway> status = gateways.UpdateStatus(with_status);
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->status.nodes.size(), 1u);
  EXPECT_EQ(status->spec.tunnel_replicas, 2);

  // Merge patch: add an annotation, remove a label.
  absl::StatusOr<Gateway> patched = gateways.MergePatch(
      "gw-a", R"({"metadata":{"annotations":{"a":"1"},"labels":{"pool":null}}})");
  ASSERT_THAT(patched, IsOk());
  EXPECT_EQ(patched->meta.annotations.at("a"), "1");
  EXPECT_EQ(patched->meta.labels.count("pool"), 0u);
  EXPECT_EQ(patched->status.nodes.size(), 1u);

  ASSERT_THAT(gateways.Create(MakeGateway("gw-b")), IsOk());
  ListOptions opts;
  opts.page_size = 1;  // two pages
  absl::StatusOr<ObjectList<Gateway>> list = gateways.List(opts);
  ASSERT_THAT(list, IsOk());
  EXPECT_EQ(list->items.size(), 2u);
  EXPECT_FALSE(list->resource_version.empty());
  opts.label_selector = "pool=edge";
  list = gateways.List(opts);
  ASSERT_THAT(list, IsOk());
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_EQ(list->items[0].meta.name, "gw-b");

  // Delete with a stale precondition fails; without, it works.
  EXPECT_THAT(gateways.Delete("gw-a", created->meta.resource_version),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(gateways.Delete("gw-a"), IsOk());
  EXPECT_THAT(gateways.Get("gw-a"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(CrudIntegrationTest, NodesLeasesEvents) {
  ResourceClient<Node> nodes(rest_.get());
  Node n;
  n.meta.name = "edge-1";
  n.meta.labels["raven.openyurt.io/gateway"] = "gw-edge";
  n.pod_cidrs = {IpPrefix::Parse("100.64.1.0/24").value()};
  n.pod_cidr = n.pod_cidrs[0];
  absl::StatusOr<Node> created = nodes.Create(n);
  ASSERT_THAT(created, IsOk());
  absl::StatusOr<Node> patched = nodes.MergePatchStatus(
      "edge-1", R"({"status":{"addresses":[{"type":"InternalIP","address":"100.127.0.1"}],)"
                R"("conditions":[{"type":"Ready","status":"True",)"
                R"("lastHeartbeatTime":"2024-05-01T10:00:00Z"}]}})");
  ASSERT_THAT(patched, IsOk());
  EXPECT_EQ(patched->InternalIP(), IpAddress::Parse("100.127.0.1").value());
  EXPECT_TRUE(patched->IsReady());
  patched = nodes.MergePatch("edge-1", R"({"metadata":{"annotations":{"raven/key":"k"}}})");
  ASSERT_THAT(patched, IsOk());
  EXPECT_EQ(patched->meta.annotations.at("raven/key"), "k");
  EXPECT_TRUE(patched->IsReady());

  ResourceClient<Lease> leases(rest_.get(), "kube-system");
  Lease l;
  l.meta.name = "hb-edge-1";
  l.holder_identity = "edge-1";
  l.lease_duration_seconds = 10;
  l.renew_time = absl::FromUnixMicros(1714557600123456);
  absl::StatusOr<Lease> lease = leases.Create(l);
  ASSERT_THAT(lease, IsOk());
  EXPECT_EQ(lease->meta.namespace_, "kube-system");
  EXPECT_EQ(*lease->renew_time, absl::FromUnixMicros(1714557600123456));
  Lease renewed = *lease;
  renewed.renew_time = *lease->renew_time + absl::Seconds(1);
  ASSERT_THAT(leases.Update(renewed), IsOk());
  EXPECT_THAT(leases.Update(renewed), StatusIs(absl::StatusCode::kAborted));
  ResourceClient<Lease> all_namespaces(rest_.get());
  EXPECT_THAT(all_namespaces.Get("hb-edge-1"), StatusIs(absl::StatusCode::kInvalidArgument));
  absl::StatusOr<ObjectList<Lease>> all = all_namespaces.List();
  ASSERT_THAT(all, IsOk());
  EXPECT_EQ(all->items.size(), 1u);

  ResourceClient<Event> events(rest_.get(), "default");
  Event e =
      MakeEvent({"v1", "Node", "", "edge-1", created->meta.uid, ""}, "default", kEventTypeNormal,
                "GatewayElected", "edge-1 leads gw-edge", "raven-controller", absl::Now());
  absl::StatusOr<Event> recorded = events.Create(e);
  ASSERT_THAT(recorded, IsOk());
  EXPECT_EQ(recorded->reason, "GatewayElected");
  EXPECT_EQ(recorded->involved_object.name, "edge-1");
  ListOptions by_field;
  by_field.field_selector = "involvedObject.name=edge-1";
  absl::StatusOr<ObjectList<Event>> found = events.List(by_field);
  ASSERT_THAT(found, IsOk());
  EXPECT_EQ(found->items.size(), 1u);
}

TEST_F(CrudIntegrationTest, ErrorsFromTheServerAreMapped) {
  ResourceClient<Gateway> gateways(rest_.get());
  // 422: the CRD's schema rejects a node name longer than a DNS name.
  Gateway bad = MakeGateway("gw-bad");
  bad.spec.endpoints[0].node_name = std::string(300, 'n');
  absl::StatusOr<Gateway> r = gateways.Create(bad);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInvalidArgument, "POST /apis/raven.openyurt.io"));
  // 401 without the token.
  ClientConfig anonymous = env_->config();
  anonymous.bearer_token.clear();
  absl::StatusOr<std::unique_ptr<RestClient>> anon = RestClient::Create(anonymous);
  ASSERT_THAT(anon, IsOk());
  ResourceClient<Gateway> anon_gateways(anon->get());
  EXPECT_THAT(anon_gateways.Get("x"), StatusIs(absl::StatusCode::kUnauthenticated));
  // Injected 500s and 429s.
  env_->server().FailNext(1, 500);
  EXPECT_THAT(gateways.Get("x"), StatusIs(absl::StatusCode::kUnavailable, "HTTP 500"));
  env_->server().FailNext(1, 429);
  EXPECT_THAT(gateways.Get("x"), StatusIs(absl::StatusCode::kResourceExhausted, "HTTP 429"));
  EXPECT_THAT(gateways.Get("x"), StatusIs(absl::StatusCode::kNotFound));
}

// Several writers increment one counter annotation with UpdateWithRetry:
// conflicts are retried until each increment lands exactly once.
TEST_F(CrudIntegrationTest, UpdateWithRetryConvergesUnderContention) {
  ResourceClient<Gateway> setup(rest_.get());
  ASSERT_THAT(setup.Create(MakeGateway("counter")), IsOk());
  constexpr int kThreads = 8;
  constexpr int kIncrements = 25;
  std::atomic<int> attempts{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  absl::Time start = absl::Now();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      // Each writer has its own connection pool, like separate processes.
      absl::StatusOr<std::unique_ptr<RestClient>> rest = env_->NewClient();
      if (!rest.ok()) {
        failures += kIncrements;
        return;
      }
      ResourceClient<Gateway> gateways(rest->get());
      RetryOptions retry;
      retry.max_attempts = 100;
      for (int i = 0; i < kIncrements; ++i) {
        absl::StatusOr<Gateway> r = gateways.UpdateWithRetry(
            "counter",
            [&](Gateway& gw) {
              ++attempts;
              int n = 0;
              auto it = gw.meta.annotations.find("count");
              if (it != gw.meta.annotations.end() && !absl::SimpleAtoi(it->second, &n)) {
                return absl::InvalidArgumentError("count is not a number");
              }
              gw.meta.annotations["count"] = absl::StrCat(n + 1);
              return absl::OkStatus();
            },
            retry);
        if (!r.ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  absl::Duration took = absl::Now() - start;
  EXPECT_EQ(failures.load(), 0);
  absl::StatusOr<Gateway> final_gw = setup.Get("counter");
  ASSERT_THAT(final_gw, IsOk());
  EXPECT_EQ(final_gw->meta.annotations.at("count"), absl::StrCat(kThreads * kIncrements));
  std::printf(
      "UpdateWithRetry: %d writers x %d increments -> count %s; %d attempts (%d retried "
      "after 409) in %s\n",
      kThreads, kIncrements, final_gw->meta.annotations.at("count").c_str(), attempts.load(),
      attempts.load() - kThreads * kIncrements, absl::FormatDuration(took).c_str());
}

}  // namespace
}  // namespace raven::kube

// The agent's cluster side against the project's API server over HTTPS: the
// heartbeat Lease (create, renew, withhold, recover from deletion and from a
// foreign write), the Node annotations (merge patch, re-published when
// removed), and the API Gateway source (no Read before the first list,
// wake-ups on change, staleness under failures, recovery).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <poll.h>

#include <atomic>
#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/kube/resource_client.h"
#include "common/kube/resources/gateway.h"
#include "common/kube/resources/lease.h"
#include "common/kube/resources/node.h"
#include "common/poll.h"
#include "daemon/cluster/api_gateway_source.h"
#include "daemon/cluster/heartbeat.h"
#include "daemon/cluster/node_annotations.h"
#include "tests/unit/kube/apiserver_env.h"

namespace raven {
namespace {

using kube::testing::ApiServerEnv;

constexpr char kNode[] = R"({"apiVersion":"v1","kind":"Node","metadata":{"name":"n1",
  "labels":{"keep":"me"},"annotations":{"other":"x"}}})";

class AgentClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = ApiServerEnv::Start();
    ASSERT_TRUE(env.ok()) << env.status();
    env_ = *std::move(env);
    auto rest = env_->NewClient();
    ASSERT_TRUE(rest.ok()) << rest.status();
    rest_ = *std::move(rest);
    ASSERT_TRUE(env_->server().CreateJson("/api/v1/nodes", kNode).ok());
  }

  HeartbeatOptions Options() {
    HeartbeatOptions o;
    o.node_name = "n1";
    o.interval = absl::Milliseconds(100);
    o.lease_duration = absl::Seconds(2);
    o.republish_interval = absl::Milliseconds(300);
    o.node_annotations = {{"raven.openyurt.io/public-key", "KEY"},
                          {"raven.openyurt.io/wireguard-port", "4500"}};
    o.dataplane_problem = [this] { return problem_.load() ? std::string("device missing") : ""; };
    return o;
  }

  absl::StatusOr<kube::Lease> GetLease() {
    return kube::ResourceClient<kube::Lease>(rest_.get(), "raven-system").Get("n1");
  }

  std::unique_ptr<ApiServerEnv> env_;
  std::unique_ptr<kube::RestClient> rest_;
  std::atomic<bool> problem_{false};
};

TEST_F(AgentClusterTest, HeartbeatCreatesAndRenewsTheLease) {
  Heartbeat beat(rest_.get(), Options());
  beat.Tick();
  auto lease = GetLease();
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_EQ(lease->holder_identity, "n1");
  EXPECT_EQ(lease->lease_duration_seconds, 2);
  ASSERT_TRUE(lease->renew_time.has_value());
  absl::SleepFor(absl::Milliseconds(20));
  beat.Tick();
  auto renewed = GetLease();
  ASSERT_TRUE(renewed.ok());
  EXPECT_GT(*renewed->renew_time, *lease->renew_time);
  EXPECT_NE(renewed->meta.resource_version, lease->meta.resource_version);
  EXPECT_EQ(beat.state().renewals, 2u);
}

TEST_F(AgentClusterTest, HeartbeatIsWithheldWhileTheDataplaneIsBroken) {
  Heartbeat beat(rest_.get(), Options());
  beat.Tick();
  std::string rv = GetLease()->meta.resource_version;
  problem_ = true;
  beat.Tick();
  beat.Tick();
  EXPECT_EQ(GetLease()->meta.resource_version, rv);
  EXPECT_THAT(beat.state().last_error, ::testing::HasSubstr("device missing"));
  problem_ = false;
  beat.Tick();
  EXPECT_NE(GetLease()->meta.resource_version, rv);
  EXPECT_EQ(beat.state().last_error, "");
}

TEST_F(AgentClusterTest, HeartbeatRecoversFromDeletionConflictsAndErrors) {
  Heartbeat beat(rest_.get(), Options());
  beat.Tick();
  ASSERT_TRUE(
      env_->server().Delete("/apis/coordination.k8s.io/v1/namespaces/raven-system/leases/n1").ok());
  beat.Tick();  // 404 on update: re-read next tick
  beat.Tick();  // re-created
  ASSERT_TRUE(GetLease().ok());
  // Someone else writes the Lease: our stale resourceVersion gets a 409.
  ASSERT_TRUE(env_->server()
                  .PatchJson("/apis/coordination.k8s.io/v1/namespaces/raven-system/leases/n1",
                             R"({"spec":{"holderIdentity":"intruder"}})")
                  .ok());
  beat.Tick();
  beat.Tick();
  EXPECT_EQ(GetLease()->holder_identity, "n1");
  env_->server().FailNext(3, 503);
  for (int i = 0; i < 4; ++i) beat.Tick();
  EXPECT_EQ(beat.state().last_error, "");
  EXPECT_GE(beat.state().failures, 3u);
}

TEST_F(AgentClusterTest, ARenewalLostInTransportSaysSoAndIsRetriedAtOnce) {
  int lost = 0;
  HeartbeatOptions options = Options();
  options.on_connection_lost = [&lost] { ++lost; };
  Heartbeat beat(rest_.get(), options);
  beat.Tick();
  // An HTTP error is the server's answer: the connection is fine.
  env_->server().FailNext(1, 503);
  beat.Tick();
  EXPECT_EQ(lost, 0);
  // Slower than the request timeout (the tick): a transport failure.
  env_->server().SetLatency(absl::Milliseconds(300));
  beat.Tick();
  EXPECT_EQ(lost, 1);
  EXPECT_EQ(beat.state().failures, 2u);  // the retry failed too: one failed tick
  // Still slow: retried, but the watches are not restarted every tick.
  beat.Tick();
  EXPECT_EQ(lost, 1);
  EXPECT_EQ(beat.state().failures, 3u);
  env_->server().ResetFaults();
  beat.Tick();
  EXPECT_EQ(beat.state().last_error, "");
}

TEST_F(AgentClusterTest, AnnotationsAreMergedAndRepublished) {
  Heartbeat beat(rest_.get(), Options());
  beat.Start();
  kube::ResourceClient<kube::Node> nodes(rest_.get());
  auto published = [&] {
    auto node = nodes.Get("n1");
    return node.ok() && node->meta.annotations.count("raven.openyurt.io/public-key") == 1;
  };
  ASSERT_TRUE(PollUntil(published, absl::Seconds(5)));
  auto node = nodes.Get("n1");
  ASSERT_TRUE(node.ok());
  EXPECT_EQ(node->meta.annotations.at("raven.openyurt.io/wireguard-port"), "4500");
  EXPECT_EQ(node->meta.annotations.at("other"), "x");  // untouched
  EXPECT_EQ(node->meta.labels.at("keep"), "me");
  ASSERT_TRUE(
      nodes
          .MergePatch("n1", R"({"metadata":{"annotations":{"raven.openyurt.io/public-key":null}}})")
          .ok());
  EXPECT_TRUE(PollUntil(published, absl::Seconds(5)));
  beat.Stop();
}

TEST_F(AgentClusterTest, AnAnnotationLearntLaterIsPublishedAtTheNextTick) {
  HeartbeatOptions options = Options();
  options.republish_interval = absl::Hours(1);
  Heartbeat beat(rest_.get(), options);
  beat.Tick();
  kube::ResourceClient<kube::Node> nodes(rest_.get());
  EXPECT_EQ(nodes.Get("n1")->meta.annotations.count("raven.openyurt.io/nat-type"), 0u);
  beat.SetAnnotation("raven.openyurt.io/nat-type", "Symmetric NAT");
  beat.Tick();  // long before the republish interval
  auto node = nodes.Get("n1");
  ASSERT_TRUE(node.ok());
  EXPECT_EQ(node->meta.annotations.at("raven.openyurt.io/nat-type"), "Symmetric NAT");
  EXPECT_EQ(node->meta.annotations.at("raven.openyurt.io/wireguard-port"), "4500");
}

TEST_F(AgentClusterTest, PublishingIsANoOpWhenCurrent) {
  kube::ResourceClient<kube::Node> nodes(rest_.get());
  auto first = PublishNodeAnnotations(nodes, "n1", {{"a", "1"}});
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(*first);
  auto second = PublishNodeAnnotations(nodes, "n1", {{"a", "1"}});
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(*second);
  EXPECT_TRUE(absl::IsNotFound(PublishNodeAnnotations(nodes, "nope", {{"a", "1"}}).status()));
}

std::string GatewayJson(const std::string& name) {
  return absl::StrCat(
      R"({"apiVersion":"raven.openyurt.io/v1beta1","kind":"Gateway","metadata":{"name":")", name,
      R"("},"spec":{"endpoints":[{"nodeName":"n1","type":"tunnel","port":4500,"underNAT":false,"publicIP":"198.18.0.11"}],"exposeType":"PublicIP","tunnelConfig":{"Replicas":1}}})");
}

bool Readable(int fd, absl::Duration timeout) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout))) == 1;
}

TEST_F(AgentClusterTest, ApiSourceListsWakesAndReportsStaleness) {
  constexpr char kGateways[] = "/apis/raven.openyurt.io/v1beta1/gateways";
  ASSERT_TRUE(env_->server().CreateJson(kGateways, GatewayJson("gw-a")).ok());
  auto source = ApiGatewaySource::Start(rest_.get(), absl::Milliseconds(300));
  ASSERT_TRUE(source.ok()) << source.status();
  ASSERT_TRUE((*source)->WaitForSync(absl::Seconds(5)));
  ASSERT_TRUE(Readable((*source)->fd(), absl::Seconds(1)));
  EXPECT_TRUE((*source)->Drain());
  auto read = (*source)->Read();
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ((*read)[0].name, "gw-a");
  EXPECT_EQ((*source)->Staleness(), "");

  ASSERT_TRUE(env_->server().CreateJson(kGateways, GatewayJson("gw-b")).ok());
  ASSERT_TRUE(Readable((*source)->fd(), absl::Seconds(5)));
  (*source)->Drain();
  EXPECT_EQ((*source)->Read()->size(), 2u);

  // Watches cut and every request failing: stale after 300 ms, last state kept.
  env_->server().FailNext(1000, 500);
  env_->server().DropAllWatches();
  EXPECT_TRUE(PollUntil([&] { return !(*source)->Staleness().empty(); }, absl::Seconds(5)));
  EXPECT_THAT((*source)->Staleness(), ::testing::HasSubstr("Gateway watch failing"));
  EXPECT_EQ((*source)->Read()->size(), 2u);
  env_->server().ResetFaults();
  EXPECT_TRUE(PollUntil([&] { return (*source)->Staleness().empty(); }, absl::Seconds(10)));
}

TEST_F(AgentClusterTest, ApiSourceRefusesToReadBeforeTheFirstList) {
  env_->server().FailNext(1000, 503);
  auto source = ApiGatewaySource::Start(rest_.get(), absl::Seconds(10));
  ASSERT_TRUE(source.ok());
  EXPECT_TRUE(absl::IsUnavailable((*source)->Read().status()));
  EXPECT_THAT((*source)->Staleness(), ::testing::HasSubstr("not listed"));
  env_->server().ResetFaults();
  EXPECT_TRUE((*source)->WaitForSync(absl::Seconds(10)));
  EXPECT_TRUE((*source)->Read().ok());
}

}  // namespace
}  // namespace raven

// raven-controller exposing a Gateway through a load balancer, against the
// project's API server: the Service and Endpoints it manages, the load
// balancer's address published as the primary endpoint's publicIP, the
// Endpoints following a failover while the Service and the address stay,
// and the objects gone when the Gateway is no longer exposed that way.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "common/kube/resources/json_doc.h"
#include "common/kube/resources/service.h"
#include "common/poll.h"
#include "controller/tunnel_service.h"
#include "lab/cluster/cluster.h"
#include "tests/controller/test_controller.h"

namespace raven::controller {
namespace {

using kube::testing::IsOk;
using lab::ActiveNodes;
using ::testing::ElementsAre;

constexpr char kServicePath[] = "/api/v1/namespaces/raven-system/services/raven-tunnel-gw-1";
constexpr char kEndpointsPath[] = "/api/v1/namespaces/raven-system/endpoints/raven-tunnel-gw-1";

class LoadBalancerTest : public testing::ClusterTest {
 protected:
  template <typename T, typename Decode>
  absl::StatusOr<T> Read(const char* path, Decode decode) {
    ASSIGN_OR_RETURN(std::string json, env_->server().GetJson(path));
    ASSIGN_OR_RETURN(rapidjson::Document doc, kube::ParseJson(json));
    return decode(doc);
  }
  absl::StatusOr<kube::Service> Service() {
    return Read<kube::Service>(kServicePath, kube::DecodeService);
  }
  absl::StatusOr<kube::Endpoints> Endpoints() {
    return Read<kube::Endpoints>(kEndpointsPath, kube::DecodeEndpoints);
  }
  // The backend the Endpoints name, "" while there is none.
  std::string Backend() {
    absl::StatusOr<kube::Endpoints> e = Endpoints();
    if (!e.ok() || e->subsets.empty() || e->subsets[0].addresses.empty()) return "";
    return e->subsets[0].addresses[0].node_name;
  }
  bool Published(const std::string& ip) {
    absl::StatusOr<kube::Gateway> gw = cluster_->GetGateway("gw-1");
    return gw.ok() && !gw->status.active_endpoints.empty() &&
           gw->status.active_endpoints[0].public_ip &&
           gw->status.active_endpoints[0].public_ip->ToString() == ip &&
           gw->status.active_endpoints[0].public_port == 4500;
  }
};

TEST_F(LoadBalancerTest, ServiceFollowsTheActiveEndpointAndItsAddressIsPublished) {
  AddPool(1, 2, 2);
  AddPool(2, 1, 1);
  kube::GatewaySpec spec = lab::TestGateway(1, 2).spec;
  spec.expose_type = kube::ExposeType::kLoadBalancer;
  for (auto& ep : spec.endpoints) ep.public_ip.reset();
  ASSERT_THAT(cluster_->UpdateGatewaySpec("gw-1", spec), IsOk());
  StartController();

  // The Endpoints are written first, then the Service.
  ASSERT_TRUE(PollUntil([&] { return Backend() == "g1-n1" && Service().ok(); }, absl::Seconds(5)));
  absl::StatusOr<kube::Service> svc = Service();
  ASSERT_THAT(svc, IsOk());
  EXPECT_EQ(svc->type, "LoadBalancer");
  EXPECT_EQ(svc->external_traffic_policy, "Local");
  EXPECT_THAT(svc->ports, ElementsAre(kube::ServicePort{"wireguard", "UDP", 4500, 4500},
                                      kube::ServicePort{"relay-0", "UDP", 4600, 4600},
                                      kube::ServicePort{"relay-1", "UDP", 4601, 4601}));
  EXPECT_EQ(svc->meta.annotations[kGatewayLabel], "gw-1");
  absl::StatusOr<kube::Endpoints> ep = Endpoints();
  ASSERT_THAT(ep, IsOk());
  EXPECT_EQ(ep->subsets[0].addresses[0].ip.ToString(), "100.64.1.1");
  EXPECT_THAT(ep->subsets[0].ports, ElementsAre(kube::EndpointPort{"wireguard", "UDP", 4500},
                                                kube::EndpointPort{"relay-0", "UDP", 4600},
                                                kube::EndpointPort{"relay-1", "UDP", 4601}));
  // No address before the load balancer gives one: the endpoint has none.
  auto gw = cluster_->GetGateway("gw-1");
  ASSERT_THAT(gw, IsOk());
  EXPECT_FALSE(gw->status.active_endpoints[0].public_ip);

  // The load balancer writes its address; the controller publishes it.
  ASSERT_THAT(
      env_->server().PatchJson(std::string(kServicePath) + "/status",
                               R"({"status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.7"}]}}})"),
      IsOk());
  ASSERT_TRUE(PollUntil([&] { return Published("203.0.113.7"); }, absl::Seconds(5)));

  // Failover: the Endpoints follow, the Service and the address stay.
  const std::string service_version = Service()->meta.resource_version;
  cluster_->StopHeartbeat("g1-n1");
  ASSERT_TRUE(PollUntil([&] { return Backend() == "g1-n2"; }, absl::Seconds(6)));
  EXPECT_EQ(Endpoints()->subsets[0].addresses[0].ip.ToString(), "100.64.1.2");
  EXPECT_EQ(Service()->meta.resource_version, service_version);
  gw = cluster_->GetGateway("gw-1");
  ASSERT_THAT(gw, IsOk());
  EXPECT_THAT(ActiveNodes(*gw), ElementsAre("g1-n2"));
  EXPECT_TRUE(Published("203.0.113.7"));

  // Someone edits the Service's ports: put back at the next pass.
  ASSERT_THAT(env_->server().PatchJson(
                  kServicePath, R"({"spec":{"ports":[{"name":"x","protocol":"TCP","port":1}]}})"),
              IsOk());
  ASSERT_TRUE(PollUntil(
      [&] {
        absl::StatusOr<kube::Service> s = Service();
        return s.ok() && s->ports.size() == 3 && s->ports[0].name == "wireguard";
      },
      absl::Seconds(5)));

  // No longer exposed through a load balancer: both objects go.
  spec.expose_type = kube::ExposeType::kPublicIP;
  for (auto& e : spec.endpoints) e.public_ip = IpAddress::Parse("198.18.1.9").value();
  ASSERT_THAT(cluster_->UpdateGatewaySpec("gw-1", spec), IsOk());
  ASSERT_TRUE(PollUntil(
      [&] {
        return absl::IsNotFound(Service().status()) && absl::IsNotFound(Endpoints().status());
      },
      absl::Seconds(5)));
}

TEST(TunnelServiceNameTest, ALabelOrAHash) {
  EXPECT_EQ(TunnelServiceName("gw-cloud"), "raven-tunnel-gw-cloud");
  EXPECT_EQ(TunnelServiceName("gw.cloud"), TunnelServiceName("gw.cloud"));
  EXPECT_NE(TunnelServiceName("gw.cloud"), TunnelServiceName("gw.cloud2"));
  EXPECT_EQ(TunnelServiceName("gw.cloud").size(), 13u + 16u);
  EXPECT_EQ(TunnelServiceName(std::string(60, 'a')).size(), 29u);
}

}  // namespace
}  // namespace raven::controller

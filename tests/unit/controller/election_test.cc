#include "controller/election.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "controller/gateway_validation.h"
#include "controller/node_view.h"

namespace raven::controller {
namespace {

using kube::EndpointType;
using kube::Gateway;
using kube::GatewayEndpoint;

IpAddress Ip(const std::string& text) { return IpAddress::Parse(text).value(); }
IpPrefix P(const std::string& text) { return IpPrefix::Parse(text).value(); }

// A node's WireGuard key, as its agent publishes it: distinct per node.
std::string KeyOf(const std::string& node) {
  std::string key(43, 'A');
  key.replace(0, node.size(), node);
  key[42] = 'A';
  return key + "=";
}

NodeView Node(const std::string& name, const std::string& gateway, bool healthy = true) {
  NodeView n;
  n.name = name;
  n.labels[kGatewayLabel] = gateway;
  n.annotations[kPublicKeyAnnotation] = KeyOf(name);
  n.internal_ip = Ip("100.127.1." + std::to_string(name.back() - '0'));
  n.pod_cidrs = {P("fd64:" + name + "::/64"),
                 P("100.64." + std::to_string(name.back() - '0') + ".0/24")};
  n.ready = healthy;
  n.lease_fresh = healthy;
  return n;
}

Gateway Gw(int tunnel_replicas, std::vector<std::string> candidates) {
  Gateway gw;
  gw.meta.name = "gw-a";
  gw.spec.tunnel_replicas = tunnel_replicas;
  for (const auto& c : candidates) {
    GatewayEndpoint ep;
    ep.node_name = c;
    ep.type = EndpointType::kTunnel;
    ep.public_ip = Ip("198.18.0.1");
    gw.spec.endpoints.push_back(ep);
  }
  return gw;
}

std::map<std::string, NodeView> Nodes(std::vector<NodeView> list) {
  std::map<std::string, NodeView> out;
  for (auto& n : list) out[n.name] = n;
  return out;
}

std::vector<std::string> ActiveNames(const ElectionResult& r) {
  std::vector<std::string> out;
  for (const auto& ep : r.status.active_endpoints) out.push_back(ep.node_name);
  return out;
}

// Applies a result as the controller would, for the next round.
void Publish(Gateway& gw, const ElectionResult& r) { gw.status = r.status; }

TEST(ElectionTest, NewGatewayElectsFirstHealthyCandidateInListOrder) {
  Gateway gw = Gw(1, {"a2", "a1"});
  ElectionResult r = Elect(gw, Nodes({Node("a1", "gw-a"), Node("a2", "gw-a")}));
  EXPECT_EQ(ActiveNames(r), std::vector<std::string>{"a2"});
  EXPECT_EQ(r.elected, std::vector<std::string>{"tunnel/a2"});
  const GatewayEndpoint& ep = r.status.active_endpoints[0];
  EXPECT_EQ(ep.port, 4500);
  ASSERT_TRUE(ep.public_key.has_value());
  EXPECT_EQ(ep.public_key->ToBase64(), KeyOf("a2"));
  EXPECT_EQ(ep.public_ip, Ip("198.18.0.1"));
}

TEST(ElectionTest, MembersSortedWithAllPodCidrs) {
  Gateway gw = Gw(1, {"a1"});
  ElectionResult r = Elect(gw, Nodes({Node("a2", "gw-a"), Node("a1", "gw-a"), Node("b1", "gw-b")}));
  ASSERT_EQ(r.status.nodes.size(), 2u);
  EXPECT_EQ(r.status.nodes[0].node_name, "a1");
  EXPECT_EQ(r.status.nodes[0].private_ip, Ip("100.127.1.1"));
  EXPECT_EQ(r.status.nodes[0].subnets,
            (std::vector<IpPrefix>{P("100.64.1.0/24"), P("fd64:a1::/64")}));
}

// A dual-stack Node: privateIP is its first InternalIP, secondaryPrivateIPs
// the first of the other family; a single-stack Node has none.
TEST(ElectionTest, DualStackMemberPublishesBothFamilies) {
  auto decode = [](const char* addresses) {
    auto node = kube::DecodeNodeJson(
        absl::StrCat(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":"a1","labels":{")",
                     kGatewayLabel, R"(":"gw-a"}},"status":{"addresses":)", addresses, "}}"));
    EXPECT_TRUE(node.ok()) << node.status();
    return ToNodeView(*node);
  };
  NodeView v4_first = decode(
      R"([{"type":"Hostname","address":"a1"},{"type":"InternalIP","address":"100.127.1.1"},
          {"type":"ExternalIP","address":"2001:db8::1"},{"type":"InternalIP","address":"100.127.1.9"},
          {"type":"InternalIP","address":"fd7f:1::1"},{"type":"InternalIP","address":"fd7f:1::9"}])");
  EXPECT_EQ(v4_first.internal_ip, Ip("100.127.1.1"));
  EXPECT_EQ(v4_first.other_internal_ips, std::vector<IpAddress>{Ip("fd7f:1::1")});
  NodeView v6_first = decode(
      R"([{"type":"InternalIP","address":"fd7f:1::1"},{"type":"InternalIP","address":"100.127.1.1"}])");
  EXPECT_EQ(v6_first.internal_ip, Ip("fd7f:1::1"));
  EXPECT_EQ(v6_first.other_internal_ips, std::vector<IpAddress>{Ip("100.127.1.1")});
  NodeView single = decode(
      R"([{"type":"InternalIP","address":"100.127.1.1"},{"type":"InternalIP","address":"100.127.1.9"}])");
  EXPECT_TRUE(single.other_internal_ips.empty());

  Gateway gw = Gw(1, {"a1"});
  NodeView a1 = Node("a1", "gw-a");
  a1.internal_ip = v4_first.internal_ip;
  a1.other_internal_ips = v4_first.other_internal_ips;
  ElectionResult r = Elect(gw, Nodes({a1, Node("a2", "gw-a")}));
  ASSERT_EQ(r.status.nodes.size(), 2u);
  EXPECT_EQ(r.status.nodes[0].private_ip, Ip("100.127.1.1"));
  EXPECT_EQ(r.status.nodes[0].secondary_private_ips, std::vector<IpAddress>{Ip("fd7f:1::1")});
  EXPECT_TRUE(r.status.nodes[1].secondary_private_ips.empty());
}

TEST(ElectionTest, LostActiveSwitchesToNextCandidate) {
  Gateway gw = Gw(1, {"a1", "a2"});
  auto nodes = Nodes({Node("a1", "gw-a"), Node("a2", "gw-a")});
  Publish(gw, Elect(gw, nodes));
  nodes["a1"].lease_fresh = false;
  ElectionResult r = Elect(gw, nodes);
  EXPECT_EQ(ActiveNames(r), std::vector<std::string>{"a2"});
  EXPECT_EQ(r.lost, std::vector<std::string>{"tunnel/a1"});
  EXPECT_EQ(r.elected, std::vector<std::string>{"tunnel/a2"});
}

TEST(ElectionTest, ReturningNodeDoesNotTakeTheRoleBack) {
  Gateway gw = Gw(1, {"a1", "a2"});
  auto nodes = Nodes({Node("a1", "gw-a", false), Node("a2", "gw-a")});
  Publish(gw, Elect(gw, nodes));
  nodes["a1"] = Node("a1", "gw-a");
  ElectionResult r = Elect(gw, nodes);
  EXPECT_EQ(ActiveNames(r), std::vector<std::string>{"a2"});
  EXPECT_TRUE(r.elected.empty());
  EXPECT_TRUE(r.lost.empty());
}

TEST(ElectionTest, NoneHealthyIsReported) {
  Gateway gw = Gw(1, {"a1"});
  auto nodes = Nodes({Node("a1", "gw-a")});
  Publish(gw, Elect(gw, nodes));
  nodes["a1"].ready = false;
  ElectionResult r = Elect(gw, nodes);
  EXPECT_TRUE(r.status.active_endpoints.empty());
  EXPECT_EQ(r.without_endpoint, std::vector<std::string>{"tunnel"});
  EXPECT_EQ(r.lost, std::vector<std::string>{"tunnel/a1"});
}

TEST(ElectionTest, StandbysFillReplicasPrimaryFirst) {
  Gateway gw = Gw(2, {"a1", "a2", "a3"});
  auto nodes = Nodes({Node("a1", "gw-a"), Node("a2", "gw-a"), Node("a3", "gw-a")});
  Publish(gw, Elect(gw, nodes));
  EXPECT_EQ(ActiveNames({gw.status}), (std::vector<std::string>{"a1", "a2"}));
  nodes["a1"].lease_fresh = false;  // primary lost: the standby becomes primary
  ElectionResult r = Elect(gw, nodes);
  EXPECT_EQ(ActiveNames(r), (std::vector<std::string>{"a2", "a3"}));
}

TEST(ElectionTest, ADrainedNodeStandsByAfterEveryOtherCandidateAndComesBackLast) {
  Gateway gw = Gw(2, {"a1", "a2", "a3"});
  auto nodes = Nodes({Node("a1", "gw-a"), Node("a2", "gw-a"), Node("a3", "gw-a")});
  Publish(gw, Elect(gw, nodes));
  nodes["a1"].annotations[kDrainAnnotation] = "true";
  ElectionResult r = Elect(gw, nodes);
  // The standby takes over; a third candidate fills the replicas before it.
  EXPECT_EQ(ActiveNames(r), (std::vector<std::string>{"a2", "a3"}));
  EXPECT_EQ(r.lost, std::vector<std::string>{"tunnel/a1"});
  Publish(gw, r);
  // With one replica and nobody else healthy, the drained node is elected.
  Gateway solo = Gw(1, {"a1", "a2"});
  auto pair = Nodes({Node("a1", "gw-a"), Node("a2", "gw-a", false)});
  pair["a1"].annotations[kDrainAnnotation] = "true";
  EXPECT_EQ(ActiveNames(Elect(solo, pair)), std::vector<std::string>{"a1"});
  // Undrained, it does not take the role back.
  nodes["a1"].annotations.erase(kDrainAnnotation);
  EXPECT_EQ(ActiveNames(Elect(gw, nodes)), (std::vector<std::string>{"a2", "a3"}));
  nodes["a1"].annotations[kDrainAnnotation] = "false";  // only "true" drains
  Gateway two = Gw(2, {"a1", "a2"});
  EXPECT_EQ(ActiveNames(Elect(two, nodes)), (std::vector<std::string>{"a1", "a2"}));
}

TEST(ElectionTest, FlappingNodeDoesNotDisturbTheActiveOne) {
  Gateway gw = Gw(1, {"a1", "a2"});
  auto nodes = Nodes({Node("a1", "gw-a"), Node("a2", "gw-a")});
  Publish(gw, Elect(gw, nodes));
  for (int i = 0; i < 5; ++i) {
    nodes["a2"].ready = (i % 2 == 0);
    ElectionResult r = Elect(gw, nodes);
    EXPECT_EQ(ActiveNames(r), std::vector<std::string>{"a1"});
    EXPECT_TRUE(r.elected.empty() && r.lost.empty());
    Publish(gw, r);
  }
}

TEST(ElectionTest, NodeMovedToAnotherGatewayIsNoLongerACandidate) {
  Gateway gw = Gw(1, {"a1", "a2"});
  auto nodes = Nodes({Node("a1", "gw-a"), Node("a2", "gw-a")});
  Publish(gw, Elect(gw, nodes));
  nodes["a1"].labels[kGatewayLabel] = "gw-b";
  ElectionResult r = Elect(gw, nodes);
  EXPECT_EQ(ActiveNames(r), std::vector<std::string>{"a2"});
  EXPECT_EQ(r.status.nodes.size(), 1u);
}

TEST(ElectionTest, EndpointRemovedFromSpecLosesTheRole) {
  Gateway gw = Gw(1, {"a1", "a2"});
  auto nodes = Nodes({Node("a1", "gw-a"), Node("a2", "gw-a")});
  Publish(gw, Elect(gw, nodes));
  gw.spec.endpoints.erase(gw.spec.endpoints.begin());
  EXPECT_EQ(ActiveNames(Elect(gw, nodes)), std::vector<std::string>{"a2"});
}

TEST(ElectionTest, ZeroReplicasElectsNothingAndReportsNothing) {
  Gateway gw = Gw(0, {"a1"});
  ElectionResult r = Elect(gw, Nodes({Node("a1", "gw-a")}));
  EXPECT_TRUE(r.status.active_endpoints.empty());
  EXPECT_TRUE(r.without_endpoint.empty());
}

TEST(ElectionTest, ProxyAndTunnelAreElectedIndependently) {
  Gateway gw = Gw(1, {"a1"});
  gw.spec.proxy_replicas = 1;
  GatewayEndpoint proxy;
  proxy.node_name = "a2";
  proxy.type = EndpointType::kProxy;
  gw.spec.endpoints.push_back(proxy);
  ElectionResult r = Elect(gw, Nodes({Node("a1", "gw-a"), Node("a2", "gw-a")}));
  ASSERT_EQ(r.status.active_endpoints.size(), 2u);
  EXPECT_EQ(r.status.active_endpoints[1].type, EndpointType::kProxy);
  EXPECT_EQ(r.status.active_endpoints[1].port, 10262);
  EXPECT_EQ(r.status.active_endpoints[1].public_key, std::nullopt);
}

TEST(ElectionTest, PortIsSpecElseAgentAnnotationElseDefault) {
  Gateway gw = Gw(2, {"a1", "a2"});
  gw.spec.endpoints[0].port = 4600;
  auto nodes = Nodes({Node("a1", "gw-a"), Node("a2", "gw-a")});
  nodes["a1"].annotations[kWireGuardPortAnnotation] = "51820";  // spec wins
  nodes["a2"].annotations[kWireGuardPortAnnotation] = "51821";
  ElectionResult r = Elect(gw, nodes);
  ASSERT_EQ(r.status.active_endpoints.size(), 2u);
  EXPECT_EQ(r.status.active_endpoints[0].port, 4600);
  EXPECT_EQ(r.status.active_endpoints[1].port, 51821);
  nodes["a2"].annotations[kWireGuardPortAnnotation] = "not-a-port";
  EXPECT_EQ(Elect(gw, nodes).status.active_endpoints[1].port, 4500);
  nodes["a2"].annotations[kWireGuardPortAnnotation] = "70000";
  EXPECT_EQ(Elect(gw, nodes).status.active_endpoints[1].port, 4500);
}

TEST(ElectionTest, NatTypeIsSpecElseTheAgentsKnownWords) {
  Gateway gw = Gw(2, {"a1", "a2"});
  gw.spec.endpoints[0].nat_type = "Full cone NAT";  // spec wins
  auto nodes = Nodes({Node("a1", "gw-a"), Node("a2", "gw-a")});
  nodes["a1"].annotations[kNatTypeAnnotation] = "Symmetric NAT";
  nodes["a2"].annotations[kNatTypeAnnotation] = "Port Restricted cone NAT";
  ElectionResult r = Elect(gw, nodes);
  ASSERT_EQ(r.status.active_endpoints.size(), 2u);
  EXPECT_EQ(r.status.active_endpoints[0].nat_type, "Full cone NAT");
  EXPECT_EQ(r.status.active_endpoints[1].nat_type, "Port Restricted cone NAT");
  nodes["a2"].annotations[kNatTypeAnnotation] = "<script>";
  EXPECT_EQ(Elect(gw, nodes).status.active_endpoints[1].nat_type, "");
}

TEST(ElectionTest, MemberWithoutInternalIpIsLeftOutOfNodes) {
  Gateway gw = Gw(1, {"a1"});
  auto nodes = Nodes({Node("a1", "gw-a"), Node("a2", "gw-a")});
  nodes["a2"].internal_ip.reset();
  ElectionResult r = Elect(gw, nodes);
  ASSERT_EQ(r.status.nodes.size(), 1u);
  EXPECT_EQ(r.status.nodes[0].node_name, "a1");
  EXPECT_EQ(r.skipped_members, std::vector<std::string>{"a2"});
}

TEST(ElectionTest, UpstreamSwitchCaseActiveNotReadyGoesToHealthyStandbyCandidate) {
  // Upstream "switch": the active endpoint's node turns NotReady while another
  // candidate is ready: the role moves, reported as one lost and one elected.
  Gateway gw = Gw(1, {"a1", "a2", "a3"});
  auto nodes = Nodes({Node("a1", "gw-a"), Node("a2", "gw-a", false), Node("a3", "gw-a")});
  Publish(gw, Elect(gw, nodes));
  EXPECT_EQ(ActiveNames({gw.status}), std::vector<std::string>{"a1"});
  nodes["a1"].ready = false;
  ElectionResult r = Elect(gw, nodes);
  EXPECT_EQ(ActiveNames(r), std::vector<std::string>{"a3"});  // a2 is NotReady too
  EXPECT_EQ(r.elected, std::vector<std::string>{"tunnel/a3"});
  EXPECT_EQ(r.lost, std::vector<std::string>{"tunnel/a1"});
}

TEST(ElectionTest, KeyAnnotationThatIsNoWireGuardKeyIsNotPublished) {
  Gateway gw = Gw(1, {"a1"});
  auto nodes = Nodes({Node("a1", "gw-a")});
  nodes["a1"].annotations[kPublicKeyAnnotation] = "key-a1";
  ElectionResult r = Elect(gw, nodes);
  ASSERT_EQ(r.status.active_endpoints.size(), 1u);
  EXPECT_EQ(r.status.active_endpoints[0].public_key, std::nullopt);
}

// The single values (exposeType, type, publicIP, nodeName) are checked when a
// Gateway is decoded (tests/unit/kube/gateway_test.cc); these are the
// cross-field rules.
TEST(SpecValidationTest, UpstreamWebhookRules) {
  Gateway gw = Gw(2, {"a1", "a2"});
  EXPECT_TRUE(ValidateGatewaySpec(gw).ok());
  Gateway bad = gw;
  bad.spec.endpoints[1].under_nat = true;
  EXPECT_NE(ValidateGatewaySpec(bad).message().find("agree on underNAT"), std::string::npos);
  bad = gw;
  bad.spec.expose_type = kube::ExposeType::kPublicIP;
  for (auto& ep : bad.spec.endpoints) ep.under_nat = true;
  EXPECT_NE(ValidateGatewaySpec(bad).message().find("cannot be underNAT"), std::string::npos);
  bad = gw;
  bad.spec.proxy_replicas = 1;
  EXPECT_FALSE(ValidateGatewaySpec(bad).ok());
}

}  // namespace
}  // namespace raven::controller

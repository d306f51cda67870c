#include <gtest/gtest.h>

#include "common/gateway.h"
#include "common/gateway_validation.h"

namespace raven {
namespace {

constexpr char kKey[] = "hJIjNMumhSTnGrzIyDGObWbgNRLFwq8cqZMY/kJhLmE=";

constexpr char kGatewayJson[] = R"({
  "apiVersion": "raven.openyurt.io/v1beta1", "kind": "Gateway",
  "metadata": {"name": "gw-a", "resourceVersion": "42", "generation": 3,
               "labels": {"team": "edge"}},
  "spec": {
    "nodeSelector": {"matchLabels": {"raven.openyurt.io/gateway": "gw-a"}},
    "endpoints": [
      {"nodeName": "a1", "type": "tunnel", "port": 4500, "underNAT": true,
       "natType": "Symmetric NAT", "publicIP": "198.18.0.1", "publicPort": 14500,
       "config": {"publicKey": "hJIjNMumhSTnGrzIyDGObWbgNRLFwq8cqZMY/kJhLmE="}},
      {"nodeName": "a2", "type": "proxy", "port": 10262}
    ],
    "tunnelConfig": {"Replicas": 2},
    "proxyConfig": {"Replicas": 1, "proxyHTTPPort": "10255,9445", "proxyHTTPSPort": "10250"},
    "exposeType": "PublicIP",
    "futureField": {"ignored": true}
  },
  "status": {
    "nodes": [{"nodeName": "a1", "privateIP": "100.127.1.1",
               "subnets": ["100.64.1.0/24", "fd64:1::/64"]}],
    "activeEndpoints": [{"nodeName": "a1", "type": "tunnel", "port": 4500,
                         "publicIP": "198.18.0.1",
                         "config": {"publicKey": "hJIjNMumhSTnGrzIyDGObWbgNRLFwq8cqZMY/kJhLmE="}}]
  }
})";

TEST(GatewayJsonTest, DecodesEveryUpstreamField) {
  auto gw = DecodeGatewayJson(kGatewayJson);
  ASSERT_TRUE(gw.ok()) << gw.status();
  EXPECT_EQ(gw->name, "gw-a");
  EXPECT_EQ(gw->resource_version, "42");
  EXPECT_EQ(gw->generation, 3);
  EXPECT_EQ(gw->labels.at("team"), "edge");
  EXPECT_EQ(gw->spec.node_selector.at("raven.openyurt.io/gateway"), "gw-a");
  ASSERT_EQ(gw->spec.endpoints.size(), 2u);
  const GatewayEndpoint& ep = gw->spec.endpoints[0];
  EXPECT_EQ(ep.node_name, "a1");
  EXPECT_EQ(ep.type, "tunnel");
  EXPECT_EQ(ep.port, 4500);
  EXPECT_TRUE(ep.under_nat);
  EXPECT_EQ(ep.nat_type, "Symmetric NAT");
  EXPECT_EQ(ep.public_ip, "198.18.0.1");
  EXPECT_EQ(ep.public_port, 14500);
  EXPECT_EQ(ep.config.at("publicKey"), kKey);
  EXPECT_EQ(gw->spec.tunnel_replicas, 2);
  EXPECT_EQ(gw->spec.proxy_replicas, 1);
  EXPECT_EQ(gw->spec.proxy_http_port, "10255,9445");
  EXPECT_EQ(gw->spec.proxy_https_port, "10250");
  EXPECT_EQ(gw->spec.expose_type, "PublicIP");
  ASSERT_EQ(gw->status.nodes.size(), 1u);
  EXPECT_EQ(gw->status.nodes[0].subnets.size(), 2u);
  ASSERT_EQ(gw->status.active_endpoints.size(), 1u);
  EXPECT_TRUE(ValidateGatewayForDataplane(*gw).ok());
}

TEST(GatewayJsonTest, EncodeDecodeRoundTrips) {
  auto gw = DecodeGatewayJson(kGatewayJson);
  ASSERT_TRUE(gw.ok());
  auto again = DecodeGatewayJson(EncodeGatewayJson(*gw));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*gw, *again);
}

TEST(GatewayJsonTest, ConditionsRoundTripWithEveryRequiredField) {
  auto gw = DecodeGatewayJson(kGatewayJson);
  ASSERT_TRUE(gw.ok());
  gw->status.conditions.push_back(
      {"Ready", "False", "NoHealthyEndpoint", "", "2026-11-25T12:00:00Z", 4});
  std::string json = EncodeGatewayJson(*gw);
  // metav1.Condition requires message even when empty.
  EXPECT_NE(json.find(R"("message":"")"), std::string::npos) << json;
  auto again = DecodeGatewayJson(json);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->status.conditions, gw->status.conditions);
  auto bad = DecodeGatewayJson(
      R"({"metadata":{"name":"g"},"status":{"conditions":[{"observedGeneration":"x"}]}})");
  EXPECT_FALSE(bad.ok());
}

TEST(GatewayJsonTest, EncodingKeepsEmbeddedNul) {
  auto gw = DecodeGatewayJson(kGatewayJson);
  ASSERT_TRUE(gw.ok());
  gw->labels["note"] = std::string("a\0b", 3);
  auto again = DecodeGatewayJson(EncodeGatewayJson(*gw));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->labels["note"].size(), 3u);
}

TEST(GatewayJsonTest, WrongTypeNamesTheFieldPath) {
  auto gw = DecodeGatewayJson(
      R"({"metadata":{"name":"g"},"spec":{"endpoints":[{"nodeName":"a"},{"port":"4500"}]}})");
  ASSERT_FALSE(gw.ok());
  EXPECT_EQ(gw.status().message(), "spec.endpoints[1].port: expected a 32-bit integer");

  gw = DecodeGatewayJson(R"({"metadata":{"name":"g"},"status":{"nodes":[{"subnets":[1]}]}})");
  ASSERT_FALSE(gw.ok());
  EXPECT_EQ(gw.status().message(), "status.nodes[0].subnets[0]: expected a string");
}

TEST(GatewayJsonTest, RejectsOtherKindsAndVersions) {
  EXPECT_FALSE(
      DecodeGatewayJson(R"({"apiVersion":"v1","kind":"Gateway","metadata":{"name":"g"}})").ok());
  EXPECT_FALSE(
      DecodeGatewayJson(
          R"({"apiVersion":"raven.openyurt.io/v1beta1","kind":"Node","metadata":{"name":"g"}})")
          .ok());
  EXPECT_FALSE(DecodeGatewayJson(R"({"metadata":{}})").ok());
}

TEST(GatewayJsonTest, DocumentKeepsNamesOfBadItems) {
  auto items = DecodeGatewayDocument(
      R"({"kind":"GatewayList","items":[{"metadata":{"name":"good"}},
          {"metadata":{"name":"bad"},"spec":{"endpoints":"x"}}, 7]})");
  ASSERT_TRUE(items.ok()) << items.status();
  ASSERT_EQ(items->size(), 3u);
  EXPECT_TRUE((*items)[0].gateway.ok());
  EXPECT_EQ((*items)[1].name, "bad");
  EXPECT_FALSE((*items)[1].gateway.ok());
  EXPECT_EQ((*items)[2].name, "");
  EXPECT_FALSE((*items)[2].gateway.ok());
}

TEST(GatewayJsonTest, DocumentAcceptsArrayAndSingleObject) {
  auto array = DecodeGatewayDocument(R"([{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}])");
  ASSERT_TRUE(array.ok());
  EXPECT_EQ(array->size(), 2u);
  auto single = DecodeGatewayDocument(R"({"metadata":{"name":"a"}})");
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->size(), 1u);
}

TEST(GatewayJsonTest, MalformedJsonSaysWhere) {
  auto items = DecodeGatewayDocument(R"({"items": [)");
  ASSERT_FALSE(items.ok());
  EXPECT_NE(items.status().message().find("malformed JSON at offset"), std::string::npos);
}

TEST(GatewayValidationTest, NamesTheBadField) {
  Gateway gw;
  gw.name = "g";
  gw.status.nodes.push_back({"n1", "100.127.1.1", {"100.64.1.0/24", "100.64.2.0/33"}});
  absl::Status st = ValidateGatewayForDataplane(gw);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("status.nodes[0].subnets[1]: invalid CIDR \"100.64.2.0/33\""),
            std::string::npos)
      << st.message();

  gw.status.nodes[0].subnets = {"100.64.1.0/24"};
  gw.status.nodes[0].private_ip = "300.1.1.1";
  EXPECT_FALSE(ValidateGatewayForDataplane(gw).ok());
}

TEST(GatewayValidationTest, ActiveTunnelEndpointNeedsAKey) {
  Gateway gw;
  gw.name = "g";
  gw.status.active_endpoints.push_back({.node_name = "n1", .type = "tunnel", .port = 4500});
  absl::Status st = ValidateGatewayForDataplane(gw);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("missing WireGuard public key"), std::string::npos);

  gw.status.active_endpoints[0].config["publicKey"] = "c2hvcnQ=";
  EXPECT_FALSE(ValidateGatewayForDataplane(gw).ok());
  gw.status.active_endpoints[0].config["publicKey"] = kKey;
  EXPECT_TRUE(ValidateGatewayForDataplane(gw).ok());
  gw.status.active_endpoints[0].public_ip = "not-an-ip";
  EXPECT_FALSE(ValidateGatewayForDataplane(gw).ok());
}

TEST(GatewayValidationTest, ProxyEndpointsNeedNoKey) {
  Gateway gw;
  gw.name = "g";
  gw.status.active_endpoints.push_back({.node_name = "n1", .type = "proxy", .port = 10262});
  EXPECT_TRUE(ValidateGatewayForDataplane(gw).ok());
  EXPECT_EQ(ActiveTunnelEndpoint(gw), nullptr);
}

}  // namespace
}  // namespace raven

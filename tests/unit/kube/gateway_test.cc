#include "common/kube/resources/gateway.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace raven::kube {
namespace {

IpAddress Ip(const char* text) { return IpAddress::Parse(text).value(); }
IpPrefix P(const char* text) { return IpPrefix::Parse(text).value(); }

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

TEST(GatewayCodecTest, DecodesEveryUpstreamField) {
  auto gw = DecodeGatewayJson(kGatewayJson);
  ASSERT_TRUE(gw.ok()) << gw.status();
  EXPECT_EQ(gw->meta.name, "gw-a");
  EXPECT_EQ(gw->meta.resource_version, "42");
  EXPECT_EQ(gw->meta.generation, 3);
  EXPECT_EQ(gw->meta.labels.at("team"), "edge");
  EXPECT_EQ(gw->spec.node_selector.at("raven.openyurt.io/gateway"), "gw-a");
  ASSERT_EQ(gw->spec.endpoints.size(), 2u);
  const GatewayEndpoint& ep = gw->spec.endpoints[0];
  EXPECT_EQ(ep.node_name, "a1");
  EXPECT_EQ(ep.type, EndpointType::kTunnel);
  EXPECT_EQ(ep.port, 4500);
  EXPECT_TRUE(ep.under_nat);
  EXPECT_EQ(ep.nat_type, "Symmetric NAT");
  EXPECT_EQ(ep.public_ip, Ip("198.18.0.1"));
  EXPECT_EQ(ep.public_port, 14500);
  ASSERT_TRUE(ep.public_key.has_value());
  EXPECT_EQ(ep.public_key->ToBase64(), kKey);
  EXPECT_TRUE(ep.config.empty());  // the key is typed, not kept as text
  EXPECT_EQ(gw->spec.endpoints[1].type, EndpointType::kProxy);
  EXPECT_EQ(gw->spec.endpoints[1].public_ip, std::nullopt);
  EXPECT_EQ(gw->spec.tunnel_replicas, 2);
  EXPECT_EQ(gw->spec.proxy_replicas, 1);
  EXPECT_EQ(gw->spec.proxy_http_port, "10255,9445");
  EXPECT_EQ(gw->spec.proxy_https_port, "10250");
  EXPECT_EQ(gw->spec.expose_type, ExposeType::kPublicIP);
  ASSERT_EQ(gw->status.nodes.size(), 1u);
  EXPECT_EQ(gw->status.nodes[0].private_ip, Ip("100.127.1.1"));
  EXPECT_EQ(gw->status.nodes[0].subnets,
            (std::vector<IpPrefix>{P("100.64.1.0/24"), P("fd64:1::/64")}));
  ASSERT_EQ(gw->status.active_endpoints.size(), 1u);
  EXPECT_EQ(ActiveTunnelEndpoint(*gw), &gw->status.active_endpoints[0]);
}

TEST(GatewayCodecTest, EncodeDecodeRoundTrips) {
  auto gw = DecodeGatewayJson(kGatewayJson);
  ASSERT_TRUE(gw.ok());
  auto again = DecodeGatewayJson(EncodeGatewayJson(*gw));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*gw, *again);
}

// Upstream OpenYurt objects have no secondaryPrivateIPs: they decode with
// none, and encode back without the field.
TEST(GatewayCodecTest, UpstreamNodeWithoutSecondaryIpsEncodesWithoutTheField) {
  auto gw = DecodeGatewayJson(kGatewayJson);
  ASSERT_TRUE(gw.ok()) << gw.status();
  EXPECT_TRUE(gw->status.nodes[0].secondary_private_ips.empty());
  std::string json = EncodeGatewayJson(*gw);
  EXPECT_EQ(json.find("secondaryPrivateIPs"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("privateIP":"100.127.1.1")"), std::string::npos) << json;
}

TEST(GatewayCodecTest, SecondaryPrivateIpsRoundTrip) {
  auto gw = DecodeGatewayJson(
      R"({"metadata":{"name":"g"},"status":{"nodes":[
          {"nodeName":"a","privateIP":"100.127.1.1","secondaryPrivateIPs":["fd7f:1::1"],"subnets":[]},
          {"nodeName":"b","privateIP":"fd7f:1::2","secondaryPrivateIPs":["100.127.1.2"],"subnets":[]},
          {"nodeName":"c","privateIP":"100.127.1.3","secondaryPrivateIPs":[],"subnets":[]}]}})");
  ASSERT_TRUE(gw.ok()) << gw.status();
  ASSERT_TRUE(gw->invalid_status.empty()) << gw->invalid_status;
  ASSERT_EQ(gw->status.nodes.size(), 3u);
  EXPECT_EQ(gw->status.nodes[0].private_ip, Ip("100.127.1.1"));
  EXPECT_EQ(gw->status.nodes[0].secondary_private_ips, std::vector<IpAddress>{Ip("fd7f:1::1")});
  EXPECT_EQ(gw->status.nodes[1].private_ip, Ip("fd7f:1::2"));
  EXPECT_EQ(gw->status.nodes[1].secondary_private_ips, std::vector<IpAddress>{Ip("100.127.1.2")});
  EXPECT_TRUE(gw->status.nodes[2].secondary_private_ips.empty());
  EXPECT_EQ(NodeAddresses(gw->status.nodes[0]),
            (std::vector<IpAddress>{Ip("100.127.1.1"), Ip("fd7f:1::1")}));
  std::string json = EncodeGatewayJson(*gw);
  EXPECT_NE(json.find(R"("privateIP":"100.127.1.1","secondaryPrivateIPs":["fd7f:1::1"])"),
            std::string::npos)
      << json;
  EXPECT_EQ(json.find(R"("secondaryPrivateIPs":[])"), std::string::npos) << json;  // omitted
  auto again = DecodeGatewayJson(json);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*gw, *again);
}

TEST(GatewayCodecTest, ConditionsRoundTripWithEveryRequiredField) {
  auto gw = DecodeGatewayJson(kGatewayJson);
  ASSERT_TRUE(gw.ok());
  gw->status.conditions.push_back(
      {"Ready", "False", "NoHealthyEndpoint", "", absl::FromUnixSeconds(1795000000), 4});
  std::string json = EncodeGatewayJson(*gw);
  // metav1.Condition requires message even when empty.
  EXPECT_NE(json.find(R"("message":"")"), std::string::npos) << json;
  auto again = DecodeGatewayJson(json);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->status.conditions, gw->status.conditions);
  // A bad condition is a bad status: the Gateway decodes without it.
  auto bad = DecodeGatewayJson(
      R"({"metadata":{"name":"g"},"status":{"conditions":[{"observedGeneration":"x"}]}})");
  ASSERT_TRUE(bad.ok()) << bad.status();
  EXPECT_TRUE(bad->status.conditions.empty());
  EXPECT_NE(bad->invalid_status.find("status.conditions[0].observedGeneration"), std::string::npos)
      << bad->invalid_status;
}

TEST(GatewayCodecTest, EncodingKeepsEmbeddedNul) {
  auto gw = DecodeGatewayJson(kGatewayJson);
  ASSERT_TRUE(gw.ok());
  gw->meta.labels["note"] = std::string("a\0b", 3);
  auto again = DecodeGatewayJson(EncodeGatewayJson(*gw));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->meta.labels["note"].size(), 3u);
}

TEST(GatewayCodecTest, WrongTypeNamesTheFieldPath) {
  auto gw = DecodeGatewayJson(
      R"({"metadata":{"name":"g"},"spec":{"endpoints":[{"nodeName":"a","type":"tunnel"},{"nodeName":"b","type":"tunnel","port":"4500"}]}})");
  ASSERT_FALSE(gw.ok());
  EXPECT_EQ(gw.status().message(), "spec.endpoints[1].port: expected a 32-bit integer");

  gw = DecodeGatewayJson(
      R"({"metadata":{"name":"g"},"status":{"nodes":[{"nodeName":"n","subnets":[1]}]}})");
  ASSERT_TRUE(gw.ok()) << gw.status();
  EXPECT_EQ(gw->invalid_status, "status.nodes[0].subnets[0]: expected a string");
}

// A bad status (say, forged) leaves the object decodable so that the
// controller can rewrite it; the status is empty and the error kept.
TEST(GatewayCodecTest, BadStatusKeepsMetadataAndSpec) {
  auto gw = DecodeGatewayJson(
      R"({"metadata":{"name":"g","resourceVersion":"7"},
          "spec":{"endpoints":[{"nodeName":"a","type":"tunnel","port":4500}]},
          "status":{"nodes":[{"nodeName":"a","subnets":["100.64.1.5/24"]}],
                    "activeEndpoints":[{"nodeName":"a","type":"tunnel"}]}})");
  ASSERT_TRUE(gw.ok()) << gw.status();
  EXPECT_EQ(gw->meta.name, "g");
  EXPECT_EQ(gw->meta.resource_version, "7");
  ASSERT_EQ(gw->spec.endpoints.size(), 1u);
  EXPECT_EQ(gw->spec.endpoints[0].port, 4500);
  EXPECT_EQ(gw->status, GatewayStatus{});
  EXPECT_TRUE(absl::StartsWith(gw->invalid_status,
                               "status.nodes[0].subnets[0]: invalid CIDR \"100.64.1.5/24\""))
      << gw->invalid_status;
  EXPECT_TRUE(DecodeGatewayJson(kGatewayJson)->invalid_status.empty());
}

TEST(GatewayCodecTest, RejectsOtherKindsAndVersions) {
  EXPECT_FALSE(
      DecodeGatewayJson(R"({"apiVersion":"v1","kind":"Gateway","metadata":{"name":"g"}})").ok());
  EXPECT_FALSE(
      DecodeGatewayJson(
          R"({"apiVersion":"raven.openyurt.io/v1beta1","kind":"Node","metadata":{"name":"g"}})")
          .ok());
  EXPECT_FALSE(DecodeGatewayJson(R"({"metadata":{}})").ok());
}

TEST(GatewayCodecTest, DocumentKeepsNamesOfBadItems) {
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

TEST(GatewayCodecTest, DocumentAcceptsArrayAndSingleObject) {
  auto array = DecodeGatewayDocument(R"([{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}])");
  ASSERT_TRUE(array.ok());
  EXPECT_EQ(array->size(), 2u);
  auto single = DecodeGatewayDocument(R"({"metadata":{"name":"a"}})");
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->size(), 1u);
}

TEST(GatewayCodecTest, MalformedJsonSaysWhere) {
  auto items = DecodeGatewayDocument(R"({"items": [)");
  ASSERT_FALSE(items.ok());
  EXPECT_NE(items.status().message().find("malformed JSON at offset"), std::string::npos);
}

// Values are checked at decode, and the error names the field.
TEST(GatewayDecodeTest, InvalidValuesNameTheirField) {
  struct Case {
    const char* json;
    const char* error;
  };
  const Case cases[] = {
      {R"({"metadata":{"name":"g"},"status":{"nodes":[{"nodeName":"n","subnets":["100.64.1.0/24","100.64.2.0/33"]}]}})",
       "status.nodes[0].subnets[1]: invalid CIDR \"100.64.2.0/33\": bad prefix length"},
      {R"({"metadata":{"name":"g"},"status":{"nodes":[{"nodeName":"n","subnets":["10.0.0.1/8"]}]}})",
       "status.nodes[0].subnets[0]: invalid CIDR \"10.0.0.1/8\": host bits set (did you mean a "
       "network?)"},
      {R"({"metadata":{"name":"g"},"status":{"nodes":[{"nodeName":"n","privateIP":"300.1.1.1"}]}})",
       "status.nodes[0].privateIP: invalid IP \"300.1.1.1\""},
      {R"({"metadata":{"name":"g"},"status":{"nodes":[{"nodeName":"n","privateIP":"100.1.1.1","secondaryPrivateIPs":["fd00::300g"]}]}})",
       "status.nodes[0].secondaryPrivateIPs[0]: invalid IP \"fd00::300g\""},
      {R"({"metadata":{"name":"g"},"status":{"nodes":[{"nodeName":"n","privateIP":"100.1.1.1","secondaryPrivateIPs":[""]}]}})",
       "status.nodes[0].secondaryPrivateIPs[0]: invalid IP \"\""},
      {R"({"metadata":{"name":"g"},"status":{"nodes":[{"nodeName":"n","privateIP":"100.1.1.1","secondaryPrivateIPs":"fd00::1"}]}})",
       "status.nodes[0].secondaryPrivateIPs: expected an array of strings"},
      {R"({"metadata":{"name":"g"},"status":{"nodes":[{"nodeName":"n","privateIP":"100.1.1.1","secondaryPrivateIPs":["100.1.1.2"]}]}})",
       "status.nodes[0].secondaryPrivateIPs[0]: \"100.1.1.2\" is a second IPv4 address (one per "
       "family other than privateIP's)"},
      {R"({"metadata":{"name":"g"},"status":{"nodes":[{"nodeName":"n","privateIP":"100.1.1.1","secondaryPrivateIPs":["fd00::1","fd00::2"]}]}})",
       "status.nodes[0].secondaryPrivateIPs[1]: \"fd00::2\" is a second IPv6 address"},
      {R"({"metadata":{"name":"g"},"status":{"nodes":[{"nodeName":"n","privateIP":"","secondaryPrivateIPs":["fd00::1"]}]}})",
       "status.nodes[0].secondaryPrivateIPs: set without privateIP"},
      {R"({"metadata":{"name":"g"},"spec":{"endpoints":[{"nodeName":"a","type":"tunnel","publicIP":"999.1.1.1"}]}})",
       "spec.endpoints[0].publicIP: invalid IP \"999.1.1.1\""},
      {R"({"metadata":{"name":"g"},"spec":{"endpoints":[{"nodeName":"a","type":"bridge"}]}})",
       "spec.endpoints[0].type: \"bridge\" is not proxy or tunnel"},
      {R"({"metadata":{"name":"g"},"spec":{"endpoints":[{"nodeName":"a","type":"tunnel","port":70000}]}})",
       "spec.endpoints[0].port: port 70000 out of range"},
      {R"({"metadata":{"name":"g"},"spec":{"endpoints":[{"type":"tunnel"}]}})",
       "spec.endpoints[0].nodeName: missing"},
      {R"({"metadata":{"name":"g"},"spec":{"exposeType":"NodePort"}})",
       "spec.exposeType: \"NodePort\" is not PublicIP or LoadBalancer"},
      {R"({"metadata":{"name":"g"},"spec":{"tunnelConfig":{"Replicas":-1}}})",
       "spec.tunnelConfig.Replicas: negative"},
      {R"({"metadata":{"name":"g"},"status":{"activeEndpoints":[{"nodeName":"a","type":"tunnel","config":{"publicKey":"c2hvcnQ="}}]}})",
       "status.activeEndpoints[0].config.publicKey: not a WireGuard key (WireGuard key must be 44 "
       "base64 characters, got 8)"},
      {R"({"metadata":{"name":"g"},"status":{"conditions":[{"type":"Ready","lastTransitionTime":"yesterday"}]}})",
       "status.conditions[0].lastTransitionTime: "},
  };
  for (const Case& c : cases) {
    auto gw = DecodeGatewayJson(c.json);
    // A bad spec fails the decode; a bad status only empties the status.
    const bool in_status = absl::StartsWith(c.error, "status.");
    ASSERT_EQ(gw.ok(), in_status) << c.json;
    const std::string error = in_status ? gw->invalid_status : std::string(gw.status().message());
    EXPECT_TRUE(absl::StartsWith(error, c.error)) << error << "\n  want: " << c.error;
  }
}

TEST(GatewayDecodeTest, QuotedValuesAreCutShort) {
  std::string json = R"({"metadata":{"name":"g"},"spec":{"endpoints":[{"nodeName":"a","type":")" +
                     std::string(100000, 'x') + R"("}]}})";
  auto gw = DecodeGatewayJson(json);
  ASSERT_FALSE(gw.ok());
  EXPECT_LT(gw.status().message().size(), 200u);
}

TEST(GatewayDecodeTest, EmptyAddressesAndKeysAreAbsent) {
  auto gw = DecodeGatewayJson(
      R"({"metadata":{"name":"g"},
          "spec":{"endpoints":[{"nodeName":"a","type":"tunnel","publicIP":"","config":{"publicKey":"","other":"x"}}]},
          "status":{"nodes":[{"nodeName":"a","privateIP":"","subnets":[]}]}})");
  ASSERT_TRUE(gw.ok()) << gw.status();
  EXPECT_EQ(gw->spec.endpoints[0].public_ip, std::nullopt);
  EXPECT_EQ(gw->spec.endpoints[0].public_key, std::nullopt);
  EXPECT_EQ(gw->spec.endpoints[0].config, (std::map<std::string, std::string>{{"other", "x"}}));
  EXPECT_EQ(gw->status.nodes[0].private_ip, std::nullopt);
  // Encoded again, the required privateIP is written as "", as upstream does.
  EXPECT_NE(EncodeGatewayJson(*gw).find(R"("privateIP":"")"), std::string::npos);
}

TEST(GatewayDecodeTest, ProxyEndpointsAreNoTunnel) {
  auto gw = DecodeGatewayJson(
      R"({"metadata":{"name":"g"},"status":{"activeEndpoints":[{"nodeName":"n1","type":"proxy","port":10262}]}})");
  ASSERT_TRUE(gw.ok());
  EXPECT_EQ(ActiveTunnelEndpoint(*gw), nullptr);
}

}  // namespace
}  // namespace raven::kube

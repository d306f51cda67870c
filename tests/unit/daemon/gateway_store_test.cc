#include "daemon/model/gateway_store.h"

#include <gtest/gtest.h>

#include "tests/unit/daemon/gateway_builder.h"

namespace raven {
namespace {

using kube::DecodedGateway;
using kube::Gateway;
using testing::GatewayBuilder;

DecodedGateway Good(const Gateway& gw) { return {gw.meta.name, gw}; }

Gateway PoolB(const char* subnet) {
  return GatewayBuilder("gw-b")
      .Node("b1", "100.127.2.1", {subnet})
      .Active("b1", "198.18.0.2", 'b')
      .Build();
}

IpPrefix P(const char* text) { return IpPrefix::Parse(text).value(); }

TEST(GatewayStoreTest, AcceptsValidSnapshot) {
  GatewayStore store("a1");
  auto rejected = store.ReplaceAll({Good(PoolB("100.64.2.0/24"))});
  EXPECT_TRUE(rejected.empty());
  EXPECT_EQ(store.gateways().size(), 1u);
}

TEST(GatewayStoreTest, InvalidUpdateKeepsLastGoodVersion) {
  GatewayStore store("a1");
  store.ReplaceAll({Good(PoolB("100.64.2.0/24"))});
  auto rejected = store.ReplaceAll({DecodedGateway{
      "gw-b", kube::DecodeGatewayJson(R"({"metadata":{"name":"gw-b"},"status":{"nodes":[
          {"nodeName":"b1","privateIP":"100.127.2.1","subnets":["100.64.2.0/33"]}]}})")}});
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].name, "gw-b");
  EXPECT_TRUE(rejected[0].kept_last_good);
  EXPECT_NE(rejected[0].reason.find("status.nodes[0].subnets[0]: invalid CIDR"), std::string::npos)
      << rejected[0].reason;
  EXPECT_EQ(store.gateways().at("gw-b").status.nodes[0].subnets[0], P("100.64.2.0/24"));
}

TEST(GatewayStoreTest, MissingKeyOfARemotePoolKeepsLastGoodVersion) {
  GatewayStore store("a1");
  store.ReplaceAll({Good(PoolB("100.64.2.0/24"))});
  Gateway keyless = PoolB("100.64.9.0/24");
  keyless.status.active_endpoints[0].public_key.reset();
  auto rejected = store.ReplaceAll({Good(keyless)});
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_TRUE(rejected[0].kept_last_good);
  EXPECT_NE(rejected[0].reason.find("missing WireGuard public key"), std::string::npos);
  EXPECT_EQ(store.gateways().at("gw-b").status.nodes[0].subnets[0], P("100.64.2.0/24"));
}

TEST(GatewayStoreTest, MissingKeyWithNoHistoryIsIgnored) {
  GatewayStore store("a1");
  Gateway gw = PoolB("100.64.2.0/24");
  gw.status.active_endpoints[0].public_key.reset();
  auto rejected = store.ReplaceAll({Good(gw)});
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_FALSE(rejected[0].kept_last_good);
  EXPECT_TRUE(store.gateways().empty());
}

TEST(GatewayStoreTest, OwnGatewayNeedsNoEndpointKey) {
  GatewayStore store("b1");  // b1 is in gw-b: it has its own key
  Gateway gw = PoolB("100.64.2.0/24");
  gw.status.active_endpoints[0].public_key.reset();
  EXPECT_TRUE(store.ReplaceAll({Good(gw)}).empty());
  EXPECT_EQ(store.gateways().count("gw-b"), 1u);
}

TEST(GatewayStoreTest, AbsentGatewayIsRemoved) {
  GatewayStore store("a1");
  store.ReplaceAll({Good(PoolB("100.64.2.0/24"))});
  EXPECT_TRUE(store.ReplaceAll({}).empty());
  EXPECT_TRUE(store.gateways().empty());
}

TEST(GatewayStoreTest, DuplicateNameKeepsFirst) {
  GatewayStore store("a1");
  auto rejected = store.ReplaceAll({Good(PoolB("100.64.2.0/24")), Good(PoolB("100.64.9.0/24"))});
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(store.gateways().at("gw-b").status.nodes[0].subnets[0], P("100.64.2.0/24"));
}

}  // namespace
}  // namespace raven

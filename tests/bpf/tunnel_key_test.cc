// The tunnel key the classifier sets for VXLAN routes, read back by the
// test-only tunnel_key_probe program right after classify() returns.
#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/pkt_cls.h>
#include <string.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/bpf/dataplane_case.h"
#include "tests/bpf/probe.h"
#include "tests/bpf/prog_test_run.h"
#include "tests/bpf/tunnel_key_probe.h"

namespace raven::bpf::testing {
namespace {

struct TunnelKeyCase {
  std::string name;
  RouteMap routes;
  Bytes in;
  IpAddress gateway;  // the expected tunnel destination
};

std::ostream& operator<<(std::ostream& os, const TunnelKeyCase& c) { return os << c.name; }

IpAddress Address(absl::string_view text) { return IpAddress::Parse(text).value(); }

std::vector<TunnelKeyCase> TunnelKeyCases() {
  const Bytes v4_packet = PacketBuilder::Ipv4("10.0.0.1", "10.20.5.9").Udp(40000, 53).Build();
  const Bytes v6_packet =
      PacketBuilder::Ipv6("fd00:10::1", "fd00:20:0:5::9").Udp(40000, 53).Build();
  return {
      {"v4_packet_to_v4_gateway", StandardRoutes(), v4_packet, Address("192.168.50.2")},
      {"v6_packet_to_v6_gateway", StandardRoutes(), v6_packet, Address("fd00:50::2")},
      {"v6_packet_to_v4_gateway", Routes({{"fd00:20::/48", VxlanRoute(4, "192.168.50.3")}}),
       v6_packet, Address("192.168.50.3")},
      {"v4_packet_to_v6_gateway", Routes({{"10.20.0.0/16", VxlanRoute(2, "fd00:50::3")}}),
       v4_packet, Address("fd00:50::3")},
  };
}

using TunnelKeyTest = ProbeTest<TunnelKeyCase>;

TEST_P(TunnelKeyTest, ClassifierSetsGatewayAndVni) {
  const TunnelKeyCase& c = GetParam();
  BpfRouteTable routes(bpf_map__fd(probe_->maps.raven_routes4_v1),
                       bpf_map__fd(probe_->maps.raven_routes6_v1));
  for (const auto& [prefix, value] : c.routes) {
    absl::Status status = routes.Upsert(prefix, value);
    ASSERT_TRUE(status.ok()) << status;
  }

  auto run = RunTcProgram(bpf_program__fd(probe_->progs.probe_tunnel_key), c.in);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->verdict, TC_ACT_REDIRECT);
  EXPECT_EQ(run->mark, kTunnelMark);

  tunnel_key_probe_result result{};
  const uint32_t zero = 0;
  ASSERT_EQ(bpf_map__lookup_elem(probe_->maps.probe_results, &zero, sizeof(zero), &result,
                                 sizeof(result), 0),
            0);
  ASSERT_EQ(result.ran, 1u);
  const bool v4 = c.gateway.family == IpFamily::kV4;
  // A key holds one family; reading it as the other fails with EPROTO.
  EXPECT_EQ(result.v4_err, v4 ? 0 : -EPROTO);
  EXPECT_EQ(result.v6_err, v4 ? -EPROTO : 0);
  const bpf_tunnel_key& key = v4 ? result.v4 : result.v6;
  EXPECT_EQ(key.tunnel_id, kProbeVni);
  EXPECT_EQ(key.tunnel_ttl, 64);
  // bpf_skb_get_tunnel_key reads a key as received: the destination that
  // bpf_skb_set_tunnel_key took as remote_* comes back as local_*, and the
  // source, left for the VXLAN device to choose, as remote_*.
  IpAddress destination, source;
  destination.family = source.family = c.gateway.family;
  if (v4) {
    const uint32_t destination_be = htonl(key.local_ipv4);  // host order in bpf_tunnel_key
    const uint32_t source_be = htonl(key.remote_ipv4);
    memcpy(destination.bytes.data(), &destination_be, 4);
    memcpy(source.bytes.data(), &source_be, 4);
  } else {
    memcpy(destination.bytes.data(), key.local_ipv6, 16);
    memcpy(source.bytes.data(), key.remote_ipv6, 16);
  }
  EXPECT_EQ(destination.ToString(), c.gateway.ToString());
  EXPECT_EQ(source.ToString(), v4 ? "0.0.0.0" : "::");
}

INSTANTIATE_TEST_SUITE_P(Vxlan, TunnelKeyTest, ::testing::ValuesIn(TunnelKeyCases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace raven::bpf::testing

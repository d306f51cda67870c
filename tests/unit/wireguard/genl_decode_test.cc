// Decodes WireGuard generic netlink messages: replies written by hand as the
// kernel builds them, split dumps, and malformed attributes.
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/time_types.h>
#include <netinet/in.h>

#include "daemon/wireguard/genl_messages.h"
#include "gtest/gtest.h"
#include "tests/unit/wireguard/genl_test_util.h"

namespace raven::wg::genl {
namespace {

using testing::Decode;
using testing::KeyOf;
using testing::kFamily;
using testing::kIfname;
using testing::P;

TEST(GenlDecodeTest, DumpPeersContinueAcrossMessagesOnlyWhenFirst) {
  Device device;
  // Message 1: peers A, B(part). Message 2: B(rest), C. Message 3: A again
  // but not first: a distinct entry.
  std::vector<Peer> m1 = {{.public_key = KeyOf(0xa), .allowed_ips = {P("10.0.0.0/8")}},
                          {.public_key = KeyOf(0xb), .allowed_ips = {P("10.1.0.0/16")}}};
  std::vector<Peer> m2 = {{.public_key = KeyOf(0xb), .allowed_ips = {P("10.2.0.0/16")}},
                          {.public_key = KeyOf(0xc)}};
  std::vector<Peer> m3 = {{.public_key = KeyOf(0xd)}, {.public_key = KeyOf(0xd)}};
  for (const std::vector<Peer>* peers : {&m1, &m2, &m3}) {
    absl::StatusOr<std::vector<nl::Request>> msgs = BuildSetPeers(kFamily, kIfname, *peers);
    ASSERT_TRUE(msgs.ok());
    ASSERT_EQ(msgs->size(), 1u);
    ASSERT_TRUE(DecodeDeviceMessage(*(*msgs)[0].nlh(), device).ok());
  }
  ASSERT_EQ(device.peers.size(), 5u);
  EXPECT_EQ(device.peers[1].public_key, KeyOf(0xb));
  EXPECT_EQ(device.peers[1].allowed_ips,
            (std::vector<IpPrefix>{P("10.1.0.0/16"), P("10.2.0.0/16")}));
  EXPECT_EQ(device.peers[2].public_key, KeyOf(0xc));
}

TEST(GenlDecodeTest, ReplyStatisticsAndState) {
  // A reply as the kernel would build it, written by hand.
  nl::Request msg(kFamily, 0);
  nlmsghdr* nlh = msg.nlh();
  auto* genl = msg.PutHeader<genlmsghdr>();
  genl->cmd = WG_CMD_GET_DEVICE;
  mnl_attr_put_u32(nlh, WGDEVICE_A_IFINDEX, 5);
  mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, "wg0");
  Key zero;
  mnl_attr_put(nlh, WGDEVICE_A_PRIVATE_KEY, kKeyLen, zero.bytes.data());  // no key set
  mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, 51820);
  mnl_attr_put_u32(nlh, WGDEVICE_A_FWMARK, 0);
  nlattr* peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
  nlattr* peer = mnl_attr_nest_start(nlh, 0);
  Key key = KeyOf(9);
  mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, kKeyLen, key.bytes.data());
  mnl_attr_put(nlh, WGPEER_A_PRESHARED_KEY, kKeyLen, zero.bytes.data());
  __kernel_timespec ts{1700000000, 42};
  mnl_attr_put(nlh, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(ts), &ts);
  mnl_attr_put_u64(nlh, WGPEER_A_RX_BYTES, 1000);
  mnl_attr_put_u64(nlh, WGPEER_A_TX_BYTES, 2000);
  mnl_attr_put_u16(nlh, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, 25);
  mnl_attr_put_u32(nlh, WGPEER_A_PROTOCOL_VERSION, 1);
  nlattr* ips = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
  nlattr* ip = mnl_attr_nest_start(nlh, 0);
  mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, AF_INET6);
  IpPrefix prefix = P("fd00:1::/64");
  mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, 16, prefix.address.bytes.data());
  mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, 64);
  mnl_attr_nest_end(nlh, ip);
  mnl_attr_nest_end(nlh, ips);
  mnl_attr_nest_end(nlh, peer);
  mnl_attr_nest_end(nlh, peers);

  Device device = Decode(msg);
  DeviceState state = ToDeviceState(device);
  EXPECT_FALSE(state.private_key);
  EXPECT_EQ(state.listen_port, 51820);
  ASSERT_EQ(state.peers.size(), 1u);
  EXPECT_EQ(state.peers[0].config, (PeerConfig{KeyOf(9), std::nullopt, {prefix}, 25}));
  EXPECT_EQ(state.peers[0].last_handshake_unix_nanos, 1700000000000000042);
  EXPECT_EQ(state.peers[0].rx_bytes, 1000u);
  EXPECT_EQ(state.peers[0].tx_bytes, 2000u);
}

TEST(GenlDecodeTest, RejectsMalformedAttributes) {
  nl::Request msg(kFamily, 0);
  nlmsghdr* nlh = msg.nlh();
  msg.PutHeader<genlmsghdr>();
  nlattr* peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
  nlattr* peer = mnl_attr_nest_start(nlh, 0);
  uint8_t short_key[31] = {};
  mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, sizeof(short_key), short_key);
  mnl_attr_nest_end(nlh, peer);
  mnl_attr_nest_end(nlh, peers);
  Device device;
  EXPECT_FALSE(DecodeDeviceMessage(*msg.nlh(), device).ok());

  nl::Request bad_ip(kFamily, 0);
  nlh = bad_ip.nlh();
  bad_ip.PutHeader<genlmsghdr>();
  peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
  peer = mnl_attr_nest_start(nlh, 0);
  Key key = KeyOf(1);
  mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, kKeyLen, key.bytes.data());
  nlattr* ips = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
  nlattr* ip = mnl_attr_nest_start(nlh, 0);
  mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, AF_INET);
  mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, 4, key.bytes.data());
  mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, 33);  // > 32
  mnl_attr_nest_end(nlh, ip);
  mnl_attr_nest_end(nlh, ips);
  mnl_attr_nest_end(nlh, peer);
  mnl_attr_nest_end(nlh, peers);
  Device device2;
  EXPECT_FALSE(DecodeDeviceMessage(*bad_ip.nlh(), device2).ok());
}

}  // namespace
}  // namespace raven::wg::genl

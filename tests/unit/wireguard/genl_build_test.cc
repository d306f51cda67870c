// Builds WireGuard generic netlink messages and decodes them again, with the
// decoder the kernel backend uses for replies and with raw libmnl walks.
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <netinet/in.h>

#include <cstring>

#include "daemon/netlink/attr.h"
#include "daemon/wireguard/genl_messages.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/wireguard/genl_test_util.h"

namespace raven::wg::genl {
namespace {

using testing::Decode;
using testing::KeyOf;
using testing::kFamily;
using testing::kIfname;
using testing::P;

const genlmsghdr* Genl(const nl::Request& msg) {
  return static_cast<const genlmsghdr*>(mnl_nlmsg_get_payload(msg.nlh()));
}

// The raw payload of the first WGPEER_A_ENDPOINT in the message.
std::vector<uint8_t> RawEndpoint(const nl::Request& msg) {
  std::vector<uint8_t> raw;
  EXPECT_TRUE(nl::ForEachAttribute(*msg.nlh(), sizeof(genlmsghdr), [&](const nlattr* a) {
                if (mnl_attr_get_type(a) != WGDEVICE_A_PEERS) return absl::OkStatus();
                EXPECT_TRUE(a->nla_type & NLA_F_NESTED);
                return nl::ForEachNested(a, [&](const nlattr* peer) {
                  return nl::ForEachNested(peer, [&](const nlattr* attr) {
                    if (raw.empty() && mnl_attr_get_type(attr) == WGPEER_A_ENDPOINT) {
                      auto* p = static_cast<const uint8_t*>(mnl_attr_get_payload(attr));
                      raw.assign(p, p + mnl_attr_get_payload_len(attr));
                    }
                    return absl::OkStatus();
                  });
                });
              }).ok());
  return raw;
}

TEST(GenlBuildTest, GetDeviceIsADumpByName) {
  nl::Request msg = BuildGetDevice(kFamily, kIfname);
  EXPECT_EQ(msg.nlh()->nlmsg_type, kFamily);
  EXPECT_EQ(msg.nlh()->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP);
  EXPECT_EQ(Genl(msg)->cmd, WG_CMD_GET_DEVICE);
  EXPECT_EQ(Genl(msg)->version, WG_GENL_VERSION);
  Device device = Decode(msg);
  EXPECT_EQ(device.ifname, kIfname);
  EXPECT_TRUE(device.peers.empty());
}

TEST(GenlBuildTest, SetDeviceCarriesOnlyGivenSettings) {
  nl::Request msg = BuildSetDevice(kFamily, kIfname, DeviceSettings{KeyOf(0x42), 4500, 0});
  EXPECT_EQ(msg.nlh()->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  EXPECT_EQ(Genl(msg)->cmd, WG_CMD_SET_DEVICE);
  Device device = Decode(msg);
  EXPECT_EQ(device.ifname, kIfname);
  EXPECT_EQ(device.private_key, KeyOf(0x42));
  EXPECT_EQ(device.listen_port, 4500);
  EXPECT_EQ(device.fwmark, 0u);  // present: removes the mark
  EXPECT_TRUE(device.peers.empty());

  Device only_mark = Decode(BuildSetDevice(kFamily, kIfname, DeviceSettings{{}, {}, 9}));
  EXPECT_FALSE(only_mark.private_key);
  EXPECT_FALSE(only_mark.listen_port);
  EXPECT_EQ(only_mark.fwmark, 9u);
}

TEST(GenlBuildTest, UpsertReplacesAllowedIpsPerPeer) {
  std::vector<PeerConfig> peers = {
      {KeyOf(1), "1.2.3.4:4500", {P("10.0.0.0/24"), P("fd00:1::/64")}, 25},
      {KeyOf(2), "[fd00::2]:51820", {}, 0},
      {KeyOf(3), std::nullopt, {P("192.168.1.1/32")}, 0},
  };
  absl::StatusOr<std::vector<nl::Request>> msgs = BuildUpsertPeers(kFamily, kIfname, peers);
  ASSERT_TRUE(msgs.ok()) << msgs.status();
  ASSERT_EQ(msgs->size(), 1u);
  const nl::Request& msg = (*msgs)[0];
  EXPECT_EQ(msg.nlh()->nlmsg_type, kFamily);
  EXPECT_EQ(Genl(msg)->cmd, WG_CMD_SET_DEVICE);
  Device device = Decode(msg);
  EXPECT_EQ(device.ifname, kIfname);
  EXPECT_FALSE(device.private_key);  // device settings untouched
  EXPECT_FALSE(device.listen_port);
  ASSERT_EQ(device.peers.size(), 3u);
  for (const Peer& peer : device.peers) {
    EXPECT_EQ(peer.flags, static_cast<uint32_t>(WGPEER_F_REPLACE_ALLOWEDIPS));  // never REMOVE_ME
  }
  EXPECT_EQ(device.peers[0].public_key, KeyOf(1));
  EXPECT_EQ(device.peers[0].endpoint->ToString(), "1.2.3.4:4500");
  EXPECT_EQ(device.peers[0].persistent_keepalive, 25);
  EXPECT_EQ(device.peers[0].allowed_ips, peers[0].allowed_ips);
  EXPECT_EQ(device.peers[1].endpoint->ToString(), "[fd00::2]:51820");
  EXPECT_EQ(device.peers[1].persistent_keepalive, 0);  // sent, to turn keepalive off
  EXPECT_TRUE(device.peers[1].allowed_ips.empty());
  EXPECT_FALSE(device.peers[2].endpoint);
  EXPECT_EQ(device.peers[2].allowed_ips, peers[2].allowed_ips);

  // The endpoint is a struct sockaddr_in with the port in network order.
  std::vector<uint8_t> raw = RawEndpoint(msg);
  ASSERT_EQ(raw.size(), sizeof(sockaddr_in));
  sockaddr_in sin;
  std::memcpy(&sin, raw.data(), sizeof(sin));
  EXPECT_EQ(sin.sin_family, AF_INET);
  EXPECT_EQ(sin.sin_port, htons(4500));
  EXPECT_EQ(sin.sin_addr.s_addr, htonl(0x01020304));
}

TEST(GenlBuildTest, Ipv6EndpointIsSockaddrIn6) {
  absl::StatusOr<std::vector<nl::Request>> msgs =
      BuildUpsertPeers(kFamily, kIfname, {{KeyOf(1), "[fd00::1]:4500", {}, 0}});
  ASSERT_TRUE(msgs.ok());
  std::vector<uint8_t> raw = RawEndpoint((*msgs)[0]);
  ASSERT_EQ(raw.size(), sizeof(sockaddr_in6));
  sockaddr_in6 sin6;
  std::memcpy(&sin6, raw.data(), sizeof(sin6));
  EXPECT_EQ(sin6.sin6_family, AF_INET6);
  EXPECT_EQ(sin6.sin6_port, htons(4500));
  EXPECT_EQ(sin6.sin6_addr.s6_addr[0], 0xfd);
  EXPECT_EQ(sin6.sin6_addr.s6_addr[15], 0x01);
}

TEST(GenlBuildTest, RemovalCarriesOnlyKeyAndRemoveFlag) {
  absl::StatusOr<std::vector<nl::Request>> msgs =
      BuildRemovePeers(kFamily, kIfname, {KeyOf(1), KeyOf(2)});
  ASSERT_TRUE(msgs.ok());
  ASSERT_EQ(msgs->size(), 1u);
  Device device = Decode((*msgs)[0]);
  ASSERT_EQ(device.peers.size(), 2u);
  for (const Peer& peer : device.peers) {
    EXPECT_EQ(peer.flags, static_cast<uint32_t>(WGPEER_F_REMOVE_ME));
    EXPECT_FALSE(peer.endpoint);
    EXPECT_FALSE(peer.persistent_keepalive);
    EXPECT_TRUE(peer.allowed_ips.empty());
  }
}

TEST(GenlBuildTest, NothingToSendIsNoMessage) {
  absl::StatusOr<std::vector<nl::Request>> msgs = BuildUpsertPeers(kFamily, kIfname, {});
  ASSERT_TRUE(msgs.ok());
  EXPECT_TRUE(msgs->empty());
}

std::vector<IpPrefix> ManyPrefixes(int n) {
  std::vector<IpPrefix> prefixes;
  for (int i = 0; i < n; ++i) {
    prefixes.push_back(
        P("fd00:" + std::to_string(i / 256) + ":" + std::to_string(i % 256) + "::/64"));
  }
  return prefixes;
}

TEST(GenlBuildTest, SplitsALargePeerWithoutRepeatingReplace) {
  PeerConfig big{KeyOf(7), "1.2.3.4:4500", ManyPrefixes(300), 25};
  absl::StatusOr<std::vector<nl::Request>> msgs = BuildUpsertPeers(kFamily, kIfname, {big}, 1024);
  ASSERT_TRUE(msgs.ok()) << msgs.status();
  ASSERT_GT(msgs->size(), 5u);
  Device merged;
  for (size_t i = 0; i < msgs->size(); ++i) {
    const nl::Request& msg = (*msgs)[i];
    EXPECT_LE(msg.size(), 1024u);
    Device part = Decode(msg);
    EXPECT_EQ(part.ifname, kIfname);
    ASSERT_EQ(part.peers.size(), 1u);
    EXPECT_EQ(part.peers[0].public_key, big.public_key);
    EXPECT_FALSE(part.peers[0].allowed_ips.empty()) << "message " << i << " makes no progress";
    if (i == 0) {
      // Only the first part replaces; later parts add to it.
      EXPECT_EQ(part.peers[0].flags, static_cast<uint32_t>(WGPEER_F_REPLACE_ALLOWEDIPS));
      EXPECT_TRUE(part.peers[0].endpoint);
      EXPECT_EQ(part.peers[0].persistent_keepalive, 25);
    } else {
      EXPECT_EQ(part.peers[0].flags, 0u);
      EXPECT_FALSE(part.peers[0].endpoint);
      EXPECT_FALSE(part.peers[0].persistent_keepalive);
    }
    ASSERT_TRUE(DecodeDeviceMessage(*msg.nlh(), merged).ok());
  }
  // Decoding the parts in order joins them, as for kernel dumps.
  ASSERT_EQ(merged.peers.size(), 1u);
  EXPECT_EQ(merged.peers[0].allowed_ips, big.allowed_ips);
}

TEST(GenlBuildTest, LargerMessagesHoldALargePeerWhole) {
  PeerConfig big{KeyOf(7), "1.2.3.4:4500", ManyPrefixes(300), 25};
  absl::StatusOr<std::vector<nl::Request>> msgs = BuildUpsertPeers(kFamily, kIfname, {big}, 65536);
  ASSERT_TRUE(msgs.ok()) << msgs.status();
  ASSERT_EQ(msgs->size(), 1u);
  EXPECT_GT((*msgs)[0].size(), kMaxMessageSize);
  EXPECT_LE((*msgs)[0].size(), 65536u);
  Device device = Decode((*msgs)[0]);
  ASSERT_EQ(device.peers.size(), 1u);
  EXPECT_EQ(device.peers[0].allowed_ips, big.allowed_ips);
}

TEST(GenlBuildTest, SplitsManyPeersKeepingSmallPeersWhole) {
  std::vector<PeerConfig> peers;
  for (int i = 0; i < 200; ++i) {
    Key key;
    key.bytes[0] = static_cast<uint8_t>(i);
    key.bytes[1] = 1;
    peers.push_back(
        {key,
         "[fd00::1]:4500",
         {P("10." + std::to_string(i) + ".0.0/16"), P("fd00:" + std::to_string(i) + "::/64")},
         0});
  }
  absl::StatusOr<std::vector<nl::Request>> msgs = BuildUpsertPeers(kFamily, kIfname, peers);
  ASSERT_TRUE(msgs.ok()) << msgs.status();
  ASSERT_GT(msgs->size(), 1u);
  size_t seen = 0;
  for (const nl::Request& msg : *msgs) {
    EXPECT_LE(msg.size(), kMaxMessageSize);
    for (const Peer& peer : Decode(msg).peers) {
      ASSERT_LT(seen, peers.size());
      EXPECT_EQ(peer.public_key, peers[seen].public_key);
      EXPECT_EQ(peer.flags, static_cast<uint32_t>(WGPEER_F_REPLACE_ALLOWEDIPS));
      EXPECT_EQ(peer.allowed_ips, peers[seen].allowed_ips);
      ++seen;
    }
  }
  EXPECT_EQ(seen, peers.size());
}

TEST(GenlBuildTest, RejectsInvalidInput) {
  EXPECT_FALSE(BuildUpsertPeers(kFamily, kIfname, {{KeyOf(1), "bad", {}, 0}}).ok());
  EXPECT_FALSE(BuildUpsertPeers(kFamily, kIfname, {{KeyOf(1), std::nullopt, {}, 70000}}).ok());
  EXPECT_FALSE(BuildRemovePeers(kFamily, kIfname, {KeyOf(1)}, 64).ok());  // size too small
}

}  // namespace
}  // namespace raven::wg::genl

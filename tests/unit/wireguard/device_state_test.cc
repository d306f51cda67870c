#include "daemon/wireguard/device_state.h"

#include "daemon/wireguard/endpoint.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace raven::wg {
namespace {

using ::testing::HasSubstr;

Key KeyOf(uint8_t fill) {
  Key key;
  key.bytes.fill(fill);
  return key;
}

IpPrefix P(const char* text) { return IpPrefix::Parse(text).value(); }

TEST(EndpointTest, ParsesAndCanonicalizes) {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"1.2.3.4:4500", "1.2.3.4:4500"},
      {"[fd00::1]:4500", "[fd00::1]:4500"},
      {"[FD00:0:0::1]:65535", "[fd00::1]:65535"},
      {"[::ffff:1.2.3.4]:1", "[::ffff:1.2.3.4]:1"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Endpoint> endpoint = Endpoint::Parse(c.in);
    ASSERT_TRUE(endpoint.ok()) << c.in << ": " << endpoint.status();
    EXPECT_EQ(endpoint->ToString(), c.out);
  }
}

TEST(EndpointTest, RejectsBadEndpoints) {
  for (const char* bad : {"", "1.2.3.4", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:+80",
                          "1.2.3.4: 80", "fd00::1:4500", "[1.2.3.4]:80", "[fd00::1]",
                          "[fd00::1]4500", "example.com:80", "[fe80::1%eth0]:80", "1.2.3:80"}) {
    EXPECT_FALSE(Endpoint::Parse(bad).ok()) << "accepted \"" << bad << "\"";
  }
}

TEST(SettingsToApplyTest, NothingWhenDeviceMatches) {
  DeviceConfig want{"wg0", Clamped(KeyOf(7)), 4500, 0x10};
  DeviceState have{Clamped(KeyOf(7)), 4500, 0x10, {}};
  EXPECT_TRUE(SettingsToApply(want, have).empty());
}

TEST(SettingsToApplyTest, ComparesClampedKeys) {
  // Devices report the clamped key; an unclamped configured key is the same key.
  DeviceConfig want{"wg0", KeyOf(0xff), 4500, 0};
  DeviceState have{Clamped(KeyOf(0xff)), 4500, 0, {}};
  EXPECT_TRUE(SettingsToApply(want, have).empty());
  have.private_key = std::nullopt;
  DeviceSettings settings = SettingsToApply(want, have);
  ASSERT_TRUE(settings.private_key);
  EXPECT_EQ(*settings.private_key, Clamped(KeyOf(0xff)));
}

TEST(SettingsToApplyTest, OnlyDifferencesAreSet) {
  DeviceConfig want{"wg0", Clamped(KeyOf(7)), 4500, 0};
  DeviceState have{Clamped(KeyOf(7)), 51820, 0x20, {}};
  DeviceSettings settings = SettingsToApply(want, have);
  EXPECT_FALSE(settings.private_key);
  EXPECT_EQ(settings.listen_port, 4500);
  EXPECT_EQ(settings.fwmark, 0u);  // removes the mark
}

TEST(SettingsToApplyTest, PortZeroKeepsTheDevicePort) {
  DeviceConfig want{"wg0", Clamped(KeyOf(7)), 0, 0};
  DeviceState have{Clamped(KeyOf(7)), 38860, 0, {}};
  EXPECT_TRUE(SettingsToApply(want, have).empty());
}

TEST(NormalizeTest, SortsPeersAndAllowedIps) {
  std::vector<PeerStatus> peers(2);
  peers[0].config.public_key = KeyOf(9);
  peers[0].config.allowed_ips = {P("fd00::/64"), P("10.1.0.0/16"), P("10.0.0.0/24")};
  peers[1].config.public_key = KeyOf(1);
  Normalize(peers);
  EXPECT_EQ(peers[0].config.public_key, KeyOf(1));
  EXPECT_EQ(peers[1].config.allowed_ips,
            (std::vector<IpPrefix>{P("10.0.0.0/24"), P("10.1.0.0/16"), P("fd00::/64")}));
}

TEST(ValidatePeersTest, AcceptsGoodPeers) {
  std::vector<PeerConfig> peers = {
      {KeyOf(1), "1.2.3.4:4500", {P("10.0.0.0/24")}, 25},
      {KeyOf(2), std::nullopt, {}, 0},
      {KeyOf(3), "[fd00::1]:4500", {P("fd00:1::/64")}, 65535},
  };
  EXPECT_TRUE(ValidatePeers(peers).ok());
}

TEST(ValidatePeersTest, RejectsBadPeers) {
  EXPECT_THAT(ValidatePeers({{KeyOf(1), "nope", {}, 0}}).message(), HasSubstr("endpoint"));
  EXPECT_THAT(ValidatePeers({{KeyOf(1), std::nullopt, {}, 65536}}).message(),
              HasSubstr("keepalive"));
  EXPECT_THAT(ValidatePeers({{KeyOf(1), std::nullopt, {}, -1}}).message(), HasSubstr("keepalive"));
  EXPECT_THAT(
      ValidatePeers({{KeyOf(1), std::nullopt, {}, 0}, {KeyOf(1), std::nullopt, {}, 0}}).message(),
      HasSubstr("twice"));
}

}  // namespace
}  // namespace raven::wg

#include "daemon/wireguard/uapi_protocol.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace raven::wg::uapi {
namespace {

using ::testing::HasSubstr;

Key KeyOf(uint8_t fill) {
  Key key;
  key.bytes.fill(fill);
  return key;
}

IpPrefix P(const char* text) { return IpPrefix::Parse(text).value(); }

const std::string k11(64, '1');
const std::string k22(64, '2');

TEST(UapiEncodeTest, UpsertReplacesEachPeersAllowedIps) {
  std::vector<PeerConfig> peers = {
      {KeyOf(0x11), "[FD00:0::1]:4500", {P("10.0.0.0/24"), P("fd00:1::/64")}, 25},
      {KeyOf(0x22), "1.2.3.4:51820", {}, 0},
      {KeyOf(0x33), std::nullopt, {P("10.9.0.1/32")}, 0},
  };
  absl::StatusOr<std::string> text = EncodeUpsertPeers(peers);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text,
            "set=1\n"
            "public_key=" +
                k11 +
                "\n"
                "endpoint=[fd00::1]:4500\n"
                "persistent_keepalive_interval=25\n"
                "replace_allowed_ips=true\n"
                "allowed_ip=10.0.0.0/24\n"
                "allowed_ip=fd00:1::/64\n"
                "public_key=" +
                k22 +
                "\n"
                "endpoint=1.2.3.4:51820\n"
                "persistent_keepalive_interval=0\n"
                "replace_allowed_ips=true\n"
                "public_key=" +
                std::string(64, '3') +
                "\n"
                "persistent_keepalive_interval=0\n"
                "replace_allowed_ips=true\n"
                "allowed_ip=10.9.0.1/32\n"
                "\n");
  EXPECT_THAT(*text, ::testing::Not(HasSubstr("replace_peers")));
}

TEST(UapiEncodeTest, UpsertRejectsInvalidPeers) {
  EXPECT_FALSE(EncodeUpsertPeers({{KeyOf(1), "1.2.3.4", {}, 0}}).ok());
}

TEST(UapiEncodeTest, Removal) {
  EXPECT_EQ(EncodeRemovePeers({KeyOf(0x11), KeyOf(0x22)}),
            "set=1\npublic_key=" + k11 + "\nremove=true\npublic_key=" + k22 + "\nremove=true\n\n");
}

TEST(UapiEncodeTest, DeviceSettings) {
  DeviceSettings all{KeyOf(0xab), 4500, 0};
  EXPECT_EQ(EncodeSetDevice(all),
            "set=1\n"
            "private_key=abababababababababababababababababababababababababababababababab\n"
            "listen_port=4500\n"
            "fwmark=0\n"
            "\n");
  EXPECT_EQ(EncodeSetDevice(DeviceSettings{std::nullopt, std::nullopt, 7}), "set=1\nfwmark=7\n\n");
}

// Captured from wireguard-go 0.0.20220316 (private key clamped by it).
constexpr char kGetResponse[] =
    "private_key=a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a868\n"
    "listen_port=49451\n"
    "fwmark=7\n"
    "public_key=2222222222222222222222222222222222222222222222222222222222222222\n"
    "preshared_key=0000000000000000000000000000000000000000000000000000000000000000\n"
    "protocol_version=1\n"
    "endpoint=1.2.3.4:51820\n"
    "last_handshake_time_sec=1700000000\n"
    "last_handshake_time_nsec=5\n"
    "tx_bytes=100\n"
    "rx_bytes=200\n"
    "persistent_keepalive_interval=0\n"
    "allowed_ip=10.1.0.0/16\n"
    "public_key=1111111111111111111111111111111111111111111111111111111111111111\n"
    "preshared_key=0000000000000000000000000000000000000000000000000000000000000000\n"
    "protocol_version=1\n"
    "endpoint=[fd00::1]:4500\n"
    "last_handshake_time_sec=0\n"
    "last_handshake_time_nsec=0\n"
    "tx_bytes=0\n"
    "rx_bytes=0\n"
    "persistent_keepalive_interval=25\n"
    "allowed_ip=fd00:1::/64\n"
    "allowed_ip=10.0.0.0/24\n"
    "some_future_key=whatever\n"
    "errno=0\n"
    "\n";

TEST(UapiParseTest, GetResponseWithTwoPeers) {
  absl::StatusOr<DeviceState> state = ParseGetResponse(kGetResponse);
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_TRUE(state->private_key);
  EXPECT_EQ(state->private_key->ToHex(),
            "a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a868");
  EXPECT_EQ(state->listen_port, 49451);
  EXPECT_EQ(state->fwmark, 7u);
  ASSERT_EQ(state->peers.size(), 2u);
  // Sorted by key; allowed IPs sorted.
  const PeerStatus& a = state->peers[0];
  EXPECT_EQ(a.config,
            (PeerConfig{KeyOf(0x11), "[fd00::1]:4500", {P("10.0.0.0/24"), P("fd00:1::/64")}, 25}));
  EXPECT_EQ(a.last_handshake_unix_nanos, 0);
  const PeerStatus& b = state->peers[1];
  EXPECT_EQ(b.config, (PeerConfig{KeyOf(0x22), "1.2.3.4:51820", {P("10.1.0.0/16")}, 0}));
  EXPECT_EQ(b.last_handshake_unix_nanos, 1700000000000000005);
  EXPECT_EQ(b.rx_bytes, 200u);
  EXPECT_EQ(b.tx_bytes, 100u);
}

TEST(UapiParseTest, FreshDeviceHasNoKeyNoMarkNoPeers) {
  absl::StatusOr<DeviceState> state = ParseGetResponse("listen_port=33553\nerrno=0\n\n");
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_FALSE(state->private_key);
  EXPECT_EQ(state->listen_port, 33553);
  EXPECT_EQ(state->fwmark, 0u);
  EXPECT_TRUE(state->peers.empty());
}

TEST(UapiParseTest, ErrnoBecomesStatus) {
  absl::StatusOr<DeviceState> state = ParseGetResponse("errno=-22\n\n");
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(state.status().message(), HasSubstr("errno=-22"));
  EXPECT_TRUE(ParseSetResponse("errno=0\n\n").ok());
  absl::Status set = ParseSetResponse("errno=-22\n\n");
  EXPECT_EQ(set.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSetResponse("errno=1\n\n").code(), absl::StatusCode::kPermissionDenied);
}

TEST(UapiParseTest, RejectsMalformedResponses) {
  for (const char* bad : {
           "",
           "listen_port=1\n",                 // truncated
           "listen_port=1\n\n",               // no errno
           "listen_port=x\nerrno=0\n\n",      // bad number
           "listen_port=70000\nerrno=0\n\n",  // out of range
           "public_key=zz\nerrno=0\n\n",      // bad key
           "noequals\nerrno=0\n\n",
           "errno=0\nlisten_port=1\n\n",  // after errno
       }) {
    EXPECT_FALSE(ParseGetResponse(bad).ok()) << "accepted \"" << bad << "\"";
  }
  std::string bad_ip = "public_key=" + k11 + "\nallowed_ip=10.0.0.1/8\nerrno=0\n\n";  // host bits
  EXPECT_FALSE(ParseGetResponse(bad_ip).ok());
  EXPECT_FALSE(ParseSetResponse("errno=0\n").ok());
  EXPECT_FALSE(ParseSetResponse("ok\n\n").ok());
}

TEST(UapiParseTest, NeverEchoesPrivateKey) {
  absl::StatusOr<DeviceState> state = ParseGetResponse("private_key=secretsecret\nerrno=0\n\n");
  ASSERT_FALSE(state.ok());
  EXPECT_THAT(state.status().message(), ::testing::Not(HasSubstr("secret")));
}

TEST(UapiParseTest, ResponseComplete) {
  EXPECT_FALSE(ResponseComplete(""));
  EXPECT_FALSE(ResponseComplete("errno=0\n"));
  EXPECT_TRUE(ResponseComplete("errno=0\n\n"));
}

}  // namespace
}  // namespace raven::wg::uapi

// The NAT relay's registrations and forwarding, without sockets: who may
// register, what is forwarded where, and what is dropped (and counted as what).
#include "daemon/nat_relay/relay_table.h"

#include <gtest/gtest.h>

#include <vector>

#include "daemon/nat_relay/registration.h"

namespace raven::nat_relay {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

UdpAddress At(const char* ip, uint16_t port) { return {IpAddress::Parse(ip).value(), port}; }

// A WireGuard transport message's shape: type 4, three zero bytes, 32 bytes at least.
std::vector<uint8_t> WireGuardMessage(uint8_t fill = 0xab) {
  std::vector<uint8_t> m(48, fill);
  m[0] = 4;
  m[1] = m[2] = m[3] = 0;
  return m;
}

class RelayTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    relay_ = wg::GenerateKeyPair().value();
    a_ = wg::GenerateKeyPair().value();
    b_ = wg::GenerateKeyPair().value();
    duty_.ports = {{"edge-a", 4601}, {"edge-b", 4602}};
    duty_.gateways = {{a_.public_key, "edge-a"}, {b_.public_key, "edge-b"}};
    duty_.pairs = {{"edge-a", "edge-b"}};
    table_ = std::make_unique<RelayTable>(relay_);
    table_->Configure(duty_);
  }

  std::array<uint8_t, kRegistrationSize> RegistrationOf(const wg::KeyPair& sender, uint16_t port,
                                                        absl::Time at) {
    RegistrationKey key = DeriveRegistrationKey(sender.private_key, relay_.public_key,
                                                sender.public_key, relay_.public_key)
                              .value();
    return EncodeRegistration({port, static_cast<uint64_t>(absl::ToUnixNanos(at)), sender.public_key},
                              key);
  }
  Outcome Send(uint16_t port, const UdpAddress& from, absl::Span<const uint8_t> d,
               absl::Time now = kNow) {
    forward_ = {};
    return table_->Handle(port, from, d, now, forward_);
  }
  // a at 203.0.113.20:31000 (seen at edge-b's port), b at 203.0.113.30:32000 (at edge-a's).
  void RegisterBoth(absl::Time at = kNow) {
    ASSERT_EQ(Send(4602, kA, RegistrationOf(a_, 4602, at), at), Outcome::kRegistered);
    ASSERT_EQ(Send(4601, kB, RegistrationOf(b_, 4601, at), at), Outcome::kRegistered);
  }

  const UdpAddress kA = At("203.0.113.20", 31000);
  const UdpAddress kB = At("203.0.113.30", 32000);
  wg::KeyPair relay_, a_, b_;
  RelayDuty duty_;
  std::unique_ptr<RelayTable> table_;
  Forward forward_;
};

TEST_F(RelayTableTest, ForwardsBetweenTheRegisteredEndsOfAPair) {
  RegisterBoth();
  // a -> b: arrives at edge-b's port, leaves from edge-a's port to b's address.
  EXPECT_EQ(Send(4602, kA, WireGuardMessage()), Outcome::kForwarded);
  EXPECT_EQ(forward_.from_port, 4601);
  EXPECT_EQ(forward_.to, kB);
  // b -> a, the other way.
  EXPECT_EQ(Send(4601, kB, WireGuardMessage()), Outcome::kForwarded);
  EXPECT_EQ(forward_.from_port, 4602);
  EXPECT_EQ(forward_.to, kA);
}

TEST_F(RelayTableTest, WaitsForTheOtherEndToRegister) {
  ASSERT_EQ(Send(4602, kA, RegistrationOf(a_, 4602, kNow)), Outcome::kRegistered);
  EXPECT_EQ(Send(4602, kA, WireGuardMessage()), Outcome::kPeerUnregistered);
}

TEST_F(RelayTableTest, DropsWhatIsNotFromARegisteredEndOrNotWireGuard) {
  RegisterBoth();
  EXPECT_EQ(Send(4602, At("203.0.113.66", 31000), WireGuardMessage()),
            Outcome::kUnregisteredSource);
  std::vector<uint8_t> junk(100, 0x41);
  EXPECT_EQ(Send(4602, kA, junk), Outcome::kNotWireGuard);
  std::vector<uint8_t> short_message = WireGuardMessage();
  short_message.resize(31);
  EXPECT_EQ(Send(4602, kA, short_message), Outcome::kNotWireGuard);
  EXPECT_EQ(Send(4700, kA, WireGuardMessage()), Outcome::kUnknownPort);
}

TEST_F(RelayTableTest, RefusesForgedStaleReplayedAndForeignRegistrations) {
  // Signed with another key than the one it names.
  wg::KeyPair mallory = wg::GenerateKeyPair().value();
  auto forged = RegistrationOf(mallory, 4602, kNow);
  std::copy(a_.public_key.bytes.begin(), a_.public_key.bytes.end(), forged.begin() + 16);
  EXPECT_EQ(Send(4602, At("203.0.113.66", 1), forged), Outcome::kBadRegistration);
  // A key that is no Gateway of the relay's pairs.
  EXPECT_EQ(Send(4602, At("203.0.113.66", 1), RegistrationOf(mallory, 4602, kNow)),
            Outcome::kUnknownSender);
  // One flipped bit.
  auto flipped = RegistrationOf(a_, 4602, kNow);
  flipped[9] ^= 1;
  EXPECT_EQ(Send(4602, kA, flipped), Outcome::kBadRegistration);
  // For another port than the one it arrives at (copied between ports).
  EXPECT_EQ(Send(4601, kA, RegistrationOf(a_, 4602, kNow)), Outcome::kBadRegistration);
  // Far from the relay's clock.
  EXPECT_EQ(Send(4602, kA, RegistrationOf(a_, 4602, kNow - absl::Minutes(5))),
            Outcome::kStaleRegistration);
  // Replayed from elsewhere: the counter is not newer.
  auto first = RegistrationOf(a_, 4602, kNow);
  ASSERT_EQ(Send(4602, kA, first), Outcome::kRegistered);
  EXPECT_EQ(Send(4602, At("203.0.113.66", 1), first), Outcome::kStaleRegistration);
  ASSERT_EQ(Send(4601, kB, RegistrationOf(b_, 4601, kNow)), Outcome::kRegistered);
  EXPECT_EQ(Send(4602, kA, WireGuardMessage()), Outcome::kForwarded);
  EXPECT_EQ(forward_.to, kB);  // still a's address: the replay changed nothing
}

TEST_F(RelayTableTest, ANewerRegistrationMovesTheEnd) {
  RegisterBoth();
  const UdpAddress moved = At("203.0.113.20", 45000);  // a NAT reboot: a new mapping
  ASSERT_EQ(Send(4602, moved, RegistrationOf(a_, 4602, kNow + absl::Seconds(1)),
                 kNow + absl::Seconds(1)),
            Outcome::kRegistered);
  EXPECT_EQ(Send(4602, kA, WireGuardMessage()), Outcome::kUnregisteredSource);
  EXPECT_EQ(Send(4601, kB, WireGuardMessage()), Outcome::kForwarded);
  EXPECT_EQ(forward_.to, moved);
}

TEST_F(RelayTableTest, RegistrationsExpireAndFollowTheDuty) {
  RegisterBoth();
  EXPECT_EQ(Send(4602, kA, WireGuardMessage(), kNow + absl::Seconds(31)),
            Outcome::kUnregisteredSource);
  RegisterBoth(kNow + absl::Seconds(32));
  // The pair leaves the relay (it went to another one): nothing is forwarded.
  RelayDuty none;
  table_->Configure(none);
  EXPECT_EQ(Send(4602, kA, WireGuardMessage()), Outcome::kUnknownPort);
  // Back, but edge-a has a new key (a failover to its other node): a's old
  // registration is gone, b's stays.
  wg::KeyPair a2 = wg::GenerateKeyPair().value();
  table_->Configure(duty_);
  RegisterBoth(kNow + absl::Seconds(33));
  duty_.gateways = {{a2.public_key, "edge-a"}, {b_.public_key, "edge-b"}};
  table_->Configure(duty_);
  EXPECT_EQ(Send(4602, kA, WireGuardMessage()), Outcome::kUnregisteredSource);
  EXPECT_EQ(Send(4601, kB, WireGuardMessage()), Outcome::kPeerUnregistered);
  EXPECT_EQ(Send(4602, kA, RegistrationOf(a_, 4602, kNow + absl::Seconds(34))),
            Outcome::kUnknownSender);
}

}  // namespace
}  // namespace raven::nat_relay

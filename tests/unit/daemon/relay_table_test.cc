// The NAT relay's registrations and forwarding, without sockets: who may
// register, what is forwarded where, and what is dropped (and counted as what).
#include "daemon/nat_relay/relay_table.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "daemon/nat_relay/registrar.h"
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

  static RegistrationKey KeyOf(const wg::KeyPair& sender, const wg::KeyPair& relay) {
    return DeriveRegistrationKey(sender.private_key, relay.public_key, sender.public_key,
                                 relay.public_key)
        .value();
  }
  std::array<uint8_t, kRegistrationSize> RegistrationOf(
      const wg::KeyPair& sender, uint16_t port, absl::Time at,
      RegistrationType type = RegistrationType::kRegister) {
    return EncodeRegistration(
        {type, port, static_cast<uint64_t>(absl::ToUnixNanos(at)), sender.public_key},
        KeyOf(sender, relay_));
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

TEST_F(RelayTableTest, AcksRegistrationsAndProbesWithTheAddressItSaw) {
  ASSERT_EQ(Send(4602, kA, RegistrationOf(a_, 4602, kNow)), Outcome::kRegistered);
  ASSERT_TRUE(forward_.ack.has_value());
  EXPECT_EQ(forward_.from_port, 4602);
  EXPECT_EQ(forward_.to, kA);
  EXPECT_TRUE(VerifyRegistration(*forward_.ack, KeyOf(a_, relay_)));
  EXPECT_FALSE(VerifyRegistration(*forward_.ack, KeyOf(b_, relay_)));
  std::optional<RegistrationAck> ack = ParseAck(*forward_.ack);
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->observed, kA);
  EXPECT_EQ(ack->relay_port, 4602);
  EXPECT_EQ(ack->counter, static_cast<uint64_t>(absl::ToUnixNanos(kNow)));
  EXPECT_EQ(ack->peer, std::nullopt);                          // b has not registered yet
  EXPECT_FALSE(ParseRegistration(*forward_.ack).has_value());  // an ack registers nothing
  const std::array<uint8_t, kRegistrationSize> reflected = *forward_.ack;
  EXPECT_EQ(Send(4602, kA, reflected), Outcome::kBadRegistration);
  // A probe at a's own port is acked and records nothing.
  const UdpAddress elsewhere = At("203.0.113.20", 31999);
  ASSERT_EQ(Send(4601, elsewhere, RegistrationOf(a_, 4601, kNow, RegistrationType::kProbe)),
            Outcome::kProbed);
  ASSERT_TRUE(forward_.ack.has_value());
  EXPECT_EQ(ParseAck(*forward_.ack)->observed, elsewhere);
  EXPECT_EQ(Send(4601, elsewhere, RegistrationOf(a_, 4601, kNow, RegistrationType::kProbe)),
            Outcome::kStaleRegistration);  // replayed
  EXPECT_FALSE(forward_.ack.has_value());
  EXPECT_EQ(Send(4602, elsewhere, RegistrationOf(a_, 4602, kNow, RegistrationType::kProbe)),
            Outcome::kUnknownSender);  // only at its own port
  // Nothing was recorded from the probe: a's data still comes from kA only.
  ASSERT_EQ(Send(4601, kB, RegistrationOf(b_, 4601, kNow)), Outcome::kRegistered);
  EXPECT_EQ(Send(4602, elsewhere, WireGuardMessage()), Outcome::kUnregisteredSource);
  EXPECT_EQ(Send(4602, kA, WireGuardMessage()), Outcome::kForwarded);
  EXPECT_FALSE(forward_.ack.has_value());
}

TEST_F(RelayTableTest, AnAckTellsWhereThePeerRegistered) {
  RegisterBoth();
  // a's registration for b: b's address as registered at a's port (4601).
  ASSERT_EQ(Send(4602, kA, RegistrationOf(a_, 4602, kNow + absl::Seconds(1))),
            Outcome::kRegistered);
  EXPECT_EQ(ParseAck(*forward_.ack)->peer, kB);
  ASSERT_EQ(Send(4601, kB, RegistrationOf(b_, 4601, kNow + absl::Seconds(1))),
            Outcome::kRegistered);
  EXPECT_EQ(ParseAck(*forward_.ack)->peer, kA);
  // A discovery probe names no peer.
  ASSERT_EQ(Send(4601, kA, RegistrationOf(a_, 4601, kNow, RegistrationType::kProbe)),
            Outcome::kProbed);
  EXPECT_EQ(ParseAck(*forward_.ack)->peer, std::nullopt);
}

TEST_F(RelayTableTest, AFilteringProbeIsAckedFromTheFilterSocket) {
  ASSERT_EQ(Send(4601, kA, RegistrationOf(a_, 4601, kNow, RegistrationType::kFilterProbe)),
            Outcome::kProbed);
  ASSERT_TRUE(forward_.ack.has_value());
  EXPECT_EQ(forward_.from_port, kFilterSocket);
  EXPECT_EQ(forward_.to, kA);
  EXPECT_EQ(ParseAck(*forward_.ack)->relay_port, 4601);
  // Only at the sender's own port, like a discovery probe.
  EXPECT_EQ(Send(4602, kA, RegistrationOf(a_, 4602, kNow, RegistrationType::kFilterProbe)),
            Outcome::kUnknownSender);
  // The discovery probe's ack says whether filtering acks are sent at all:
  // without that socket their absence says nothing of the sender's NAT.
  const absl::Time later = kNow + absl::Seconds(1);
  ASSERT_EQ(Send(4601, kA, RegistrationOf(a_, 4601, later, RegistrationType::kProbe)),
            Outcome::kProbed);
  EXPECT_FALSE(ParseAck(*forward_.ack)->filter_acks);
  table_->set_filter_acks(true);
  ASSERT_EQ(
      Send(4601, kA, RegistrationOf(a_, 4601, later + absl::Seconds(1), RegistrationType::kProbe)),
      Outcome::kProbed);
  EXPECT_TRUE(ParseAck(*forward_.ack)->filter_acks);
  EXPECT_TRUE(VerifyRegistration(*forward_.ack, KeyOf(a_, relay_)));
}

TEST(NatTypeTest, UpstreamWordsFromMappingAndFiltering) {
  EXPECT_EQ(NatType("endpoint-dependent", ""), "Symmetric NAT");
  EXPECT_EQ(NatType("endpoint-independent", "port-dependent"), "Port Restricted cone NAT");
  EXPECT_EQ(NatType("endpoint-independent", "port-independent"), "Restricted cone NAT");
  EXPECT_EQ(NatType("endpoint-independent", ""), "");
  EXPECT_EQ(NatType("", "port-dependent"), "");
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

// 1452: a full-size segment through a 1420-byte tunnel MTU, whose padding
// stops at the MTU (not a multiple of 16).
TEST_F(RelayTableTest, ForwardsOnlyTheSizesOfWireGuardMessages) {
  RegisterBoth();
  auto message = [](uint8_t type, size_t size) {
    std::vector<uint8_t> m(size, 0x5a);
    m[0] = type;
    m[1] = m[2] = m[3] = 0;
    return m;
  };
  for (auto [type, size] : std::vector<std::pair<uint8_t, size_t>>{
           {1, 148}, {2, 92}, {3, 64}, {4, 32}, {4, 1440}, {4, 1452}}) {
    EXPECT_EQ(Send(4602, kA, message(type, size)), Outcome::kForwarded) << int{type} << " " << size;
  }
  for (auto [type, size] :
       std::vector<std::pair<uint8_t, size_t>>{{1, 1200}, {2, 148}, {3, 92}, {4, 31}, {5, 64}}) {
    EXPECT_EQ(Send(4602, kA, message(type, size)), Outcome::kNotWireGuard)
        << int{type} << " " << size;
  }
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
  // A counter beyond any clock would lock the sender's own later registrations out.
  auto huge = EncodeRegistration(
      {RegistrationType::kRegister, 4602,
       static_cast<uint64_t>(absl::ToUnixNanos(kNow)) | (1ull << 63), a_.public_key},
      KeyOf(a_, relay_));
  EXPECT_EQ(Send(4602, kA, huge), Outcome::kBadRegistration);
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
  ASSERT_EQ(
      Send(4602, moved, RegistrationOf(a_, 4602, kNow + absl::Seconds(1)), kNow + absl::Seconds(1)),
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

TEST_F(RelayTableTest, ARegistrationCannotBeReplayedWhenItsPairComesBack) {
  const auto first = RegistrationOf(a_, 4602, kNow);
  ASSERT_EQ(Send(4602, kA, first), Outcome::kRegistered);
  // The pair goes to another relay and comes back; the Gateways stay.
  RelayDuty without_pair = duty_;
  without_pair.pairs.clear();
  table_->Configure(without_pair);
  table_->Configure(duty_);
  const UdpAddress replayer = At("203.0.113.66", 31000);
  EXPECT_EQ(Send(4602, replayer, first, kNow + absl::Seconds(5)), Outcome::kStaleRegistration);
  ASSERT_EQ(Send(4601, kB, RegistrationOf(b_, 4601, kNow + absl::Seconds(5))),
            Outcome::kRegistered);
  EXPECT_EQ(Send(4602, replayer, WireGuardMessage(), kNow + absl::Seconds(5)),
            Outcome::kUnregisteredSource);
}

// Random and mutated datagrams from anywhere (a fixed seed, so a failure
// reproduces): nothing registers without a valid MAC, nothing is forwarded
// but from the registered ends, and every forward goes to the other end.
TEST_F(RelayTableTest, RandomAndMutatedDatagramsNeitherRegisterNorGetForwarded) {
  RegisterBoth();
  std::mt19937 rng(20261202);
  const std::array<uint8_t, kRegistrationSize> valid =
      RegistrationOf(a_, 4602, kNow + absl::Seconds(1));
  int forwarded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> d;
    if (i % 2 == 0) {
      d.assign(valid.begin(), valid.end());
      d[rng() % d.size()] ^= static_cast<uint8_t>(1 + rng() % 255);  // one byte changed
    } else {
      const bool wireguard_shaped = i % 4 == 3;
      d.resize(wireguard_shaped ? 32 + rng() % 68 : rng() % 100);
      for (uint8_t& b : d) b = static_cast<uint8_t>(rng());
      if (wireguard_shaped) d[0] = 4, d[1] = d[2] = d[3] = 0;
    }
    const uint16_t port = static_cast<uint16_t>(4600 + rng() % 4);
    const UdpAddress from = i % 8 == 3 ? kA : At("198.51.100.7", static_cast<uint16_t>(rng()));
    Outcome o = Send(port, from, d, kNow + absl::Seconds(1));
    ASSERT_NE(o, Outcome::kRegistered) << i;
    ASSERT_NE(o, Outcome::kProbed) << i;
    if (o == Outcome::kForwarded) {
      ++forwarded;
      ASSERT_EQ(from, kA) << i;
      ASSERT_EQ(forward_.to, kB) << i;
    }
  }
  EXPECT_GT(forwarded, 0);  // the registered end's WireGuard-shaped datagrams went through
}

TEST(MappingBehaviourTest, SameMappingAtEveryPortIsEndpointIndependent) {
  std::vector<NatObservation> seen = {{"gw-cloud", 4601, At("203.0.113.20", 4500), {}}};
  EXPECT_EQ(MappingBehaviour(seen, "gw-cloud"), "");  // one port tells nothing
  seen.push_back({"gw-cloud", 4602, At("203.0.113.20", 4500), {}});
  seen.push_back({"gw-other", 4602, At("203.0.113.20", 1234), {}});
  EXPECT_EQ(MappingBehaviour(seen, "gw-cloud"), "endpoint-independent");
  seen[1].mapped.port = 40123;
  EXPECT_EQ(MappingBehaviour(seen, "gw-cloud"), "endpoint-dependent");
}

}  // namespace
}  // namespace raven::nat_relay

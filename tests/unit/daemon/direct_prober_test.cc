// Hole punching between two gateways behind NATs, without sockets: the NATs
// are a function from (sender, destination) to the source the other end sees,
// or to a drop.
#include "daemon/nat_relay/direct_prober.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>

namespace raven::nat_relay {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

UdpAddress At(const char* ip, uint16_t port) { return {IpAddress::Parse(ip).value(), port}; }

class DirectProberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_keys_ = wg::GenerateKeyPair().value();
    b_keys_ = wg::GenerateKeyPair().value();
    a_ = std::make_unique<DirectProber>(a_keys_);
    b_ = std::make_unique<DirectProber>(b_keys_);
    a_->SetPeers({{"gw-b", b_keys_.public_key}});
    b_->SetPeers({{"gw-a", a_keys_.public_key}});
  }

  // a's NAT maps it to kA for every destination; b's NAT as `b_source` says.
  std::optional<UdpAddress> Deliver(bool from_a, const UdpAddress& to) {
    if (from_a) return to == b_at_a_ || to == kB ? std::optional<UdpAddress>(kA) : std::nullopt;
    return to == kA ? std::optional<UdpAddress>(b_at_a_) : std::nullopt;
  }

  // One round: each side's due probes, delivered, and the acks back.
  void Round(absl::Time now) {
    for (bool from_a : {true, false}) {
      DirectProber& sender = from_a ? *a_ : *b_;
      DirectProber& receiver = from_a ? *b_ : *a_;
      for (const Datagram& d : sender.Due(now)) {
        if (!reachable_ || (from_a ? !a_to_b_ : !b_to_a_)) continue;
        std::optional<UdpAddress> source = Deliver(from_a, d.to);
        if (!source) continue;
        std::optional<Datagram> ack = receiver.Receive(*source, d.payload, now);
        if (!ack) continue;
        // The ack goes back through both NATs the way the probe came.
        EXPECT_EQ(ack->to, *source);
        sender.Receive(from_a ? d.to : kA, ack->payload, now);
      }
    }
  }

  const UdpAddress kA = At("198.18.0.20", 4500);
  const UdpAddress kB = At("198.18.0.30", 4500);  // b's mapping as the relay saw it
  UdpAddress b_at_a_ = kB;                        // b's mapping towards a
  bool reachable_ = true, a_to_b_ = true, b_to_a_ = true;
  wg::KeyPair a_keys_, b_keys_;
  std::unique_ptr<DirectProber> a_, b_;
};

TEST_F(DirectProberTest, BothEndpointIndependentMappingsMeetAtTheAddressesTheRelaySaw) {
  a_->AddCandidate("gw-b", kB, kStart);
  b_->AddCandidate("gw-a", kA, kStart);
  EXPECT_TRUE(a_->Paths(kStart).empty());
  Round(kStart);
  EXPECT_EQ(a_->Paths(kStart), (std::map<std::string, UdpAddress>{{"gw-b", kB}}));
  EXPECT_EQ(b_->Paths(kStart), (std::map<std::string, UdpAddress>{{"gw-a", kA}}));
  EXPECT_EQ(a_->counters().acks, 1u);
  EXPECT_EQ(a_->counters().probes_answered, 1u);
  EXPECT_EQ(a_->counters().rejected, 0u);
}

TEST_F(DirectProberTest, AnEndpointDependentPeerIsFoundWhereItsProbesComeFrom) {
  b_at_a_ = At("198.18.0.30", 17847);                          // b's NAT maps it anew towards a
  a_->AddCandidate("gw-b", At("198.18.0.30", 50663), kStart);  // what the relay saw: useless
  b_->AddCandidate("gw-a", kA, kStart);
  Round(kStart);
  // b's probe reached a from 17847: b proved a's address, a learnt b's.
  EXPECT_EQ(b_->Paths(kStart), (std::map<std::string, UdpAddress>{{"gw-a", kA}}));
  EXPECT_TRUE(a_->Paths(kStart).empty());
  Round(kStart + absl::Milliseconds(200));
  EXPECT_EQ(a_->Paths(kStart + absl::Milliseconds(200)),
            (std::map<std::string, UdpAddress>{{"gw-b", b_at_a_}}));
}

TEST_F(DirectProberTest, APathWithoutAcksGoesDownWithinASecondAndComesBack) {
  a_->AddCandidate("gw-b", kB, kStart);
  b_->AddCandidate("gw-a", kA, kStart);
  absl::Time t = kStart;
  Round(t);
  ASSERT_EQ(a_->Paths(t).size(), 1u);
  reachable_ = false;
  const absl::Time lost = t;
  while (!a_->Paths(t).empty()) {
    t += absl::Milliseconds(200);
    Round(t);
    ASSERT_LT(t - lost, absl::Seconds(2));
  }
  EXPECT_LE(t - lost, absl::Seconds(1));
  EXPECT_GT(t - lost, absl::Milliseconds(600));  // not at the first lost probe
  EXPECT_TRUE(b_->Paths(t).empty());
  // The candidates stay for a while, and are probed on: the path comes back.
  reachable_ = true;
  t += absl::Milliseconds(200);
  Round(t);
  EXPECT_EQ(a_->Paths(t).size(), 1u);
  // One direction broken: a's probes arrive, b's do not; a's round trips
  // still prove a's path, b's do not prove b's.
  b_to_a_ = false;
  for (int i = 0; i < 5; ++i) Round(t += absl::Milliseconds(200));
  EXPECT_EQ(a_->Paths(t).size(), 1u);
  EXPECT_TRUE(b_->Paths(t).empty());
}

TEST_F(DirectProberTest, TheAcksMeasureTheChosenPathsRoundTripAndLoss) {
  a_->AddCandidate("gw-b", kB, kStart);
  absl::Time t = kStart;
  EXPECT_TRUE(a_->Quality().empty());
  int sent = 0;
  for (int i = 0; i < 100; ++i, t += absl::Milliseconds(200)) {
    for (const Datagram& d : a_->Due(t)) {
      // Every fourth probe after the first ten is lost; the others take 30 ms each way.
      if (++sent > 10 && sent % 4 == 0) continue;
      std::optional<Datagram> ack = b_->Receive(kA, d.payload, t + absl::Milliseconds(30));
      ASSERT_TRUE(ack);
      a_->Receive(kB, ack->payload, t + absl::Milliseconds(60));
    }
    a_->Paths(t + absl::Milliseconds(60));
  }
  std::map<std::string, DirectQuality> quality = a_->Quality();
  ASSERT_TRUE(quality.contains("gw-b"));
  EXPECT_EQ(quality["gw-b"].address, kB);
  EXPECT_EQ(quality["gw-b"].smoothed_rtt, absl::Milliseconds(60));
  EXPECT_NEAR(quality["gw-b"].loss, 0.26, 0.03);  // 6 or 7 of the last 25
  EXPECT_GT(quality["gw-b"].loss_low, 0.1);
  // Dead for 2 s, then answering again: it starts afresh, the probes lost
  // while it was dead count as no loss.
  for (int i = 0; i < 10; ++i, t += absl::Milliseconds(200)) a_->Due(t);
  EXPECT_TRUE(a_->Paths(t).empty());
  for (int i = 0; i < 10; ++i, t += absl::Milliseconds(200)) {
    for (const Datagram& d : a_->Due(t)) {
      std::optional<Datagram> ack = b_->Receive(kA, d.payload, t + absl::Milliseconds(5));
      ASSERT_TRUE(ack);
      a_->Receive(kB, ack->payload, t + absl::Milliseconds(10));
    }
    a_->Paths(t + absl::Milliseconds(10));
  }
  quality = a_->Quality();
  ASSERT_TRUE(quality.contains("gw-b"));
  EXPECT_EQ(quality["gw-b"].smoothed_rtt, absl::Milliseconds(10));
  EXPECT_EQ(quality["gw-b"].loss, 0);
  // No path chosen, no quality.
  a_->SetPeers({});
  EXPECT_TRUE(a_->Quality().empty());
}

TEST_F(DirectProberTest, ACandidateThatNeverAnswersIsProbedSlowerAndAFullListMakesRoom) {
  a_->AddCandidate("gw-b", At("198.18.0.30", 50663), kStart);
  int probes = 0;
  for (absl::Time t = kStart; t < kStart + absl::Seconds(20); t += absl::Milliseconds(200)) {
    a_->AddCandidate("gw-b", At("198.18.0.30", 50663), t);  // the relay keeps telling it
    probes += static_cast<int>(a_->Due(t).size());
  }
  EXPECT_GE(probes, 50);  // every 200 ms for the first 10 s
  EXPECT_LE(probes, 62);  // then every second
  // Eight candidates; a ninth replaces the one seen longest ago.
  for (uint16_t port = 1; port <= 8; ++port) {
    a_->AddCandidate("gw-b", At("198.18.0.31", port), kStart + absl::Seconds(20 + port));
  }
  a_->AddCandidate("gw-b", At("198.18.0.32", 4500), kStart + absl::Seconds(30));
  std::set<UdpAddress> probed;
  for (const Datagram& d : a_->Due(kStart + absl::Seconds(60))) probed.insert(d.to);
  EXPECT_TRUE(probed.contains(At("198.18.0.32", 4500)));
  EXPECT_FALSE(probed.contains(At("198.18.0.30", 50663)));
  EXPECT_EQ(probed.size(), 8u);
}

TEST_F(DirectProberTest, CandidatesNeitherSeenNorProvenAreForgotten) {
  a_->AddCandidate("gw-b", At("198.18.0.30", 50663), kStart);
  absl::Time t = kStart;
  EXPECT_EQ(a_->Due(t).size(), 1u);
  t += absl::Seconds(11);
  a_->Paths(t);
  EXPECT_TRUE(a_->Due(t).empty());
  // A peer that is no longer relayed takes its candidates with it.
  a_->AddCandidate("gw-b", kB, t);
  a_->SetPeers({});
  EXPECT_TRUE(a_->Due(t).empty());
}

TEST_F(DirectProberTest, ForgedReplayedAndUnaskedMessagesAreRejected) {
  a_->AddCandidate("gw-b", kB, kStart);
  std::vector<Datagram> probes = a_->Due(kStart);
  ASSERT_EQ(probes.size(), 1u);
  // A third gateway signs a probe in a's name.
  wg::KeyPair mallory = wg::GenerateKeyPair().value();
  DirectProber forger(mallory);
  forger.SetPeers({{"gw-b", b_keys_.public_key}});
  forger.AddCandidate("gw-b", kB, kStart);
  std::array<uint8_t, kRegistrationSize> forged = forger.Due(kStart)[0].payload;
  std::copy(a_keys_.public_key.bytes.begin(), a_keys_.public_key.bytes.end(), forged.begin() + 16);
  EXPECT_FALSE(b_->Receive(kA, forged, kStart));
  // a's real probe is answered once; its replay is not.
  std::optional<Datagram> ack = b_->Receive(kA, probes[0].payload, kStart);
  ASSERT_TRUE(ack);
  EXPECT_FALSE(b_->Receive(At("203.0.113.66", 1), probes[0].payload, kStart));
  // A probe far from b's clock.
  a_->AddCandidate("gw-b", At("198.18.0.31", 4500), kStart);
  std::vector<Datagram> late = a_->Due(kStart + absl::Minutes(5));
  ASSERT_FALSE(late.empty());
  EXPECT_FALSE(b_->Receive(kA, late[0].payload, kStart));
  EXPECT_EQ(b_->counters().rejected, 3u);
  // a's pair leaves b's relayed peers and comes back: the old probe stays old.
  b_->SetPeers({});
  b_->SetPeers({{"gw-a", a_keys_.public_key}});
  EXPECT_FALSE(b_->Receive(At("203.0.113.66", 2), probes[0].payload, kStart));
  EXPECT_EQ(b_->counters().rejected, 4u);
  // The ack from another address than the one probed, then from the right
  // one twice: taken once.
  a_->Receive(At("198.18.0.99", 4500), ack->payload, kStart);
  EXPECT_TRUE(a_->Paths(kStart).empty());
  a_->Receive(kB, ack->payload, kStart);
  EXPECT_EQ(a_->Paths(kStart).size(), 1u);
  a_->Receive(kB, ack->payload, kStart);
  EXPECT_EQ(a_->counters().acks, 1u);
  EXPECT_EQ(a_->counters().rejected, 2u);
}

}  // namespace
}  // namespace raven::nat_relay

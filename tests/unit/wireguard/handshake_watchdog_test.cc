#include "daemon/wireguard/handshake_watchdog.h"

#include <gtest/gtest.h>

namespace raven::wg {
namespace {

Key K(uint8_t fill) {
  Key k;
  k.bytes.fill(fill);
  return k;
}

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);
const WatchdogOptions kOptions{.first_kick = absl::Seconds(1),
                               .responder_wait = absl::Seconds(3),
                               .max_interval = absl::Seconds(8)};
const std::set<Key> kInitiateTo2 = {K(2)};

PeerStatus Peer(const Key& key, std::optional<absl::Time> handshake = std::nullopt) {
  PeerStatus p;
  p.config.public_key = key;
  if (handshake) p.last_handshake_unix_nanos = absl::ToUnixNanos(*handshake);
  return p;
}

// The times at which `dog` re-creates peer 2 while it stays silent for 30 s.
std::vector<absl::Duration> Kicks(HandshakeWatchdog& dog, const std::set<Key>& initiators) {
  std::vector<absl::Duration> kicks;
  for (absl::Time t = kT0; t < kT0 + absl::Seconds(30); t += absl::Milliseconds(100)) {
    if (!dog.Due(t, {Peer(K(2))}, initiators).empty()) kicks.push_back(t - kT0);
  }
  return kicks;
}

TEST(HandshakeWatchdogTest, InitiatorKicksAfterTheFirstDelayThenBacksOff) {
  HandshakeWatchdog dog(kOptions);
  EXPECT_EQ(Kicks(dog, kInitiateTo2),
            (std::vector<absl::Duration>{absl::Seconds(1), absl::Seconds(3), absl::Seconds(7),
                                         absl::Seconds(15), absl::Seconds(23)}));
}

TEST(HandshakeWatchdogTest, ResponderWaitsForTheRemoteFirst) {
  HandshakeWatchdog dog(kOptions);
  EXPECT_EQ(Kicks(dog, {}), (std::vector<absl::Duration>{absl::Seconds(3), absl::Seconds(9),
                                                         absl::Seconds(17), absl::Seconds(25)}));
}

TEST(HandshakeWatchdogTest, LiveSessionIsLeftAloneAndEndsTheWait) {
  HandshakeWatchdog dog(kOptions);
  EXPECT_TRUE(dog.Due(kT0, {Peer(K(2))}, kInitiateTo2).empty());
  EXPECT_EQ(dog.NextKick(), kT0 + absl::Seconds(1));
  // The handshake completed before the first kick was due.
  const absl::Time handshake = kT0 + absl::Milliseconds(300);
  EXPECT_TRUE(dog.Due(kT0 + absl::Seconds(2), {Peer(K(2), handshake)}, kInitiateTo2).empty());
  EXPECT_EQ(dog.NextKick(), std::nullopt);
  EXPECT_TRUE(dog.Due(kT0 + absl::Seconds(100), {Peer(K(2), handshake)}, kInitiateTo2).empty());
}

TEST(HandshakeWatchdogTest, SessionOlderThanRejectAfterTimeCountsAsNone) {
  HandshakeWatchdog dog(kOptions);
  const absl::Time handshake = kT0 - absl::Seconds(181);
  EXPECT_TRUE(dog.Due(kT0, {Peer(K(2), handshake)}, kInitiateTo2).empty());
  EXPECT_EQ(dog.Due(kT0 + absl::Seconds(1), {Peer(K(2), handshake)}, kInitiateTo2),
            std::vector<Key>{K(2)});
}

TEST(HandshakeWatchdogTest, ASilentPeerAgainAfterASessionStartsOver) {
  HandshakeWatchdog dog(kOptions);
  for (absl::Time t = kT0; t <= kT0 + absl::Seconds(8); t += absl::Seconds(1)) {
    dog.Due(t, {Peer(K(2))}, kInitiateTo2);
  }
  const absl::Time handshake = kT0 + absl::Seconds(9);
  dog.Due(handshake, {Peer(K(2), handshake)}, kInitiateTo2);
  const absl::Time later = handshake + kRejectAfterTime;
  EXPECT_TRUE(dog.Due(later, {Peer(K(2), handshake)}, kInitiateTo2).empty());
  EXPECT_EQ(dog.NextKick(), later + absl::Seconds(1));  // the first delay again, not 8 s
}

TEST(HandshakeWatchdogTest, RemovedPeerIsForgotten) {
  HandshakeWatchdog dog(kOptions);
  dog.Due(kT0, {Peer(K(2)), Peer(K(4))}, {K(2), K(4)});
  EXPECT_EQ(dog.Due(kT0 + absl::Seconds(1), {Peer(K(4))}, {K(2), K(4)}), std::vector<Key>{K(4)});
  dog.Due(kT0 + absl::Seconds(1), {}, {});
  EXPECT_EQ(dog.NextKick(), std::nullopt);
}

TEST(HandshakeWatchdogTest, DefaultsKickInitiatorsWithinASecondAndLetRespondersWaitLonger) {
  HandshakeWatchdog dog;
  dog.Due(kT0, {Peer(K(2)), Peer(K(4))}, kInitiateTo2);
  EXPECT_EQ(dog.NextKick(), kT0 + absl::Milliseconds(500));
  EXPECT_EQ(dog.Due(kT0 + absl::Milliseconds(500), {Peer(K(2)), Peer(K(4))}, kInitiateTo2),
            std::vector<Key>{K(2)});
  // The initiator's second kick (1 s later); the responder still waits.
  EXPECT_EQ(dog.Due(kT0 + absl::Milliseconds(1900), {Peer(K(2)), Peer(K(4))}, kInitiateTo2),
            std::vector<Key>{K(2)});
  EXPECT_EQ(dog.Due(kT0 + absl::Seconds(2), {Peer(K(2)), Peer(K(4))}, kInitiateTo2),
            std::vector<Key>{K(4)});
}

}  // namespace
}  // namespace raven::wg

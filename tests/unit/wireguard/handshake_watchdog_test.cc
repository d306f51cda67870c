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
const WatchdogOptions kOneSecond{.first_kick = absl::Seconds(1), .max_interval = absl::Seconds(8)};

PeerStatus Peer(const Key& key, std::optional<absl::Time> handshake = std::nullopt) {
  PeerStatus p;
  p.config.public_key = key;
  if (handshake) p.last_handshake_unix_nanos = absl::ToUnixNanos(*handshake);
  return p;
}

TEST(HandshakeWatchdogTest, PeerWithoutHandshakeIsKickedAfterTheFirstDelay) {
  HandshakeWatchdog dog(K(1), kOneSecond);  // lower than the peer: kicks first
  EXPECT_TRUE(dog.Due(kT0, {Peer(K(2))}).empty());
  EXPECT_EQ(dog.NextKick(), kT0 + absl::Seconds(1));
  EXPECT_TRUE(dog.Due(kT0 + absl::Milliseconds(999), {Peer(K(2))}).empty());
  EXPECT_EQ(dog.Due(kT0 + absl::Seconds(1), {Peer(K(2))}), std::vector<Key>{K(2)});
}

TEST(HandshakeWatchdogTest, HigherKeyOfAPairKicksHalfADelayLater) {
  HandshakeWatchdog dog(K(3), kOneSecond);  // higher than the peer
  EXPECT_TRUE(dog.Due(kT0, {Peer(K(2))}).empty());
  EXPECT_TRUE(dog.Due(kT0 + absl::Seconds(1), {Peer(K(2))}).empty());
  EXPECT_EQ(dog.Due(kT0 + absl::Milliseconds(1500), {Peer(K(2))}), std::vector<Key>{K(2)});
}

TEST(HandshakeWatchdogTest, KicksBackOffWhileThePeerStaysSilent) {
  HandshakeWatchdog dog(K(1), kOneSecond);
  std::vector<absl::Time> kicks;
  for (absl::Time t = kT0; t < kT0 + absl::Seconds(30); t += absl::Milliseconds(100)) {
    if (!dog.Due(t, {Peer(K(2))}).empty()) kicks.push_back(t);
  }
  std::vector<absl::Time> want = {kT0 + absl::Seconds(1), kT0 + absl::Seconds(3),
                                  kT0 + absl::Seconds(7), kT0 + absl::Seconds(15),
                                  kT0 + absl::Seconds(23)};
  EXPECT_EQ(kicks, want);
}

TEST(HandshakeWatchdogTest, LiveSessionIsLeftAloneAndEndsTheWait) {
  HandshakeWatchdog dog(K(1), kOneSecond);
  EXPECT_TRUE(dog.Due(kT0, {Peer(K(2))}).empty());
  // The handshake completed before the first kick was due.
  EXPECT_TRUE(dog.Due(kT0 + absl::Seconds(2), {Peer(K(2), kT0 + absl::Milliseconds(300))}).empty());
  EXPECT_EQ(dog.NextKick(), std::nullopt);
  EXPECT_TRUE(
      dog.Due(kT0 + absl::Seconds(100), {Peer(K(2), kT0 + absl::Milliseconds(300))}).empty());
}

TEST(HandshakeWatchdogTest, SessionOlderThanItsLifetimeCountsAsNone) {
  HandshakeWatchdog dog(K(1), kOneSecond);
  const absl::Time handshake = kT0 - absl::Seconds(181);
  EXPECT_TRUE(dog.Due(kT0, {Peer(K(2), handshake)}).empty());
  EXPECT_EQ(dog.Due(kT0 + absl::Seconds(1), {Peer(K(2), handshake)}), std::vector<Key>{K(2)});
}

TEST(HandshakeWatchdogTest, ASilentPeerAgainAfterASessionStartsOver) {
  HandshakeWatchdog dog(K(1), kOneSecond);
  for (absl::Time t = kT0; t <= kT0 + absl::Seconds(8); t += absl::Seconds(1))
    dog.Due(t, {Peer(K(2))});
  dog.Due(kT0 + absl::Seconds(9), {Peer(K(2), kT0 + absl::Seconds(9))});
  const absl::Time later = kT0 + absl::Seconds(9) + absl::Seconds(181);
  EXPECT_TRUE(dog.Due(later, {Peer(K(2), kT0 + absl::Seconds(9))}).empty());
  EXPECT_EQ(dog.NextKick(), later + absl::Seconds(1));  // the first delay again, not 8 s
}

TEST(HandshakeWatchdogTest, DefaultsKickWithinASecond) {
  HandshakeWatchdog lower(K(1)), higher(K(3));
  lower.Due(kT0, {Peer(K(2))});
  higher.Due(kT0, {Peer(K(2))});
  ASSERT_TRUE(lower.NextKick() && higher.NextKick());
  EXPECT_LT(*lower.NextKick(), *higher.NextKick());
  EXPECT_LE(*higher.NextKick(), kT0 + absl::Seconds(1));
}

TEST(HandshakeWatchdogTest, RemovedPeerIsForgotten) {
  HandshakeWatchdog dog(K(1), kOneSecond);
  dog.Due(kT0, {Peer(K(2)), Peer(K(4))});
  EXPECT_EQ(dog.Due(kT0 + absl::Seconds(1), {Peer(K(4))}), std::vector<Key>{K(4)});
  dog.Due(kT0 + absl::Seconds(1), {});
  EXPECT_EQ(dog.NextKick(), std::nullopt);
}

}  // namespace
}  // namespace raven::wg

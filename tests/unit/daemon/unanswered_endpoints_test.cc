#include "daemon/unanswered_endpoints.h"

#include <gtest/gtest.h>

namespace raven {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1800000000);
using Set = std::set<std::string>;

PeerCounters Counters(uint64_t rx, uint64_t tx, std::optional<absl::Time> handshake = {}) {
  return {handshake, rx, tx};
}

TEST(UnansweredEndpointsTest, MarkedFifteenSecondsAfterTheFirstPacketWithNothingBack) {
  UnansweredEndpoints u;
  const std::map<std::string, std::string> published = {{"gw-a", "198.18.0.99:4500"},
                                                        {"gw-b", "198.18.0.30:4500"}};
  const Set both = {"gw-a", "gw-b"};
  // An old session (through the relay) counts for nothing.
  EXPECT_FALSE(u.Observe(
      kStart, published, both,
      {{"gw-a", Counters(500, 500, kStart - absl::Seconds(30))}, {"gw-b", Counters(0, 0)}}));
  // Idle: nothing sent, nothing marked.
  EXPECT_FALSE(u.Observe(kStart + absl::Minutes(1), published, both,
                         {{"gw-a", Counters(500, 500)}, {"gw-b", Counters(0, 0)}}));
  // Both send; gw-b answers.
  const absl::Time t1 = kStart + absl::Minutes(2);
  EXPECT_FALSE(
      u.Observe(t1, published, both, {{"gw-a", Counters(500, 600)}, {"gw-b", Counters(0, 100)}}));
  EXPECT_FALSE(u.Observe(t1 + absl::Seconds(14), published, both,
                         {{"gw-a", Counters(500, 900)}, {"gw-b", Counters(200, 300)}}));
  EXPECT_TRUE(u.Observe(t1 + absl::Seconds(15), published, both,
                        {{"gw-a", Counters(500, 950)}, {"gw-b", Counters(200, 300)}}));
  EXPECT_EQ(u.unanswered(), Set{"gw-a"});
  // Through the relay now (not trying it): the mark stays, whatever comes back.
  EXPECT_FALSE(u.Observe(t1 + absl::Minutes(5), published, {"gw-b"},
                         {{"gw-a", Counters(9000, 9000, t1 + absl::Minutes(4))}}));
  EXPECT_EQ(u.unanswered(), Set{"gw-a"});
  // gw-a publishes another endpoint: the mark goes; the new one answers.
  auto fixed = published;
  fixed["gw-a"] = "198.18.0.20:4500";
  const absl::Time t2 = t1 + absl::Minutes(6);
  EXPECT_TRUE(u.TakeMoved().empty());  // first sightings are no move
  EXPECT_TRUE(u.Observe(t2, fixed, both, {{"gw-a", Counters(9000, 9000)}}));
  EXPECT_EQ(u.TakeMoved(), Set{"gw-a"});  // a live session is to prove the new one
  EXPECT_TRUE(u.TakeMoved().empty());
  EXPECT_FALSE(u.Observe(t2 + absl::Seconds(20), fixed, both,
                         {{"gw-a", Counters(9000, 9100, t2 + absl::Seconds(1))}}));
  // Answered once: a later silence (an outage) is not a mark.
  EXPECT_FALSE(u.Observe(t2 + absl::Hours(1), fixed, both, {{"gw-a", Counters(9000, 99000)}}));
  EXPECT_TRUE(u.unanswered().empty());
}

TEST(UnansweredEndpointsTest, ARecreatedPeerRestartsItsCountersAndAGonePeerIsForgotten) {
  UnansweredEndpoints u;
  const std::map<std::string, std::string> published = {{"gw-a", "198.18.0.99:4500"}};
  EXPECT_FALSE(u.Observe(kStart, published, {"gw-a"}, {{"gw-a", Counters(0, 100)}}));
  EXPECT_FALSE(
      u.Observe(kStart + absl::Seconds(1), published, {"gw-a"}, {{"gw-a", Counters(0, 248)}}));
  // The watchdog re-creates it: counters from zero, still nothing back.
  EXPECT_FALSE(
      u.Observe(kStart + absl::Seconds(5), published, {"gw-a"}, {{"gw-a", Counters(0, 0)}}));
  EXPECT_TRUE(
      u.Observe(kStart + absl::Seconds(16), published, {"gw-a"}, {{"gw-a", Counters(0, 148)}}));
  EXPECT_TRUE(u.Observe(kStart + absl::Seconds(17), {}, {}, {}));
  EXPECT_TRUE(u.unanswered().empty());
}

TEST(UnansweredEndpointsTest, KeepalivesAloneAreNotSending) {
  // An idle pair: our keepalives go out every 5 s, the peer's timer is reset
  // by them, nothing comes back; that proves nothing.
  UnansweredEndpoints u;
  const std::map<std::string, std::string> published = {{"gw-a", "198.18.0.20:4500"}};
  for (int s = 0; s <= 120; ++s) {
    const uint64_t tx = 1000 + 32 * static_cast<uint64_t>(s / 5);
    EXPECT_FALSE(
        u.Observe(kStart + absl::Seconds(s), published, {"gw-a"}, {{"gw-a", Counters(1000, tx)}}));
  }
  EXPECT_TRUE(u.unanswered().empty());
}

}  // namespace
}  // namespace raven

#include "controller/lease_tracker.h"

#include <gtest/gtest.h>

namespace raven::controller {
namespace {

// A fake clock pair: wall time (the agents' renewTime) and our monotonic time.
const absl::Time kWall = absl::FromUnixSeconds(1800000000);
const absl::Time kMono = absl::FromUnixSeconds(1000);

kube::Lease Heartbeat(const std::string& node, const std::string& rv, absl::Time renew,
                      int seconds = 2) {
  kube::Lease l;
  l.meta.name = node;
  l.meta.resource_version = rv;
  l.holder_identity = node;
  l.lease_duration_seconds = seconds;
  l.renew_time = renew;
  return l;
}

TEST(LeaseTrackerTest, FirstSightingOfARecentRenewalStartsTheClock) {
  LeaseTracker t;
  auto change = t.Observe(Heartbeat("a1", "1", kWall - absl::Seconds(1)), kWall, kMono);
  ASSERT_TRUE(change.has_value());
  EXPECT_TRUE(change->fresh);
  EXPECT_TRUE(change->first_sighting);
  EXPECT_TRUE(t.IsFresh("a1", kMono + absl::Milliseconds(1999)));
  EXPECT_FALSE(t.IsFresh("a1", kMono + absl::Seconds(2)));  // a full duration from first sight
  EXPECT_EQ(t.NextExpiry(), kMono + absl::Seconds(2));
}

TEST(LeaseTrackerTest, FirstSightingOfAnOldRenewalIsStaleAtOnce) {
  LeaseTracker t(LeaseTrackerOptions{absl::Seconds(2), absl::Seconds(5)});
  // 2 s duration + 5 s skew allowance: 6 s old is still trusted, 8 s is not.
  EXPECT_TRUE(t.Observe(Heartbeat("a1", "1", kWall - absl::Seconds(6)), kWall, kMono)->fresh);
  EXPECT_FALSE(t.Observe(Heartbeat("a2", "1", kWall - absl::Seconds(8)), kWall, kMono).has_value());
  EXPECT_FALSE(t.IsFresh("a2", kMono));
  // An agent clock far ahead of ours does not make it fresher than one duration.
  t.Observe(Heartbeat("a3", "1", kWall + absl::Hours(1)), kWall, kMono);
  EXPECT_FALSE(t.IsFresh("a3", kMono + absl::Seconds(2)));
}

TEST(LeaseTrackerTest, ExpiryIsJudgedOnOurClockFromTheLastChangeSeen) {
  LeaseTracker t;
  t.Observe(Heartbeat("a1", "1", kWall), kWall, kMono);
  // Renewed at 1 s (new resourceVersion): fresh until 3 s.
  EXPECT_FALSE(
      t.Observe(Heartbeat("a1", "2", kWall + absl::Seconds(1)), kWall, kMono + absl::Seconds(1))
          .has_value());
  // A replay of the same version (a re-list) does not extend it.
  t.Observe(Heartbeat("a1", "2", kWall + absl::Seconds(1)), kWall, kMono + absl::Seconds(2));
  EXPECT_TRUE(t.Expire(kMono + absl::Milliseconds(2999)).empty());
  std::vector<HealthChange> expired = t.Expire(kMono + absl::Seconds(4));
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].node, "a1");
  EXPECT_FALSE(expired[0].fresh);
  EXPECT_EQ(expired[0].at, kMono + absl::Seconds(3));       // when it expired, not when noticed
  EXPECT_TRUE(t.Expire(kMono + absl::Seconds(5)).empty());  // reported once
  EXPECT_FALSE(t.NextExpiry().has_value());
}

TEST(LeaseTrackerTest, AgentClockIsNeverComparedAfterFirstSighting) {
  LeaseTracker t;
  t.Observe(Heartbeat("a1", "1", kWall), kWall, kMono);
  // The agent's clock jumps back an hour, yet it keeps renewing: fresh.
  t.Observe(Heartbeat("a1", "2", kWall - absl::Hours(1)), kWall, kMono + absl::Seconds(1));
  EXPECT_TRUE(t.IsFresh("a1", kMono + absl::Milliseconds(2500)));
}

TEST(LeaseTrackerTest, FlappingHeartbeatReportsEachTransition) {
  LeaseTracker t;
  t.Observe(Heartbeat("a1", "1", kWall), kWall, kMono);
  ASSERT_EQ(t.Expire(kMono + absl::Seconds(2)).size(), 1u);
  auto back = t.Observe(Heartbeat("a1", "2", kWall + absl::Seconds(3)), kWall + absl::Seconds(3),
                        kMono + absl::Seconds(3));
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(back->fresh);
  EXPECT_FALSE(back->first_sighting);
  EXPECT_EQ(t.Expire(kMono + absl::Seconds(5)).size(), 1u);
}

TEST(LeaseTrackerTest, ReleasedOrDeletedLeaseIsStale) {
  LeaseTracker t;
  t.Observe(Heartbeat("a1", "1", kWall), kWall, kMono);
  kube::Lease released = Heartbeat("a1", "2", kWall);
  released.holder_identity.clear();
  auto change = t.Observe(released, kWall, kMono + absl::Milliseconds(100));
  ASSERT_TRUE(change.has_value());
  EXPECT_FALSE(change->fresh);
  t.Observe(Heartbeat("a2", "1", kWall), kWall, kMono);
  auto gone = t.Forget("a2", kMono + absl::Milliseconds(10));
  ASSERT_TRUE(gone.has_value());
  EXPECT_FALSE(t.IsFresh("a2", kMono + absl::Milliseconds(10)));
  EXPECT_FALSE(t.Forget("nobody", kMono).has_value());
}

TEST(LeaseTrackerTest, MissingDurationUsesTheDefault) {
  LeaseTracker t(LeaseTrackerOptions{absl::Seconds(4), absl::Seconds(5)});
  t.Observe(Heartbeat("a1", "1", kWall, /*seconds=*/0), kWall, kMono);
  EXPECT_TRUE(t.IsFresh("a1", kMono + absl::Seconds(3)));
  EXPECT_FALSE(t.IsFresh("a1", kMono + absl::Seconds(4)));
}

// Six agents renewing every second from kMono; `dead` stop after `last` s.
void RenewAll(LeaseTracker& t, const std::vector<std::string>& nodes, int second) {
  for (const std::string& n : nodes) {
    t.Observe(Heartbeat(n, std::to_string(second), kWall + absl::Seconds(second)),
              kWall + absl::Seconds(second), kMono + absl::Seconds(second));
  }
}

const std::vector<std::string> kSix = {"a1", "a2", "a3", "a4", "a5", "a6"};

TEST(LeaseTrackerHoldTest, OneOfSixExpiringIsReportedAsBefore) {
  LeaseTracker t;
  RenewAll(t, kSix, 0);
  // a6 dies after its renewal at 0 s; the others renew at 1 s and 2 s.
  RenewAll(t, {"a1", "a2", "a3", "a4", "a5"}, 1);
  // Renewing in lockstep with the dead one, they have been silent a full
  // second when it expires: they must not look stopped.
  LeaseTracker::HoldNotice notice;
  std::vector<HealthChange> expired = t.Expire(kMono + absl::Seconds(2), &notice);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].node, "a6");
  EXPECT_EQ(expired[0].at, kMono + absl::Seconds(2));
  EXPECT_FALSE(notice.started);
  EXPECT_FALSE(t.Holding());
  EXPECT_FALSE(t.IsFresh("a6", kMono + absl::Seconds(2)));
}

TEST(LeaseTrackerHoldTest, AllStoppingAtOnceIsHeldUntilRenewalsResume) {
  LeaseTracker t;
  RenewAll(t, kSix, 0);
  RenewAll(t, kSix, 1);  // then the API server hangs: nothing more arrives
  ASSERT_EQ(t.NextExpiry(), kMono + absl::Seconds(3));
  LeaseTracker::HoldNotice notice;
  EXPECT_TRUE(t.Expire(kMono + absl::Seconds(3), &notice).empty());
  EXPECT_TRUE(notice.started);
  EXPECT_EQ(notice.stale, 6u);
  EXPECT_EQ(notice.total, 6u);
  EXPECT_TRUE(t.Holding());
  EXPECT_FALSE(t.NextExpiry().has_value());  // no timer spinning on held Leases
  // 30 s of silence: still held, health kept, started only once.
  notice = {};
  EXPECT_TRUE(t.Expire(kMono + absl::Seconds(31), &notice).empty());
  EXPECT_FALSE(notice.started);
  for (const std::string& n : kSix) EXPECT_TRUE(t.IsFresh(n, kMono + absl::Seconds(31))) << n;
  // The API is back: a1..a5 renew (a1 ends the hold), a6 does not.
  const absl::Time back = kMono + absl::Seconds(32);
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(t.Observe(Heartbeat(kSix[i], "32", kWall + absl::Seconds(32)),
                           kWall + absl::Seconds(32), back + absl::Milliseconds(100 * i))
                     .has_value());  // fresh all along: no change reported
    EXPECT_FALSE(t.Holding());
  }
  for (int i = 0; i < 5; ++i) {  // a1..a5 keep renewing every second
    t.Observe(Heartbeat(kSix[i], "33", kWall + absl::Seconds(33)), kWall + absl::Seconds(33),
              back + absl::Seconds(1) + absl::Milliseconds(100 * i));
  }
  // a6 gets one full duration from the end of the hold, then expires plainly.
  EXPECT_EQ(t.NextExpiry(), back + absl::Seconds(2));
  EXPECT_TRUE(t.Expire(back + absl::Milliseconds(1999)).empty());
  notice = {};
  std::vector<HealthChange> expired = t.Expire(back + absl::Seconds(2), &notice);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].node, "a6");
  EXPECT_EQ(expired[0].at, back + absl::Seconds(2));
  EXPECT_FALSE(notice.started);
  EXPECT_FALSE(t.Holding());
}

TEST(LeaseTrackerHoldTest, StaggeredStopIsHeldFromTheFirstExpiry) {
  // Agents renew at different phases; the API hangs at 1.0 s. The first
  // Lease comes due while the others have already missed a renewal.
  LeaseTracker t;
  for (int i = 0; i < 6; ++i) {
    absl::Duration phase = absl::Milliseconds(100 * i);
    t.Observe(Heartbeat(kSix[i], "1", kWall + phase), kWall + phase, kMono + phase);
  }
  EXPECT_EQ(t.NextExpiry(), kMono + absl::Seconds(2));
  EXPECT_TRUE(t.Expire(kMono + absl::Seconds(2)).empty());
  EXPECT_TRUE(t.Holding());
  EXPECT_TRUE(t.Expire(kMono + absl::Seconds(3)).empty());
  EXPECT_FALSE(t.NextExpiry().has_value());
}

TEST(LeaseTrackerHoldTest, FewerThanThreeLeasesAreNeverHeld) {
  LeaseTracker t;
  RenewAll(t, {"a1", "a2"}, 0);
  EXPECT_EQ(t.Expire(kMono + absl::Seconds(2)).size(), 2u);
  EXPECT_FALSE(t.Holding());
}

TEST(LeaseTrackerHoldTest, SingleFailoverIsNotDelayed) {
  // Three agents renewing every 500 ms; one dies.
  LeaseTracker t;
  const std::vector<std::string> three = {"a1", "a2", "a3"};
  absl::Time last = kMono;
  for (int ms = 0; ms <= 1000; ms += 500) {
    for (const std::string& n : three) {
      if (n == "a1" && ms > 0) continue;  // a1's last renewal is at 0
      t.Observe(Heartbeat(n, std::to_string(ms), kWall + absl::Milliseconds(ms)),
                kWall + absl::Milliseconds(ms), kMono + absl::Milliseconds(ms));
    }
  }
  EXPECT_EQ(t.NextExpiry(), last + absl::Seconds(2));
  for (int ms = 1500; ms <= 2000; ms += 500) {
    for (const char* n : {"a2", "a3"}) {
      t.Observe(Heartbeat(n, std::to_string(ms), kWall + absl::Milliseconds(ms)),
                kWall + absl::Milliseconds(ms), kMono + absl::Milliseconds(ms));
    }
  }
  // Noticed 10 ms late (timer slack): reported at once, dated at the expiry.
  std::vector<HealthChange> expired = t.Expire(last + absl::Milliseconds(2010));
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].node, "a1");
  EXPECT_LT(expired[0].at - last, absl::Seconds(2) + absl::Milliseconds(50));
  EXPECT_FALSE(t.Holding());
}

TEST(LeaseTrackerHoldTest, ReplayOrDeleteDoesNotEndAHold) {
  LeaseTracker t;
  RenewAll(t, {"a1", "a2", "a3"}, 0);
  EXPECT_TRUE(t.Expire(kMono + absl::Seconds(2)).empty());
  ASSERT_TRUE(t.Holding());
  t.Observe(Heartbeat("a1", "0", kWall), kWall, kMono + absl::Seconds(5));  // re-list replay
  EXPECT_TRUE(t.Holding());
  EXPECT_TRUE(t.IsFresh("a1", kMono + absl::Seconds(5)));
  t.Forget("a3", kMono + absl::Seconds(5));
  EXPECT_TRUE(t.Holding());
}

}  // namespace
}  // namespace raven::controller

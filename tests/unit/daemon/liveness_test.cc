#include "daemon/failover/liveness.h"

#include <gtest/gtest.h>

namespace raven::failover {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'000'000);
IpAddress A(const char* text) { return IpAddress::Parse(text).value(); }
absl::Duration Ms(int ms) { return absl::Milliseconds(ms); }

class LivenessTest : public ::testing::Test {
 protected:
  // One echo round at `now`: every request due is answered by its target
  // unless it is in `dead`; true when the silent set changed.
  bool Round(absl::Time now, const std::set<std::string>& dead = {}) {
    for (const EchoRequest& r : liveness_.Due(now)) {
      if (!dead.contains(r.node))
        liveness_.Answered(r.target.address, r.target.ifindex, r.sequence, now);
    }
    return liveness_.Update(now);
  }
  // Rounds every 50 ms from `from` for `span`; the time of the last one.
  absl::Time Rounds(absl::Time from, absl::Duration span, const std::set<std::string>& dead = {}) {
    absl::Time t = from;
    for (; t <= from + span; t += Ms(50)) Round(t, dead);
    return t - Ms(50);
  }

  Liveness liveness_;  // 50 ms, silent after 350 ms, alive again after 2 s
};

TEST_F(LivenessTest, EchoesEveryIntervalToEveryTarget) {
  liveness_.SetTargets({{"a1", {A("100.127.1.1")}}, {"b1", {A("fe80::1"), 7, A("fe80::2")}}},
                       kStart);
  std::vector<EchoRequest> first = liveness_.Due(kStart);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[1].target.ifindex, 7u);
  EXPECT_EQ(first[1].target.source, A("fe80::2"));
  EXPECT_TRUE(liveness_.Due(kStart + Ms(49)).empty());
  EXPECT_EQ(liveness_.Due(kStart + Ms(50)).size(), 2u);
  EXPECT_EQ(liveness_.NextWakeup(), kStart + Ms(100));
}

TEST_F(LivenessTest, AnEndpointThatAnsweredAndStopsIsSilentAfterTheThreshold) {
  liveness_.SetTargets({{"a1", {A("100.127.1.1")}}}, kStart);
  absl::Time t = Rounds(kStart, Ms(500));
  EXPECT_TRUE(liveness_.Silent().empty());
  const absl::Time last_answer = t;
  // It dies: silent exactly 350 ms after its last answer, not before.
  for (t += Ms(50); t < last_answer + Ms(350); t += Ms(50)) {
    EXPECT_FALSE(Round(t, {"a1"})) << t - last_answer;
  }
  EXPECT_EQ(liveness_.NextWakeup(), last_answer + Ms(350));
  EXPECT_TRUE(Round(last_answer + Ms(350), {"a1"}));
  EXPECT_EQ(liveness_.Silent(), std::set<std::string>{"a1"});
  EXPECT_EQ(liveness_.Endpoints().at("a1").silences, 1u);
}

TEST_F(LivenessTest, AnEndpointThatNeverAnsweredIsNeverSilent) {
  liveness_.SetTargets({{"a1", {A("100.127.1.1")}}}, kStart);
  Rounds(kStart, absl::Seconds(5), {"a1"});
  EXPECT_TRUE(liveness_.Silent().empty());
  EXPECT_EQ(liveness_.Endpoints().at("a1").answered, 0u);
}

TEST_F(LivenessTest, ASilentEndpointIsAliveAgainOnlyAfterAnsweringWithoutAGapForTwoSeconds) {
  liveness_.SetTargets({{"a1", {A("100.127.1.1")}}}, kStart);
  absl::Time t = Rounds(kStart, Ms(200));
  t = Rounds(t + Ms(50), Ms(500), {"a1"});
  ASSERT_EQ(liveness_.Silent().size(), 1u);
  // Back for 1.5 s, then a gap of 400 ms, then back: the clock starts over.
  t = Rounds(t + Ms(50), Ms(1500));
  EXPECT_EQ(liveness_.Silent().size(), 1u);
  t = Rounds(t + Ms(50), Ms(400), {"a1"});
  const absl::Time back = t + Ms(50);
  t = Rounds(back, Ms(1900));
  EXPECT_EQ(liveness_.Silent().size(), 1u) << "revived before two seconds of answers";
  Rounds(t + Ms(50), Ms(150));
  EXPECT_TRUE(liveness_.Silent().empty());
}

TEST_F(LivenessTest, RepliesFromElsewhereOrToNoRequestAreIgnored) {
  liveness_.SetTargets({{"a1", {A("100.127.1.1")}}}, kStart);
  std::vector<EchoRequest> due = liveness_.Due(kStart);
  liveness_.Answered(A("100.127.1.9"), 0, due[0].sequence, kStart);         // another address
  liveness_.Answered(A("100.127.1.1"), 0, due[0].sequence + 1000, kStart);  // never sent
  EXPECT_EQ(liveness_.Endpoints().at("a1").answered, 0u);
  liveness_.Answered(A("100.127.1.1"), 0, due[0].sequence, kStart + Ms(4));
  liveness_.Answered(A("100.127.1.1"), 0, due[0].sequence, kStart + Ms(5));  // a duplicate
  EXPECT_EQ(liveness_.Endpoints().at("a1").answered, 1u);
  EXPECT_EQ(liveness_.Endpoints().at("a1").smoothed_rtt, Ms(4));
}

TEST_F(LivenessTest, ATunnelAddressCountsOnlyWhenItsReplyCameThroughTheTunnel) {
  // A LAN neighbour can send a reply from any link-local address; only
  // WireGuard vouches for one that arrives on its device.
  liveness_.SetTargets({{"b1", {A("fe80::1"), 7, A("fe80::2")}}}, kStart);
  std::vector<EchoRequest> due = liveness_.Due(kStart);
  liveness_.Answered(A("fe80::1"), 3, due[0].sequence, kStart + Ms(1));
  EXPECT_EQ(liveness_.Endpoints().at("b1").answered, 0u);
  liveness_.Answered(A("fe80::1"), 7, due[0].sequence, kStart + Ms(2));
  EXPECT_EQ(liveness_.Endpoints().at("b1").answered, 1u);
}

TEST_F(LivenessTest, RoundTripTimeIsSmoothed) {
  liveness_.SetTargets({{"a1", {A("100.127.1.1")}}}, kStart);
  std::vector<EchoRequest> due = liveness_.Due(kStart);
  liveness_.Answered(A("100.127.1.1"), 0, due[0].sequence, kStart + Ms(10));
  due = liveness_.Due(kStart + Ms(50));
  liveness_.Answered(A("100.127.1.1"), 0, due[0].sequence, kStart + Ms(70));
  // 0.8 * 10 ms + 0.2 * 20 ms
  EXPECT_EQ(liveness_.Endpoints().at("a1").smoothed_rtt, Ms(12));
}

TEST_F(LivenessTest, LossIsTheSmoothedShareOfEchoesLeftUnanswered) {
  liveness_.SetTargets({{"a1", {A("100.127.1.1")}}}, kStart);
  absl::Time t = Rounds(kStart, absl::Seconds(1));
  EXPECT_EQ(liveness_.Endpoints().at("a1").smoothed_loss, 0);
  // Every other echo lost, for long enough to settle near a half.
  for (int i = 0; i < 400; ++i) {
    t += Ms(50);
    for (const EchoRequest& r : liveness_.Due(t)) {
      if (i % 2) liveness_.Answered(r.target.address, 0, r.sequence, t);
    }
    liveness_.Update(t);
  }
  EXPECT_NEAR(liveness_.Endpoints().at("a1").smoothed_loss, 0.5, 0.05);
  EXPECT_TRUE(liveness_.Silent().empty());  // a lossy endpoint is not a dead one
}

TEST_F(LivenessTest, ATargetThatChangesStartsOverAndAGoneOneIsForgotten) {
  liveness_.SetTargets({{"a1", {A("100.127.1.1")}}, {"a2", {A("100.127.1.2")}}}, kStart);
  absl::Time t = Rounds(kStart, Ms(200));
  t = Rounds(t + Ms(50), Ms(400), {"a1", "a2"});
  ASSERT_EQ(liveness_.Silent().size(), 2u);
  liveness_.SetTargets({{"a1", {A("100.127.1.11")}}}, t);
  EXPECT_TRUE(liveness_.Silent().empty());
  EXPECT_EQ(liveness_.Endpoints().size(), 1u);
  EXPECT_EQ(liveness_.Endpoints().at("a1").sent, 0u);
}

TEST_F(LivenessTest, AMeasuredTargetIsEchoedLessOftenAndNeverSilent) {
  EchoTarget measured{A("fe80::1"), 7, A("fe80::2"), /*failover=*/false};
  liveness_.SetTargets({{"b1", measured}}, kStart);
  ASSERT_EQ(liveness_.Due(kStart).size(), 1u);
  EXPECT_TRUE(liveness_.Due(kStart + Ms(199)).empty());
  std::vector<EchoRequest> due = liveness_.Due(kStart + Ms(200));
  ASSERT_EQ(due.size(), 1u);
  liveness_.Answered(A("fe80::1"), 7, due[0].sequence, kStart + Ms(230));
  EXPECT_EQ(liveness_.Endpoints().at("b1").smoothed_rtt, Ms(30));
  // Silent for 5 s: lost echoes, but no silence.
  absl::Time t = kStart + Ms(400);
  for (; t < kStart + absl::Seconds(5); t += Ms(200)) {
    liveness_.Due(t);
    EXPECT_FALSE(liveness_.Update(t));
  }
  EXPECT_TRUE(liveness_.Silent().empty());
  EXPECT_GT(liveness_.Endpoints().at("b1").smoothed_loss, 0.5);
}

TEST_F(LivenessTest, AMeasuredEchoIsLostOnlyAfterASecond) {
  liveness_.SetTargets({{"b1", {A("fe80::1"), 7, A("fe80::2"), /*failover=*/false}}}, kStart);
  std::vector<EchoRequest> due = liveness_.Due(kStart);
  liveness_.Update(kStart + Ms(999));
  EXPECT_EQ(liveness_.Endpoints().at("b1").smoothed_loss, 0);
  liveness_.Answered(A("fe80::1"), 7, due[0].sequence, kStart + Ms(600));  // a slow path
  EXPECT_EQ(liveness_.Endpoints().at("b1").smoothed_rtt, Ms(600));
  liveness_.Update(kStart + absl::Seconds(2));
  EXPECT_EQ(liveness_.Endpoints().at("b1").smoothed_loss, 0);
}

TEST(LivenessOptionsTest, WithoutFailoverEveryTargetIsMeasuredOnly) {
  Liveness liveness(LivenessOptions{.interval = absl::ZeroDuration()});
  liveness.SetTargets({{"a1", {A("100.127.1.1")}}}, kStart);
  absl::Time t = kStart;
  for (; t < kStart + absl::Seconds(1); t += Ms(200)) {
    for (const EchoRequest& r : liveness.Due(t))
      liveness.Answered(r.target.address, 0, r.sequence, t);
    liveness.Update(t);
  }
  for (; t < kStart + absl::Seconds(3); t += Ms(200)) {
    liveness.Due(t);
    EXPECT_FALSE(liveness.Update(t));
  }
  EXPECT_EQ(liveness.Endpoints().at("a1").sent, 15u);  // every 200 ms
  EXPECT_TRUE(liveness.Silent().empty());
}

TEST(LivenessOptionsTest, WithoutMeasuringOnlyTheFailoverTargetsAreEchoed) {
  Liveness liveness(LivenessOptions{.measure_interval = absl::ZeroDuration()});
  liveness.SetTargets({{"a1", {A("100.127.1.1")}}, {"b1", {A("fe80::1"), 7, {}, false}}}, kStart);
  std::vector<EchoRequest> due = liveness.Due(kStart);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].node, "a1");
}

TEST_F(LivenessTest, EchoesBeforeTheFirstAnswerAreNoLoss) {
  liveness_.SetTargets({{"a1", {A("100.127.1.1")}}}, kStart);
  absl::Time t = Rounds(kStart, absl::Seconds(1), {"a1"});  // no session yet
  EXPECT_EQ(liveness_.Endpoints().at("a1").smoothed_loss, 0);
  t = Rounds(t + Ms(50), Ms(200));
  Rounds(t + Ms(50), Ms(600), {"a1"});
  EXPECT_GT(liveness_.Endpoints().at("a1").smoothed_loss, 0);
}

}  // namespace
}  // namespace raven::failover

// Which path a pair with a direct path takes, from costs over time: a dead
// path is left at once, a worse one only after the hold time, and costs that
// wander near the threshold move nothing.
#include "daemon/failover/path_choice.h"

#include <gtest/gtest.h>

#include "daemon/failover/liveness.h"

namespace raven::failover {
namespace {

using absl::Milliseconds;

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

PairCosts Costs(std::optional<absl::Duration> direct,
                std::map<std::string, std::optional<absl::Duration>> detours) {
  return {direct, std::move(detours)};
}

class PathChoiceTest : public ::testing::Test {
 protected:
  // Feeds `costs` every 200 ms for `span`; the number of changes.
  int Run(const PairCosts& costs, absl::Duration span) {
    int changes = 0;
    for (absl::Time end = now_ + span; now_ < end; now_ += Milliseconds(200)) {
      changes += choice_.Update({{"gw-b", costs}}, now_) ? 1 : 0;
    }
    return changes;
  }
  std::string Via() const {
    auto d = choice_.Detours();
    return d.contains("gw-b") ? d.at("gw-b") : "";
  }

  PathChoice choice_;
  absl::Time now_ = kStart;
};

TEST_F(PathChoiceTest, ADirectPathNeverProvenIsNotLeftForACheaperDetour) {
  EXPECT_EQ(Run(Costs(std::nullopt, {{"gw-c", Milliseconds(6)}}), absl::Seconds(5)), 0);
  EXPECT_EQ(Via(), "");
}

TEST_F(PathChoiceTest, ADeadDirectPathIsLeftAtOnceAndTakenBackAfterTheHoldTime) {
  Run(Costs(Milliseconds(3), {{"gw-c", Milliseconds(6)}}), absl::Seconds(2));
  EXPECT_EQ(Via(), "");
  EXPECT_TRUE(choice_.Update({{"gw-b", Costs(std::nullopt, {{"gw-c", Milliseconds(6)}})}}, now_));
  EXPECT_EQ(Via(), "gw-c");
  EXPECT_EQ(choice_.reasons().at("gw-b"), "the direct path stopped answering its probes");
  // It answers again: back only once it has been no worse for hold_back.
  const absl::Time back = now_ + Milliseconds(200);
  now_ = back;
  while (Via() == "gw-c") {
    choice_.Update({{"gw-b", Costs(Milliseconds(3), {{"gw-c", Milliseconds(6)}})}}, now_);
    now_ += Milliseconds(200);
    ASSERT_LT(now_ - back, absl::Seconds(6));
  }
  EXPECT_GE(now_ - back, absl::Seconds(3));
  EXPECT_LE(now_ - back, absl::Milliseconds(3400));
}

TEST_F(PathChoiceTest, AClearlyWorseDirectPathIsLeftAfterTheHoldTime) {
  Run(Costs(Milliseconds(3), {{"gw-c", Milliseconds(6)}}), absl::Seconds(1));
  // 100 ms each way on the direct path.
  const PairCosts slow = Costs(Milliseconds(203), {{"gw-c", Milliseconds(6)}});
  EXPECT_EQ(Run(slow, Milliseconds(800)), 0);
  EXPECT_EQ(Via(), "");
  EXPECT_EQ(Run(slow, Milliseconds(400)), 1);
  EXPECT_EQ(Via(), "gw-c");
  // Cheaper by 10% but not by 5 ms, or by 5 ms but not 10%: not clearly.
  PathChoice other;
  for (auto [direct, detour] : {std::pair{Milliseconds(9), Milliseconds(6)},
                                std::pair{Milliseconds(105), Milliseconds(99)}}) {
    for (int i = 0; i < 30; ++i) {
      EXPECT_FALSE(other.Update({{"gw-b", Costs(direct, {{"gw-c", detour}})}},
                                kStart + i * Milliseconds(200)));
    }
  }
}

TEST_F(PathChoiceTest, CostsThatCrossTheThresholdBackAndForthMoveNothing) {
  Run(Costs(Milliseconds(3), {{"gw-c", Milliseconds(6)}}), absl::Seconds(1));
  int changes = 0;
  for (int i = 0; i < 100; ++i) {
    // Worse for 800 ms, fine for 200 ms: never worse for a whole hold time.
    absl::Duration direct = i % 5 == 4 ? Milliseconds(3) : Milliseconds(40);
    changes += Run(Costs(direct, {{"gw-c", Milliseconds(6)}}), Milliseconds(200));
  }
  EXPECT_EQ(changes, 0);
  EXPECT_EQ(Via(), "");
}

TEST_F(PathChoiceTest, DetoursAreComparedAndOneWhoseRelayLegFailsIsLeftAtOnce) {
  Run(Costs(Milliseconds(3), {}), absl::Seconds(1));
  Run(Costs(std::nullopt, {{"gw-c", Milliseconds(20)}, {"gw-d", Milliseconds(8)}}),
      Milliseconds(200));
  EXPECT_EQ(Via(), "gw-d");  // the cheaper one
  // gw-d's leg goes: to gw-c at once, the direct path still being dead.
  EXPECT_EQ(Run(Costs(std::nullopt, {{"gw-c", Milliseconds(20)}, {"gw-d", std::nullopt}}),
                Milliseconds(200)),
            1);
  EXPECT_EQ(Via(), "gw-c");
  // gw-d comes back much cheaper: after the hold time.
  EXPECT_EQ(Run(Costs(std::nullopt, {{"gw-c", Milliseconds(20)}, {"gw-d", Milliseconds(8)}}),
                absl::Seconds(2)),
            1);
  EXPECT_EQ(Via(), "gw-d");
  // The relay is gone from the detours: back to the direct path, which answers.
  EXPECT_EQ(Run(Costs(Milliseconds(3), {{"gw-c", Milliseconds(20)}}), Milliseconds(200)), 1);
  EXPECT_EQ(Via(), "");
  // A pair left out is forgotten.
  choice_.Update({}, now_);
  EXPECT_TRUE(choice_.Detours().empty());
}

TEST_F(PathChoiceTest, AlternatingDegradationsMoveThePairTwiceEach) {
  const PairCosts good = Costs(Milliseconds(3), {{"gw-c", Milliseconds(6)}});
  const PairCosts lossy = Costs(LinkCost(Milliseconds(3), 0.2), {{"gw-c", Milliseconds(6)}});
  int changes = Run(good, absl::Seconds(5));
  for (int i = 0; i < 10; ++i) {
    changes += Run(lossy, absl::Seconds(10));
    EXPECT_EQ(Via(), "gw-c");
    changes += Run(good, absl::Seconds(10));
    EXPECT_EQ(Via(), "");
  }
  EXPECT_EQ(changes, 20);
}

TEST(LinkCostTest, LossWeighsLikeRetransmissionTimeouts) {
  EXPECT_EQ(LinkCost(Milliseconds(10), 0), Milliseconds(10));
  EXPECT_EQ(LinkCost(Milliseconds(10), 0.5), Milliseconds(220));  // (10 + 100) / 0.5
  EXPECT_GT(LinkCost(Milliseconds(3), 0.05), Milliseconds(13));
  EXPECT_LT(LinkCost(Milliseconds(3), 0.01), Milliseconds(6));
  EXPECT_EQ(LinkCost(Milliseconds(1), 1.0), LinkCost(Milliseconds(1), 0.99));
}

}  // namespace
}  // namespace raven::failover

// What a window of probe outcomes says a path loses at least.
#include "daemon/failover/loss_window.h"

#include <gtest/gtest.h>

namespace raven::failover {
namespace {

LossWindow Window(int lost, int answered) {
  LossWindow w;
  for (int i = 0; i < answered; ++i) w.Add(false);
  for (int i = 0; i < lost; ++i) w.Add(true);
  return w;
}

TEST(LossWindowTest, OneLossInAFullWindowIsNoiseARealLossShowsWithinAFewProbes) {
  EXPECT_EQ(LossWindow().lower_bound(), 0);
  EXPECT_EQ(Window(0, 30).lower_bound(), 0);
  EXPECT_DOUBLE_EQ(Window(3, 27).ratio(), 0.1);
  // What 1% loss each way gives now and then: a few percent at most.
  EXPECT_LT(Window(1, 29).lower_bound(), 0.01);
  EXPECT_LT(Window(2, 28).lower_bound(), 0.02);
  EXPECT_LT(Window(3, 27).lower_bound(), 0.035);
  EXPECT_GT(Window(6, 24).lower_bound(), 0.07);  // 20% loss over a window
  EXPECT_GT(Window(2, 3).lower_bound(), 0.05);   // two losses in the first five probes
  EXPECT_GT(Window(5, 0).lower_bound(), 0.4);    // a cut
}

TEST(LossWindowTest, OnlyTheLastOutcomesCount) {
  LossWindow w = Window(10, 0);
  for (int i = 0; i < LossWindow::kSize; ++i) w.Add(false);
  EXPECT_EQ(w.outcomes(), LossWindow::kSize);
  EXPECT_EQ(w.ratio(), 0);
  w.Add(true);
  EXPECT_DOUBLE_EQ(w.ratio(), 1.0 / LossWindow::kSize);
  w.Clear();
  EXPECT_EQ(w.outcomes(), 0);
}

}  // namespace
}  // namespace raven::failover

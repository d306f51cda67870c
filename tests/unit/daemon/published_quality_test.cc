#include "daemon/failover/published_quality.h"

#include <gtest/gtest.h>

namespace raven::failover {
namespace {

EndpointLiveness Measured(int rtt_micros, double loss) {
  EndpointLiveness e;
  e.smoothed_rtt = absl::Microseconds(rtt_micros);
  e.smoothed_loss = loss;
  return e;
}

TEST(PublishedQualityTest, TheFirstMeasurementIsPublishedAndAJitterIsNot) {
  PublishedQuality q;
  const std::map<std::string, std::string> node_of = {{"gw-b", "b1"}, {"gw-c", "c1"}};
  EXPECT_FALSE(q.Update(node_of, {{"c1", {}}}));  // c1 not answered yet
  EXPECT_TRUE(q.Update(node_of, {{"b1", Measured(1'250, 0)}}));
  EXPECT_EQ(q.Published(), (std::map<std::string, PathQuality>{{"gw-b", {1'250, 0}}}));
  // 4 ms more is under 5 ms; 30% more of 20 ms is 6 ms.
  EXPECT_FALSE(q.Update(node_of, {{"b1", Measured(5'250, 0.009)}}));
  EXPECT_TRUE(q.Update(node_of, {{"b1", Measured(6'250, 0)}}));
  EXPECT_EQ(q.Published().at("gw-b").rtt_micros, 6'250);
  q.Update(node_of, {{"b1", Measured(200'000, 0)}});
  EXPECT_FALSE(q.Update(node_of, {{"b1", Measured(230'000, 0)}}));  // 15%
  EXPECT_TRUE(q.Update(node_of, {{"b1", Measured(160'000, 0)}}));   // 20% less
  // Loss: 5% moves it, or half the published loss when that is less, but
  // at least 1%: a loss that decays is published again.
  EXPECT_FALSE(q.Update(node_of, {{"b1", Measured(160'000, 0.009)}}));
  EXPECT_TRUE(q.Update(node_of, {{"b1", Measured(160'000, 0.03)}}));
  EXPECT_FALSE(q.Update(node_of, {{"b1", Measured(160'000, 0.016)}}));
  EXPECT_TRUE(q.Update(node_of, {{"b1", Measured(160'000, 0.0)}}));
  EXPECT_EQ(q.Published().at("gw-b").loss_permille, 0);
  q.Update(node_of, {{"b1", Measured(160'000, 0.5)}});
  EXPECT_FALSE(q.Update(node_of, {{"b1", Measured(160'000, 0.451)}}));
  EXPECT_TRUE(q.Update(node_of, {{"b1", Measured(160'000, 0.45)}}));
}

TEST(PublishedQualityTest, AnotherNodeOrAGoneGatewayIsPublishedAtOnce) {
  PublishedQuality q;
  q.Update({{"gw-b", "b1"}}, {{"b1", Measured(1'000, 0)}, {"b2", Measured(1'100, 0)}});
  EXPECT_TRUE(q.Update({{"gw-b", "b2"}}, {{"b1", Measured(1'000, 0)}, {"b2", Measured(1'100, 0)}}));
  EXPECT_EQ(q.Published().at("gw-b").rtt_micros, 1'100);
  EXPECT_TRUE(q.Update({}, {{"b2", Measured(1'100, 0)}}));
  EXPECT_TRUE(q.Published().empty());
}

}  // namespace
}  // namespace raven::failover

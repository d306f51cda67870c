// What the agent's /metrics says of the paths to the remote Gateways.
#include "daemon/agent_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace raven {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(AgentMetricsTest, ThePathInUseToEachRemoteGatewayWithItsQualityAndChanges) {
  AgentStatus status;
  status.Update([](AgentSnapshot& s) {
    s.role = NodeRole::kGateway;
    s.peers = {{"gw-b", "b1", std::nullopt, 0, 0}, {"gw-c", "c1", std::nullopt, 0, 0}};
    failover::EndpointLiveness b1;
    b1.smoothed_rtt = absl::Milliseconds(20);
    b1.smoothed_loss = 0.5;
    s.echoes["b1"] = b1;
    s.echoes["b2"] = b1;  // a standby of gw-b: its own echo metrics only
    s.echoes["c1"] = {};  // not answered yet
    s.path_changes = {{"gw-b", 2}};
    s.direct_quality["gw-b"] = {{}, absl::Milliseconds(3), 0.04, 0.001};
  });
  metrics::Registry registry;
  AgentMetrics metrics(registry, status, nullptr, {});
  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("raven_agent_path_rtt_seconds{gateway=\"gw-b\",node=\"b1\"} 0.02\n"));
  EXPECT_THAT(text, HasSubstr("raven_agent_path_loss_ratio{gateway=\"gw-b\",node=\"b1\"} 0.5\n"));
  EXPECT_THAT(text,
              HasSubstr("raven_agent_path_cost_seconds{gateway=\"gw-b\",node=\"b1\"} 0.24\n"));
  EXPECT_THAT(text, HasSubstr("raven_agent_path_changes_total{gateway=\"gw-b\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("raven_agent_direct_path_rtt_seconds{gateway=\"gw-b\"} 0.003\n"));
  EXPECT_THAT(text, HasSubstr("raven_agent_direct_path_loss_ratio{gateway=\"gw-b\"} 0.04\n"));
  EXPECT_THAT(text, Not(HasSubstr("raven_agent_path_rtt_seconds{gateway=\"gw-c\"")));
  EXPECT_THAT(text, Not(HasSubstr("raven_agent_path_rtt_seconds{gateway=\"gw-b\",node=\"b2\"")));
  EXPECT_THAT(text, HasSubstr("raven_agent_echo_rtt_seconds{node=\"b2\"} 0.02\n"));
}

}  // namespace
}  // namespace raven

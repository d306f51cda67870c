// The agent over fake parts, as node a1 of pool gw-a: the fixture the agent's
// tests share.
#ifndef RAVEN_TESTS_UNIT_DAEMON_AGENT_FIXTURE_H_
#define RAVEN_TESTS_UNIT_DAEMON_AGENT_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "daemon/agent.h"
#include "tests/unit/daemon/fakes.h"
#include "tests/unit/daemon/gateway_builder.h"
#include "tests/unit/kube/fakes.h"

namespace raven::testing {

// This node (a1) and its pool, gw-a; `active` is the pool's gateway node.
inline kube::Gateway PoolA(const std::string& active) {
  return GatewayBuilder("gw-a")
      .Node("a1", "100.127.1.1", {"100.64.1.0/24"})
      .Node("a2", "100.127.1.2", {"100.64.3.0/24"})
      .Active(active, active == "a1" ? "198.18.0.1" : "198.18.0.11", active == "a1" ? 'a' : 'e')
      .Build();
}
inline kube::Gateway PoolB() {
  return GatewayBuilder("gw-b")
      .Node("b1", "100.127.2.1", {"100.64.2.0/24"})
      .Active("b1", "198.18.0.2", 'b')
      .Build();
}
inline kube::Gateway PoolC() {
  return GatewayBuilder("gw-c")
      .Node("c1", "100.127.3.1", {"100.64.4.0/24"})
      .Active("c1", "198.18.0.3", 'c')
      .Build();
}

class FakeHeartbeat : public HeartbeatView {
 public:
  HeartbeatState state() const override { return beat; }
  HeartbeatState beat;
};

inline std::string Joined(const std::vector<std::string>& lines) {
  return absl::StrJoin(lines, "\n");
}

class AgentTest : public ::testing::Test {
 protected:
  AgentTest() { settings_.public_key = Key('a'); }

  // Builds the agent (after the test adjusted settings_) and starts it.
  void Start(const std::vector<kube::Gateway>& gateways) {
    source_.Set(gateways);
    settings_.node_name = "a1";
    agent_ = std::make_unique<Agent>(
        settings_,
        AgentParts{&source_, &node_, &routes_, &members_, &wg_, &heartbeat_, nullptr, &clock_},
        status_);
    ASSERT_TRUE(agent_->Start().ok());
  }
  void Sync(const std::vector<kube::Gateway>& gateways) {
    source_.Set(gateways);
    agent_->Sync();
  }

  // Every write the dataplane has seen, to show that nothing was touched.
  struct Writes {
    int route_upserts, route_deletes, member_adds, member_removes, peer_upserts, peer_removes;
    bool operator==(const Writes&) const = default;
  };
  Writes Count() const {
    return {routes_.writes,   routes_.deletes, members_.adds,
            members_.removes, wg_.upserted,    wg_.removed};
  }

  AgentSettings settings_;
  FakeGatewaySource source_;
  FakeDataplaneNode node_;
  FakeRouteTable routes_;
  FakeRelayMembers members_;
  FakeWireGuardDevice wg_;
  FakeHeartbeat heartbeat_;
  kube::testing::FakeClock clock_;
  AgentStatus status_;
  std::unique_ptr<Agent> agent_;
};

}  // namespace raven::testing

#endif  // RAVEN_TESTS_UNIT_DAEMON_AGENT_FIXTURE_H_

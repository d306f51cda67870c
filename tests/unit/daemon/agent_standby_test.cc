// The agent when a Gateway with two active endpoints changes its order (a
// drain, a failover the controller confirms): the sessions that stood by
// take the traffic as they are, and none is re-created.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/daemon/agent_fixture.h"

namespace raven {
namespace {

using kube::Gateway;
using testing::AgentTest;
using testing::GatewayBuilder;
using ::testing::IsEmpty;
using testing::Key;
using testing::TunnelHost;

struct Endpoint {
  const char* node;
  const char* private_ip;
  const char* subnet;
  const char* public_ip;
  char key;
};
constexpr Endpoint kA1{"a1", "100.127.1.1", "100.64.1.0/24", "198.18.0.1", 'a'};  // this node
constexpr Endpoint kA2{"a2", "100.127.1.2", "100.64.3.0/24", "198.18.0.3", 'c'};
constexpr Endpoint kB1{"b1", "100.127.2.1", "100.64.2.0/24", "198.18.0.2", 'b'};
constexpr Endpoint kB2{"b2", "100.127.2.2", "100.64.4.0/24", "198.18.0.4", 'd'};

// A Gateway with two active endpoints, `first` first.
Gateway Replicated(const std::string& name, const Endpoint& first, const Endpoint& second) {
  GatewayBuilder b(name);
  for (const Endpoint* e : {&first, &second}) b.Node(e->node, e->private_ip, {e->subnet});
  for (const Endpoint* e : {&first, &second}) b.Active(e->node, e->public_ip, e->key);
  return b.Build();
}

class AgentStandbyTest : public AgentTest {
 protected:
  // Every session this node has shook hands just now.
  void Handshaken() {
    for (const auto& [key, config] : wg_.peers) {
      wg_.handshakes[key] = absl::ToUnixNanos(clock_.Now());
    }
  }
};

TEST_F(AgentStandbyTest, ARemoteGatewaysNewOrderMovesThePrefixesWithoutNewHandshakes) {
  Start({Replicated("gw-a", kA1, kA2), Replicated("gw-b", kB1, kB2)});
  ASSERT_EQ(wg_.peers.size(), 2u);  // b1 carries gw-b's prefixes, b2 stands by
  Handshaken();
  agent_->CheckDataplane();

  Sync({Replicated("gw-a", kA1, kA2), Replicated("gw-b", kB2, kB1)});  // b1 drained: b2 first
  EXPECT_EQ(wg_.peers.at(Key('d')).allowed_ips,
            (std::vector<IpPrefix>{*IpPrefix::Parse("100.64.2.0/24"),
                                   *IpPrefix::Parse("100.64.4.0/24"), TunnelHost('d')}));
  EXPECT_EQ(wg_.peers.at(Key('b')).allowed_ips, std::vector<IpPrefix>{TunnelHost('b')});
  EXPECT_EQ(status_.Get().path_changes, (std::map<std::string, uint64_t>{{"gw-b", 1}}));
  clock_.Advance(absl::Seconds(1));
  agent_->CheckDataplane();
  EXPECT_THAT(wg_.removed_keys, IsEmpty());
}

TEST_F(AgentStandbyTest, AStandbyThatTurnsGatewayKeepsItsSessions) {
  Start({Replicated("gw-a", kA2, kA1), Replicated("gw-b", kB1, kB2)});
  ASSERT_EQ(status_.Get().role, NodeRole::kMember);
  ASSERT_EQ(wg_.peers.size(), 1u);  // with gw-b's active endpoint only
  Handshaken();
  agent_->CheckDataplane();

  Sync({Replicated("gw-a", kA1, kA2),
        Replicated("gw-b", kB1, kB2)});  // a2 drained: this node takes over
  ASSERT_EQ(status_.Get().role, NodeRole::kGateway);
  ASSERT_EQ(wg_.peers.size(), 2u);  // and stands by with b2 now
  clock_.Advance(absl::Milliseconds(20));
  Handshaken();  // b2's session came up at once
  agent_->CheckDataplane();
  EXPECT_THAT(wg_.removed_keys, IsEmpty());
}

}  // namespace
}  // namespace raven

#include "tests/controller/test_controller.h"

#include "absl/time/clock.h"
#include "common/kube/http_transport.h"
#include "common/poll.h"
#include "common/status_macros.h"

namespace raven::controller::testing {

absl::StatusOr<std::unique_ptr<TestController>> StartTestController(
    const kube::ClientConfig& api, const std::string& identity, bool leader_elect,
    const std::function<void(ControllerConfig&)>& tweak,
    const std::function<void(RecordingTransport&)>& wire) {
  auto t = std::make_unique<TestController>();
  t->identity = identity;
  ASSIGN_OR_RETURN(std::unique_ptr<kube::HttpTransport> http, kube::HttpTransport::Create(api));
  auto transport = std::make_unique<RecordingTransport>(std::move(http), kElectionLease);
  t->wire = transport.get();
  t->rest = std::make_unique<kube::RestClient>(std::move(transport));
  ControllerConfig config;
  config.ns = lab::kNamespace;
  config.leader_elect = leader_elect;
  config.election.lease_name = kElectionLease;
  config.election.identity = identity;
  config.election.lease_duration = absl::Seconds(2);
  config.election.renew_deadline = absl::Milliseconds(1500);
  config.election.retry_period = absl::Milliseconds(250);
  config.election.release_on_stop = false;
  if (tweak) tweak(config);
  ASSIGN_OR_RETURN(t->controller, Controller::Create(t->rest.get(), config, &t->registry));
  if (wire) wire(*t->wire);
  t->controller->Start();
  if (!t->controller->WaitForSync(absl::Seconds(10))) {
    return absl::DeadlineExceededError("controller informers never synced");
  }
  return t;
}

bool WaitLeader(const Controller& c, absl::Duration timeout) {
  return PollUntil([&] { return c.IsLeader(); }, timeout);
}

void ClusterTest::SetUp() {
  auto env = kube::testing::ApiServerEnv::Start();
  ASSERT_TRUE(env.ok()) << env.status();
  env_ = *std::move(env);
  cluster_ = std::make_unique<lab::Cluster>(&env_->server());
}

void ClusterTest::TearDown() {
  if (controller_) controller_->controller->Stop();
  controller_.reset();
  cluster_.reset();
}

void ClusterTest::StartController(const std::function<void(ControllerConfig&)>& tweak) {
  auto c = StartTestController(env_->config(), "test", /*leader_elect=*/false, tweak);
  ASSERT_TRUE(c.ok()) << c.status();
  controller_ = *std::move(c);
  wire_ = controller_->wire;
}

bool ClusterTest::PassesRun(uint64_t n) {
  const uint64_t target = controller_->controller->passes() + n;
  return PollUntil([&] { return controller_->controller->passes() >= target; },
                   kFastResync * static_cast<int64_t>(n + 10));
}

void ClusterTest::AddPool(int g, int members, int candidates) {
  for (int i = 1; i <= members; ++i) {
    ASSERT_TRUE(cluster_->AddNode(lab::MemberNode(g, i)).ok());
    ASSERT_TRUE(cluster_->StartHeartbeat(lab::MemberNode(g, i).name).ok());
  }
  ASSERT_TRUE(cluster_->AddGateway(lab::TestGateway(g, candidates)).ok());
}

}  // namespace raven::controller::testing

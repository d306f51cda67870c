// raven-controller instances for the integration tests: each with its own
// connection to the test API server, wrapped in a RecordingTransport, and
// its own metrics registry, started and synced; and a fixture around one.
#ifndef RAVEN_TESTS_CONTROLLER_TEST_CONTROLLER_H_
#define RAVEN_TESTS_CONTROLLER_TEST_CONTROLLER_H_

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/kube/config.h"
#include "common/kube/rest_client.h"
#include "common/metrics/registry.h"
#include "controller/controller.h"
#include "lab/cluster/cluster.h"
#include "tests/controller/recording_transport.h"
#include "tests/unit/kube/apiserver_env.h"

namespace raven::controller::testing {

inline constexpr char kElectionLease[] = "raven-controller";

struct TestController {
  std::string identity;
  RecordingTransport* wire = nullptr;  // owned by rest
  std::unique_ptr<kube::RestClient> rest;
  metrics::Registry registry;
  std::unique_ptr<Controller> controller;
};

// Heartbeats in lab::kNamespace. With leader election the timings are short
// (2 s / 1.5 s / 0.25 s) and Stop() does not release the lease (a crash).
// `tweak` may adjust the config before the controller is created, `wire`
// its transport before it starts.
absl::StatusOr<std::unique_ptr<TestController>> StartTestController(
    const kube::ClientConfig& api, const std::string& identity, bool leader_elect,
    const std::function<void(ControllerConfig&)>& tweak = nullptr,
    const std::function<void(RecordingTransport&)>& wire = nullptr);

bool WaitLeader(const Controller& c, absl::Duration timeout);

// A fixture: the API server over HTTPS with the CRD, a lab::Cluster on it, and
// (after StartController) one recorded controller, stopped in TearDown.
class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // A single controller (no leader election).
  void StartController(const std::function<void(ControllerConfig&)>& tweak = nullptr);
  // Gateway gw-<g> with `members` member nodes (heartbeats running), the
  // first `candidates` of them its tunnel candidates.
  void AddPool(int g, int members, int candidates);
  // Waits (bounded) until the controller has run `n` more reconcile passes:
  // with a short resync_period (kFastResync), "nothing is written" can be
  // checked over passes rather than over a fixed sleep.
  bool PassesRun(uint64_t n);
  static constexpr absl::Duration kFastResync = absl::Milliseconds(200);

  std::unique_ptr<kube::testing::ApiServerEnv> env_;
  std::unique_ptr<lab::Cluster> cluster_;
  RecordingTransport* wire_ = nullptr;
  std::unique_ptr<TestController> controller_;
};

}  // namespace raven::controller::testing

#endif  // RAVEN_TESTS_CONTROLLER_TEST_CONTROLLER_H_

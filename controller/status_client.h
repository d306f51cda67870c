// Where Gateway status goes: the API (KubeStatusClient) or a fake in tests.
#ifndef RAVEN_CONTROLLER_STATUS_CLIENT_H_
#define RAVEN_CONTROLLER_STATUS_CLIENT_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "common/kube/resource_client.h"
#include "common/kube/resources/gateway.h"
#include "controller/election.h"

namespace raven::controller {

class StatusClient {
 public:
  using Mutator = std::function<absl::Status(Gateway&)>;
  virtual ~StatusClient() = default;
  // PUT …/status with the object's resourceVersion: Aborted on 409.
  virtual absl::StatusOr<Gateway> UpdateStatus(const Gateway& gateway) = 0;
  // Get → mutate → PUT until no 409 (a mutation that changes nothing writes nothing).
  virtual absl::StatusOr<Gateway> UpdateStatusWithRetry(const std::string& name,
                                                        const Mutator& mutate) = 0;
};

class KubeStatusClient final : public StatusClient {
 public:
  explicit KubeStatusClient(kube::RestClient* rest) : gateways_(rest) {
    gateways_.set_request_timeout(absl::Seconds(10));
  }
  absl::StatusOr<Gateway> UpdateStatus(const Gateway& gateway) override {
    return gateways_.UpdateStatus(gateway);
  }
  absl::StatusOr<Gateway> UpdateStatusWithRetry(const std::string& name,
                                                const Mutator& mutate) override {
    return gateways_.UpdateStatusWithRetry(name, mutate);
  }

 private:
  kube::ResourceClient<Gateway> gateways_;
};

}  // namespace raven::controller

#endif  // RAVEN_CONTROLLER_STATUS_CLIENT_H_

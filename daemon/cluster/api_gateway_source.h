// Gateways from the Kubernetes API: an informer on gateways.raven.openyurt.io
// whose changes wake the agent's poll loop through an eventfd. Objects that
// do not decode are skipped by the informer, which keeps their last good
// version; until the first list arrives Read() fails, so a restarted agent
// keeps the dataplane it finds instead of tearing it down.
#ifndef RAVEN_DAEMON_CLUSTER_API_GATEWAY_SOURCE_H_
#define RAVEN_DAEMON_CLUSTER_API_GATEWAY_SOURCE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/kube/informer.h"
#include "common/kube/resources/gateway.h"
#include "common/kube/rest_client.h"
#include "daemon/gateway_source.h"

namespace raven {

class ApiGatewaySource : public GatewaySource {
 public:
  // stale_after: how long lists and watches may fail before Staleness()
  // reports it.
  static absl::StatusOr<std::unique_ptr<ApiGatewaySource>> Start(kube::RestClient* rest,
                                                                 absl::Duration stale_after);
  ~ApiGatewaySource() override;
  ApiGatewaySource(const ApiGatewaySource&) = delete;
  ApiGatewaySource& operator=(const ApiGatewaySource&) = delete;

  int fd() const override { return event_fd_; }
  bool Drain() override;
  absl::StatusOr<std::vector<kube::DecodedGateway>> Read() override;
  std::string Staleness() const override;

  bool WaitForSync(absl::Duration timeout) { return informer_.WaitForSync(timeout); }
  // The watch's connection is presumed dead (see InformerLoop::Reconnect).
  void Reconnect() { informer_.Reconnect(); }
  kube::InformerStats Stats() const { return informer_.Stats(); }

 private:
  ApiGatewaySource(kube::RestClient* rest, int event_fd, absl::Duration stale_after);

  const int event_fd_;
  const absl::Duration stale_after_;
  kube::Informer<kube::Gateway> informer_;
};

}  // namespace raven

#endif  // RAVEN_DAEMON_CLUSTER_API_GATEWAY_SOURCE_H_

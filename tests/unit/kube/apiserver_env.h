// The project's API server (lab/apiserver) started in-process over HTTPS
// with a throwaway CA and a bearer token, the Gateway CRD installed, and
// RestClients configured for it; and a test fixture around one.
#ifndef RAVEN_TESTS_UNIT_KUBE_APISERVER_ENV_H_
#define RAVEN_TESTS_UNIT_KUBE_APISERVER_ENV_H_

#include <memory>
#include <string>

#include <gtest/gtest.h>
#include "absl/status/statusor.h"
#include "common/kube/config.h"
#include "common/kube/rest_client.h"
#include "lab/apiserver/apiserver.h"
#include "tests/unit/kube/test_util.h"

namespace raven::kube::testing {

inline constexpr char kApiToken[] = "kube-integration-token";

class ApiServerEnv {
 public:
  // Certificates from $RAVEN_GEN_CERTS (lab/apiserver/gen-certs.sh) when
  // set, else made here; the CRD from $RAVEN_CRD (crd/*.yaml, read with
  // yaml-cpp). tls=false serves plain HTTP.
  static absl::StatusOr<std::unique_ptr<ApiServerEnv>> Start(
      bool tls = true, apiserver::ApiServerOptions options = {});

  apiserver::ApiServer& server() { return *server_; }
  const ClientConfig& config() const { return config_; }
  absl::StatusOr<std::unique_ptr<RestClient>> NewClient(const HttpOptions& options = {}) const;

 private:
  absl::Status InstallGatewayCrd();

  ScratchDir dir_;
  std::unique_ptr<apiserver::ApiServer> server_;
  ClientConfig config_;
};

// A fixture: a started ApiServerEnv and a RestClient for it.
class ApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override;

  std::unique_ptr<ApiServerEnv> env_;
  std::unique_ptr<RestClient> rest_;
};

}  // namespace raven::kube::testing

#endif  // RAVEN_TESTS_UNIT_KUBE_APISERVER_ENV_H_

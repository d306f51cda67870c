#include "tests/unit/kube/apiserver_env.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/kube/file_util.h"
#include "common/poll.h"
#include "common/status_macros.h"

namespace raven::kube::testing {

absl::StatusOr<std::unique_ptr<ApiServerEnv>> ApiServerEnv::Start(
    bool tls, apiserver::ApiServerOptions options) {
  std::unique_ptr<ApiServerEnv> env(new ApiServerEnv());
  if (tls) {
    const char* gen = std::getenv("RAVEN_GEN_CERTS");
    if (gen != nullptr && *gen != '\0') {
      std::string cmd = absl::StrCat(gen, " ", env->dir_.path(), " >/dev/null 2>&1");
      if (std::system(cmd.c_str()) != 0) return absl::InternalError(absl::StrCat("failed: ", cmd));
      options.cert_file = env->dir_.path() + "/server.crt";
      options.key_file = env->dir_.path() + "/server.key";
      ASSIGN_OR_RETURN(env->config_.ca_pem, ReadFileBounded(env->dir_.path() + "/ca.crt"));
    } else {
      ASSIGN_OR_RETURN(TestPki pki, MakeTestPki(env->dir_.path()));
      options.cert_file = pki.server_cert;
      options.key_file = pki.server_key;
      env->config_.ca_pem = pki.ca_pem;
    }
  }
  options.token = kApiToken;
  ASSIGN_OR_RETURN(env->server_, apiserver::ApiServer::Start(options));
  env->config_.server = env->server_->base_url();
  env->config_.bearer_token = kApiToken;
  RETURN_IF_ERROR(env->InstallGatewayCrd());
  return env;
}

absl::StatusOr<std::unique_ptr<RestClient>> ApiServerEnv::NewClient(
    const HttpOptions& options) const {
  return RestClient::Create(config_, options);
}

absl::Status ApiServerEnv::InstallGatewayCrd() {
  const char* path = std::getenv("RAVEN_CRD");
  std::string file = path != nullptr ? path : "crd/gateways.raven.openyurt.io.yaml";
  ASSIGN_OR_RETURN(std::string yaml, ReadFileBounded(file));
  ASSIGN_OR_RETURN(std::string json, YamlToJson(yaml));
  ASSIGN_OR_RETURN(
      std::string created,
      server_->CreateJson("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json));
  if (PollUntil(
          [this] { return server_->GetJson("/apis/raven.openyurt.io/v1beta1/gateways").ok(); },
          absl::Seconds(1), absl::Milliseconds(10))) {
    return absl::OkStatus();
  }
  return absl::DeadlineExceededError("the Gateway CRD was never served");
}

void ApiServerTest::SetUp() {
  absl::StatusOr<std::unique_ptr<ApiServerEnv>> env = ApiServerEnv::Start();
  ASSERT_TRUE(env.ok()) << env.status();
  env_ = std::move(*env);
  absl::StatusOr<std::unique_ptr<RestClient>> rest = env_->NewClient();
  ASSERT_TRUE(rest.ok()) << rest.status();
  rest_ = std::move(*rest);
}

}  // namespace raven::kube::testing

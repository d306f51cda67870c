// Where and how to reach the Kubernetes API: from a kubeconfig file, from a
// pod's service account (in-cluster), or the usual search order of both.
#ifndef RAVEN_COMMON_KUBE_CONFIG_H_
#define RAVEN_COMMON_KUBE_CONFIG_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace raven::kube {

struct ClientConfig {
  std::string server;  // "https://host:port" with an optional path prefix; IPv6 hosts bracketed
  std::string bearer_token;
  // Re-read whenever the file changes (service-account token rotation); when
  // set it wins over bearer_token.
  std::string token_file;
  std::string ca_pem;  // trusted CAs (PEM); empty = the system's store
  bool insecure_skip_tls_verify = false;
  std::string client_cert_pem, client_key_pem;  // both or neither
  // The context's namespace, or the service account's; may be empty.
  std::string default_namespace;
  // Where this came from, for logs: "kubeconfig /root/.kube/config, context kind".
  std::string source;
};

// Looks a variable up in the environment; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;
EnvLookup ProcessEnv();

struct InClusterPaths {
  std::string token_file = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  std::string ca_file = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
  std::string namespace_file = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
};

// The pod's service account: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT
// (an IPv6 host is bracketed), the CA file, and the token file (kept as
// token_file so rotations are picked up). FailedPrecondition outside a pod.
absl::StatusOr<ClientConfig> LoadInCluster(const InClusterPaths& paths = {},
                                           const EnvLookup& env = ProcessEnv());

// A kubeconfig: current-context (or context_override) → cluster (server,
// certificate-authority file or certificate-authority-data, insecure-skip-tls-verify)
// + user (token, tokenFile, client-certificate/-key files or -data). Inline
// data wins over files, as in client-go; relative paths are resolved against
// the kubeconfig's directory. Credential plugins (exec, auth-provider), basic
// auth, proxy-url and tls-server-name are rejected as Unimplemented.
absl::StatusOr<ClientConfig> LoadKubeconfig(const std::string& path,
                                            absl::string_view context_override = "");
// The same from text; base_dir resolves relative paths.
absl::StatusOr<ClientConfig> ParseKubeconfig(absl::string_view text, absl::string_view base_dir,
                                             absl::string_view context_override = "");

struct DefaultSources {
  EnvLookup env = ProcessEnv();  // KUBECONFIG, HOME, KUBERNETES_SERVICE_HOST/PORT
  InClusterPaths in_cluster;
};

// The first that applies: the flag; $KUBECONFIG (its first existing file);
// in-cluster when KUBERNETES_SERVICE_HOST is set; $HOME/.kube/config.
absl::StatusOr<ClientConfig> LoadDefault(absl::string_view kubeconfig_flag,
                                         const DefaultSources& sources = {});

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_CONFIG_H_

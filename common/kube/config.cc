// LoadInCluster and LoadDefault (LoadKubeconfig is in kubeconfig.cc).
#include "common/kube/config.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/kube/file_util.h"
#include "common/status_macros.h"

namespace raven::kube {

EnvLookup ProcessEnv() {
  return [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

absl::StatusOr<ClientConfig> LoadInCluster(const InClusterPaths& paths, const EnvLookup& env) {
  std::optional<std::string> host = env("KUBERNETES_SERVICE_HOST");
  std::optional<std::string> port = env("KUBERNETES_SERVICE_PORT");
  if (!host || host->empty() || !port || port->empty()) {
    return absl::FailedPreconditionError(
        "not running in a pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set");
  }
  int port_number = 0;
  if (!absl::SimpleAtoi(*port, &port_number) || port_number <= 0 || port_number > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("KUBERNETES_SERVICE_PORT: not a port: \"", *port, "\""));
  }
  ClientConfig out;
  bool ipv6 = host->find(':') != std::string::npos;
  out.server = absl::StrCat("https://", ipv6 ? "[" : "", *host, ipv6 ? "]" : "", ":", port_number);
  // Read once to fail early; the client re-reads it as it rotates.
  ASSIGN_OR_RETURN(std::string token, ReadFileBounded(paths.token_file, 1 << 20));
  if (absl::StripAsciiWhitespace(token).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(paths.token_file, ": empty token"));
  }
  out.token_file = paths.token_file;
  ASSIGN_OR_RETURN(out.ca_pem, ReadFileBounded(paths.ca_file, 1 << 20));
  absl::StatusOr<std::string> ns = ReadFileBounded(paths.namespace_file, 4096);
  if (ns.ok()) out.default_namespace = std::string(absl::StripAsciiWhitespace(*ns));
  out.source = absl::StrCat("in-cluster service account (", paths.token_file, ")");
  return out;
}

absl::StatusOr<ClientConfig> LoadDefault(absl::string_view kubeconfig_flag,
                                         const DefaultSources& sources) {
  if (!kubeconfig_flag.empty()) return LoadKubeconfig(std::string(kubeconfig_flag));
  std::optional<std::string> list = sources.env("KUBECONFIG");
  if (list && !list->empty()) {
    for (absl::string_view entry : absl::StrSplit(*list, ':', absl::SkipEmpty())) {
      std::string path(entry);
      if (FileExists(path)) return LoadKubeconfig(path);
    }
    return absl::NotFoundError(absl::StrCat("KUBECONFIG=", *list, ": none of its files exists"));
  }
  std::optional<std::string> service_host = sources.env("KUBERNETES_SERVICE_HOST");
  if (service_host && !service_host->empty()) return LoadInCluster(sources.in_cluster, sources.env);
  std::optional<std::string> home = sources.env("HOME");
  if (home && !home->empty()) {
    std::string path = absl::StrCat(*home, "/.kube/config");
    if (FileExists(path)) return LoadKubeconfig(path);
  }
  return absl::NotFoundError(
      "no Kubernetes configuration: no --kubeconfig, no $KUBECONFIG, not in a pod, and no "
      "~/.kube/config");
}

}  // namespace raven::kube

// The API server address from a kubeconfig "server" field.
#ifndef RAVEN_COMMON_KUBE_SERVER_URL_H_
#define RAVEN_COMMON_KUBE_SERVER_URL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace raven::kube {

struct ServerUrl {
  bool https = true;
  std::string host;  // without brackets, as getaddrinfo wants it
  int port = 443;
  std::string path_prefix;  // "" or "/k8s/clusters/c-1" (no trailing slash)
};

// "https://host[:port][/prefix]", "http://…", "[v6]:port" hosts; a bare
// "host:port" is taken as https, as kubectl does.
absl::StatusOr<ServerUrl> ParseServerUrl(absl::string_view url);

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_SERVER_URL_H_

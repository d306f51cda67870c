// Discovery documents (legacy, unaggregated: clients that ask for the
// aggregated apidiscovery.k8s.io/v2 format get these and fall back, as
// kubectl does), /version, and the OpenAPI v3 documents kubectl reads to
// learn that the server validates fields itself (fieldValidation), so that
// `kubectl apply` needs no client-side schema (and no /openapi/v2).
#ifndef RAVEN_LAB_APISERVER_DISCOVERY_H_
#define RAVEN_LAB_APISERVER_DISCOVERY_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "lab/apiserver/resources.h"

namespace raven::apiserver {

// The Kubernetes version reported by /version (and in OpenAPI info).
inline constexpr absl::string_view kServerGitVersion = "v1.32.0-raven";

std::string VersionJson();

// /api: APIVersions.
std::string CoreVersionsJson(absl::string_view server_address);
// /apis: APIGroupList over every non-core group.
std::string GroupListJson(const std::vector<ResourcePtr>& resources);
// /apis/<group>: APIGroup, or nothing for an unknown group.
std::optional<std::string> GroupJson(const std::vector<ResourcePtr>& resources,
                                     absl::string_view group);
// /api/v1, /apis/<group>/<version>: APIResourceList, or nothing when unknown.
std::optional<std::string> ResourceListJson(const std::vector<ResourcePtr>& resources,
                                            absl::string_view group, absl::string_view version);

// /openapi/v3: the index of group-version documents.
std::string OpenApiIndexJson(const std::vector<ResourcePtr>& resources);
// /openapi/v3/<api/v1 | apis/<group>/<version>>, or nothing when unknown.
std::optional<std::string> OpenApiDocJson(const std::vector<ResourcePtr>& resources,
                                          absl::string_view gv_path);

}  // namespace raven::apiserver

#endif  // RAVEN_LAB_APISERVER_DISCOVERY_H_

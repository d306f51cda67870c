// YAML manifests (the project's own CRD) as JSON for the API server, on
// yaml-cpp. For trusted input: aliases are expanded, so a document built to
// multiply through them converts to a correspondingly large string.
#ifndef RAVEN_COMMON_KUBE_YAML_JSON_H_
#define RAVEN_COMMON_KUBE_YAML_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace raven::kube::yaml {

// The first document as JSON, the way sigs.k8s.io/yaml converts manifests:
// plain (unquoted, untagged) true/false and numbers become JSON booleans and
// numbers, null stays null, every other scalar is a string. Malformed YAML
// is InvalidArgument "line L, column C: what".
absl::StatusOr<std::string> ToJson(absl::string_view yaml);

}  // namespace raven::kube::yaml

#endif  // RAVEN_COMMON_KUBE_YAML_JSON_H_

// Parses JSON text into a document with a positioned error.
#ifndef RAVEN_COMMON_KUBE_RESOURCES_JSON_DOC_H_
#define RAVEN_COMMON_KUBE_RESOURCES_JSON_DOC_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace raven::kube {

absl::StatusOr<rapidjson::Document> ParseJson(absl::string_view text);

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_RESOURCES_JSON_DOC_H_

// yaml-cpp reports errors by throwing; its callers here catch YAML::Exception
// where they call it and return this instead.
#ifndef RAVEN_COMMON_KUBE_YAML_ERROR_H_
#define RAVEN_COMMON_KUBE_YAML_ERROR_H_

#include <yaml-cpp/exceptions.h>

#include "absl/status/status.h"

namespace raven::kube::yaml {

// InvalidArgument "line L, column C: what" (1-based), or just "what" when
// yaml-cpp gives no position.
absl::Status ErrorStatus(const YAML::Exception& e);

}  // namespace raven::kube::yaml

#endif  // RAVEN_COMMON_KUBE_YAML_ERROR_H_

#include "common/kube/yaml_error.h"

#include <yaml-cpp/depthguard.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace raven::kube::yaml {

absl::Status ErrorStatus(const YAML::Exception& e) {
  // yaml-cpp 0.7 words its depth limit "bad file".
  std::string what =
      dynamic_cast<const YAML::DeepRecursion*>(&e) != nullptr ? "nested too deeply" : e.msg;
  if (e.mark.is_null()) return absl::InvalidArgumentError(what);
  return absl::InvalidArgumentError(
      absl::StrCat("line ", e.mark.line + 1, ", column ", e.mark.column + 1, ": ", what));
}

}  // namespace raven::kube::yaml

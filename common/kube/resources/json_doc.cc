#include "common/kube/resources/json_doc.h"

#include "absl/strings/str_cat.h"
#include "rapidjson/error/en.h"

namespace raven::kube {

absl::StatusOr<rapidjson::Document> ParseJson(absl::string_view text) {
  rapidjson::Document doc;
  // Bounded nesting: iterative parsing does not recurse on the stack.
  doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (doc.HasParseError()) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed JSON at offset ", doc.GetErrorOffset(), ": ",
                     rapidjson::GetParseError_En(doc.GetParseError())));
  }
  return doc;
}

}  // namespace raven::kube

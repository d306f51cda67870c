// The "simple JSONPath" of CRD additionalPrinterColumns: a chain of fields
// with optional array steps, e.g. `.spec.exposeType`, `.status.nodes[*].nodeName`,
// `.status.activeEndpoints[0].publicIP`, `.metadata.labels['raven.openyurt.io/gateway']`.
// A leading `{` `}` pair and `$` are accepted and ignored.
#ifndef RAVEN_LAB_APISERVER_JSONPATH_H_
#define RAVEN_LAB_APISERVER_JSONPATH_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace raven::apiserver {

class JsonPath {
 public:
  static absl::StatusOr<JsonPath> Parse(absl::string_view text);

  // Every value the path reaches, in document order; missing keys and
  // out-of-range indices contribute nothing.
  std::vector<const rapidjson::Value*> Find(const rapidjson::Value& root) const;

 private:
  struct Step {
    std::string field;  // empty for a pure array step
    bool has_index = false;
    bool wildcard = false;
    int index = 0;
  };
  std::vector<Step> steps_;
};

}  // namespace raven::apiserver

#endif  // RAVEN_LAB_APISERVER_JSONPATH_H_

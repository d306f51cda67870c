// The JSONPath of CRD additionalPrinterColumns, as kube-apiserver's
// client-go jsonpath evaluates it there: a chain of fields with optional array
// steps, e.g. `.spec.exposeType`, `.status.nodes[*].nodeName`,
// `.status.activeEndpoints[0].publicIP`, `.metadata.labels['raven.openyurt.io/gateway']`,
// and filters `[?(@.type=="Ready")]`: `@`-relative paths compared with ==, !=,
// <, <=, >, >= to a quoted string, a number, true/false or another `@` path,
// or `[?(@.x)]` (the element has x). A leading `{` `}` pair and `$` are
// accepted and ignored.
#ifndef RAVEN_LAB_APISERVER_JSONPATH_H_
#define RAVEN_LAB_APISERVER_JSONPATH_H_

#include <memory>
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
  // out-of-range indices contribute nothing. An error where client-go's
  // jsonpath fails: a filter over a non-array, or a comparison of values of
  // different kinds (string, integer, float, boolean), or with more than one
  // value on a side.
  absl::StatusOr<std::vector<const rapidjson::Value*>> Find(const rapidjson::Value& root) const;

 private:
  struct Filter;
  struct Step {
    std::string field;  // empty for a pure array step
    bool has_index = false;
    bool wildcard = false;
    int index = 0;
    std::shared_ptr<const Filter> filter;  // [?(...)]
  };
  static absl::StatusOr<std::shared_ptr<const Filter>> ParseFilter(absl::string_view text,
                                                                   absl::string_view inner);
  static absl::Status Apply(const Step& step, const rapidjson::Value& base,
                            std::vector<const rapidjson::Value*>& next);

  std::vector<Step> steps_;
};

}  // namespace raven::apiserver

#endif  // RAVEN_LAB_APISERVER_JSONPATH_H_

// labelSelector and fieldSelector query parameters, parsed as kube-apiserver
// parses them:
//   labels: "a=b", "a==b", "a!=b", "a in (x,y)", "a notin (x)", "a", "!a", ANDed with ","
//   fields: "metadata.name=x", "metadata.namespace!=y", ANDed with ","; any dotted
//           path of a string, number or boolean field is accepted (kube-apiserver
//           allows only a per-kind list; we are more lenient).
#ifndef RAVEN_LAB_APISERVER_SELECTORS_H_
#define RAVEN_LAB_APISERVER_SELECTORS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace raven::apiserver {

class LabelSelector {
 public:
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kNotExists };
  struct Requirement {
    std::string key;
    Op op;
    std::vector<std::string> values;
  };

  // An empty string selects everything.
  static absl::StatusOr<LabelSelector> Parse(absl::string_view text);

  bool Matches(const std::map<std::string, std::string>& labels) const;
  bool empty() const { return requirements_.empty(); }

 private:
  std::vector<Requirement> requirements_;
};

class FieldSelector {
 public:
  struct Requirement {
    std::string path;  // dotted, e.g. "metadata.name"
    bool equals;
    std::string value;
  };

  static absl::StatusOr<FieldSelector> Parse(absl::string_view text);

  bool Matches(const rapidjson::Value& object) const;
  bool empty() const { return requirements_.empty(); }
  // The value required for metadata.name, if any ("" when unconstrained).
  std::string RequiredName() const;

 private:
  std::vector<Requirement> requirements_;
};

}  // namespace raven::apiserver

#endif  // RAVEN_LAB_APISERVER_SELECTORS_H_

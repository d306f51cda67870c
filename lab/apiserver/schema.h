// Structural-schema checks for custom resources (a CRD version's
// openAPIV3Schema), the part of kube-apiserver's behaviour clients notice:
//   - type: object | array | string | integer | number | boolean (integers
//     may be written as integral floats), x-kubernetes-int-or-string;
//   - required, enum, nullable (null in a non-nullable field is dropped, as
//     kube-apiserver's pruning does);
//   - pruning: fields the schema does not declare are removed, unless the
//     schema (or an ancestor) says x-kubernetes-preserve-unknown-fields; the
//     removed paths are reported so that fieldValidation=Strict can reject
//     them and Warn can warn. apiVersion, kind and metadata are never pruned.
// Not checked: format, pattern, minimum/maximum, lengths, CEL rules, defaults.
#ifndef RAVEN_LAB_APISERVER_SCHEMA_H_
#define RAVEN_LAB_APISERVER_SCHEMA_H_

#include <string>
#include <vector>

#include "lab/apiserver/api_status.h"
#include "lab/apiserver/json_util.h"
#include "rapidjson/document.h"

namespace raven::apiserver {

struct SchemaReport {
  std::vector<ErrorCause> errors;           // validation failures → 422 Invalid
  std::vector<std::string> unknown_fields;  // pruned paths, e.g. "spec.foo"
};

// Validates and prunes a whole object in place.
SchemaReport ValidateAndPrune(const rapidjson::Value& schema, rapidjson::Value& object);

}  // namespace raven::apiserver

#endif  // RAVEN_LAB_APISERVER_SCHEMA_H_

// Structural-schema checks for custom resources (a CRD version's
// openAPIV3Schema), the part of kube-apiserver's behaviour clients notice,
// with its error types and messages:
//   - type: object | array | string | integer | number | boolean (integers
//     may be written as integral floats), x-kubernetes-int-or-string;
//   - required, enum, nullable (null in a non-nullable field is dropped, as
//     kube-apiserver's pruning does);
//   - maxLength / minLength (in characters), minimum / maximum (with boolean
//     exclusiveMinimum / exclusiveMaximum);
//   - format on strings: ipv4, ipv6 (Go's net.ParseIP, then a '.' or a ':'),
//     cidr (net.ParseCIDR: host bits may be set), date-time (kube-openapi's
//     RFC 3339 check); kube's other formats (uri, hostname, uuid, ...) are
//     not checked;
//   - anyOf of value validations (what structural schemas allow there): when
//     no branch passes, a "<nil>" cause `"<path>" must validate at least one
//     schema (anyOf)` and the errors of the branch with the most type/format
//     checks (the first of equals), as kube-openapi reports it;
//   - pruning: fields the schema does not declare are removed, unless the
//     schema (or an ancestor) says x-kubernetes-preserve-unknown-fields; the
//     removed paths are reported so that fieldValidation=Strict can reject
//     them and Warn can warn. apiVersion, kind and metadata are never pruned.
// Not checked: pattern, multipleOf, item/property counts, allOf/oneOf/not,
// CEL rules (x-kubernetes-validations), defaults; no validation ratcheting
// (an update must pass even where the stored object did not).
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

// Server-side printing: the meta.k8s.io Table kubectl asks for with
// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`.
//
// Custom resources get Name plus their CRD's additionalPrinterColumns (or
// Age when there are none), evaluated as kube-apiserver does: a column's
// JSONPath contributes its FIRST match only (so `.status.nodes[*].nodeName`
// shows the first member, exactly as on a real cluster, and
// `.status.conditions[?(@.type=="Ready")].status` the Ready condition's
// status), `date` columns are rendered as an age ("5m"), missing values and
// paths that fail (see JsonPath::Find) are null (kubectl prints an empty
// cell). Built-in kinds get Name
// and Age (leases add Holder, namespaces Status).
#ifndef RAVEN_LAB_APISERVER_TABLES_H_
#define RAVEN_LAB_APISERVER_TABLES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "lab/apiserver/json_util.h"
#include "lab/apiserver/resources.h"
#include "rapidjson/document.h"

namespace raven::apiserver {

struct TableOptions {
  std::string api_version = "meta.k8s.io/v1";  // or meta.k8s.io/v1beta1
  std::string include_object = "Metadata";     // None, Metadata or Object
  bool no_headers = false;
};

rapidjson::Document BuildTable(const ResourceInfo& r, const std::vector<DocPtr>& items,
                               int64_t resource_version, const std::string& continue_token,
                               const TableOptions& options, absl::Time now);

// kube's duration.ShortHumanDuration: "0s", "59s", "5m", "3h", "2d", "1y".
std::string ShortHumanDuration(absl::Duration d);

}  // namespace raven::apiserver

#endif  // RAVEN_LAB_APISERVER_TABLES_H_

// The transport-independent view of a request: what the REST handlers see,
// whether it came over HTTP(S) or from ApiServer's in-process calls.
#ifndef RAVEN_LAB_APISERVER_REQUEST_H_
#define RAVEN_LAB_APISERVER_REQUEST_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace raven::apiserver {

struct HttpRequest {
  std::string method;  // GET, POST, PUT, PATCH, DELETE
  std::string path;    // decoded, without the query
  std::multimap<std::string, std::string> params;
  std::string accept;
  std::string content_type;
  std::string body;

  // The first value of a query parameter ("" when absent).
  std::string Param(absl::string_view name) const;
  bool HasParam(absl::string_view name) const;
  // "true"/"1" (any case) → true.
  bool BoolParam(absl::string_view name) const;
};

struct HttpResponse {
  int code = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// A path under /api/v1 or /apis/<group>/<version> naming a resource:
//   .../<plural>[/<name>[/<subresource>]]
//   .../namespaces/<ns>/<plural>[/<name>[/<subresource>]]
struct ResourcePath {
  std::string group;
  std::string version;
  std::string ns;  // "" when the path has no namespace
  std::string plural;
  std::string name;
  std::string subresource;
};

// nullopt when `path` is not a resource path (e.g. discovery: /api, /api/v1).
std::optional<ResourcePath> ParseResourcePath(absl::string_view path);

// What the Accept header asks for, in kube-apiserver's terms.
struct Negotiation {
  bool table = false;
  std::string table_api_version;  // "meta.k8s.io/v1" or "meta.k8s.io/v1beta1"
  bool partial_metadata = false;  // as=PartialObjectMetadata(List)
};
Negotiation Negotiate(absl::string_view accept);

// Splits "path?query" into a decoded path and query parameters (for
// in-process requests; HTTP requests arrive split by the server).
void SplitTarget(absl::string_view target, std::string& path,
                 std::multimap<std::string, std::string>& params);

// The media type of a Content-Type header, lowercased, without parameters.
std::string MediaType(absl::string_view content_type);

}  // namespace raven::apiserver

#endif  // RAVEN_LAB_APISERVER_REQUEST_H_

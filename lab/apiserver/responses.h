// Response bodies for resource requests: objects (in the requested
// version), lists, Tables and PartialObjectMetadata, and Status errors.
#ifndef RAVEN_LAB_APISERVER_RESPONSES_H_
#define RAVEN_LAB_APISERVER_RESPONSES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "lab/apiserver/request.h"
#include "lab/apiserver/resources.h"
#include "lab/apiserver/store.h"

namespace raven::apiserver {

// The object as served through `r` (apiVersion set to r's version).
std::string ObjectJson(const ResourceInfo& r, const DocPtr& object);

// The body for one object or a list, as the Accept header asks.
std::string RenderObject(const ResourceInfo& r, const DocPtr& object, const Negotiation& n,
                         const HttpRequest& request);
std::string RenderList(const ResourceInfo& r, const ListResult& list, const Negotiation& n,
                       const HttpRequest& request);

HttpResponse JsonResponse(int code, std::string body);
// A failure as a meta/v1 Status with its HTTP code.
HttpResponse ErrorResponse(const absl::Status& status);

// The Warning header value kube-apiserver sends: 299 - "<message>".
std::string WarningHeader(const std::string& message);

}  // namespace raven::apiserver

#endif  // RAVEN_LAB_APISERVER_RESPONSES_H_

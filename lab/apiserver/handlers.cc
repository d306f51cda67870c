#include "lab/apiserver/handlers.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "lab/apiserver/api_status.h"
#include "lab/apiserver/discovery.h"
#include "lab/apiserver/responses.h"

namespace raven::apiserver {
namespace {

HttpResponse TextResponse(std::string body) {
  HttpResponse response;
  response.content_type = "text/plain; charset=utf-8";
  response.body = std::move(body);
  return response;
}

absl::StatusOr<ListOptions> ParseListOptions(const HttpRequest& request) {
  ListOptions options;
  ASSIGN_OR_RETURN(options.labels, LabelSelector::Parse(request.Param("labelSelector")));
  ASSIGN_OR_RETURN(options.fields, FieldSelector::Parse(request.Param("fieldSelector")));
  std::string limit = request.Param("limit");
  if (!limit.empty() && (!absl::SimpleAtoi(limit, &options.limit) || options.limit < 0)) {
    return BadRequestError(absl::StrCat("invalid limit: \"", limit, "\""));
  }
  options.continue_token = request.Param("continue");
  return options;
}

absl::StatusOr<WriteOptions> ParseWriteOptions(const HttpRequest& request) {
  WriteOptions options;
  options.dry_run = request.Param("dryRun") == "All";
  std::string v = request.Param("fieldValidation");
  if (v == "Strict") {
    options.validation = FieldValidation::kStrict;
  } else if (v == "Ignore") {
    options.validation = FieldValidation::kIgnore;
  } else if (!v.empty() && v != "Warn") {
    return BadRequestError(
        absl::StrCat("fieldValidation must be one of Ignore, Warn or Strict, "
                     "got \"",
                     v, "\""));
  }
  return options;
}

absl::StatusOr<rapidjson::Document> ParseBody(const HttpRequest& request, const ResourceInfo& r) {
  std::string media = MediaType(request.content_type);
  if (!media.empty() && media != "application/json" && request.method != "PATCH") {
    return ApiError(415, "UnsupportedMediaType",
                    absl::StrCat("the body of the request was in an unknown format - accepted "
                                 "media types include: application/json; got ",
                                 media));
  }
  absl::StatusOr<rapidjson::Document> doc = ParseJson(request.body);
  if (!doc.ok()) {
    // As kube-apiserver: a body it cannot decode (an empty one too) is a 400.
    std::string why =
        request.body.empty() ? "the request body is empty" : std::string(doc.status().message());
    if (request.method == "PATCH") {
      return BadRequestError(absl::StrCat("Invalid JSON Patch: ", why));
    }
    return BadRequestError(
        absl::StrCat("the object provided is unrecognized (must be of type ", r.kind, "): ", why));
  }
  return doc;
}

absl::StatusOr<DeletePreconditions> ParseDeleteOptions(const HttpRequest& request) {
  DeletePreconditions pre;
  if (request.body.empty()) return pre;
  absl::StatusOr<rapidjson::Document> doc = ParseJson(request.body);
  if (!doc.ok())
    return BadRequestError(absl::StrCat("invalid DeleteOptions: ", doc.status().message()));
  const rapidjson::Value* p = Member(*doc, "preconditions");
  if (p != nullptr) {
    pre.uid = StringAt(*p, "uid");
    pre.resource_version = StringAt(*p, "resourceVersion");
  }
  return pre;
}

HttpResponse WithWarnings(HttpResponse response, const std::vector<std::string>& warnings) {
  for (const std::string& w : warnings) response.headers.emplace_back("Warning", WarningHeader(w));
  return response;
}

}  // namespace

absl::Status NoSuchPathError() {
  return ApiError(404, "NotFound", "the server could not find the requested resource");
}

bool RestHandler::IsWatch(const HttpRequest& request) {
  return request.method == "GET" && request.BoolParam("watch");
}

HttpResponse RestHandler::Serve(const HttpRequest& request) const {
  std::optional<ResourcePath> path = ParseResourcePath(request.path);
  absl::StatusOr<HttpResponse> response =
      path.has_value() ? ServeResource(request, *path) : ServeNonResource(request);
  return response.ok() ? *std::move(response) : ErrorResponse(response.status());
}

absl::StatusOr<HttpResponse> RestHandler::ServeNonResource(const HttpRequest& request) const {
  const std::string& p = request.path;
  if (p == "/healthz" || p == "/livez" || p == "/readyz") return TextResponse("ok");
  if (request.method != "GET")
    return MethodNotAllowedError("the server does not allow this method");
  std::vector<std::string> parts = absl::StrSplit(p, '/', absl::SkipEmpty());
  std::vector<ResourcePtr> resources = store_.Resources();
  std::optional<std::string> body;
  if (p == "/version") {
    body = VersionJson();
  } else if (parts.size() == 1 && parts[0] == "api") {
    body = CoreVersionsJson(options_.server_address);
  } else if (parts.size() == 1 && parts[0] == "apis") {
    body = GroupListJson(resources);
  } else if (parts.size() == 2 && parts[0] == "api") {
    body = ResourceListJson(resources, "", parts[1]);
  } else if (parts.size() == 2 && parts[0] == "apis") {
    body = GroupJson(resources, parts[1]);
  } else if (parts.size() == 3 && parts[0] == "apis") {
    body = ResourceListJson(resources, parts[1], parts[2]);
  } else if (p == "/openapi/v3") {
    body = OpenApiIndexJson(resources);
  } else if (absl::StartsWith(p, "/openapi/v3/")) {
    body = OpenApiDocJson(resources, p.substr(std::string("/openapi/v3/").size()));
  }
  if (!body.has_value()) return NoSuchPathError();
  return JsonResponse(200, *std::move(body));
}

absl::StatusOr<ResourcePtr> RestHandler::Resolve(const ResourcePath& path) const {
  ResourcePtr r = store_.Resolve(path.group, path.version, path.plural);
  if (r == nullptr) return NoSuchPathError();
  if (!r->namespaced && !path.ns.empty()) return NoSuchPathError();
  if (r->namespaced && path.ns.empty() && !path.name.empty()) return NoSuchPathError();
  if (!path.subresource.empty() && (path.subresource != "status" || !r->status_subresource)) {
    return NoSuchPathError();
  }
  return r;
}

absl::StatusOr<HttpResponse> RestHandler::ServeResource(const HttpRequest& request,
                                                        const ResourcePath& path) const {
  ASSIGN_OR_RETURN(ResourcePtr r, Resolve(path));
  if (request.method == "GET") return ServeRead(request, *r, path);
  if (path.name.empty() && (request.method == "PUT" || request.method == "PATCH")) {
    return MethodNotAllowedError(absl::StrCat(request.method, " needs a resource name"));
  }
  if (!path.name.empty() && request.method == "POST") {
    return MethodNotAllowedError("POST is not allowed on a named resource");
  }
  if (r->namespaced && path.ns.empty()) {  // writes need the namespace in the path
    return MethodNotAllowedError("the server does not allow this method on the requested resource");
  }
  if (request.method == "DELETE" && !path.subresource.empty()) {
    return MethodNotAllowedError("DELETE is not allowed on a subresource");
  }
  if (request.method == "POST" || request.method == "PUT" || request.method == "PATCH" ||
      request.method == "DELETE") {
    return ServeWrite(request, *r, path);
  }
  return MethodNotAllowedError(absl::StrCat("method ", request.method, " is not supported"));
}

absl::StatusOr<HttpResponse> RestHandler::ServeRead(const HttpRequest& request,
                                                    const ResourceInfo& r,
                                                    const ResourcePath& path) const {
  Negotiation n = Negotiate(request.accept);
  if (!path.name.empty()) {
    ASSIGN_OR_RETURN(DocPtr object, store_.Get(r, path.ns, path.name));
    return JsonResponse(200, RenderObject(r, object, n, request));
  }
  ASSIGN_OR_RETURN(ListOptions options, ParseListOptions(request));
  ASSIGN_OR_RETURN(ListResult list, store_.List(r, path.ns, options));
  return JsonResponse(200, RenderList(r, list, n, request));
}

absl::StatusOr<HttpResponse> RestHandler::ServeWrite(const HttpRequest& request,
                                                     const ResourceInfo& r,
                                                     const ResourcePath& path) const {
  ASSIGN_OR_RETURN(WriteOptions write_options, ParseWriteOptions(request));
  bool status = path.subresource == "status";
  Negotiation n = Negotiate(request.accept);
  absl::StatusOr<WriteResult> result;
  if (request.method == "DELETE") {
    if (path.name.empty()) {
      ASSIGN_OR_RETURN(ListOptions options, ParseListOptions(request));
      ASSIGN_OR_RETURN(std::vector<DocPtr> deleted, store_.DeleteCollection(r, path.ns, options));
      ListResult list;
      list.items = std::move(deleted);
      list.rv = store_.resource_version();
      return JsonResponse(200, RenderList(r, list, Negotiation{}, request));
    }
    ASSIGN_OR_RETURN(DeletePreconditions pre, ParseDeleteOptions(request));
    result = store_.Delete(r, path.ns, path.name, pre);
  } else if (request.method == "PATCH") {
    std::string media = MediaType(request.content_type);
    PatchType type = PatchType::kMerge;
    if (media == "application/strategic-merge-patch+json") {
      type = PatchType::kStrategicMerge;
    } else if (media != "application/merge-patch+json") {
      return ApiError(415, "UnsupportedMediaType",
                      absl::StrCat("the body of the request was in an unknown format - accepted "
                                   "media types include: application/merge-patch+json, "
                                   "application/strategic-merge-patch+json; got ",
                                   media));
    }
    ASSIGN_OR_RETURN(rapidjson::Document patch, ParseBody(request, r));
    result = store_.Patch(r, path.ns, path.name, type, patch, status, write_options);
  } else {
    ASSIGN_OR_RETURN(rapidjson::Document body, ParseBody(request, r));
    result = request.method == "POST"
                 ? store_.Create(r, path.ns, std::move(body), write_options)
                 : store_.Update(r, path.ns, path.name, std::move(body), status, write_options);
  }
  if (!result.ok()) return result.status();
  return WithWarnings(
      JsonResponse(result->created ? 201 : 200, RenderObject(r, result->object, n, request)),
      result->warnings);
}

absl::StatusOr<std::unique_ptr<WatchStream>> RestHandler::StartWatch(
    const HttpRequest& request) const {
  std::optional<ResourcePath> path = ParseResourcePath(request.path);
  if (!path.has_value() || !path->subresource.empty()) return NoSuchPathError();
  ASSIGN_OR_RETURN(ResourcePtr r, Resolve(*path));
  ASSIGN_OR_RETURN(ListOptions list, ParseListOptions(request));
  if (!path->name.empty()) {
    std::string fields = request.Param("fieldSelector");
    ASSIGN_OR_RETURN(list.fields,
                     FieldSelector::Parse(absl::StrCat(fields, fields.empty() ? "" : ",",
                                                       "metadata.name=", path->name)));
  }
  WatchFilter filter{r->group_resource(), path->ns, list.labels, list.fields};
  WatchStreamOptions options;
  options.resource = r;
  Negotiation n = Negotiate(request.accept);
  if (n.table) options.table_api_version = n.table_api_version;
  options.bookmarks = request.BoolParam("allowWatchBookmarks");
  options.bookmark_interval = options_.bookmark_interval;
  absl::Duration timeout = options_.max_watch_timeout;
  int64_t seconds = 0;
  if (absl::SimpleAtoi(request.Param("timeoutSeconds"), &seconds) && seconds > 0) {
    timeout = std::min(timeout, absl::Seconds(seconds));
  }
  options.deadline = absl::Now() + timeout;
  std::string rv = request.Param("resourceVersion");
  bool initial_events = request.BoolParam("sendInitialEvents");
  bool from_now = rv.empty() || rv == "0";
  options.initial_events_end = initial_events;
  absl::StatusOr<WatchStart> start =
      store_.Watch(*r, std::move(filter), initial_events ? "" : rv,
                   initial_events || (from_now && options_.watch_sends_initial_state));
  if (!start.ok()) {
    if (HttpCode(start.status()) != 410) return start.status();
    return std::make_unique<WatchStream>(hub_, start.status(), std::move(options));
  }
  return std::make_unique<WatchStream>(hub_, *std::move(start), std::move(options));
}

}  // namespace raven::apiserver

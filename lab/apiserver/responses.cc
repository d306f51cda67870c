#include "lab/apiserver/responses.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "lab/apiserver/api_status.h"
#include "lab/apiserver/tables.h"

namespace raven::apiserver {
namespace {

TableOptions TableOptionsFor(const Negotiation& n, const HttpRequest& request) {
  TableOptions options;
  options.api_version = n.table_api_version;
  std::string include = request.Param("includeObject");
  if (!include.empty()) options.include_object = include;
  return options;
}

std::string PartialJson(const rapidjson::Value& object) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  SetString(d, "kind", "PartialObjectMetadata", a);
  SetString(d, "apiVersion", "meta.k8s.io/v1", a);
  const rapidjson::Value* meta = Member(object, "metadata");
  SetMember(d, "metadata",
            meta ? rapidjson::Value(*meta, a) : rapidjson::Value(rapidjson::kObjectType), a);
  return ToJson(d);
}

}  // namespace

std::string ObjectJson(const ResourceInfo& r, const DocPtr& object) {
  if (StringAt(*object, "apiVersion") == r.api_version()) return ToJson(*object);
  rapidjson::Document copy = CopyDoc(*object);
  SetString(copy, "apiVersion", r.api_version(), copy.GetAllocator());
  return ToJson(copy);
}

std::string RenderObject(const ResourceInfo& r, const DocPtr& object, const Negotiation& n,
                         const HttpRequest& request) {
  if (n.table) {
    int64_t rv = 0;
    (void)absl::SimpleAtoi(MetaString(*object, "resourceVersion"), &rv);
    return ToJson(BuildTable(r, {object}, rv, "", TableOptionsFor(n, request), absl::Now()));
  }
  if (n.partial_metadata) return PartialJson(*object);
  return ObjectJson(r, object);
}

std::string RenderList(const ResourceInfo& r, const ListResult& list, const Negotiation& n,
                       const HttpRequest& request) {
  if (n.table) {
    return ToJson(BuildTable(r, list.items, list.rv, list.continue_token,
                             TableOptionsFor(n, request), absl::Now()));
  }
  std::string meta = absl::StrCat("{\"resourceVersion\":\"", list.rv, "\"");
  if (!list.continue_token.empty()) {
    absl::StrAppend(&meta, ",\"continue\":\"", list.continue_token,
                    "\",\"remainingItemCount\":", list.remaining);
  }
  meta += "}";
  std::string kind = n.partial_metadata ? "PartialObjectMetadataList" : r.list_kind;
  std::string api_version = n.partial_metadata ? "meta.k8s.io/v1" : r.api_version();
  std::string out = absl::StrCat("{\"kind\":\"", kind, "\",\"apiVersion\":\"", api_version,
                                 "\",\"metadata\":", meta, ",\"items\":[");
  for (size_t i = 0; i < list.items.size(); ++i) {
    if (i > 0) out += ",";
    out += n.partial_metadata ? PartialJson(*list.items[i]) : ObjectJson(r, list.items[i]);
  }
  out += "]}";
  return out;
}

HttpResponse JsonResponse(int code, std::string body) {
  HttpResponse response;
  response.code = code;
  response.body = std::move(body);
  return response;
}

HttpResponse ErrorResponse(const absl::Status& status) {
  return JsonResponse(HttpCode(status), StatusJson(status));
}

std::string WarningHeader(const std::string& message) {
  return absl::StrCat("299 - \"", absl::StrReplaceAll(message, {{"\"", "\\\""}}), "\"");
}

}  // namespace raven::apiserver

#include "lab/apiserver/discovery.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lab/apiserver/json_util.h"
#include "rapidjson/document.h"

namespace raven::apiserver {
namespace {

using rapidjson::Value;

Value StrList(const std::vector<std::string>& items, JsonAlloc& a) {
  Value list(rapidjson::kArrayType);
  for (const std::string& s : items) list.PushBack(Str(s, a), a);
  return list;
}

// Versions of a group, highest priority first.
std::vector<std::string> GroupVersions(const std::vector<ResourcePtr>& resources,
                                       absl::string_view group) {
  std::set<std::string> versions;
  for (const ResourcePtr& r : resources) {
    if (r->group == group) versions.insert(r->version);
  }
  std::vector<std::string> out(versions.begin(), versions.end());
  std::sort(out.begin(), out.end(),
            [](const std::string& x, const std::string& y) { return VersionBefore(x, y); });
  return out;
}

Value GroupValue(const std::vector<ResourcePtr>& resources, absl::string_view group, JsonAlloc& a) {
  Value g(rapidjson::kObjectType);
  SetString(g, "name", group, a);
  Value versions(rapidjson::kArrayType);
  std::vector<std::string> names = GroupVersions(resources, group);
  for (const std::string& v : names) {
    Value gv(rapidjson::kObjectType);
    SetString(gv, "groupVersion", absl::StrCat(group, "/", v), a);
    SetString(gv, "version", v, a);
    versions.PushBack(gv, a);
  }
  SetMember(g, "versions", std::move(versions), a);
  if (!names.empty()) {
    Value preferred(rapidjson::kObjectType);
    SetString(preferred, "groupVersion", absl::StrCat(group, "/", names.front()), a);
    SetString(preferred, "version", names.front(), a);
    SetMember(g, "preferredVersion", std::move(preferred), a);
  }
  return g;
}

Value ApiResource(const ResourceInfo& r, bool status, JsonAlloc& a) {
  Value v(rapidjson::kObjectType);
  SetString(v, "name", status ? absl::StrCat(r.plural, "/status") : r.plural, a);
  SetString(v, "singularName", status ? "" : r.singular, a);
  SetMember(v, "namespaced", Value(r.namespaced), a);
  SetString(v, "kind", r.kind, a);
  SetMember(v, "verbs",
            StrList(status ? std::vector<std::string>{"get", "patch", "update"}
                           : std::vector<std::string>{"create", "delete", "deletecollection", "get",
                                                      "list", "patch", "update", "watch"},
                    a),
            a);
  if (!status && !r.short_names.empty()) SetMember(v, "shortNames", StrList(r.short_names, a), a);
  if (!status && !r.categories.empty()) SetMember(v, "categories", StrList(r.categories, a), a);
  return v;
}

std::string GvPath(const ResourceInfo& r) {
  return r.group.empty() ? absl::StrCat("api/", r.version)
                         : absl::StrCat("apis/", r.group, "/", r.version);
}

// "raven.openyurt.io" → "io.openyurt.raven", as kube-openapi names definitions.
std::string ReverseDomain(absl::string_view group) {
  if (group.empty()) return "io.k8s.api.core";
  std::vector<std::string> parts = absl::StrSplit(group, '.');
  std::reverse(parts.begin(), parts.end());
  return absl::StrJoin(parts, ".");
}

Value Gvk(const ResourceInfo& r, JsonAlloc& a) {
  Value gvk(rapidjson::kObjectType);
  SetString(gvk, "group", r.group, a);
  SetString(gvk, "kind", r.kind, a);
  SetString(gvk, "version", r.version, a);
  return gvk;
}

std::string BuildOpenApiDoc(const std::vector<ResourcePtr>& resources, absl::string_view gv_path) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  SetString(d, "openapi", "3.0.0", a);
  Value info(rapidjson::kObjectType);
  SetString(info, "title", "Kubernetes", a);
  SetString(info, "version", kServerGitVersion, a);
  SetMember(d, "info", std::move(info), a);
  Value paths(rapidjson::kObjectType);
  Value schemas(rapidjson::kObjectType);
  for (const ResourcePtr& r : resources) {
    if (GvPath(*r) != gv_path) continue;
    // One PATCH operation per kind that declares the fieldValidation
    // parameter: what kubectl checks before trusting the server to validate.
    Value param(rapidjson::kObjectType);
    SetString(param, "name", "fieldValidation", a);
    SetString(param, "in", "query", a);
    Value param_schema(rapidjson::kObjectType);
    SetString(param_schema, "type", "string", a);
    SetMember(param, "schema", std::move(param_schema), a);
    Value params(rapidjson::kArrayType);
    params.PushBack(param, a);
    Value ok(rapidjson::kObjectType);
    SetString(ok, "description", "OK", a);
    Value responses(rapidjson::kObjectType);
    SetMember(responses, "200", std::move(ok), a);
    Value patch(rapidjson::kObjectType);
    SetString(patch, "operationId", absl::StrCat("patch", r->kind), a);
    SetMember(patch, "parameters", std::move(params), a);
    SetMember(patch, "responses", std::move(responses), a);
    SetString(patch, "x-kubernetes-action", "patch", a);
    SetMember(patch, "x-kubernetes-group-version-kind", Gvk(*r, a), a);
    Value item(rapidjson::kObjectType);
    SetMember(item, "patch", std::move(patch), a);
    std::string path = absl::StrCat("/", gv_path, r->namespaced ? "/namespaces/{namespace}" : "",
                                    "/", r->plural, "/{name}");
    SetMember(paths, path, std::move(item), a);
    if (r->schema != nullptr) {
      Value schema(*r->schema, a);
      Value gvks(rapidjson::kArrayType);
      gvks.PushBack(Gvk(*r, a), a);
      SetMember(schema, "x-kubernetes-group-version-kind", std::move(gvks), a);
      SetMember(schemas, absl::StrCat(ReverseDomain(r->group), ".", r->version, ".", r->kind),
                std::move(schema), a);
    }
  }
  SetMember(d, "paths", std::move(paths), a);
  Value components(rapidjson::kObjectType);
  SetMember(components, "schemas", std::move(schemas), a);
  SetMember(d, "components", std::move(components), a);
  return ToJson(d);
}

}  // namespace

std::string VersionJson() {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  SetString(d, "major", "1", a);
  SetString(d, "minor", "32", a);
  SetString(d, "gitVersion", kServerGitVersion, a);
  SetString(d, "gitCommit", "0000000000000000000000000000000000000000", a);
  SetString(d, "gitTreeState", "clean", a);
  SetString(d, "buildDate", "2026-01-01T00:00:00Z", a);
  SetString(d, "goVersion", "n/a (raven-apiserver, C++)", a);
  SetString(d, "compiler", "gc", a);
  SetString(d, "platform", "linux/amd64", a);
  return ToJson(d);
}

std::string CoreVersionsJson(absl::string_view server_address) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  SetString(d, "kind", "APIVersions", a);
  SetMember(d, "versions", StrList({"v1"}, a), a);
  Value cidr(rapidjson::kObjectType);
  SetString(cidr, "clientCIDR", "0.0.0.0/0", a);
  SetString(cidr, "serverAddress", server_address, a);
  Value cidrs(rapidjson::kArrayType);
  cidrs.PushBack(cidr, a);
  SetMember(d, "serverAddressByClientCIDRs", std::move(cidrs), a);
  return ToJson(d);
}

std::string GroupListJson(const std::vector<ResourcePtr>& resources) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  SetString(d, "kind", "APIGroupList", a);
  SetString(d, "apiVersion", "v1", a);
  std::set<std::string> groups;
  for (const ResourcePtr& r : resources) {
    if (!r->group.empty()) groups.insert(r->group);
  }
  Value list(rapidjson::kArrayType);
  for (const std::string& g : groups) list.PushBack(GroupValue(resources, g, a), a);
  SetMember(d, "groups", std::move(list), a);
  return ToJson(d);
}

std::optional<std::string> GroupJson(const std::vector<ResourcePtr>& resources,
                                     absl::string_view group) {
  if (group.empty() || GroupVersions(resources, group).empty()) return std::nullopt;
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  Value g = GroupValue(resources, group, a);
  SetString(d, "kind", "APIGroup", a);
  SetString(d, "apiVersion", "v1", a);
  for (auto& m : g.GetObject()) d.AddMember(m.name, m.value, a);
  return ToJson(d);
}

std::optional<std::string> ResourceListJson(const std::vector<ResourcePtr>& resources,
                                            absl::string_view group, absl::string_view version) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  SetString(d, "kind", "APIResourceList", a);
  SetString(d, "apiVersion", "v1", a);
  SetString(d, "groupVersion",
            group.empty() ? std::string(version) : absl::StrCat(group, "/", version), a);
  Value list(rapidjson::kArrayType);
  for (const ResourcePtr& r : resources) {
    if (r->group != group || r->version != version) continue;
    list.PushBack(ApiResource(*r, false, a), a);
    if (r->status_subresource) list.PushBack(ApiResource(*r, true, a), a);
  }
  if (list.Empty()) return std::nullopt;
  SetMember(d, "resources", std::move(list), a);
  return ToJson(d);
}

std::string OpenApiIndexJson(const std::vector<ResourcePtr>& resources) {
  std::set<std::string> gv_paths;
  for (const ResourcePtr& r : resources) gv_paths.insert(GvPath(*r));
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  Value paths(rapidjson::kObjectType);
  for (const std::string& p : gv_paths) {
    // The hash changes with the content, so clients' caches never go stale.
    size_t hash = std::hash<std::string>()(BuildOpenApiDoc(resources, p));
    Value entry(rapidjson::kObjectType);
    SetString(entry, "serverRelativeURL",
              absl::StrFormat("/openapi/v3/%s?hash=%016X", p, static_cast<uint64_t>(hash)), a);
    SetMember(paths, p, std::move(entry), a);
  }
  SetMember(d, "paths", std::move(paths), a);
  return ToJson(d);
}

std::optional<std::string> OpenApiDocJson(const std::vector<ResourcePtr>& resources,
                                          absl::string_view gv_path) {
  for (const ResourcePtr& r : resources) {
    if (GvPath(*r) == gv_path) return BuildOpenApiDoc(resources, gv_path);
  }
  return std::nullopt;
}

}  // namespace raven::apiserver

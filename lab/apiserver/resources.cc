#include "lab/apiserver/resources.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "lab/apiserver/api_status.h"

namespace raven::apiserver {
namespace {

std::vector<std::string> StringList(const rapidjson::Value* v) {
  std::vector<std::string> out;
  if (v == nullptr || !v->IsArray()) return out;
  for (const auto& s : v->GetArray()) {
    if (s.IsString()) out.emplace_back(s.GetString(), s.GetStringLength());
  }
  return out;
}

ResourceInfo Builtin(absl::string_view group, absl::string_view plural, absl::string_view kind,
                     bool namespaced, std::vector<std::string> short_names, bool status) {
  ResourceInfo r;
  r.group = std::string(group);
  r.version = "v1";
  r.plural = std::string(plural);
  r.singular = absl::AsciiStrToLower(kind);
  r.kind = std::string(kind);
  r.list_kind = absl::StrCat(kind, "List");
  r.namespaced = namespaced;
  r.short_names = std::move(short_names);
  r.status_subresource = status;
  return r;
}

// (rank, major, minor): GA=2, beta=1, alpha=0; -1 for names that do not parse.
std::tuple<int, int, int> ParseVersion(absl::string_view v) {
  if (!absl::StartsWith(v, "v")) return {-1, 0, 0};
  v.remove_prefix(1);
  size_t digits = 0;
  while (digits < v.size() && absl::ascii_isdigit(static_cast<unsigned char>(v[digits]))) ++digits;
  int major = 0;
  if (digits == 0 || !absl::SimpleAtoi(v.substr(0, digits), &major)) return {-1, 0, 0};
  absl::string_view rest = v.substr(digits);
  if (rest.empty()) return {2, major, 0};
  int rank = absl::ConsumePrefix(&rest, "beta") ? 1 : absl::ConsumePrefix(&rest, "alpha") ? 0 : -1;
  int minor = 0;
  if (rank < 0 || !absl::SimpleAtoi(rest, &minor)) return {-1, 0, 0};
  return {rank, major, minor};
}

std::vector<PrinterColumn> Columns(const rapidjson::Value* list) {
  std::vector<PrinterColumn> out;
  if (list == nullptr || !list->IsArray()) return out;
  for (const auto& c : list->GetArray()) {
    PrinterColumn col;
    col.name = StringAt(c, "name");
    col.type = StringAt(c, "type");
    col.format = StringAt(c, "format");
    col.description = StringAt(c, "description");
    col.json_path = StringAt(c, "jsonPath");
    const rapidjson::Value* p = Member(c, "priority");
    if (p != nullptr && p->IsInt()) col.priority = p->GetInt();
    out.push_back(std::move(col));
  }
  return out;
}

}  // namespace

std::string ResourceInfo::api_version() const {
  return group.empty() ? version : absl::StrCat(group, "/", version);
}

std::string ResourceInfo::group_resource() const {
  return group.empty() ? plural : absl::StrCat(plural, ".", group);
}

bool VersionBefore(absl::string_view a, absl::string_view b) {
  auto pa = ParseVersion(a);
  auto pb = ParseVersion(b);
  if (pa != pb) return pa > pb;
  return a < b;
}

ResourceRegistry::ResourceRegistry() {
  Add(Builtin("", "namespaces", "Namespace", false, {"ns"}, true));
  Add(Builtin("", "nodes", "Node", false, {"no"}, true));
  Add(Builtin("", "events", "Event", true, {"ev"}, false));
  // Stored as given: no cluster IP, no Endpoints controller (raven-controller
  // writes a LoadBalancer Service's Endpoints itself; the lab's load-balancer
  // stand-in writes its status).
  Add(Builtin("", "services", "Service", true, {"svc"}, true));
  Add(Builtin("", "endpoints", "Endpoints", true, {"ep"}, false));
  Add(Builtin("coordination.k8s.io", "leases", "Lease", true, {}, false));
  ResourceInfo crd = Builtin("apiextensions.k8s.io", "customresourcedefinitions",
                             "CustomResourceDefinition", false, {"crd", "crds"}, true);
  crd.categories = {"api-extensions"};
  Add(std::move(crd));
}

void ResourceRegistry::Add(ResourceInfo info) {
  std::string key = absl::StrCat(info.group, "/", info.version, "/", info.plural);
  resources_[key] = std::make_shared<const ResourceInfo>(std::move(info));
}

ResourcePtr ResourceRegistry::Find(absl::string_view group, absl::string_view version,
                                   absl::string_view plural) const {
  auto it = resources_.find(absl::StrCat(group, "/", version, "/", plural));
  return it == resources_.end() ? nullptr : it->second;
}

ResourcePtr ResourceRegistry::FindAnyVersion(absl::string_view group_resource) const {
  for (const auto& [key, info] : resources_) {
    if (info->group_resource() == group_resource) return info;
  }
  return nullptr;
}

std::vector<ResourcePtr> ResourceRegistry::All() const {
  std::vector<ResourcePtr> out;
  for (const auto& [key, info] : resources_) out.push_back(info);
  return out;
}

void ResourceRegistry::SetCrd(const std::string& crd_name,
                              const std::vector<ResourceInfo>& resources) {
  RemoveCrd(crd_name);
  for (const ResourceInfo& r : resources) Add(r);
}

void ResourceRegistry::RemoveCrd(const std::string& crd_name) {
  for (auto it = resources_.begin(); it != resources_.end();) {
    it = it->second->crd_name == crd_name ? resources_.erase(it) : std::next(it);
  }
}

absl::StatusOr<std::vector<ResourceInfo>> ResourceRegistry::FromCrd(const rapidjson::Value& crd) {
  std::vector<ErrorCause> causes;
  auto require = [&](bool ok, absl::string_view field, absl::string_view message) {
    if (!ok) causes.push_back({"FieldValueInvalid", std::string(message), std::string(field)});
  };
  const rapidjson::Value empty(rapidjson::kObjectType);
  const rapidjson::Value* spec = Member(crd, "spec");
  if (spec == nullptr) spec = &empty;
  const rapidjson::Value* names = Member(*spec, "names");
  if (names == nullptr) names = &empty;
  ResourceInfo base;
  base.crd_name = MetaString(crd, "name");
  base.group = StringAt(*spec, "group");
  base.plural = StringAt(*names, "plural");
  base.kind = StringAt(*names, "kind");
  base.singular = StringAt(*names, "singular");
  if (base.singular.empty()) base.singular = absl::AsciiStrToLower(base.kind);
  base.list_kind = StringAt(*names, "listKind");
  if (base.list_kind.empty()) base.list_kind = absl::StrCat(base.kind, "List");
  base.short_names = StringList(Member(*names, "shortNames"));
  base.categories = StringList(Member(*names, "categories"));
  std::string scope = StringAt(*spec, "scope");
  base.namespaced = scope == "Namespaced";
  require(!base.group.empty() && absl::StrContains(base.group, "."), "spec.group",
          "Invalid value: should be a domain with at least one dot");
  require(!base.plural.empty(), "spec.names.plural", "Required value");
  require(!base.kind.empty(), "spec.names.kind", "Required value");
  require(scope == "Namespaced" || scope == "Cluster", "spec.scope",
          "Unsupported value: supported values: \"Cluster\", \"Namespaced\"");
  require(base.crd_name == absl::StrCat(base.plural, ".", base.group), "metadata.name",
          "Invalid value: must be spec.names.plural+\".\"+spec.group");

  std::vector<ResourceInfo> out;
  int storage_versions = 0;
  const rapidjson::Value* versions = Member(*spec, "versions");
  if (versions != nullptr && versions->IsArray()) {
    for (const auto& v : versions->GetArray()) {
      const rapidjson::Value* served = Member(v, "served");
      const rapidjson::Value* storage = Member(v, "storage");
      if (storage != nullptr && storage->IsBool() && storage->GetBool()) ++storage_versions;
      require(!StringAt(v, "name").empty(), "spec.versions[].name", "Required value");
      if (served == nullptr || !served->IsBool() || !served->GetBool()) continue;
      ResourceInfo info = base;
      info.version = StringAt(v, "name");
      const rapidjson::Value* sub = Member(v, "subresources");
      info.status_subresource = sub != nullptr && Member(*sub, "status") != nullptr;
      info.drop_status_on_create = info.status_subresource;
      info.columns = Columns(Member(v, "additionalPrinterColumns"));
      const rapidjson::Value* schema = Member(v, "schema");
      const rapidjson::Value* open_api = schema ? Member(*schema, "openAPIV3Schema") : nullptr;
      if (open_api != nullptr && open_api->IsObject()) {
        info.schema = std::make_shared<const rapidjson::Document>(CopyDoc(*open_api));
      }
      out.push_back(std::move(info));
    }
  }
  require(storage_versions == 1, "spec.versions",
          "Invalid value: must have exactly one version marked as storage version");
  if (!causes.empty()) {
    return InvalidError({"apiextensions.k8s.io", "customresourcedefinitions", base.crd_name},
                        "CustomResourceDefinition", causes);
  }
  return out;
}

void SetCrdStatus(rapidjson::Value& crd, JsonAlloc& alloc, absl::string_view now) {
  const rapidjson::Value* spec = Member(crd, "spec");
  rapidjson::Value status(rapidjson::kObjectType);
  rapidjson::Value accepted(rapidjson::kObjectType);
  if (spec != nullptr && Member(*spec, "names") != nullptr) {
    accepted.CopyFrom(*Member(*spec, "names"), alloc);
    if (StringAt(accepted, "singular").empty()) {
      SetString(accepted, "singular", absl::AsciiStrToLower(StringAt(accepted, "kind")), alloc);
    }
    if (StringAt(accepted, "listKind").empty()) {
      SetString(accepted, "listKind", absl::StrCat(StringAt(accepted, "kind"), "List"), alloc);
    }
  }
  SetMember(status, "acceptedNames", std::move(accepted), alloc);
  rapidjson::Value conditions(rapidjson::kArrayType);
  const std::pair<const char*, const char*> kConditions[] = {
      {"NamesAccepted", "NoConflicts"}, {"Established", "InitialNamesAccepted"}};
  for (const auto& [type, reason] : kConditions) {
    rapidjson::Value c(rapidjson::kObjectType);
    SetString(c, "type", type, alloc);
    SetString(c, "status", "True", alloc);
    SetString(c, "lastTransitionTime", now, alloc);
    SetString(c, "reason", reason, alloc);
    SetString(c, "message",
              absl::string_view(type) == "Established" ? "the initial names have been accepted"
                                                       : "no conflicts found",
              alloc);
    conditions.PushBack(c, alloc);
  }
  SetMember(status, "conditions", std::move(conditions), alloc);
  rapidjson::Value stored(rapidjson::kArrayType);
  const rapidjson::Value* versions = spec ? Member(*spec, "versions") : nullptr;
  if (versions != nullptr && versions->IsArray()) {
    for (const auto& v : versions->GetArray()) {
      const rapidjson::Value* storage = Member(v, "storage");
      if (storage != nullptr && storage->IsBool() && storage->GetBool()) {
        stored.PushBack(Str(StringAt(v, "name"), alloc), alloc);
      }
    }
  }
  SetMember(status, "storedVersions", std::move(stored), alloc);
  SetMember(crd, "status", std::move(status), alloc);
}

}  // namespace raven::apiserver

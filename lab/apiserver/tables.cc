#include "lab/apiserver/tables.h"

#include "absl/strings/str_cat.h"
#include "lab/apiserver/jsonpath.h"

namespace raven::apiserver {
namespace {

constexpr char kNameDescription[] =
    "Name must be unique within a namespace. Is required when creating resources, although some "
    "resources may allow a client to request the generation of an appropriate name "
    "automatically.";
constexpr char kAgeDescription[] =
    "CreationTimestamp is a timestamp representing the server time when this object was created.";

std::vector<PrinterColumn> ColumnsFor(const ResourceInfo& r) {
  if (!r.columns.empty()) return r.columns;
  PrinterColumn age{"Age", "date", "", kAgeDescription, ".metadata.creationTimestamp", 0};
  if (r.group == "coordination.k8s.io" && r.plural == "leases") {
    return {{"Holder", "string", "", "The holder of the lease.", ".spec.holderIdentity", 0}, age};
  }
  if (r.group.empty() && r.plural == "namespaces") {
    return {{"Status", "string", "", "The phase of the namespace.", ".status.phase", 0}, age};
  }
  return {age};
}

rapidjson::Value Cell(const PrinterColumn& column, const rapidjson::Value* v, JsonAlloc& a,
                      absl::Time now) {
  if (v == nullptr || v->IsNull()) return rapidjson::Value();
  if (column.type == "date") {
    if (!v->IsString()) return rapidjson::Value();
    absl::Time t;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, v->GetString(), &t, &err)) return Str("<invalid>", a);
    return Str(ShortHumanDuration(now - t), a);
  }
  if (column.type == "integer") {
    if (v->IsInt64()) return rapidjson::Value(v->GetInt64());
    if (v->IsNumber()) return rapidjson::Value(static_cast<int64_t>(v->GetDouble()));
    return rapidjson::Value();
  }
  if (column.type == "number")
    return v->IsNumber() ? rapidjson::Value(v->GetDouble()) : rapidjson::Value();
  if (column.type == "boolean")
    return v->IsBool() ? rapidjson::Value(v->GetBool()) : rapidjson::Value();
  if (v->IsString()) return rapidjson::Value(*v, a);
  if (v->IsBool()) return Str(v->GetBool() ? "true" : "false", a);
  return Str(ToJson(*v), a);
}

rapidjson::Value RowObject(const rapidjson::Value& item, const TableOptions& options,
                           JsonAlloc& a) {
  if (options.include_object == "Object") return rapidjson::Value(item, a);
  rapidjson::Value partial(rapidjson::kObjectType);
  SetString(partial, "kind", "PartialObjectMetadata", a);
  SetString(partial, "apiVersion", options.api_version, a);
  const rapidjson::Value* meta = Member(item, "metadata");
  SetMember(partial, "metadata",
            meta != nullptr ? rapidjson::Value(*meta, a) : rapidjson::Value(rapidjson::kObjectType),
            a);
  return partial;
}

}  // namespace

std::string ShortHumanDuration(absl::Duration d) {
  int64_t seconds = absl::ToInt64Seconds(d);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60) return absl::StrCat(seconds, "s");
  int64_t minutes = seconds / 60;
  if (minutes < 60) return absl::StrCat(minutes, "m");
  int64_t hours = minutes / 60;
  if (hours < 24) return absl::StrCat(hours, "h");
  if (hours < 24 * 365) return absl::StrCat(hours / 24, "d");
  return absl::StrCat(hours / 24 / 365, "y");
}

rapidjson::Document BuildTable(const ResourceInfo& r, const std::vector<DocPtr>& items,
                               int64_t resource_version, const std::string& continue_token,
                               const TableOptions& options, absl::Time now) {
  rapidjson::Document table(rapidjson::kObjectType);
  auto& a = table.GetAllocator();
  SetString(table, "kind", "Table", a);
  SetString(table, "apiVersion", options.api_version, a);
  rapidjson::Value meta(rapidjson::kObjectType);
  SetString(meta, "resourceVersion", absl::StrCat(resource_version), a);
  if (!continue_token.empty()) SetString(meta, "continue", continue_token, a);
  SetMember(table, "metadata", std::move(meta), a);

  std::vector<PrinterColumn> columns = ColumnsFor(r);
  std::vector<absl::StatusOr<JsonPath>> paths;
  for (const PrinterColumn& c : columns) paths.push_back(JsonPath::Parse(c.json_path));
  if (!options.no_headers) {
    rapidjson::Value defs(rapidjson::kArrayType);
    auto add = [&](const PrinterColumn& c) {
      rapidjson::Value def(rapidjson::kObjectType);
      SetString(def, "name", c.name, a);
      SetString(def, "type", c.type, a);
      SetString(def, "format", c.format, a);
      SetString(def, "description",
                c.description.empty()
                    ? absl::StrCat("Custom resource definition column (in JSONPath format): ",
                                   c.json_path)
                    : c.description,
                a);
      SetMember(def, "priority", rapidjson::Value(c.priority), a);
      defs.PushBack(def, a);
    };
    add({"Name", "string", "name", kNameDescription, "", 0});
    for (const PrinterColumn& c : columns) add(c);
    SetMember(table, "columnDefinitions", std::move(defs), a);
  }
  rapidjson::Value rows(rapidjson::kArrayType);
  for (const DocPtr& item : items) {
    rapidjson::Value row(rapidjson::kObjectType);
    rapidjson::Value cells(rapidjson::kArrayType);
    cells.PushBack(Str(MetaString(*item, "name"), a), a);
    for (size_t i = 0; i < columns.size(); ++i) {
      const rapidjson::Value* value = nullptr;
      if (paths[i].ok()) {
        // kube-apiserver prints the first match, and nothing when the path fails.
        absl::StatusOr<std::vector<const rapidjson::Value*>> found = paths[i]->Find(*item);
        if (found.ok() && !found->empty()) value = found->front();
      }
      cells.PushBack(Cell(columns[i], value, a, now), a);
    }
    SetMember(row, "cells", std::move(cells), a);
    if (options.include_object != "None") {
      SetMember(row, "object", RowObject(*item, options, a), a);
    }
    rows.PushBack(row, a);
  }
  SetMember(table, "rows", std::move(rows), a);
  return table;
}

}  // namespace raven::apiserver

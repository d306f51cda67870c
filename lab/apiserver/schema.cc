#include "lab/apiserver/schema.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace raven::apiserver {
namespace {

bool Flag(const rapidjson::Value& schema, absl::string_view name) {
  const rapidjson::Value* v = Member(schema, name);
  return v != nullptr && v->IsBool() && v->GetBool();
}

absl::string_view JsonType(const rapidjson::Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return "boolean";
  if (v.IsString()) return "string";
  if (v.IsObject()) return "object";
  if (v.IsArray()) return "array";
  if (v.IsInt64() || v.IsUint64()) return "integer";
  return "number";
}

bool HasType(const rapidjson::Value& v, absl::string_view type) {
  if (type == "object") return v.IsObject();
  if (type == "array") return v.IsArray();
  if (type == "string") return v.IsString();
  if (type == "boolean") return v.IsBool();
  if (type == "number") return v.IsNumber();
  if (type == "integer") {
    if (v.IsInt64() || v.IsUint64()) return true;
    return v.IsDouble() && std::trunc(v.GetDouble()) == v.GetDouble();
  }
  return true;  // unknown or absent type: anything goes
}

std::string Repr(const rapidjson::Value& v) {
  if (v.IsString()) return absl::StrCat("\"", v.GetString(), "\"");
  return ToJson(v);
}

std::string Join(absl::string_view path, absl::string_view field) {
  return path.empty() ? std::string(field) : absl::StrCat(path, ".", field);
}

class Walker {
 public:
  explicit Walker(SchemaReport& report) : report_(report) {}

  void Walk(const rapidjson::Value& schema, rapidjson::Value& value, const std::string& path,
            bool preserve) {
    preserve = preserve || Flag(schema, "x-kubernetes-preserve-unknown-fields");
    const rapidjson::Value* type = Member(schema, "type");
    if (Flag(schema, "x-kubernetes-int-or-string")) {
      if (!value.IsString() && !HasType(value, "integer")) TypeError(path, value, "string/int");
      return;
    }
    if (type != nullptr && type->IsString() && !HasType(value, type->GetString())) {
      TypeError(path, value, type->GetString());
      return;
    }
    CheckEnum(schema, value, path);
    if (value.IsObject()) WalkObject(schema, value, path, preserve);
    if (value.IsArray()) {
      const rapidjson::Value* items = Member(schema, "items");
      for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
        std::string item_path = absl::StrCat(path, "[", i, "]");
        if (items != nullptr && items->IsObject()) {
          Walk(*items, value[i], item_path, preserve);
        }
      }
    }
  }

 private:
  void WalkObject(const rapidjson::Value& schema, rapidjson::Value& value, const std::string& path,
                  bool preserve) {
    const rapidjson::Value* props = Member(schema, "properties");
    const rapidjson::Value* additional = Member(schema, "additionalProperties");
    bool root = path.empty();
    std::vector<std::string> prune;
    for (auto& m : value.GetObject()) {
      absl::string_view name(m.name.GetString(), m.name.GetStringLength());
      if (root && (name == "apiVersion" || name == "kind" || name == "metadata")) continue;
      const rapidjson::Value* sub = props == nullptr ? nullptr : Member(*props, name);
      if (sub == nullptr && additional != nullptr && additional->IsObject()) sub = additional;
      std::string field_path = Join(path, name);
      if (sub == nullptr) {
        bool keep =
            preserve || (additional != nullptr && additional->IsBool() && additional->GetBool());
        if (!keep) {
          prune.emplace_back(name);
          report_.unknown_fields.push_back(field_path);
        }
        continue;
      }
      if (m.value.IsNull() && !Flag(*sub, "nullable")) {
        prune.emplace_back(name);  // kube-apiserver drops nulls of non-nullable fields
        continue;
      }
      Walk(*sub, m.value, field_path, preserve);
    }
    for (const std::string& name : prune) RemoveMember(value, name);
    const rapidjson::Value* required = Member(schema, "required");
    if (required != nullptr && required->IsArray()) {
      for (const auto& r : required->GetArray()) {
        if (!r.IsString() || Member(value, r.GetString()) != nullptr) continue;
        report_.errors.push_back(
            {"FieldValueRequired", "Required value", Join(path, r.GetString())});
      }
    }
  }

  void CheckEnum(const rapidjson::Value& schema, const rapidjson::Value& value,
                 const std::string& path) {
    const rapidjson::Value* options = Member(schema, "enum");
    if (options == nullptr || !options->IsArray() || options->Empty()) return;
    std::vector<std::string> supported;
    for (const auto& o : options->GetArray()) {
      if (o == value) return;
      supported.push_back(Repr(o));
    }
    report_.errors.push_back({"FieldValueNotSupported",
                              absl::StrCat("Unsupported value: ", Repr(value),
                                           ": supported values: ", absl::StrJoin(supported, ", ")),
                              path});
  }

  void TypeError(const std::string& path, const rapidjson::Value& value, absl::string_view want) {
    report_.errors.push_back({"FieldValueTypeInvalid",
                              absl::StrCat("Invalid value: \"", JsonType(value), "\": ", path,
                                           " in body must be of type ", want, ": ", Repr(value)),
                              path});
  }

  SchemaReport& report_;
};

}  // namespace

SchemaReport ValidateAndPrune(const rapidjson::Value& schema, rapidjson::Value& object) {
  SchemaReport report;
  Walker walker(report);
  walker.Walk(schema, object, "", false);
  return report;
}

}  // namespace raven::apiserver

#include "common/json_fields.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace raven::json {

const rapidjson::Value* FieldReader::Find(const char* name) const {
  auto it = object_.FindMember(name);
  if (it == object_.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

std::string FieldReader::PathOf(const char* name) const {
  return path_.empty() ? name : absl::StrCat(path_, ".", name);
}

absl::Status FieldReader::Invalid(const char* name, absl::string_view message) const {
  return absl::InvalidArgumentError(absl::StrCat(PathOf(name), ": ", message));
}

absl::Status FieldReader::TypeError(const char* name, const char* expected) const {
  return Invalid(name, absl::StrCat("expected ", expected));
}

absl::Status FieldReader::String(const char* name, std::string& out) const {
  const rapidjson::Value* v = Find(name);
  if (!v) return absl::OkStatus();
  if (!v->IsString()) return TypeError(name, "a string");
  out.assign(v->GetString(), v->GetStringLength());
  return absl::OkStatus();
}

absl::Status FieldReader::Int(const char* name, int& out) const {
  const rapidjson::Value* v = Find(name);
  if (!v) return absl::OkStatus();
  if (!v->IsInt()) return TypeError(name, "a 32-bit integer");
  out = v->GetInt();
  return absl::OkStatus();
}

absl::Status FieldReader::Int64(const char* name, int64_t& out) const {
  const rapidjson::Value* v = Find(name);
  if (!v) return absl::OkStatus();
  if (!v->IsInt64()) return TypeError(name, "an integer");
  out = v->GetInt64();
  return absl::OkStatus();
}

absl::Status FieldReader::Bool(const char* name, bool& out) const {
  const rapidjson::Value* v = Find(name);
  if (!v) return absl::OkStatus();
  if (!v->IsBool()) return TypeError(name, "a boolean");
  out = v->GetBool();
  return absl::OkStatus();
}

absl::Status FieldReader::StringList(const char* name, std::vector<std::string>& out) const {
  const rapidjson::Value* v = Find(name);
  if (!v) return absl::OkStatus();
  if (!v->IsArray()) return TypeError(name, "an array of strings");
  if (v->Size() > kMaxListItems) return TypeError(name, "at most 65536 items");
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    const auto& item = (*v)[i];
    if (!item.IsString()) {
      return absl::InvalidArgumentError(absl::StrCat(PathOf(name), "[", i, "]: expected a string"));
    }
    out.emplace_back(item.GetString(), item.GetStringLength());
  }
  return absl::OkStatus();
}

absl::Status FieldReader::StringMap(const char* name,
                                    std::map<std::string, std::string>& out) const {
  const rapidjson::Value* v = Find(name);
  if (!v) return absl::OkStatus();
  if (!v->IsObject()) return TypeError(name, "an object of strings");
  for (const auto& member : v->GetObject()) {
    if (!member.value.IsString()) {
      return absl::InvalidArgumentError(
          absl::StrCat(PathOf(name), ".", member.name.GetString(), ": expected a string"));
    }
    out[member.name.GetString()] =
        std::string(member.value.GetString(), member.value.GetStringLength());
  }
  return absl::OkStatus();
}

absl::Status FieldReader::Object(const char* name,
                                 const std::function<absl::Status(const FieldReader&)>& fn) const {
  const rapidjson::Value* v = Find(name);
  if (!v) return absl::OkStatus();
  if (!v->IsObject()) return TypeError(name, "an object");
  return fn(FieldReader(*v, PathOf(name)));
}

absl::Status FieldReader::Array(const char* name,
                                const std::function<absl::Status(const FieldReader&)>& fn) const {
  const rapidjson::Value* v = Find(name);
  if (!v) return absl::OkStatus();
  if (!v->IsArray()) return TypeError(name, "an array");
  if (v->Size() > kMaxListItems) return TypeError(name, "at most 65536 items");
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    const auto& item = (*v)[i];
    std::string path = absl::StrCat(PathOf(name), "[", i, "]");
    if (!item.IsObject())
      return absl::InvalidArgumentError(absl::StrCat(path, ": expected an object"));
    RETURN_IF_ERROR(fn(FieldReader(item, path)));
  }
  return absl::OkStatus();
}

std::string Quoted(absl::string_view value) {
  return absl::StrCat("\"", value.substr(0, 64), value.size() > 64 ? "…" : "", "\"");
}

}  // namespace raven::json

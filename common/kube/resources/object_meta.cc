#include "common/kube/resources/object_meta.h"

#include "absl/strings/str_cat.h"
#include "common/kube/resources/k8s_time.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace raven::kube {

absl::Status DecodeObjectMeta(const json::FieldReader& object, ObjectMeta& out) {
  RETURN_IF_ERROR(object.Object("metadata", [&](const json::FieldReader& m) -> absl::Status {
    RETURN_IF_ERROR(m.String("name", out.name));
    RETURN_IF_ERROR(m.String("namespace", out.namespace_));
    RETURN_IF_ERROR(m.String("uid", out.uid));
    RETURN_IF_ERROR(m.String("resourceVersion", out.resource_version));
    RETURN_IF_ERROR(m.Int64("generation", out.generation));
    RETURN_IF_ERROR(ReadTime(m, "creationTimestamp", out.creation_timestamp));
    RETURN_IF_ERROR(m.StringMap("labels", out.labels));
    RETURN_IF_ERROR(m.StringMap("annotations", out.annotations));
    return m.StringList("finalizers", out.finalizers);
  }));
  if (out.name.empty()) return absl::InvalidArgumentError("metadata.name: missing");
  return absl::OkStatus();
}

void PutString(rapidjson::Value& obj, const char* key, const std::string& v, JsonAlloc& a) {
  if (!v.empty()) {
    obj.AddMember(rapidjson::StringRef(key), rapidjson::Value(v.data(), v.size(), a), a);
  }
}

void PutStringMap(rapidjson::Value& obj, const char* key,
                  const std::map<std::string, std::string>& m, JsonAlloc& a) {
  if (m.empty()) return;
  rapidjson::Value out(rapidjson::kObjectType);
  for (const auto& [k, v] : m) {
    out.AddMember(rapidjson::Value(k.data(), k.size(), a), rapidjson::Value(v.data(), v.size(), a),
                  a);
  }
  obj.AddMember(rapidjson::StringRef(key), out, a);
}

void PutTime(rapidjson::Value& obj, const char* key, const std::optional<absl::Time>& t, bool micro,
             JsonAlloc& a) {
  if (t) PutString(obj, key, micro ? FormatMicroTime(*t) : FormatRfc3339(*t), a);
}

void EncodeObjectMeta(const ObjectMeta& meta, rapidjson::Value& object, JsonAlloc& a) {
  rapidjson::Value m(rapidjson::kObjectType);
  PutString(m, "name", meta.name, a);
  PutString(m, "namespace", meta.namespace_, a);
  PutString(m, "uid", meta.uid, a);
  PutString(m, "resourceVersion", meta.resource_version, a);
  if (meta.generation != 0) m.AddMember("generation", meta.generation, a);
  PutTime(m, "creationTimestamp", meta.creation_timestamp, /*micro=*/false, a);
  PutStringMap(m, "labels", meta.labels, a);
  PutStringMap(m, "annotations", meta.annotations, a);
  if (!meta.finalizers.empty()) {
    rapidjson::Value list(rapidjson::kArrayType);
    for (const std::string& f : meta.finalizers) {
      list.PushBack(rapidjson::Value(f.data(), f.size(), a), a);
    }
    m.AddMember("finalizers", list, a);
  }
  object.AddMember("metadata", m, a);
}

ObjectIdentity PeekIdentity(const rapidjson::Value& object) {
  ObjectIdentity id;
  if (!object.IsObject()) return id;
  auto meta = object.FindMember("metadata");
  if (meta == object.MemberEnd() || !meta->value.IsObject()) return id;
  auto get = [&](const char* key, std::string& out) {
    auto it = meta->value.FindMember(key);
    if (it != meta->value.MemberEnd() && it->value.IsString()) {
      out.assign(it->value.GetString(), it->value.GetStringLength());
    }
  };
  get("namespace", id.namespace_);
  get("name", id.name);
  get("resourceVersion", id.resource_version);
  return id;
}

std::string ToJson(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
  v.Accept(writer);
  return std::string(buf.GetString(), buf.GetSize());
}

absl::Status CheckTypeMeta(const json::FieldReader& in, const char* api_version, const char* kind) {
  std::string got_version, got_kind;
  RETURN_IF_ERROR(in.String("apiVersion", got_version));
  RETURN_IF_ERROR(in.String("kind", got_kind));
  if (!got_version.empty() && got_version != api_version) {
    return absl::InvalidArgumentError(
        absl::StrCat("apiVersion: expected ", api_version, ", got ", got_version));
  }
  if (!got_kind.empty() && got_kind != kind) {
    return absl::InvalidArgumentError(absl::StrCat("kind: expected ", kind, ", got ", got_kind));
  }
  return absl::OkStatus();
}

}  // namespace raven::kube

// metav1.ObjectMeta (the fields this project uses), its codec, and the
// identity of a raw object that may not decode.
#ifndef RAVEN_COMMON_KUBE_RESOURCES_OBJECT_META_H_
#define RAVEN_COMMON_KUBE_RESOURCES_OBJECT_META_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/json_fields.h"
#include "rapidjson/document.h"

namespace raven::kube {

using JsonAlloc = rapidjson::Document::AllocatorType;

struct ObjectMeta {
  std::string name;
  std::string namespace_;
  std::string uid;
  std::string resource_version;
  int64_t generation = 0;
  std::optional<absl::Time> creation_timestamp;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::vector<std::string> finalizers;

  bool operator==(const ObjectMeta&) const = default;
};

// Reads `metadata` of `object`; metadata.name is required.
absl::Status DecodeObjectMeta(const json::FieldReader& object, ObjectMeta& out);
// Adds "metadata" to `object`; empty fields are omitted.
void EncodeObjectMeta(const ObjectMeta& meta, rapidjson::Value& object, JsonAlloc& a);

// Who an object is, read leniently (wrong types give empty strings), so that
// an object that fails to decode can still be named, keyed and skipped.
struct ObjectIdentity {
  std::string namespace_;
  std::string name;
  std::string resource_version;
};
ObjectIdentity PeekIdentity(const rapidjson::Value& object);

// Small encoding helpers shared by the resource codecs.
void PutString(rapidjson::Value& obj, const char* key, const std::string& v, JsonAlloc& a);
void PutStringMap(rapidjson::Value& obj, const char* key,
                  const std::map<std::string, std::string>& m, JsonAlloc& a);
void PutTime(rapidjson::Value& obj, const char* key, const std::optional<absl::Time>& t, bool micro,
             JsonAlloc& a);
std::string ToJson(const rapidjson::Value& v);
// Checks apiVersion/kind when present (a list item may omit them).
absl::Status CheckTypeMeta(const json::FieldReader& in, const char* api_version, const char* kind);

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_RESOURCES_OBJECT_META_H_

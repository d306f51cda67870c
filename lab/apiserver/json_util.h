// Small RapidJSON helpers shared by the API server's parts.
#ifndef RAVEN_LAB_APISERVER_JSON_UTIL_H_
#define RAVEN_LAB_APISERVER_JSON_UTIL_H_

#include <cstddef>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace raven::apiserver {

using JsonAlloc = rapidjson::Document::AllocatorType;
// Stored objects and events share immutable parsed documents.
using DocPtr = std::shared_ptr<const rapidjson::Document>;

// Parses a JSON document; the error names the offset and RapidJSON's reason.
absl::StatusOr<rapidjson::Document> ParseJson(absl::string_view text);

std::string ToJson(const rapidjson::Value& value);
// ToJson(value).size(), without building the string.
size_t JsonSize(const rapidjson::Value& value);

// A copy of `value` as a new document.
rapidjson::Document CopyDoc(const rapidjson::Value& value);

// Member lookup; nullptr when `object` is not an object or lacks `name`.
const rapidjson::Value* Member(const rapidjson::Value& object, absl::string_view name);
rapidjson::Value* MutableMember(rapidjson::Value& object, absl::string_view name);

// The string at object[name] (one level), or "" when absent or not a string.
std::string StringAt(const rapidjson::Value& object, absl::string_view name);
// The string at metadata[name].
std::string MetaString(const rapidjson::Value& object, absl::string_view name);

// Sets object[name] (object must be an object), replacing an existing member.
void SetMember(rapidjson::Value& object, absl::string_view name, rapidjson::Value value,
               JsonAlloc& alloc);
void SetString(rapidjson::Value& object, absl::string_view name, absl::string_view value,
               JsonAlloc& alloc);
void RemoveMember(rapidjson::Value& object, absl::string_view name);

// object["metadata"], created as an empty object when absent or not an object.
rapidjson::Value& EnsureMetadata(rapidjson::Value& object, JsonAlloc& alloc);

// metadata.labels as a map (non-string values are skipped).
std::map<std::string, std::string> LabelsOf(const rapidjson::Value& object);

// Moves apiVersion, kind and metadata to the front, as kube-apiserver orders them.
void CanonicalOrder(rapidjson::Document& object);

rapidjson::Value Str(absl::string_view s, JsonAlloc& alloc);

}  // namespace raven::apiserver

#endif  // RAVEN_LAB_APISERVER_JSON_UTIL_H_

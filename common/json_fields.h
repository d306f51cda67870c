// Typed, path-aware reads of optional JSON object fields: a missing field
// keeps the default, a field of the wrong type is an error naming its path
// ("spec.endpoints[1].port: expected an integer").
#ifndef RAVEN_COMMON_JSON_FIELDS_H_
#define RAVEN_COMMON_JSON_FIELDS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "rapidjson/document.h"

namespace raven::json {

// Lists longer than this are rejected: a bound on what one object may cost.
inline constexpr size_t kMaxListItems = 65536;

// A value quoted in an error, cut to 64 bytes ("…" marks a cut): a hostile
// object must not make a log line or a condition message large.
std::string Quoted(absl::string_view value);

class FieldReader {
 public:
  FieldReader(const rapidjson::Value& object, std::string path)
      : object_(object), path_(std::move(path)) {}

  absl::Status String(const char* name, std::string& out) const;
  absl::Status Int(const char* name, int& out) const;
  absl::Status Int64(const char* name, int64_t& out) const;
  absl::Status Bool(const char* name, bool& out) const;
  absl::Status StringList(const char* name, std::vector<std::string>& out) const;
  absl::Status StringMap(const char* name, std::map<std::string, std::string>& out) const;
  // Calls fn with a reader for the nested object, when present.
  absl::Status Object(const char* name,
                      const std::function<absl::Status(const FieldReader&)>& fn) const;
  // Calls fn for each element of an array of objects, when present.
  absl::Status Array(const char* name,
                     const std::function<absl::Status(const FieldReader&)>& fn) const;

  // "path.name" of a field of this object.
  std::string PathOf(const char* name) const;
  // An InvalidArgument naming the field: "path.name: message".
  absl::Status Invalid(const char* name, absl::string_view message) const;

 private:
  const rapidjson::Value* Find(const char* name) const;  // nullptr when absent or null
  absl::Status TypeError(const char* name, const char* expected) const;

  const rapidjson::Value& object_;
  std::string path_;
};

}  // namespace raven::json

#endif  // RAVEN_COMMON_JSON_FIELDS_H_

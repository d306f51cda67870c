// One line of a watch stream: {"type": "ADDED", "object": {...}}.
#ifndef RAVEN_COMMON_KUBE_WATCH_EVENT_H_
#define RAVEN_COMMON_KUBE_WATCH_EVENT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace raven::kube {

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };
const char* WatchEventTypeName(WatchEventType type);

struct WatchEvent {
  WatchEventType type = WatchEventType::kError;
  rapidjson::Document doc;       // the whole line
  std::string resource_version;  // object.metadata.resourceVersion, "" when absent

  const rapidjson::Value& object() const { return doc["object"]; }
};

// InvalidArgument for malformed JSON, an unknown type, or a missing object.
absl::StatusOr<WatchEvent> ParseWatchEvent(absl::string_view line);

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_WATCH_EVENT_H_

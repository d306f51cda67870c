// core/v1 Event, as the elector records them (kubectl describe shows them).
#ifndef RAVEN_COMMON_KUBE_RESOURCES_EVENT_H_
#define RAVEN_COMMON_KUBE_RESOURCES_EVENT_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/kube/resources/object_meta.h"
#include "common/kube/resources/resource_traits.h"
#include "rapidjson/document.h"

namespace raven::kube {

inline constexpr absl::string_view kEventTypeNormal = "Normal";
inline constexpr absl::string_view kEventTypeWarning = "Warning";
// Longer messages are refused by decoding and cut by MakeEvent.
inline constexpr size_t kMaxEventMessageBytes = 4096;

struct ObjectReference {
  std::string api_version;
  std::string kind;
  std::string namespace_;
  std::string name;
  std::string uid;
  std::string resource_version;
  bool operator==(const ObjectReference&) const = default;
};

struct Event {
  ObjectMeta meta;
  ObjectReference involved_object;
  std::string reason;
  std::string message;
  std::string type;  // Normal or Warning
  std::string source_component;
  std::string source_host;
  std::optional<absl::Time> first_timestamp;
  std::optional<absl::Time> last_timestamp;
  int count = 0;

  bool operator==(const Event&) const = default;
};

// type must be Normal or Warning (or absent); count must not be negative.
absl::StatusOr<Event> DecodeEvent(const rapidjson::Value& object);
absl::StatusOr<Event> DecodeEventJson(absl::string_view json);
std::string EncodeEventJson(const Event& event);

// A new Event about `object` in `ns`, named "<object name>.<hex nanoseconds>"
// as client-go names them, first = last = now, count 1.
Event MakeEvent(const ObjectReference& object, std::string ns, absl::string_view type,
                std::string reason, std::string message, std::string component, absl::Time now);

template <>
struct ResourceTraits<Event> {
  static constexpr const char* kGroupVersionPath = "/api/v1";
  static constexpr const char* kPlural = "events";
  static constexpr const char* kKind = "Event";
  static constexpr bool kNamespaced = true;
  static constexpr bool kFullyModeled = false;
  static absl::StatusOr<Event> Decode(const rapidjson::Value& v) { return DecodeEvent(v); }
  static std::string Encode(const Event& e) { return EncodeEventJson(e); }
  static std::string Name(const Event& e) { return e.meta.name; }
  static std::string Namespace(const Event& e) { return e.meta.namespace_; }
  static std::string ResourceVersion(const Event& e) { return e.meta.resource_version; }
  static void SetResourceVersion(Event& e, std::string rv) {
    e.meta.resource_version = std::move(rv);
  }
};

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_RESOURCES_EVENT_H_

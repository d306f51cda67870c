#include "common/kube/watch_event.h"

#include "absl/strings/str_cat.h"
#include "common/kube/resources/json_doc.h"
#include "common/kube/resources/object_meta.h"
#include "common/status_macros.h"

namespace raven::kube {

const char* WatchEventTypeName(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded:
      return "ADDED";
    case WatchEventType::kModified:
      return "MODIFIED";
    case WatchEventType::kDeleted:
      return "DELETED";
    case WatchEventType::kBookmark:
      return "BOOKMARK";
    case WatchEventType::kError:
      return "ERROR";
  }
  return "?";
}

absl::StatusOr<WatchEvent> ParseWatchEvent(absl::string_view line) {
  WatchEvent ev;
  ASSIGN_OR_RETURN(ev.doc, ParseJson(line));
  if (!ev.doc.IsObject()) return absl::InvalidArgumentError("watch event: expected an object");
  auto type = ev.doc.FindMember("type");
  if (type == ev.doc.MemberEnd() || !type->value.IsString()) {
    return absl::InvalidArgumentError("watch event: no type");
  }
  absl::string_view t(type->value.GetString(), type->value.GetStringLength());
  if (t == "ADDED") {
    ev.type = WatchEventType::kAdded;
  } else if (t == "MODIFIED") {
    ev.type = WatchEventType::kModified;
  } else if (t == "DELETED") {
    ev.type = WatchEventType::kDeleted;
  } else if (t == "BOOKMARK") {
    ev.type = WatchEventType::kBookmark;
  } else if (t == "ERROR") {
    ev.type = WatchEventType::kError;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("watch event: unknown type \"", t.substr(0, 32), "\""));
  }
  auto object = ev.doc.FindMember("object");
  if (object == ev.doc.MemberEnd() || !object->value.IsObject()) {
    return absl::InvalidArgumentError(
        absl::StrCat("watch event ", WatchEventTypeName(ev.type), ": no object"));
  }
  ev.resource_version = PeekIdentity(object->value).resource_version;
  return ev;
}

}  // namespace raven::kube

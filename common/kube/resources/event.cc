#include "common/kube/resources/event.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/kube/resources/json_doc.h"
#include "common/kube/resources/k8s_time.h"
#include "common/status_macros.h"

namespace raven::kube {

absl::StatusOr<Event> DecodeEvent(const rapidjson::Value& object) {
  if (!object.IsObject()) return absl::InvalidArgumentError("Event: expected an object");
  json::FieldReader in(object, "");
  RETURN_IF_ERROR(CheckTypeMeta(in, "v1", "Event"));
  Event e;
  RETURN_IF_ERROR(DecodeObjectMeta(in, e.meta));
  RETURN_IF_ERROR(in.Object("involvedObject", [&](const json::FieldReader& r) -> absl::Status {
    ObjectReference& o = e.involved_object;
    RETURN_IF_ERROR(r.String("apiVersion", o.api_version));
    RETURN_IF_ERROR(r.String("kind", o.kind));
    RETURN_IF_ERROR(r.String("namespace", o.namespace_));
    RETURN_IF_ERROR(r.String("name", o.name));
    RETURN_IF_ERROR(r.String("uid", o.uid));
    return r.String("resourceVersion", o.resource_version);
  }));
  RETURN_IF_ERROR(in.String("reason", e.reason));
  RETURN_IF_ERROR(in.String("message", e.message));
  RETURN_IF_ERROR(in.String("type", e.type));
  RETURN_IF_ERROR(in.Object("source", [&](const json::FieldReader& s) -> absl::Status {
    RETURN_IF_ERROR(s.String("component", e.source_component));
    return s.String("host", e.source_host);
  }));
  RETURN_IF_ERROR(ReadTime(in, "firstTimestamp", e.first_timestamp));
  RETURN_IF_ERROR(ReadTime(in, "lastTimestamp", e.last_timestamp));
  RETURN_IF_ERROR(in.Int("count", e.count));
  if (!e.type.empty() && e.type != kEventTypeNormal && e.type != kEventTypeWarning) {
    return absl::InvalidArgumentError(
        absl::StrCat("type: expected Normal or Warning, got \"", e.type.substr(0, 64), "\""));
  }
  if (e.count < 0) return absl::InvalidArgumentError("count: negative");
  if (e.message.size() > kMaxEventMessageBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("message: longer than ", kMaxEventMessageBytes, " bytes"));
  }
  return e;
}

absl::StatusOr<Event> DecodeEventJson(absl::string_view json) {
  ASSIGN_OR_RETURN(rapidjson::Document doc, ParseJson(json));
  return DecodeEvent(doc);
}

std::string EncodeEventJson(const Event& e) {
  rapidjson::Document doc(rapidjson::kObjectType);
  JsonAlloc& a = doc.GetAllocator();
  doc.AddMember("apiVersion", "v1", a);
  doc.AddMember("kind", "Event", a);
  EncodeObjectMeta(e.meta, doc, a);
  rapidjson::Value ref(rapidjson::kObjectType);
  const ObjectReference& o = e.involved_object;
  PutString(ref, "apiVersion", o.api_version, a);
  PutString(ref, "kind", o.kind, a);
  PutString(ref, "namespace", o.namespace_, a);
  PutString(ref, "name", o.name, a);
  PutString(ref, "uid", o.uid, a);
  PutString(ref, "resourceVersion", o.resource_version, a);
  doc.AddMember("involvedObject", ref, a);
  PutString(doc, "reason", e.reason, a);
  PutString(doc, "message", e.message, a);
  PutString(doc, "type", e.type, a);
  rapidjson::Value source(rapidjson::kObjectType);
  PutString(source, "component", e.source_component, a);
  PutString(source, "host", e.source_host, a);
  doc.AddMember("source", source, a);
  PutTime(doc, "firstTimestamp", e.first_timestamp, /*micro=*/false, a);
  PutTime(doc, "lastTimestamp", e.last_timestamp, /*micro=*/false, a);
  if (e.count > 0) doc.AddMember("count", e.count, a);
  return ToJson(doc);
}

Event MakeEvent(const ObjectReference& object, std::string ns, absl::string_view type,
                std::string reason, std::string message, std::string component, absl::Time now) {
  Event e;
  e.meta.name = absl::StrFormat("%s.%x", object.name, absl::ToUnixNanos(now));
  e.meta.namespace_ = std::move(ns);
  e.involved_object = object;
  e.type = std::string(type);
  e.reason = std::move(reason);
  if (message.size() > kMaxEventMessageBytes) message.resize(kMaxEventMessageBytes);
  e.message = std::move(message);
  e.source_component = std::move(component);
  e.first_timestamp = now;
  e.last_timestamp = now;
  e.count = 1;
  return e;
}

}  // namespace raven::kube

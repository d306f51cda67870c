#include "lab/apiserver/json_util.h"

#include "absl/strings/str_cat.h"
#include "rapidjson/error/en.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace raven::apiserver {

absl::StatusOr<rapidjson::Document> ParseJson(absl::string_view text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON at offset ", doc.GetErrorOffset(), ": ",
                     rapidjson::GetParseError_En(doc.GetParseError())));
  }
  return doc;
}

std::string ToJson(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

namespace {

// A RapidJSON output stream that only counts.
struct CountingStream {
  using Ch = char;
  void Put(Ch) { ++size; }
  void Flush() {}
  size_t size = 0;
};

}  // namespace

size_t JsonSize(const rapidjson::Value& value) {
  CountingStream counter;
  rapidjson::Writer<CountingStream> writer(counter);
  value.Accept(writer);
  return counter.size;
}

rapidjson::Document CopyDoc(const rapidjson::Value& value) {
  rapidjson::Document doc;
  doc.CopyFrom(value, doc.GetAllocator());
  return doc;
}

const rapidjson::Value* Member(const rapidjson::Value& object, absl::string_view name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

rapidjson::Value* MutableMember(rapidjson::Value& object, absl::string_view name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string StringAt(const rapidjson::Value& object, absl::string_view name) {
  const rapidjson::Value* v = Member(object, name);
  return v != nullptr && v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : "";
}

std::string MetaString(const rapidjson::Value& object, absl::string_view name) {
  const rapidjson::Value* meta = Member(object, "metadata");
  return meta == nullptr ? "" : StringAt(*meta, name);
}

rapidjson::Value Str(absl::string_view s, JsonAlloc& alloc) {
  return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), alloc);
}

void SetMember(rapidjson::Value& object, absl::string_view name, rapidjson::Value value,
               JsonAlloc& alloc) {
  if (rapidjson::Value* existing = MutableMember(object, name)) {
    *existing = std::move(value);
    return;
  }
  object.AddMember(Str(name, alloc), std::move(value), alloc);
}

void SetString(rapidjson::Value& object, absl::string_view name, absl::string_view value,
               JsonAlloc& alloc) {
  SetMember(object, name, Str(value, alloc), alloc);
}

void RemoveMember(rapidjson::Value& object, absl::string_view name) {
  if (!object.IsObject()) return;
  object.RemoveMember(rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
}

rapidjson::Value& EnsureMetadata(rapidjson::Value& object, JsonAlloc& alloc) {
  rapidjson::Value* meta = MutableMember(object, "metadata");
  if (meta != nullptr && meta->IsObject()) return *meta;
  SetMember(object, "metadata", rapidjson::Value(rapidjson::kObjectType), alloc);
  return *MutableMember(object, "metadata");
}

void CanonicalOrder(rapidjson::Document& object) {
  if (!object.IsObject()) return;
  auto& a = object.GetAllocator();
  rapidjson::Value ordered(rapidjson::kObjectType);
  for (const char* first : {"apiVersion", "kind", "metadata"}) {
    if (rapidjson::Value* v = MutableMember(object, first)) {
      ordered.AddMember(rapidjson::StringRef(first), *v, a);  // moves the value
      RemoveMember(object, first);
    }
  }
  for (auto& m : object.GetObject()) ordered.AddMember(m.name, m.value, a);
  static_cast<rapidjson::Value&>(object).Swap(ordered);
}

std::map<std::string, std::string> LabelsOf(const rapidjson::Value& object) {
  std::map<std::string, std::string> labels;
  const rapidjson::Value* meta = Member(object, "metadata");
  const rapidjson::Value* l = meta == nullptr ? nullptr : Member(*meta, "labels");
  if (l == nullptr || !l->IsObject()) return labels;
  for (const auto& m : l->GetObject()) {
    if (!m.value.IsString()) continue;
    labels.emplace(std::string(m.name.GetString(), m.name.GetStringLength()),
                   std::string(m.value.GetString(), m.value.GetStringLength()));
  }
  return labels;
}

}  // namespace raven::apiserver

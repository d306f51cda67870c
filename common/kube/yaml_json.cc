#include "common/kube/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <cstdint>

#include "absl/strings/numbers.h"
#include "common/kube/yaml_error.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace raven::kube::yaml {
namespace {

using Allocator = rapidjson::Document::AllocatorType;

void SetScalar(const YAML::Node& node, rapidjson::Value& out, Allocator& a) {
  const std::string& s = node.Scalar();
  // yaml-cpp tags plain scalars "?"; quoted and block scalars "!".
  bool plain = node.Tag() == "?";
  int64_t i;
  double d;
  if (plain && (s == "true" || s == "false")) {
    out.SetBool(s == "true");
  } else if (plain && absl::SimpleAtoi(s, &i)) {
    out.SetInt64(i);
  } else if (plain && absl::SimpleAtod(s, &d) &&
             s.find_first_not_of("0123456789.eE+-") == std::string::npos) {
    out.SetDouble(d);
  } else {
    out.SetString(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
  }
}

void NodeToJson(const YAML::Node& node, rapidjson::Value& out, Allocator& a) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      SetScalar(node, out, a);
      return;
    case YAML::NodeType::Sequence:
      out.SetArray();
      for (const YAML::Node& item : node) {
        rapidjson::Value v;
        NodeToJson(item, v, a);
        out.PushBack(v, a);
      }
      return;
    case YAML::NodeType::Map:
      out.SetObject();
      for (const auto& member : node) {
        // JSON keys are strings: "1: x" keys "1" (a complex key would be "").
        const std::string& k = member.first.Scalar();
        rapidjson::Value key(k.data(), static_cast<rapidjson::SizeType>(k.size()), a);
        rapidjson::Value v;
        NodeToJson(member.second, v, a);
        out.AddMember(key, v, a);
      }
      return;
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      out.SetNull();
      return;
  }
}

}  // namespace

absl::StatusOr<std::string> ToJson(absl::string_view yaml) {
  rapidjson::Document doc;
  try {
    NodeToJson(YAML::Load(std::string(yaml)), doc, doc.GetAllocator());
  } catch (const YAML::Exception& e) {
    return ErrorStatus(e);
  }
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
  doc.Accept(writer);
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace raven::kube::yaml

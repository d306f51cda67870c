#include "common/kube/yaml_lite.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/kube/yaml_parser.h"
#include "common/status_macros.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace raven::kube::yaml {

const Node* Node::Find(absl::string_view key) const {
  for (const Member& m : members) {
    if (m.key == key) return &m.value;
  }
  return nullptr;
}

absl::StatusOr<Node> Parse(absl::string_view text) { return internal::Parser(text).Run(); }

absl::StatusOr<bool> ScalarToBool(const Node& node) {
  if (node.IsScalar() && !node.quoted) {
    std::string v = absl::AsciiStrToLower(node.scalar);
    if (v == "true" || v == "yes" || v == "on") return true;
    if (v == "false" || v == "no" || v == "off") return false;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("line ", node.line, ": expected a boolean (true or false)"));
}

const char* KindName(Node::Kind kind) {
  switch (kind) {
    case Node::Kind::kNull:
      return "null";
    case Node::Kind::kScalar:
      return "a scalar";
    case Node::Kind::kSequence:
      return "a sequence";
    case Node::Kind::kMapping:
      return "a mapping";
  }
  return "?";
}

namespace {

void NodeToJson(const Node& node, rapidjson::Value& out, rapidjson::Document::AllocatorType& a) {
  switch (node.kind) {
    case Node::Kind::kNull:
      out.SetNull();
      return;
    case Node::Kind::kScalar: {
      int64_t i;
      double d;
      if (!node.quoted && (node.scalar == "true" || node.scalar == "false")) {
        out.SetBool(node.scalar == "true");
      } else if (!node.quoted && absl::SimpleAtoi(node.scalar, &i)) {
        out.SetInt64(i);
      } else if (!node.quoted && absl::SimpleAtod(node.scalar, &d) &&
                 node.scalar.find_first_not_of("0123456789.eE+-") == std::string::npos) {
        out.SetDouble(d);
      } else {
        out.SetString(node.scalar.data(), static_cast<rapidjson::SizeType>(node.scalar.size()), a);
      }
      return;
    }
    case Node::Kind::kSequence:
      out.SetArray();
      for (const Node& item : node.items) {
        rapidjson::Value v;
        NodeToJson(item, v, a);
        out.PushBack(v, a);
      }
      return;
    case Node::Kind::kMapping:
      out.SetObject();
      for (const Node::Member& m : node.members) {
        rapidjson::Value v;
        NodeToJson(m.value, v, a);
        out.AddMember(
            rapidjson::Value(m.key.data(), static_cast<rapidjson::SizeType>(m.key.size()), a), v,
            a);
      }
      return;
  }
}

}  // namespace

absl::StatusOr<std::string> ToJson(absl::string_view yaml) {
  ASSIGN_OR_RETURN(Node root, Parse(yaml));
  rapidjson::Document doc;
  NodeToJson(root, doc, doc.GetAllocator());
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
  doc.Accept(writer);
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace raven::kube::yaml

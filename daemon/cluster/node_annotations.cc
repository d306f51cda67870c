#include "daemon/cluster/node_annotations.h"

#include "common/status_macros.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace raven {

std::string AnnotationsMergePatch(const std::map<std::string, std::string>& annotations) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  rapidjson::Value values(rapidjson::kObjectType);
  for (const auto& [key, value] : annotations) {
    values.AddMember(
        rapidjson::Value(key.data(), static_cast<rapidjson::SizeType>(key.size()), a),
        rapidjson::Value(value.data(), static_cast<rapidjson::SizeType>(value.size()), a), a);
  }
  rapidjson::Value metadata(rapidjson::kObjectType);
  metadata.AddMember("annotations", values, a);
  doc.AddMember("metadata", metadata, a);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  doc.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

absl::StatusOr<bool> PublishNodeAnnotations(kube::ResourceClient<kube::Node>& nodes,
                                            const std::string& node_name,
                                            const std::map<std::string, std::string>& annotations) {
  ASSIGN_OR_RETURN(kube::Node node, nodes.Get(node_name));
  bool current = true;
  for (const auto& [key, value] : annotations) {
    auto it = node.meta.annotations.find(key);
    if (it == node.meta.annotations.end() || it->second != value) current = false;
  }
  if (current) return false;
  RETURN_IF_ERROR(nodes.MergePatch(node_name, AnnotationsMergePatch(annotations)).status());
  return true;
}

}  // namespace raven

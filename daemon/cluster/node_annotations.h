// Publishes what the elector needs from this node's agent (its WireGuard
// public key and listen port) as annotations on its Node, with a merge patch
// that touches nothing else, and only when they differ.
#ifndef RAVEN_DAEMON_CLUSTER_NODE_ANNOTATIONS_H_
#define RAVEN_DAEMON_CLUSTER_NODE_ANNOTATIONS_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "common/kube/resource_client.h"
#include "common/kube/resources/node.h"

namespace raven {

// The merge patch that sets `annotations` on an object.
std::string AnnotationsMergePatch(const std::map<std::string, std::string>& annotations);

// Returns whether a patch was needed. NotFound when the Node does not exist.
absl::StatusOr<bool> PublishNodeAnnotations(kube::ResourceClient<kube::Node>& nodes,
                                            const std::string& node_name,
                                            const std::map<std::string, std::string>& annotations);

}  // namespace raven

#endif  // RAVEN_DAEMON_CLUSTER_NODE_ANNOTATIONS_H_

#include "controller/path_report.h"

#include "absl/strings/str_cat.h"
#include "common/raven_annotations.h"

namespace raven::controller {

std::vector<kube::GatewayPath> PublishedPaths(const std::string& gateway,
                                              const std::vector<kube::GatewayEndpoint>& active,
                                              const std::map<std::string, NodeView>& nodes,
                                              std::vector<std::string>& problems) {
  std::vector<kube::GatewayPath> out;
  for (const kube::GatewayEndpoint& ep : active) {
    if (ep.type != kube::EndpointType::kTunnel) continue;
    auto node = nodes.find(ep.node_name);
    if (node == nodes.end()) continue;
    auto annotation = node->second.annotations.find(kPathsAnnotation);
    if (annotation == node->second.annotations.end()) continue;
    absl::StatusOr<std::vector<kube::GatewayPath>> paths =
        kube::ParsePathsAnnotation(annotation->second);
    if (!paths.ok()) {
      problems.push_back(absl::StrCat("node ", ep.node_name, ": annotation ", kPathsAnnotation,
                                      ": ", paths.status().message()));
      continue;
    }
    for (kube::GatewayPath& p : *paths) {  // sorted by gateway (parsed in order; written sorted)
      if (p.gateway == gateway) continue;
      p.node_name = ep.node_name;
      out.push_back(std::move(p));
    }
  }
  return out;
}

std::vector<PathChange> PathChanges(const std::vector<kube::GatewayPath>& before,
                                    const std::vector<kube::GatewayPath>& after) {
  std::map<std::pair<std::string, std::string>, const kube::GatewayPath*> old;
  for (const kube::GatewayPath& p : before) old[{p.node_name, p.gateway}] = &p;
  std::vector<PathChange> out;
  for (const kube::GatewayPath& p : after) {
    auto it = old.find({p.node_name, p.gateway});
    if (it == old.end()) {
      if (p.path == kube::PathKind::kNone) out.push_back({p, std::nullopt});
    } else if (!it->second->SamePath(p)) {
      out.push_back({p, *it->second});
    }
  }
  return out;
}

std::string DescribePath(const kube::GatewayPath& path) {
  switch (path.path) {
    case kube::PathKind::kDirect:
      return "directly";
    case kube::PathKind::kHolePunched:
      return "directly, through both NATs (hole punched)";
    case kube::PathKind::kRelay:
      return absl::StrCat("through the NAT relay of Gateway ", path.via);
    case kube::PathKind::kNone:
      break;
  }
  return "by no path (both behind NAT without a public address, and no NAT relay up)";
}

namespace {

std::string Described(const kube::GatewayPath& path) {
  if (path.reason == kube::kReasonDetour) {
    return absl::StrCat(DescribePath(path),
                        " (a detour: the direct path is down or clearly worse)");
  }
  return path.reason.empty() ? DescribePath(path)
                             : absl::StrCat(DescribePath(path),
                                            " (the endpoint it publishes never "
                                            "answered)");
}

}  // namespace

std::string PathChangeMessage(const PathChange& change) {
  return absl::StrCat("node ", change.now.node_name, " reaches Gateway ", change.now.gateway, " ",
                      Described(change.now),
                      change.before ? "; before: " + Described(*change.before) : "");
}

}  // namespace raven::controller

// The paths between pools in the Gateway status (status.paths) and the
// Events about them: each active tunnel endpoint's agent publishes its path
// to every other Gateway in a Node annotation (kPathsAnnotation); the
// controller copies the checked entries and reports changes.
#ifndef RAVEN_CONTROLLER_PATH_REPORT_H_
#define RAVEN_CONTROLLER_PATH_REPORT_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/kube/resources/gateway.h"
#include "controller/election.h"

namespace raven::controller {

// status.paths for `gateway` whose election chose `active`: the paths of
// its active tunnel endpoints in their order (then by remote Gateway),
// without entries naming `gateway` itself. An annotation that does not
// parse gives none, and why goes to `problems` ("node b1: ...").
std::vector<kube::GatewayPath> PublishedPaths(const std::string& gateway,
                                              const std::vector<kube::GatewayEndpoint>& active,
                                              const std::map<std::string, NodeView>& nodes,
                                              std::vector<std::string>& problems);

struct PathChange {
  kube::GatewayPath now;
  std::optional<kube::GatewayPath> before;  // none: a first report
};

// Entries of `after` whose (node, gateway) had another path in `before`,
// and first reports of no path at all (a pair that starts without one is
// worth a warning; a first Direct is not worth an Event).
std::vector<PathChange> PathChanges(const std::vector<kube::GatewayPath>& before,
                                    const std::vector<kube::GatewayPath>& after);

// "directly, through both NATs (hole punched)", "through the NAT relay of
// Gateway gw-cloud", "directly", "by no path".
std::string DescribePath(const kube::GatewayPath& path);
// The Event message of a change: "node b1 reaches Gateway gw-edge-a directly,
// through both NATs (hole punched); before: through the NAT relay of Gateway
// gw-cloud".
std::string PathChangeMessage(const PathChange& change);

}  // namespace raven::controller

#endif  // RAVEN_CONTROLLER_PATH_REPORT_H_

// raven-agent --cleanup: removes everything the agent creates on a node.
#ifndef RAVEN_DAEMON_CLEANUP_H_
#define RAVEN_DAEMON_CLEANUP_H_

#include "absl/status/status.h"
#include "daemon/agent_config.h"

namespace raven {

// Detaches our TC filters from every interface (and removes clsact qdiscs we
// created), deletes the WireGuard and VXLAN devices, and unpins the maps and
// programs. Keeps the private key, the node's identity. Goes on past
// individual failures and reports the first.
absl::Status CleanupNode(const AgentConfig& config);

}  // namespace raven

#endif  // RAVEN_DAEMON_CLEANUP_H_

// Starting and stopping wireguard-go processes.
//
// `wireguard-go <name>` daemonizes itself: the process we start creates the
// TUN device and the listening UAPI socket, re-executes itself in the
// background with both descriptors, and exits 0 (or prints "ERROR: ..." to
// stdout and exits 1). The background copy keeps the same argv and the
// session of the process that started it, so we start wireguard-go in a new
// session: it then survives the agent being killed, even by a process-group
// kill. It exits by itself when its TUN link is deleted or its socket file
// is removed.
#ifndef RAVEN_DAEMON_WIREGUARD_WIREGUARD_GO_H_
#define RAVEN_DAEMON_WIREGUARD_WIREGUARD_GO_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace raven::wg {

// Runs `binary name` (in the calling thread's network namespace) and waits
// for the launcher to exit. Error messages wireguard-go prints are returned
// in the status.
absl::Status LaunchWireGuardGo(const std::string& binary, const std::string& name,
                               absl::Duration timeout);

// Pids of live processes whose argv is exactly {binary, name}.
std::vector<pid_t> FindWireGuardGo(const std::string& binary, const std::string& name);

// Waits until none of `pids` runs any more (zombies count as gone; those
// that are our children are reaped). Returns false on timeout.
bool WaitForExit(const std::vector<pid_t>& pids, absl::Duration timeout);

}  // namespace raven::wg

#endif  // RAVEN_DAEMON_WIREGUARD_WIREGUARD_GO_H_

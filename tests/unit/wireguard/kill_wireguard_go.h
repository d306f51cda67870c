// Cleanup that must run even after a failed test: kills (SIGKILL) any
// wireguard-go still serving `name` and removes its UAPI socket.
#ifndef RAVEN_TESTS_UNIT_WIREGUARD_KILL_WIREGUARD_GO_H_
#define RAVEN_TESTS_UNIT_WIREGUARD_KILL_WIREGUARD_GO_H_

#include <signal.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/wireguard/wireguard_go.h"

namespace raven::wg::test_util {

inline void KillWireGuardGo(const std::string& wireguard_go, const std::string& name) {
  std::vector<pid_t> pids = FindWireGuardGo(wireguard_go, name);
  for (pid_t pid : pids) kill(pid, SIGKILL);
  WaitForExit(pids, absl::Seconds(5));
  unlink(absl::StrCat("/var/run/wireguard/", name, ".sock").c_str());
}

}  // namespace raven::wg::test_util

#endif  // RAVEN_TESTS_UNIT_WIREGUARD_KILL_WIREGUARD_GO_H_

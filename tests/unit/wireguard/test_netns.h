// Test helpers: a named network namespace the calling thread works in, and a
// command runner that logs what it runs (the netns.sh `pp` helper).
#ifndef RAVEN_TESTS_UNIT_WIREGUARD_TEST_NETNS_H_
#define RAVEN_TESTS_UNIT_WIREGUARD_TEST_NETNS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace raven::wg::test_util {

// `ip netns add <name>`, then moves the calling thread into it (children it
// spawns inherit it). The destructor moves the thread back and runs
// `ip netns del`. The root namespace's network configuration is never
// touched.
class ScopedNetns {
 public:
  static absl::StatusOr<std::unique_ptr<ScopedNetns>> Create(const std::string& name);
  ~ScopedNetns();
  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;
  const std::string& name() const { return name_; }

 private:
  ScopedNetns(std::string name, int original) : name_(std::move(name)), original_(original) {}
  std::string name_;
  int original_;
};

// Runs argv (PATH lookup) in the calling thread's namespace, logging the
// command; returns its exit status and, when `output` is set, its stdout.
int Run(const std::vector<std::string>& argv, std::string* output = nullptr);

// Kills (SIGKILL) any wireguard-go still serving `name` and removes its
// socket: cleanup that must run even after a failed test.
void KillWireGuardGo(const std::string& wireguard_go, const std::string& name);

}  // namespace raven::wg::test_util

#endif  // RAVEN_TESTS_UNIT_WIREGUARD_TEST_NETNS_H_

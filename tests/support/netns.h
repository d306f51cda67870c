// Network namespaces for tests: the test thread works in a fresh, anonymous
// namespace (unshare(CLONE_NEWNET)) and moves back when done, after which the
// kernel frees the namespace and everything created in it (once no process
// spawned into it is left). The root namespace is never touched. Children the
// thread spawns (ip, wg, wireguard-go) inherit its namespace.
#ifndef RAVEN_TESTS_SUPPORT_NETNS_H_
#define RAVEN_TESTS_SUPPORT_NETNS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/fd.h"
#include "gtest/gtest.h"

namespace raven::test_support {

// Moves the calling thread into a new network namespace; the destructor moves
// it back (and aborts if it cannot: later tests would run in the wrong one).
class ScopedNetns {
 public:
  static absl::StatusOr<std::unique_ptr<ScopedNetns>> Create();
  ~ScopedNetns();
  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;

 private:
  explicit ScopedNetns(Fd original) : original_(std::move(original)) {}
  Fd original_;
};

// Runs `command` through /bin/sh in the calling thread's namespace; a leading
// "ip " means the iproute2 binary, whatever PATH says. Logs the command and its
// exit status, returns the exit status (-1 if it did not exit) and, when
// `output` is set, its standard output.
int Run(const std::string& command, std::string* output = nullptr);

// A fixture whose test body runs in a namespace of its own (root needed; skips
// otherwise). SetUp fails fatally rather than run the body in the root one.
class NetnsTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  static int Run(const std::string& command) { return test_support::Run(command); }
  // Standard output of `command` ("" if it failed).
  static std::string Output(const std::string& command);

 private:
  std::unique_ptr<ScopedNetns> netns_;
};

}  // namespace raven::test_support

#endif  // RAVEN_TESTS_SUPPORT_NETNS_H_

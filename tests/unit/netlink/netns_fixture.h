// A test fixture whose test body runs in a fresh network namespace: SetUp
// moves the test thread into a new namespace (unshare(CLONE_NEWNET)) and
// TearDown moves it back, after which the kernel frees the namespace and
// everything the test created in it. The root namespace is never touched.
#ifndef RAVEN_TESTS_UNIT_NETLINK_NETNS_FIXTURE_H_
#define RAVEN_TESTS_UNIT_NETLINK_NETNS_FIXTURE_H_

#include <string>

#include "gtest/gtest.h"

namespace raven::nl {

class NetnsTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Runs `command` through /bin/sh in the test's namespace (children inherit
  // the thread's namespace); `ip` expands to the iproute2 binary. Returns the
  // exit status, and logs the command and its status.
  static int Run(const std::string& command);
  // Same, returning standard output ("" if the command failed).
  static std::string Output(const std::string& command);

 private:
  int original_netns_ = -1;
};

}  // namespace raven::nl

#endif  // RAVEN_TESTS_UNIT_NETLINK_NETNS_FIXTURE_H_

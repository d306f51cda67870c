#include "tests/unit/netlink/netns_fixture.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace raven::nl {
namespace {

std::string IpBinary() {
  for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return "ip";
}

// `command` with a leading "ip " pointing at the iproute2 binary, whatever PATH says.
std::string Expand(const std::string& command) {
  static const std::string ip = IpBinary();
  if (command.rfind("ip ", 0) == 0) return absl::StrCat(ip, command.substr(2));
  return command;
}

}  // namespace

void NetnsTest::SetUp() {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to create a network namespace";
  original_netns_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(original_netns_, 0) << "open own netns: " << strerror(errno);
  // Fatal on failure: the test body must never run in the root namespace.
  ASSERT_EQ(unshare(CLONE_NEWNET), 0) << "unshare(CLONE_NEWNET): " << strerror(errno);
}

void NetnsTest::TearDown() {
  if (original_netns_ < 0) return;
  if (setns(original_netns_, CLONE_NEWNET) != 0) {
    // Later tests would run in this namespace; stop rather than mislead.
    std::fprintf(stderr, "setns back to the original netns: %s\n", strerror(errno));
    std::abort();
  }
  close(original_netns_);
  original_netns_ = -1;
}

int NetnsTest::Run(const std::string& command) {
  std::string expanded = Expand(command);
  int status = std::system(expanded.c_str());
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::fprintf(stderr, "+ %s => %d\n", command.c_str(), code);
  return code;
}

std::string NetnsTest::Output(const std::string& command) {
  std::string expanded = Expand(command);
  FILE* pipe = popen(expanded.c_str(), "r");
  if (pipe == nullptr) return "";
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
  int status = pclose(pipe);
  std::fprintf(stderr, "+ %s => %d\n", command.c_str(),
               WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? output : "";
}

}  // namespace raven::nl

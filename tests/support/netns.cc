#include "tests/support/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace raven::test_support {
namespace {

std::string IpBinary() {
  for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return "ip";
}

// `command` with a leading "ip " pointing at the iproute2 binary.
std::string Expand(const std::string& command) {
  static const std::string ip = IpBinary();
  if (command.rfind("ip ", 0) == 0) return absl::StrCat(ip, command.substr(2));
  return command;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ScopedNetns>> ScopedNetns::Create() {
  Fd original(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!original.valid()) return absl::ErrnoToStatus(errno, "open /proc/thread-self/ns/net");
  if (unshare(CLONE_NEWNET) != 0) return absl::ErrnoToStatus(errno, "unshare(CLONE_NEWNET)");
  return std::unique_ptr<ScopedNetns>(new ScopedNetns(std::move(original)));
}

ScopedNetns::~ScopedNetns() {
  if (setns(original_.get(), CLONE_NEWNET) != 0) {
    std::perror("setns back to the original network namespace");
    std::abort();
  }
}

int Run(const std::string& command, std::string* output) {
  FILE* pipe = popen(Expand(command).c_str(), "r");
  if (pipe == nullptr) return -1;
  std::string text;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) text.append(buffer, n);
  int status = pclose(pipe);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::fprintf(stderr, "+ %s => %d\n", command.c_str(), code);
  if (output != nullptr) {
    *output = std::move(text);
  } else {
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  return code;
}

void NetnsTest::SetUp() {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to create a network namespace";
  absl::StatusOr<std::unique_ptr<ScopedNetns>> netns = ScopedNetns::Create();
  ASSERT_TRUE(netns.ok()) << netns.status();
  netns_ = *std::move(netns);
}

void NetnsTest::TearDown() { netns_.reset(); }

std::string NetnsTest::Output(const std::string& command) {
  std::string output;
  return test_support::Run(command, &output) == 0 ? output : "";
}

}  // namespace raven::test_support

#include "tests/unit/wireguard/test_netns.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/wireguard/wireguard_go.h"

extern char** environ;

namespace raven::wg::test_util {

int Run(const std::vector<std::string>& argv, std::string* output) {
  std::fprintf(stderr, "+ %s\n", absl::StrJoin(argv, " ").c_str());
  std::vector<std::string> args = argv;
  std::vector<char*> ptrs;
  for (std::string& arg : args) ptrs.push_back(arg.data());
  ptrs.push_back(nullptr);
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, ptrs[0], &actions, nullptr, ptrs.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  std::string text;
  char buf[4096];
  ssize_t n;
  while (rc == 0 && ((n = read(out[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))) {
    if (n > 0) text.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  if (rc != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (output != nullptr) *output = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

absl::StatusOr<std::unique_ptr<ScopedNetns>> ScopedNetns::Create(const std::string& name) {
  int original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (original < 0) return absl::ErrnoToStatus(errno, "open /proc/thread-self/ns/net");
  if (Run({"ip", "netns", "add", name}) != 0) {
    close(original);
    return absl::InternalError(absl::StrCat("ip netns add ", name, " failed"));
  }
  std::unique_ptr<ScopedNetns> netns(new ScopedNetns(name, original));
  int fd = open(absl::StrCat("/var/run/netns/", name).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("open netns ", name));
  int rc = setns(fd, CLONE_NEWNET);
  int err = errno;
  close(fd);
  if (rc != 0) return absl::ErrnoToStatus(err, absl::StrCat("setns ", name));
  return netns;
}

ScopedNetns::~ScopedNetns() {
  if (setns(original_, CLONE_NEWNET) != 0) std::perror("setns back to the original namespace");
  close(original_);
  Run({"ip", "netns", "del", name_});
}

void KillWireGuardGo(const std::string& wireguard_go, const std::string& name) {
  std::vector<pid_t> pids = FindWireGuardGo(wireguard_go, name);
  for (pid_t pid : pids) kill(pid, SIGKILL);
  WaitForExit(pids, absl::Seconds(5));
  unlink(absl::StrCat("/var/run/wireguard/", name, ".sock").c_str());
}

}  // namespace raven::wg::test_util

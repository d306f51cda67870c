#include "daemon/wireguard/wireguard_go.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/poll.h"

extern char** environ;

namespace raven::wg {
namespace {

constexpr size_t kMaxOutput = 64 << 10;

// Environment for the launcher. LOG_LEVEL would make the daemon inherit our
// pipe as its stdout (we would never see EOF) and the WG_* variables are
// wireguard-go's own daemonizing protocol.
std::vector<std::string> LauncherEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    absl::string_view var(*e);
    if (absl::StartsWith(var, "LOG_LEVEL=") || absl::StartsWith(var, "WG_TUN_FD=") ||
        absl::StartsWith(var, "WG_UAPI_FD=") || absl::StartsWith(var, "WG_PROCESS_FOREGROUND=")) {
      continue;
    }
    env.emplace_back(var);
  }
  return env;
}

// wireguard-go prints "ERROR: (name) date time message" lines to stdout and a
// banner to stderr; keep the former.
std::string ErrorLines(absl::string_view output) {
  std::vector<absl::string_view> errors;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (absl::StartsWith(line, "ERROR:")) errors.push_back(line);
  }
  if (errors.empty()) return "no error message";
  return absl::StrJoin(errors, "; ");
}

// Reads `fd` until EOF or the deadline. Returns false on timeout.
bool ReadUntilEof(int fd, absl::Time deadline, std::string& out) {
  char buf[4096];
  while (true) {
    int wait_ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (wait_ms <= 0) return false;
    pollfd pfd{fd, POLLIN, 0};
    int rc = poll(&pfd, 1, wait_ms);
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) return false;  // timeout or poll failure: the caller kills the launcher
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
    if (out.size() < kMaxOutput) out.append(buf, static_cast<size_t>(n));
  }
}

bool ReadSmallFile(const std::string& path, std::string& out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return n == 0;
}

int CountEntries(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return 0;
  int n = 0;
  while (dirent* entry = readdir(d)) n += entry->d_name[0] != '.';
  closedir(d);
  return n;
}

// A process is gone once it is reaped, or a zombie with no thread left: the
// leader of a Go process turns zombie before its other threads have exited
// and closed the (shared) descriptors, such as the UAPI listener.
bool ProcessGone(pid_t pid) {
  waitpid(pid, nullptr, WNOHANG);  // reaps it if it is our child; harmless otherwise
  std::string proc = absl::StrCat("/proc/", pid);
  std::string stat;
  if (!ReadSmallFile(proc + "/stat", stat)) return true;
  // "pid (comm) S ...": the state follows the last ')'.
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return true;
  char state = stat[paren + 2];
  return (state == 'Z' || state == 'X') && CountEntries(proc + "/task") <= 1;
}

}  // namespace

absl::Status LaunchWireGuardGo(const std::string& binary, const std::string& name,
                               absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return absl::ErrnoToStatus(errno, "pipe2");

  // Everything the child needs is built before spawning.
  std::vector<std::string> env = LauncherEnvironment();
  std::vector<char*> envp;
  for (std::string& var : env) envp.push_back(var.data());
  envp.push_back(nullptr);
  std::string arg0 = binary;
  std::string arg1 = name;
  char* argv[] = {arg0.data(), arg1.data(), nullptr};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out[1], 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // A new session: the daemon must not die with our process group. Clean
  // signal state: ignored or blocked signals would be inherited across exec.
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGHUP, SIGINT, SIGPIPE, SIGTERM, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&attr, &defaults);

  pid_t pid = 0;
  int rc = posix_spawn(&pid, binary.c_str(), &actions, &attr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    return absl::ErrnoToStatus(rc, absl::StrCat("start ", binary));
  }

  std::string output;
  bool finished = ReadUntilEof(out[0], deadline, output);
  close(out[0]);
  if (!finished) kill(pid, SIGKILL);
  int status = 0;
  pid_t waited;
  do {
    waited = waitpid(pid, &status, 0);
  } while (waited < 0 && errno == EINTR);
  if (!finished) {
    return absl::DeadlineExceededError(
        absl::StrCat(binary, " ", name, " did not finish within ", absl::FormatDuration(timeout)));
  }
  // ECHILD: SIGCHLD is ignored and the kernel reaped it; the socket will tell.
  if (waited == pid && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    return absl::InternalError(absl::StrCat(
        binary, " ", name, " failed (", WIFEXITED(status) ? "exit status " : "signal ",
        WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), "): ", ErrorLines(output)));
  }
  return absl::OkStatus();
}

std::vector<pid_t> FindWireGuardGo(const std::string& binary, const std::string& name) {
  std::string want = absl::StrCat(binary, std::string(1, '\0'), name, std::string(1, '\0'));
  std::vector<pid_t> pids;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return pids;
  while (dirent* entry = readdir(proc)) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(entry->d_name, &pid) || pid <= 0) continue;
    std::string cmdline;
    if (ReadSmallFile(absl::StrCat("/proc/", pid, "/cmdline"), cmdline) && cmdline == want &&
        !ProcessGone(pid)) {
      pids.push_back(pid);
    }
  }
  closedir(proc);
  return pids;
}

bool WaitForExit(const std::vector<pid_t>& pids, absl::Duration timeout) {
  return PollUntil(
      [&] {
        for (pid_t pid : pids) {
          if (!ProcessGone(pid)) return false;
        }
        return true;
      },
      timeout, absl::Milliseconds(10));
}

}  // namespace raven::wg

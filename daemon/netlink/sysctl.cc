#include "daemon/netlink/sysctl.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/fd.h"
#include "common/status_macros.h"

namespace raven::nl {
namespace {

absl::StatusOr<std::string> FullPath(const std::string& path) {
  if (path.empty() || absl::StartsWith(path, "/")) {
    return absl::InvalidArgumentError(
        absl::StrCat("sysctl path \"", path, "\" must be relative to /proc/sys"));
  }
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part.empty() || part == "." || part == "..") {
      return absl::InvalidArgumentError(absl::StrCat("malformed sysctl path \"", path, "\""));
    }
  }
  return absl::StrCat("/proc/sys/", path);
}

}  // namespace

absl::Status WriteSysctl(const std::string& path, const std::string& value) {
  ASSIGN_OR_RETURN(std::string full, FullPath(path));
  Fd fd(open(full.c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0) return absl::ErrnoToStatus(errno, absl::StrCat("open ", full));
  // A sysctl takes its value in one write; a short write is an error.
  ssize_t written = write(fd.get(), value.data(), value.size());
  if (written < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("write \"", value, "\" to ", full));
  }
  if (static_cast<size_t>(written) != value.size()) {
    return absl::InternalError(
        absl::StrCat("write \"", value, "\" to ", full, ": short write of ", written, " bytes"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadSysctl(const std::string& path) {
  ASSIGN_OR_RETURN(std::string full, FullPath(path));
  Fd fd(open(full.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return absl::ErrnoToStatus(errno, absl::StrCat("open ", full));
  std::string value;
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fd.get(), buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::ErrnoToStatus(errno, absl::StrCat("read ", full));
    }
    if (n == 0) break;
    value.append(buffer, static_cast<size_t>(n));
  }
  while (!value.empty() && value.back() == '\n') value.pop_back();
  return value;
}

}  // namespace raven::nl

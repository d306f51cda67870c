#include "daemon/gateway_file.h"

#include <errno.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace raven {

absl::StatusOr<std::unique_ptr<FileGatewaySource>> FileGatewaySource::Open(
    const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  Fd fd(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!fd.valid()) return absl::InternalError(absl::StrCat("inotify_init1: ", strerror(errno)));
  // Watch the directory: editors and atomic writers replace the file by rename.
  if (inotify_add_watch(fd.get(), dir.c_str(),
                        IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE) < 0) {
    return absl::InternalError(absl::StrCat("watch ", dir, ": ", strerror(errno)));
  }
  return std::unique_ptr<FileGatewaySource>(
      new FileGatewaySource(std::move(fd), path, std::move(name)));
}

absl::StatusOr<std::vector<kube::DecodedGateway>> FileGatewaySource::Read() {
  std::ifstream in(path_);
  if (!in) return absl::NotFoundError(absl::StrCat("open ", path_, ": ", strerror(errno)));
  std::stringstream text;
  text << in.rdbuf();
  auto decoded = kube::DecodeGatewayDocument(text.str());
  if (!decoded.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": ", decoded.status().message()));
  }
  return decoded;
}

bool FileGatewaySource::Drain() {
  alignas(inotify_event) char buf[4096];
  bool relevant = false;
  for (;;) {
    ssize_t n = read(inotify_fd_.get(), buf, sizeof(buf));
    if (n <= 0) return relevant;
    for (char* p = buf; p < buf + n;) {
      auto* event = reinterpret_cast<inotify_event*>(p);
      if ((event->mask & IN_Q_OVERFLOW) || (event->len && name_ == event->name)) relevant = true;
      p += sizeof(inotify_event) + event->len;
    }
  }
}

}  // namespace raven

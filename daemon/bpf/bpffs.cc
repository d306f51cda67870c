#include "daemon/bpf/bpffs.h"

#include <errno.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "absl/strings/str_cat.h"

namespace raven::bpf {

absl::Status EnsurePinDir(const std::string& dir) {
  size_t slash = dir.find_last_of('/');
  std::string parent = slash == 0 ? "/" : dir.substr(0, slash);
  struct statfs fs {};
  if (statfs(parent.c_str(), &fs) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("pin directory parent ", parent, ": ", strerror(errno)));
  }
  if (static_cast<unsigned long>(fs.f_type) != BPF_FS_MAGIC) {
    return absl::FailedPreconditionError(
        absl::StrCat(parent,
                     " is not a bpf filesystem, so maps cannot be pinned there; mount one with "
                     "`mount -t bpf bpf ",
                     parent, "` (in a DaemonSet: a hostPath volume for /sys/fs/bpf)"));
  }
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::InternalError(absl::StrCat("create ", dir, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace raven::bpf

#include "lab/apiserver/token_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/kube/file_util.h"
#include "common/status_macros.h"

namespace raven::apiserver {

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    std::string msg = absl::StrCat("token file ", path, ": ", std::strerror(err));
    return err == ENOENT ? absl::NotFoundError(msg) : absl::PermissionDeniedError(msg);
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrFormat("token file %s has mode %04o: it must not be accessible to group or "
                        "others (chmod 600 it)",
                        path, st.st_mode & 07777));
  }
  ASSIGN_OR_RETURN(std::string token, kube::ReadFileBounded(path, 4096));
  absl::string_view trimmed = token;
  if (!absl::ConsumeSuffix(&trimmed, "\r\n")) absl::ConsumeSuffix(&trimmed, "\n");
  if (trimmed.empty())
    return absl::InvalidArgumentError(absl::StrCat("token file ", path, " is empty"));
  return std::string(trimmed);
}

}  // namespace raven::apiserver

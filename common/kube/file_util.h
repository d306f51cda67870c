// Bounded whole-file reads for credentials and configuration.
#ifndef RAVEN_COMMON_KUBE_FILE_UTIL_H_
#define RAVEN_COMMON_KUBE_FILE_UTIL_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace raven::kube {

// Reads a regular file of at most max_bytes. Errors name the path:
// NotFound when it does not exist, InvalidArgument when it is too large or
// not a regular file (a FIFO or a device is never read).
absl::StatusOr<std::string> ReadFileBounded(const std::string& path, size_t max_bytes = 4 << 20);

bool FileExists(const std::string& path);

// The directory part of a path ("." for a bare file name).
std::string DirName(absl::string_view path);

// `path` when absolute or when base_dir is empty, else base_dir/path.
std::string ResolvePath(absl::string_view base_dir, absl::string_view path);

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_FILE_UTIL_H_

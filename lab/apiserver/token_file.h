// The API server's bearer token from a file (--token-file), so that it is not
// on the command line, where every user can read it (ps, /proc/PID/cmdline).
#ifndef RAVEN_LAB_APISERVER_TOKEN_FILE_H_
#define RAVEN_LAB_APISERVER_TOKEN_FILE_H_

#include <string>

#include "absl/status/statusor.h"

namespace raven::apiserver {

// The token in `path`, without its trailing newline. Fails (naming the path)
// when the file cannot be read, is empty, or is accessible to its group or to
// others (mode & 077): the secret must be 0600 or stricter.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

}  // namespace raven::apiserver

#endif  // RAVEN_LAB_APISERVER_TOKEN_FILE_H_

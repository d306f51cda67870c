// The node's WireGuard private key, persisted so that a restart keeps the key
// (and with it the public key other nodes know us by).
#ifndef RAVEN_DAEMON_WIREGUARD_KEY_FILE_H_
#define RAVEN_DAEMON_WIREGUARD_KEY_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "daemon/wireguard/keys.h"

namespace raven::wg {

// Loads the base64 private key stored at `path` (one line, as `wg genkey`
// writes it). The file must be a regular file owned by the effective user with
// no group/other permission bits (0600 or 0400), else it is refused. When the
// file is missing, a new key is generated and written atomically: a 0600 temp
// file in the same directory, fsync, rename without replacing (a key written
// concurrently by someone else wins and is loaded), fsync of the directory.
// The directory must exist.
absl::StatusOr<KeyPair> LoadOrCreateKeyFile(const std::string& path);

}  // namespace raven::wg

#endif  // RAVEN_DAEMON_WIREGUARD_KEY_FILE_H_

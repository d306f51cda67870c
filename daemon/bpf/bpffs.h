// The pin directory must live on a bpf filesystem, or pins vanish with the
// process (or fail); this checks that and creates the directory.
#ifndef RAVEN_DAEMON_BPF_BPFFS_H_
#define RAVEN_DAEMON_BPF_BPFFS_H_

#include <string>

#include "absl/status/status.h"

namespace raven::bpf {

absl::Status EnsurePinDir(const std::string& dir);

}  // namespace raven::bpf

#endif  // RAVEN_DAEMON_BPF_BPFFS_H_

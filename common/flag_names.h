// Lets binaries take --node-name as well as --node_name: Abseil flags use
// underscores, Kubernetes manifests and kubectl habits use dashes.
#ifndef RAVEN_COMMON_FLAG_NAMES_H_
#define RAVEN_COMMON_FLAG_NAMES_H_

#include <string>
#include <vector>

namespace raven {

// Returns argv with dashes in flag names (not values) turned into
// underscores; storage owns the strings the result points into.
std::vector<char*> NormalizeFlagNames(int argc, char** argv, std::vector<std::string>& storage);

}  // namespace raven

#endif  // RAVEN_COMMON_FLAG_NAMES_H_

// Command-line handling shared by the project's binaries (flags live in each
// binary's main.cc):
//
//   int main(int argc, char** argv) {
//     raven::ParseFlags(argc, argv, "What it is. Usage: prog --a=X [flags]");
//
// Names take dashes as well as underscores (--node-name, --node_name): Abseil
// flags use underscores, Kubernetes manifests and kubectl habits use dashes.
// --help (-help, -h) prints the usage line and every flag of main.cc with its
// meaning and default, under its dashed name, and exits 0; Abseil's own
// --help exits 1 and, by default, lists only flags of a file named after the
// program. --helpfull adds Abseil's own flags.
#ifndef RAVEN_COMMON_FLAG_NAMES_H_
#define RAVEN_COMMON_FLAG_NAMES_H_

#include "absl/strings/string_view.h"

namespace raven {

// Parses argv into the flags; exits (as Abseil does) on a bad flag and on the
// help flags.
void ParseFlags(int argc, char** argv, absl::string_view usage);

}  // namespace raven

#endif  // RAVEN_COMMON_FLAG_NAMES_H_

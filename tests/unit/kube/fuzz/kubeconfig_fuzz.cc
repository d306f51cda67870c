// libFuzzer target: the kubeconfig reader on arbitrary input. Nothing may
// crash, hang or leak, and no yaml-cpp exception may escape (one that did
// would end the process).
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "common/kube/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  // Relative paths resolve under a directory that does not exist, so no
  // file is ever read.
  (void)raven::kube::ParseKubeconfig(text, "/nonexistent-fuzz-dir");
  return 0;
}

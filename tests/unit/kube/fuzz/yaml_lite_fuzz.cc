// libFuzzer target: yaml_lite::Parse, the YAML→JSON conversion and the
// kubeconfig reader on arbitrary input. Nothing may crash, hang or leak;
// whatever parses must convert.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "common/kube/config.h"
#include "common/kube/yaml_lite.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<raven::kube::yaml::Node> node = raven::kube::yaml::Parse(text);
  absl::StatusOr<std::string> json = raven::kube::yaml::ToJson(text);
  if (node.ok() != json.ok()) std::abort();
  // Relative paths resolve under a directory that does not exist, so no
  // file is ever read.
  (void)raven::kube::ParseKubeconfig(text, "/nonexistent-fuzz-dir");
  return 0;
}

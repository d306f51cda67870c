#include "tests/bpf/probe.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>

#include "absl/strings/str_cat.h"

namespace raven::bpf::testing {

absl::StatusOr<ProbeSkeleton> LoadProbe() {
  ProbeSkeleton skel(tunnel_key_probe__open());
  if (!skel) return absl::InternalError(absl::StrCat("open probe: ", strerror(errno)));
  skel->rodata->vxlan_vni = kProbeVni;
  bpf_map* map;
  bpf_object__for_each_map(map, skel->obj) {
    // The dataplane maps are declared pinned by name; never touch /sys/fs/bpf.
    if (int err = bpf_map__set_pin_path(map, nullptr)) {
      return absl::InternalError(absl::StrCat("unpin probe map: ", strerror(-err)));
    }
  }
  if (int err = tunnel_key_probe__load(skel.get())) {
    return absl::InternalError(absl::StrCat("load probe: ", strerror(-err)));
  }
  return skel;
}

}  // namespace raven::bpf::testing

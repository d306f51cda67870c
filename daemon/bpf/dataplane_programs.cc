#include "daemon/bpf/dataplane_programs.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "daemon/bpf/abi_check.h"
#include "raven_tc.skel.h"

namespace raven::bpf {
namespace {

absl::Status Errno(absl::string_view what, int err) {
  return absl::InternalError(absl::StrCat(what, ": ", strerror(err < 0 ? -err : err)));
}

absl::Status PinProgram(bpf_program* prog, const std::string& path) {
  // A previous agent's pin holds the program it loaded; replace it with ours.
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return Errno("unlink " + path, errno);
  int err = bpf_program__pin(prog, path.c_str());
  return err ? Errno("pin program at " + path, err) : absl::OkStatus();
}

absl::Status Unpin(const std::string& dir, absl::Span<const char* const> names) {
  for (const char* name : names) {
    std::string path = absl::StrCat(dir, "/", name);
    if (unlink(path.c_str()) != 0 && errno != ENOENT) return Errno("unlink " + path, errno);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<DataplanePrograms>> DataplanePrograms::Load(
    const ProgramOptions& options) {
  LIBBPF_OPTS(bpf_object_open_opts, open_opts);
  if (!options.pin_dir.empty()) open_opts.pin_root_path = options.pin_dir.c_str();
  raven_tc* skel = raven_tc__open_opts(&open_opts);
  if (skel == nullptr) return Errno("open BPF skeleton", errno);
  std::unique_ptr<DataplanePrograms> programs(new DataplanePrograms(skel));

  skel->rodata->wireguard_port = options.wireguard_port;
  skel->rodata->vxlan_port = options.vxlan_port;
  skel->rodata->vxlan_vni = options.vxlan_vni;
  skel->rodata->tunnel_mark = options.tunnel_mark;
  if (options.pin_dir.empty()) {
    bpf_map* map;
    bpf_object__for_each_map(map, skel->obj) {
      if (int err = bpf_map__set_pin_path(map, nullptr)) return Errno("unpin map", err);
    }
  }
  if (int err = raven_tc__load(skel)) {
    return Errno(absl::StrCat("load BPF programs (pinned maps in ",
                              options.pin_dir.empty() ? "<none>" : options.pin_dir,
                              " reused when compatible)"),
                 err);
  }
  if (!options.pin_dir.empty()) {
    RETURN_IF_ERROR(programs->PinPrograms(options.pin_dir));
    RETURN_IF_ERROR(Unpin(options.pin_dir, kRetiredPins));
  }
  return programs;
}

DataplanePrograms::~DataplanePrograms() { raven_tc__destroy(skel_); }

absl::Status DataplanePrograms::PinPrograms(const std::string& dir) {
  RETURN_IF_ERROR(PinProgram(skel_->progs.raven_pod_ingress, dir + "/" + kPodIngressProgPin));
  RETURN_IF_ERROR(PinProgram(skel_->progs.raven_host_egress, dir + "/" + kHostEgressProgPin));
  return PinProgram(skel_->progs.raven_relay_ingress, dir + "/" + kRelayIngressProgPin);
}

int DataplanePrograms::pod_ingress_fd() const {
  return bpf_program__fd(skel_->progs.raven_pod_ingress);
}
int DataplanePrograms::host_egress_fd() const {
  return bpf_program__fd(skel_->progs.raven_host_egress);
}
int DataplanePrograms::relay_ingress_fd() const {
  return bpf_program__fd(skel_->progs.raven_relay_ingress);
}
int DataplanePrograms::routes4_fd() const { return bpf_map__fd(skel_->maps.raven_routes4_v1); }
int DataplanePrograms::routes6_fd() const { return bpf_map__fd(skel_->maps.raven_routes6_v1); }
int DataplanePrograms::peer_stats_fd() const {
  return bpf_map__fd(skel_->maps.raven_peer_stats_v1);
}
int DataplanePrograms::drops_fd() const { return bpf_map__fd(skel_->maps.raven_drops_v2); }
int DataplanePrograms::relay_members_fd() const {
  return bpf_map__fd(skel_->maps.raven_relay_members_v1);
}

absl::Status UnpinAll(const std::string& dir) {
  RETURN_IF_ERROR(Unpin(dir, {RAVEN_MAP_ROUTES_V4, RAVEN_MAP_ROUTES_V6, RAVEN_MAP_PEER_STATS,
                              RAVEN_MAP_DROPS, RAVEN_MAP_RELAY_MEMBERS, kPodIngressProgPin,
                              kHostEgressProgPin, kRelayIngressProgPin}));
  RETURN_IF_ERROR(Unpin(dir, kRetiredPins));
  if (rmdir(dir.c_str()) != 0 && errno != ENOENT && errno != ENOTEMPTY) {
    return Errno("rmdir " + dir, errno);
  }
  return absl::OkStatus();
}

}  // namespace raven::bpf

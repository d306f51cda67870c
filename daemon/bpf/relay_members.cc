#include "daemon/bpf/relay_members.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/bpf/node_key.h"

namespace raven::bpf {

absl::StatusOr<std::set<IpAddress>> BpfRelayMembers::Dump() const {
  std::set<IpAddress> out;
  raven_node_key key{}, next{};
  const void* prev = nullptr;
  while (bpf_map_get_next_key(fd_, prev, &next) == 0) {
    out.insert(DecodeNodeKey(next));
    key = next;
    prev = &key;
  }
  if (errno != ENOENT) {
    return absl::InternalError(absl::StrCat("iterate relay members: ", strerror(errno)));
  }
  return out;
}

absl::Status BpfRelayMembers::Add(const IpAddress& member) {
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return absl::InternalError("cannot count possible CPUs");
  raven_node_key key = EncodeNodeKey(member);
  std::vector<raven_traffic> zero(cpus);
  if (bpf_map_update_elem(fd_, &key, zero.data(), BPF_NOEXIST) != 0 && errno != EEXIST) {
    return absl::InternalError(
        absl::StrCat("add relay member ", member.ToString(), ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status BpfRelayMembers::Remove(const IpAddress& member) {
  raven_node_key key = EncodeNodeKey(member);
  if (bpf_map_delete_elem(fd_, &key) != 0 && errno != ENOENT) {
    return absl::InternalError(
        absl::StrCat("remove relay member ", member.ToString(), ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace raven::bpf

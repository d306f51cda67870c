#include "daemon/bpf/tc_attach.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <net/if.h>
#include <string.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace raven::bpf {
namespace {

absl::Status Errno(absl::string_view what, int err) {
  return absl::InternalError(absl::StrCat(what, ": ", strerror(err < 0 ? -err : err)));
}

absl::StatusOr<int> IfIndexOf(const std::string& ifname) {
  unsigned index = if_nametoindex(ifname.c_str());
  if (index == 0) return absl::NotFoundError(absl::StrCat("no interface ", ifname));
  return static_cast<int>(index);
}

bpf_tc_attach_point AttachPoint(TcDirection direction) {
  return direction == TcDirection::kIngress ? BPF_TC_INGRESS : BPF_TC_EGRESS;
}

const char* Name(TcDirection direction) {
  return direction == TcDirection::kIngress ? "ingress" : "egress";
}

}  // namespace

TcAttacher::TcAttacher(std::string state_file) : state_file_(std::move(state_file)) {
  if (absl::Status st = LoadState(); !st.ok()) {
    RAVEN_LOG(kWarning, "tc state: ", st.message(), "; clsact qdiscs made earlier will be kept");
  }
}

absl::Status TcAttacher::LoadState() {
  std::ifstream in(state_file_);
  if (!in) return absl::OkStatus();  // first start
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string name;
    int ifindex = 0;  // 0: a line of an older agent, without the index
    if (fields >> name) {
      fields >> ifindex;
      created_hooks_[name] = ifindex;
    }
  }
  return in.bad() ? absl::InternalError("read " + state_file_) : absl::OkStatus();
}

absl::Status TcAttacher::SaveState() const {
  std::string tmp = state_file_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    for (const auto& [name, ifindex] : created_hooks_) out << name << " " << ifindex << "\n";
    if (!out.flush()) return absl::InternalError("write " + tmp);
  }
  if (rename(tmp.c_str(), state_file_.c_str()) != 0) return Errno("rename " + tmp, errno);
  return absl::OkStatus();
}

absl::Status TcAttacher::Attach(const std::string& ifname, TcDirection direction, int prog_fd) {
  ASSIGN_OR_RETURN(int ifindex, IfIndexOf(ifname));
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = AttachPoint(direction));
  int err = bpf_tc_hook_create(&hook);
  if (err == 0) {
    auto [it, added] = created_hooks_.try_emplace(ifname, ifindex);
    if (added || it->second != ifindex) {
      it->second = ifindex;
      RETURN_IF_ERROR(SaveState());
    }
  } else if (err != -EEXIST) {  // EEXIST: the clsact qdisc is already there, maybe not ours
    return Errno(absl::StrCat("create clsact on ", ifname), err);
  }
  LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE, .handle = kTcHandle,
              .priority = kTcPriority);
  err = bpf_tc_attach(&hook, &opts);
  if (err) return Errno(absl::StrCat("attach tc ", Name(direction), " program to ", ifname), err);
  return absl::OkStatus();
}

absl::Status TcAttacher::Detach(const std::string& ifname, TcDirection direction) {
  ASSIGN_OR_RETURN(int ifindex, IfIndexOf(ifname));
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = AttachPoint(direction));
  LIBBPF_OPTS(bpf_tc_opts, opts, .handle = kTcHandle, .priority = kTcPriority);
  int err = bpf_tc_detach(&hook, &opts);
  if (err == -ENOENT || err == -EINVAL) {
    return absl::NotFoundError(absl::StrCat("no raven ", Name(direction), " filter on ", ifname));
  }
  if (err) return Errno(absl::StrCat("detach tc ", Name(direction), " from ", ifname), err);
  return absl::OkStatus();
}

absl::Status TcAttacher::DetachAll(const std::string& ifname) {
  for (TcDirection direction : {TcDirection::kIngress, TcDirection::kEgress}) {
    absl::Status st = Detach(ifname, direction);
    if (!st.ok() && !absl::IsNotFound(st)) return st;
  }
  auto created = created_hooks_.find(ifname);
  if (created == created_hooks_.end()) return absl::OkStatus();
  ASSIGN_OR_RETURN(int ifindex, IfIndexOf(ifname));
  if (created->second != 0 && created->second != ifindex) {
    // The link we made it on is gone; this one's clsact is somebody else's.
    created_hooks_.erase(created);
    return SaveState();
  }
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
              .attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS));
  int err = bpf_tc_hook_destroy(&hook);
  if (err && err != -ENOENT) return Errno(absl::StrCat("remove clsact from ", ifname), err);
  created_hooks_.erase(ifname);
  return SaveState();
}

absl::StatusOr<uint32_t> TcAttacher::AttachedProgramId(const std::string& ifname,
                                                       TcDirection direction) {
  ASSIGN_OR_RETURN(int ifindex, IfIndexOf(ifname));
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = AttachPoint(direction));
  LIBBPF_OPTS(bpf_tc_opts, opts, .handle = kTcHandle, .priority = kTcPriority);
  int err = bpf_tc_query(&hook, &opts);
  if (err) {
    return absl::NotFoundError(
        absl::StrCat("no raven ", Name(direction), " filter on ", ifname, ": ", strerror(-err)));
  }
  return opts.prog_id;
}

absl::StatusOr<uint32_t> ProgramId(int prog_fd) {
  bpf_prog_info info{};
  uint32_t len = sizeof(info);
  if (int err = bpf_obj_get_info_by_fd(prog_fd, &info, &len)) return Errno("program info", err);
  return info.id;
}

}  // namespace raven::bpf

// The pool members a gateway relays for (raven_relay_members_v1): the only
// VXLAN outer sources its relay program accepts, each with the traffic it
// relayed. The interface lets the reconciler run against a fake.
#ifndef RAVEN_DAEMON_BPF_RELAY_MEMBERS_H_
#define RAVEN_DAEMON_BPF_RELAY_MEMBERS_H_

#include <set>

#include "absl/status/statusor.h"
#include "common/ip_prefix.h"

namespace raven::bpf {

class RelayMembers {
 public:
  virtual ~RelayMembers() = default;
  virtual absl::StatusOr<std::set<IpAddress>> Dump() const = 0;
  // Adds a member with zero counters; an existing one keeps its counters.
  virtual absl::Status Add(const IpAddress& member) = 0;
  virtual absl::Status Remove(const IpAddress& member) = 0;
};

// Backed by the pinned BPF map; does not own the fd.
class BpfRelayMembers : public RelayMembers {
 public:
  explicit BpfRelayMembers(int fd) : fd_(fd) {}
  absl::StatusOr<std::set<IpAddress>> Dump() const override;
  absl::Status Add(const IpAddress& member) override;
  absl::Status Remove(const IpAddress& member) override;

 private:
  int fd_;
};

}  // namespace raven::bpf

#endif  // RAVEN_DAEMON_BPF_RELAY_MEMBERS_H_

// IpAddress <-> struct raven_node_key, the key of raven_relay_members_v1.
#ifndef RAVEN_DAEMON_BPF_NODE_KEY_H_
#define RAVEN_DAEMON_BPF_NODE_KEY_H_

#include <cstring>

#include "common/ip_prefix.h"
#include "daemon/bpf/abi_check.h"

namespace raven::bpf {

inline raven_node_key EncodeNodeKey(const IpAddress& address) {
  raven_node_key key{};
  const bool v4 = address.family == IpFamily::kV4;
  key.family = v4 ? 4 : 6;
  std::memcpy(key.addr, address.bytes.data(), v4 ? 4 : 16);
  return key;
}

inline IpAddress DecodeNodeKey(const raven_node_key& key) {
  IpAddress address;
  const bool v4 = key.family == 4;
  address.family = v4 ? IpFamily::kV4 : IpFamily::kV6;
  std::memcpy(address.bytes.data(), key.addr, v4 ? 4 : 16);
  return address;
}

}  // namespace raven::bpf

#endif  // RAVEN_DAEMON_BPF_NODE_KEY_H_

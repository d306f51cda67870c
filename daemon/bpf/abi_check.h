// Compile-time guard of the BPF ABI (bpf/raven_abi.h) as the agent sees it:
// a layout change that is not reflected in a new map name fails the build here.
#ifndef RAVEN_DAEMON_BPF_ABI_CHECK_H_
#define RAVEN_DAEMON_BPF_ABI_CHECK_H_

#include <cstddef>

extern "C" {
#include "raven_abi.h"
}

static_assert(sizeof(raven_lpm4_key) == 8);
static_assert(sizeof(raven_lpm6_key) == 20);
static_assert(offsetof(raven_lpm6_key, addr) == 4);
static_assert(sizeof(raven_route) == 28);
static_assert(offsetof(raven_route, peer_id) == 0);
static_assert(offsetof(raven_route, ifindex) == 4);
static_assert(offsetof(raven_route, action) == 8);
static_assert(offsetof(raven_route, tunnel_family) == 9);
static_assert(offsetof(raven_route, mtu) == 10);
static_assert(offsetof(raven_route, tunnel_dst) == 12);
static_assert(sizeof(raven_traffic) == 16);
static_assert(sizeof(raven_node_key) == 20);
static_assert(offsetof(raven_node_key, addr) == 4);
static_assert((RAVEN_DEFAULT_TUNNEL_MARK & RAVEN_KUBE_PROXY_MARK_BITS) == 0,
              "kube-proxy would masquerade the tunnel packets");

#endif  // RAVEN_DAEMON_BPF_ABI_CHECK_H_

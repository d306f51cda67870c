/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The maps and load-time settings of the TC programs. Include once per BPF object. */
#ifndef RAVEN_BPF_MAPS_H_
#define RAVEN_BPF_MAPS_H_

/* linux/bpf.h first: the libbpf headers rely on its types. */
#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>

#include "raven_abi.h"

/* Load-time settings, written by the agent through the skeleton's rodata. */
const volatile __u16 wireguard_port = 4500;
const volatile __u16 vxlan_port = 4472;
const volatile __u32 vxlan_vni = 200;
const volatile __u32 tunnel_mark = RAVEN_DEFAULT_TUNNEL_MARK;

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, RAVEN_MAX_ROUTES);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct raven_lpm4_key);
  __type(value, struct raven_route);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} raven_routes4_v1 SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, RAVEN_MAX_ROUTES);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct raven_lpm6_key);
  __type(value, struct raven_route);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} raven_routes6_v1 SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, RAVEN_MAX_PEERS);
  __type(key, __u32);
  __type(value, struct raven_traffic);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} raven_peer_stats_v1 SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, RAVEN_DROP_SLOTS);
  __type(key, __u32); /* enum raven_drop_reason */
  __type(value, __u64);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} raven_drops_v2 SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, RAVEN_MAX_MEMBERS);
  __type(key, struct raven_node_key);
  __type(value, struct raven_traffic);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} raven_relay_members_v1 SEC(".maps");

#endif /* RAVEN_BPF_MAPS_H_ */

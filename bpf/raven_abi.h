/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The one ABI between the TC programs and raven-agent: map key and value
 * layouts, map names and enums. Included by the bpf/ programs and by the agent;
 * the agent guards the layout with static_asserts (daemon/bpf/abi_check.h).
 *
 * Byte order: addresses are stored in network byte order, exactly as they
 * appear in the packet; every other integer is host byte order.
 * Changing a layout means a new map name (…_v2): pinned maps outlive agents.
 */
#ifndef RAVEN_BPF_RAVEN_ABI_H_
#define RAVEN_BPF_RAVEN_ABI_H_

#include <linux/types.h>

#define RAVEN_MAP_ROUTES_V4 "raven_routes4_v1"
#define RAVEN_MAP_ROUTES_V6 "raven_routes6_v1"
#define RAVEN_MAP_PEER_STATS "raven_peer_stats_v1"
#define RAVEN_MAP_DROPS "raven_drops_v2"
#define RAVEN_MAP_RELAY_MEMBERS "raven_relay_members_v1"

/* The default mark of tunnel packets (VXLAN to the gateway, WireGuard's
 * fwmark): never classified again. Clear of the bits others test on the same
 * packets: kube-proxy's masquerade (0x4000) and drop (0x8000) bits, Calico's
 * 0xffff0000 and Cilium's 0x0f00; with 0x4000 set, kube-proxy masqueraded our
 * tunnel packets to a random source port. */
#define RAVEN_DEFAULT_TUNNEL_MARK 0x52
/* The bits a tunnel mark must leave clear: kube-proxy's masquerade and drop bits. */
#define RAVEN_KUBE_PROXY_MARK_BITS 0xc000

#define RAVEN_MAX_ROUTES 16384
#define RAVEN_MAX_PEERS 4096
#define RAVEN_MAX_MEMBERS 16384
/* Slots of raven_drops_v2: room for reasons to come without a new layout. */
#define RAVEN_DROP_SLOTS 32

/* LPM trie keys: prefixlen first, as BPF_MAP_TYPE_LPM_TRIE requires. */
struct raven_lpm4_key {
  __u32 prefixlen;
  __u8 addr[4];
};

struct raven_lpm6_key {
  __u32 prefixlen;
  __u8 addr[16];
};

enum raven_action {
  RAVEN_ACTION_NONE = 0,      /* never stored; a zeroed value is rejected */
  RAVEN_ACTION_WIREGUARD = 1, /* bpf_redirect into the WireGuard device */
  RAVEN_ACTION_VXLAN = 2,     /* set the tunnel key to the pool gateway, redirect into VXLAN */
  RAVEN_ACTION_NO_PATH = 3,   /* the remote pool cannot be reached: drop, counted as no_path */
};

enum raven_tunnel_family {
  RAVEN_TUNNEL_IPV4 = 4,
  RAVEN_TUNNEL_IPV6 = 6,
};

/* What to do with a packet whose destination matched a remote prefix. */
struct raven_route {
  __u32 peer_id;       /* key of raven_peer_stats_v1: the remote pool this prefix belongs to */
  __u32 ifindex;       /* redirect target: the WireGuard or the VXLAN device */
  __u8 action;         /* enum raven_action */
  __u8 tunnel_family;  /* enum raven_tunnel_family; VXLAN only */
  __u16 mtu;           /* path MTU for this prefix; TCP SYN MSS is clamped to fit it */
  __u8 tunnel_dst[16]; /* VXLAN only: gateway node IP; IPv4 in the first 4 bytes */
};

/* Per-CPU packet and byte counters: per remote peer (raven_peer_stats_v1,
 * traffic this node sent toward it) and per pool member (raven_relay_members_v1,
 * traffic a gateway relayed for it). */
struct raven_traffic {
  __u64 packets;
  __u64 bytes;
};

/* A node's underlay address: the key of raven_relay_members_v1, whose entries
 * are the only outer sources a gateway accepts VXLAN from. */
struct raven_node_key {
  __u8 family;   /* 4 or 6 */
  __u8 pad[3];   /* zero */
  __u8 addr[16]; /* IPv4 in the first 4 bytes, the rest zero */
};

enum raven_drop_reason {
  RAVEN_DROP_BAD_ROUTE = 0,         /* route value with an unknown action or no ifindex */
  RAVEN_DROP_TUNNEL_KEY = 1,        /* bpf_skb_set_tunnel_key failed */
  RAVEN_DROP_TTL_EXCEEDED = 2,      /* TTL / hop limit would reach zero on redirect */
  RAVEN_DROP_MSS_REWRITE = 3,       /* could not rewrite the TCP MSS option */
  RAVEN_DROP_RELAY_NOT_GATEWAY = 4, /* VXLAN-relayed packet reached a node that is not a gateway */
  RAVEN_DROP_RELAY_FOREIGN = 5,  /* VXLAN from a source that is no member of this gateway's pool */
  RAVEN_DROP_RELAY_NO_ROUTE = 6, /* VXLAN from a member to no remote prefix: never forwarded */
  RAVEN_DROP_NO_PATH = 7,        /* to a pool with no path from here (both gateways under NAT) */
  RAVEN_DROP_REASON_MAX = 8,     /* reasons in use; at most RAVEN_DROP_SLOTS */
};

#endif /* RAVEN_BPF_RAVEN_ABI_H_ */

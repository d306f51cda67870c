/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The classifiers of the TC entry points: look the destination up in the
 * remote-prefix tries and pass, redirect into WireGuard, or encapsulate to the
 * pool gateway through VXLAN; and the gateway's check of what members relay. */
#ifndef RAVEN_BPF_CLASSIFY_H_
#define RAVEN_BPF_CLASSIFY_H_

/* linux/bpf.h first: the libbpf headers rely on its types. */
#include <linux/bpf.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <linux/pkt_cls.h>
#include <stdbool.h>
#include <stddef.h>

#include "maps.h"
#include "mss_clamp.h"
#include "parse.h"

static __always_inline int drop(enum raven_drop_reason reason) {
  __u32 key = reason;
  __u64 *count = bpf_map_lookup_elem(&raven_drops_v2, &key);
  if (count) *count += 1;
  return TC_ACT_SHOT;
}

static __always_inline void count_peer(__u32 peer_id, __u32 bytes) {
  struct raven_traffic *stats = bpf_map_lookup_elem(&raven_peer_stats_v1, &peer_id);
  if (!stats) {
    struct raven_traffic zero = {};
    bpf_map_update_elem(&raven_peer_stats_v1, &peer_id, &zero, BPF_NOEXIST);
    stats = bpf_map_lookup_elem(&raven_peer_stats_v1, &peer_id);
    if (!stats) return; /* map full: forwarding matters more than counting */
  }
  stats->packets += 1;
  stats->bytes += bytes;
}

/* The tunnels' own packets: WireGuard from or to our port, VXLAN to our port,
 * or anything carrying the mark set on packets handed to VXLAN. */
static __always_inline bool is_tunnel_traffic(struct __sk_buff *skb, const struct raven_l3 *l3) {
  if (skb->mark == tunnel_mark) return true;
  if (l3->l4_off == 0 || l3->l4_proto != IPPROTO_UDP) return false;
  struct udphdr udp;
  if (bpf_skb_load_bytes(skb, l3->l4_off, &udp, sizeof(udp))) return false;
  __u16 sport = bpf_ntohs(udp.source), dport = bpf_ntohs(udp.dest);
  return sport == wireguard_port || dport == wireguard_port || dport == vxlan_port;
}

static __always_inline struct raven_route *lookup_route(const struct raven_l3 *l3) {
  if (l3->family == 4) {
    struct raven_lpm4_key key = {.prefixlen = 32};
    __builtin_memcpy(key.addr, l3->daddr, 4);
    return bpf_map_lookup_elem(&raven_routes4_v1, &key);
  }
  struct raven_lpm6_key key = {.prefixlen = 128};
  __builtin_memcpy(key.addr, l3->daddr, 16);
  return bpf_map_lookup_elem(&raven_routes6_v1, &key);
}

/* Forwarding by redirect skips the kernel's forwarding path, so do its TTL work. */
static __always_inline int decrement_ttl(struct __sk_buff *skb, const struct raven_l3 *l3) {
  if (l3->family == 4) {
    __u32 off = ETH_HLEN + offsetof(struct iphdr, ttl);
    __be16 old_word, new_word;
    if (bpf_skb_load_bytes(skb, off, &old_word, sizeof(old_word))) return -1;
    __u8 *ttl = (__u8 *)&old_word;
    if (*ttl <= 1) return -1;
    new_word = old_word;
    ((__u8 *)&new_word)[0] = *ttl - 1;
    if (bpf_l3_csum_replace(skb, ETH_HLEN + offsetof(struct iphdr, check), old_word, new_word,
                            sizeof(new_word)))
      return -1;
    return bpf_skb_store_bytes(skb, off, &new_word, sizeof(new_word), 0) ? -1 : 0;
  }
  __u32 off = ETH_HLEN + offsetof(struct ipv6hdr, hop_limit);
  __u8 hops;
  if (bpf_skb_load_bytes(skb, off, &hops, 1) || hops <= 1) return -1;
  hops -= 1;
  return bpf_skb_store_bytes(skb, off, &hops, 1, 0) ? -1 : 0;
}

static __always_inline int set_vxlan_key(struct __sk_buff *skb, const struct raven_route *route) {
  struct bpf_tunnel_key key = {};
  __u64 flags = 0;
  key.tunnel_id = vxlan_vni;
  key.tunnel_ttl = 64;
  if (route->tunnel_family == RAVEN_TUNNEL_IPV4) {
    __be32 dst;
    __builtin_memcpy(&dst, route->tunnel_dst, 4);
    key.remote_ipv4 = bpf_ntohl(dst); /* the helper takes IPv4 in host order */
  } else if (route->tunnel_family == RAVEN_TUNNEL_IPV6) {
    __builtin_memcpy(key.remote_ipv6, route->tunnel_dst, 16);
    flags = BPF_F_TUNINFO_IPV6;
  } else {
    return -1;
  }
  return bpf_skb_set_tunnel_key(skb, &key, sizeof(key), flags);
}

/* The kernel's forwarding work (TTL) and the MSS clamp for a hit: 0, or
 * the verdict that drops the packet. */
static __always_inline int prepare(struct __sk_buff *skb, const struct raven_l3 *l3,
                                   const struct raven_route *route, const bool forwarding) {
  if (forwarding && decrement_ttl(skb, l3)) return drop(RAVEN_DROP_TTL_EXCEEDED);
  if (l3->l4_off && l3->l4_proto == IPPROTO_TCP && route->mtu) {
    __u16 headers = l3->family == 4 ? 40 : 60; /* IP + TCP without options */
    if (route->mtu > headers && raven_clamp_mss(skb, l3->l4_off, route->mtu - headers))
      return drop(RAVEN_DROP_MSS_REWRITE);
  }
  return 0;
}

/* Redirects a prepared hit: into WireGuard, or through VXLAN to the pool's
 * gateway with the tunnel key and the mark that keeps it out of our hooks. */
static __always_inline int send(struct __sk_buff *skb, const struct raven_route *route) {
  if (route->action == RAVEN_ACTION_VXLAN) {
    if (set_vxlan_key(skb, route)) return drop(RAVEN_DROP_TUNNEL_KEY);
    /* Keep clang from spilling &skb->mark: the verifier rejects a stored ctx + off. */
    asm volatile("" : "+r"(skb));
    skb->mark = tunnel_mark;
  }
  return bpf_redirect(route->ifindex, 0);
}

/* Pod and host traffic: a remote destination goes into WireGuard (on the
 * gateway) or through VXLAN to the pool's gateway (on a member), or is dropped
 * and counted when its pool cannot be reached at all. */
static __always_inline int classify(struct __sk_buff *skb, const bool forwarding) {
  struct raven_l3 l3 = {};
  if (raven_parse(skb, &l3)) return TC_ACT_OK;       /* not IP or truncated: not ours */
  if (is_tunnel_traffic(skb, &l3)) return TC_ACT_OK; /* never re-encapsulate a tunnel */

  struct raven_route *found = lookup_route(&l3);
  if (!found) return TC_ACT_OK; /* not a remote pool: the CNI's traffic */
  struct raven_route route = *found;

  if (route.action == RAVEN_ACTION_NO_PATH) return drop(RAVEN_DROP_NO_PATH);
  if (route.ifindex == 0) return drop(RAVEN_DROP_BAD_ROUTE);
  if (route.action != RAVEN_ACTION_WIREGUARD && route.action != RAVEN_ACTION_VXLAN)
    return drop(RAVEN_DROP_BAD_ROUTE);
  int verdict = prepare(skb, &l3, &route, forwarding);
  if (verdict) return verdict;
  count_peer(route.peer_id, skb->len);
  return send(skb, &route);
}

/* The counters of the pool member that sent this VXLAN packet, or NULL when
 * its outer source is no member of this gateway's pool (or it carries
 * another VNI, or no tunnel metadata at all). */
static __always_inline struct raven_traffic *relay_member(struct __sk_buff *skb) {
  struct bpf_tunnel_key key = {};
  struct raven_node_key member = {};
  if (bpf_skb_get_tunnel_key(skb, &key, sizeof(key), 0) == 0) {
    __be32 src = bpf_htonl(key.remote_ipv4); /* the helper gives IPv4 in host order */
    member.family = 4;
    __builtin_memcpy(member.addr, &src, 4);
  } else if (bpf_skb_get_tunnel_key(skb, &key, sizeof(key), BPF_F_TUNINFO_IPV6) == 0) {
    member.family = 6;
    __builtin_memcpy(member.addr, key.remote_ipv6, 16);
  } else {
    return NULL;
  }
  if (key.tunnel_id != vxlan_vni) return NULL;
  return bpf_map_lookup_elem(&raven_relay_members_v1, &member);
}

/* Packets the pool's other nodes relayed to this gateway through VXLAN: only
 * from a member, only to a remote prefix, and only on into WireGuard. Counted
 * per member here, not per peer: the member counted them toward the peer. */
static __always_inline int relay(struct __sk_buff *skb) {
  struct raven_traffic *member = relay_member(skb);
  if (!member) return drop(RAVEN_DROP_RELAY_FOREIGN);

  struct raven_l3 l3 = {};
  if (raven_parse(skb, &l3)) return drop(RAVEN_DROP_RELAY_NO_ROUTE); /* nothing to route */
  struct raven_route *found = lookup_route(&l3);
  if (!found) return drop(RAVEN_DROP_RELAY_NO_ROUTE);
  struct raven_route route = *found;
  if (route.action == RAVEN_ACTION_NO_PATH) return drop(RAVEN_DROP_NO_PATH);
  if (route.ifindex == 0) return drop(RAVEN_DROP_BAD_ROUTE);
  if (route.action != RAVEN_ACTION_WIREGUARD) return drop(RAVEN_DROP_RELAY_NOT_GATEWAY);

  int verdict = prepare(skb, &l3, &route, true);
  if (verdict) return verdict;
  member->packets += 1;
  member->bytes += skb->len;
  return send(skb, &route);
}

#endif /* RAVEN_BPF_CLASSIFY_H_ */

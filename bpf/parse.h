/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Header parsing for the TC programs: Ethernet, then IPv4 or IPv6. */
#ifndef RAVEN_BPF_PARSE_H_
#define RAVEN_BPF_PARSE_H_

/* linux/bpf.h first: the libbpf headers rely on its types. */
#include <linux/bpf.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#define RAVEN_IP_OFFSET_MASK 0x1fff

struct raven_l3 {
  __u32 l4_off;  /* 0 when the L4 header is unknown: fragment or IPv6 extension header */
  __u8 family;   /* 4 or 6 */
  __u8 l4_proto; /* IPPROTO_*, valid when l4_off != 0 */
  __u8 daddr[16];
};

/* Makes the first len bytes directly readable; false when the packet is shorter. */
static __always_inline int raven_linear(struct __sk_buff *skb, __u32 len) {
  if ((void *)(long)skb->data + len <= (void *)(long)skb->data_end) return 1;
  if (bpf_skb_pull_data(skb, len)) return 0;
  return (void *)(long)skb->data + len <= (void *)(long)skb->data_end;
}

/* Fills l3 from an Ethernet frame. Returns 0 on success, -1 when the frame is
 * not IPv4/IPv6 or its IP header is truncated. */
static __always_inline int raven_parse(struct __sk_buff *skb, struct raven_l3 *l3) {
  if (!raven_linear(skb, ETH_HLEN)) return -1;
  struct ethhdr *eth = (void *)(long)skb->data;
  if ((void *)(eth + 1) > (void *)(long)skb->data_end) return -1;

  if (eth->h_proto == bpf_htons(ETH_P_IP)) {
    if (!raven_linear(skb, ETH_HLEN + sizeof(struct iphdr))) return -1;
    struct iphdr *ip = (void *)(long)skb->data + ETH_HLEN;
    if ((void *)(ip + 1) > (void *)(long)skb->data_end) return -1;
    if (ip->version != 4 || ip->ihl < 5) return -1;
    l3->family = 4;
    l3->l4_proto = ip->protocol;
    __builtin_memcpy(l3->daddr, &ip->daddr, 4);
    l3->l4_off = (ip->frag_off & bpf_htons(RAVEN_IP_OFFSET_MASK)) ? 0 : ETH_HLEN + ip->ihl * 4;
    return 0;
  }
  if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
    if (!raven_linear(skb, ETH_HLEN + sizeof(struct ipv6hdr))) return -1;
    struct ipv6hdr *ip6 = (void *)(long)skb->data + ETH_HLEN;
    if ((void *)(ip6 + 1) > (void *)(long)skb->data_end) return -1;
    if (ip6->version != 6) return -1;
    l3->family = 6;
    l3->l4_proto = ip6->nexthdr;
    __builtin_memcpy(l3->daddr, &ip6->daddr, 16);
    /* Extension headers are not walked: only TCP and UDP right after the fixed header. */
    l3->l4_off = (ip6->nexthdr == IPPROTO_TCP || ip6->nexthdr == IPPROTO_UDP)
                     ? ETH_HLEN + sizeof(struct ipv6hdr)
                     : 0;
    return 0;
  }
  return -1;
}

#endif /* RAVEN_BPF_PARSE_H_ */

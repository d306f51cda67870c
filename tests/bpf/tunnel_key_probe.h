/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What tunnel_key_probe.bpf.c records and reads, shared with its tests: the
 * tunnel key left on the skb by the classifier, read back in both families,
 * and the outer header a relayed frame is given before the relay check. */
#ifndef RAVEN_TESTS_BPF_TUNNEL_KEY_PROBE_H_
#define RAVEN_TESTS_BPF_TUNNEL_KEY_PROBE_H_

#include <linux/bpf.h>

struct tunnel_key_probe_result {
  __u32 ran;    /* 1 once the probe has run */
  __s32 v4_err; /* bpf_skb_get_tunnel_key(..., 0): -EPROTO for an IPv6 key */
  __s32 v6_err; /* bpf_skb_get_tunnel_key(..., BPF_F_TUNINFO_IPV6) */
  __u32 pad;
  struct bpf_tunnel_key v4;
  struct bpf_tunnel_key v6;
};

/* The VXLAN outer header probe_relay pretends the frame arrived with. */
struct relay_probe_outer {
  __u32 family; /* 4 or 6; 0: no tunnel metadata at all */
  __u32 vni;
  __u8 addr[16]; /* outer source; IPv4 in the first 4 bytes */
};

#endif /* RAVEN_TESTS_BPF_TUNNEL_KEY_PROBE_H_ */

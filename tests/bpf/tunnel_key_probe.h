/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What tunnel_key_probe.bpf.c records, shared with tunnel_key_test.cc: the
 * tunnel key left on the skb by the classifier, read back in both families. */
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

#endif /* RAVEN_TESTS_BPF_TUNNEL_KEY_PROBE_H_ */

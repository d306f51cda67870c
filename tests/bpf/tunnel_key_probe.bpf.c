// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Test-only TC programs for what BPF_PROG_TEST_RUN cannot show or set: the
 * skb's tunnel metadata.
 *   probe_tunnel_key runs the real classifier as raven_pod_ingress does and
 *                    records the tunnel key it set;
 *   probe_relay      gives the frame the metadata a VXLAN device in external
 *                    mode attaches on receive (outer source, VNI) and runs the
 *                    real relay check as raven_relay_ingress does.
 */
#include "tunnel_key_probe.h"

#include "classify.h"

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct tunnel_key_probe_result);
} probe_results SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct relay_probe_outer);
} probe_outer SEC(".maps");

SEC("tc")
int probe_tunnel_key(struct __sk_buff *skb) {
  int verdict = classify(skb, true);
  __u32 zero = 0;
  struct tunnel_key_probe_result *result = bpf_map_lookup_elem(&probe_results, &zero);
  if (!result) return verdict;
  result->ran = 1;
  result->v4_err = bpf_skb_get_tunnel_key(skb, &result->v4, sizeof(result->v4), 0);
  result->v6_err = bpf_skb_get_tunnel_key(skb, &result->v6, sizeof(result->v6), BPF_F_TUNINFO_IPV6);
  return verdict;
}

SEC("tc")
int probe_relay(struct __sk_buff *skb) {
  __u32 zero = 0;
  struct relay_probe_outer *outer = bpf_map_lookup_elem(&probe_outer, &zero);
  if (!outer) return TC_ACT_SHOT;
  if (outer->family) {
    /* On receive the metadata's source is the outer source; the helper
     * writes local_* there. */
    struct bpf_tunnel_key key = {};
    __u64 flags = 0;
    key.tunnel_id = outer->vni;
    if (outer->family == 4) {
      __be32 src;
      __builtin_memcpy(&src, outer->addr, 4);
      key.local_ipv4 = bpf_ntohl(src);
    } else {
      __builtin_memcpy(key.local_ipv6, outer->addr, 16);
      flags = BPF_F_TUNINFO_IPV6;
    }
    if (bpf_skb_set_tunnel_key(skb, &key, sizeof(key), flags)) return TC_ACT_SHOT;
  }
  return relay(skb);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

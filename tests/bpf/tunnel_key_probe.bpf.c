// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Test-only TC program: BPF_PROG_TEST_RUN returns the verdict and the bytes,
 * not the skb's tunnel metadata, so this runs the real classifier as
 * raven_pod_ingress does and records the tunnel key it set.
 */
#include "tunnel_key_probe.h"

#include "classify.h"

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct tunnel_key_probe_result);
} probe_results SEC(".maps");

SEC("tc")
int probe_tunnel_key(struct __sk_buff *skb) {
  int verdict = classify(skb, true, true);
  __u32 zero = 0;
  struct tunnel_key_probe_result *result = bpf_map_lookup_elem(&probe_results, &zero);
  if (!result) return verdict;
  result->ran = 1;
  result->v4_err = bpf_skb_get_tunnel_key(skb, &result->v4, sizeof(result->v4), 0);
  result->v6_err = bpf_skb_get_tunnel_key(skb, &result->v6, sizeof(result->v6), BPF_F_TUNINFO_IPV6);
  return verdict;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Clamps the MSS option of TCP SYNs so that segments fit the tunnel path. */
#ifndef RAVEN_BPF_MSS_CLAMP_H_
#define RAVEN_BPF_MSS_CLAMP_H_

/* linux/bpf.h first: the libbpf headers rely on its types. */
#include <linux/bpf.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <linux/tcp.h>
#include <stddef.h>

#define RAVEN_TCP_MAX_OPTIONS 40
/* Option bytes live in a power-of-two buffer read through a masked index,
 * which the verifier can bound; only the first opt_len bytes are filled. */
#define RAVEN_TCP_OPT_BUF 64
#define RAVEN_TCP_OPT_MASK (RAVEN_TCP_OPT_BUF - 1)
#define RAVEN_TCPOPT_EOL 0
#define RAVEN_TCPOPT_NOP 1
#define RAVEN_TCPOPT_MSS 2

struct raven_opt_scan {
  __u8 opts[RAVEN_TCP_OPT_BUF];
  __u32 opt_len;
  __u32 pos;    /* next option to look at */
  __s32 mss_at; /* offset of the MSS value within the options, or -1 */
};

/* The mask is done in asm: clang drops a mask it can prove redundant and
 * then spills an unbounded copy of the index, which the verifier rejects. */
static __always_inline __u32 raven_opt_index(__u32 i) {
  asm volatile("%[i] &= %[mask]" : [i] "+r"(i) : [mask] "i"(RAVEN_TCP_OPT_MASK));
  return i;
}

/* One bpf_loop step: walks one option. Returns 1 to stop the walk. */
static long raven_opt_step(__u32 n, void *ctx) {
  struct raven_opt_scan *scan = ctx;
  __u32 i = scan->pos;
  if (i + 1 >= scan->opt_len) return 1;
  __u8 kind = scan->opts[raven_opt_index(i)];
  if (kind == RAVEN_TCPOPT_EOL) return 1;
  if (kind == RAVEN_TCPOPT_NOP) {
    scan->pos = i + 1;
    return 0;
  }
  __u8 len = scan->opts[raven_opt_index(i + 1)];
  if (len < 2) return 1; /* malformed options: leave them to the endpoint */
  if (kind == RAVEN_TCPOPT_MSS && len == 4 && i + 4 <= scan->opt_len) {
    scan->mss_at = i + 2;
    return 1;
  }
  scan->pos = i + len;
  return 0;
}

/* Returns 0 when the packet needs no change or was rewritten, -1 when a
 * rewrite failed. max_mss is in host byte order. */
static __always_inline int raven_clamp_mss(struct __sk_buff *skb, __u32 l4_off, __u16 max_mss) {
  struct tcphdr tcp;
  if (bpf_skb_load_bytes(skb, l4_off, &tcp, sizeof(tcp)))
    return 0; /* truncated: nothing to clamp */
  if (!tcp.syn) return 0;
  __u32 opt_len = tcp.doff * 4;
  if (opt_len <= sizeof(tcp)) return 0; /* no options, so no MSS option to clamp */
  opt_len -= sizeof(tcp);
  if (opt_len > RAVEN_TCP_MAX_OPTIONS) return 0;

  struct raven_opt_scan scan = {.opt_len = opt_len, .mss_at = -1};
  if (bpf_skb_load_bytes(skb, l4_off + sizeof(tcp), scan.opts, opt_len)) return 0; /* truncated */
  bpf_loop(RAVEN_TCP_MAX_OPTIONS, raven_opt_step, &scan, 0);
  if (scan.mss_at < 0) return 0; /* no MSS option: the peer assumes the default 536/1220 */

  __u32 at = scan.mss_at;
  __u16 mss = ((__u16)scan.opts[raven_opt_index(at)] << 8) | scan.opts[raven_opt_index(at + 1)];
  if (mss <= max_mss) return 0;
  __be16 old_be = bpf_htons(mss);
  __be16 new_be = bpf_htons(max_mss);
  /* The checksum adds 16-bit words counted from the TCP header: a value at an
   * odd offset straddles two words, so its bytes enter the sum swapped. */
  __u16 old_sum = old_be, new_sum = new_be;
  if (at & 1) {
    old_sum = __builtin_bswap16(old_sum);
    new_sum = __builtin_bswap16(new_sum);
  }
  if (bpf_l4_csum_replace(skb, l4_off + offsetof(struct tcphdr, check), old_sum, new_sum, 2))
    return -1;
  if (bpf_skb_store_bytes(skb, l4_off + sizeof(tcp) + at, &new_be, sizeof(new_be), 0)) return -1;
  return 0;
}

#endif /* RAVEN_BPF_MSS_CLAMP_H_ */

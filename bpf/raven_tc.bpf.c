// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * TC programs that take cross-pool traffic out of the normal path:
 *   raven_pod_ingress   on the host side of pod interfaces (packets from pods);
 *   raven_host_egress   on the uplink's egress (traffic the host itself sends);
 *   raven_relay_ingress on the VXLAN device (packets relayed by the pool's
 *                       other nodes): accepted only from the pool's members,
 *                       only to a remote prefix, and only into WireGuard.
 * On the first two, a destination that misses the remote-prefix tries passes
 * untouched; nothing that arrives by VXLAN ever passes.
 */
#include "classify.h"

SEC("tc")
int raven_pod_ingress(struct __sk_buff *skb) { return classify(skb, true); }

SEC("tc")
int raven_host_egress(struct __sk_buff *skb) { return classify(skb, false); }

SEC("tc")
int raven_relay_ingress(struct __sk_buff *skb) { return relay(skb); }

char LICENSE[] SEC("license") = "Dual BSD/GPL";

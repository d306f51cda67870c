// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * TC programs that take cross-pool traffic out of the normal path:
 *   raven_pod_ingress   on the host side of pod interfaces (packets from pods);
 *   raven_host_egress   on the uplink's egress (traffic the host itself sends);
 *   raven_relay_ingress on the VXLAN device of a gateway (packets relayed by
 *                       the pool's other nodes), which only ever go to WireGuard.
 * A destination that misses the remote-prefix tries passes untouched.
 */
#include "classify.h"

SEC("tc")
int raven_pod_ingress(struct __sk_buff *skb) { return classify(skb, true, true); }

SEC("tc")
int raven_host_egress(struct __sk_buff *skb) { return classify(skb, true, false); }

SEC("tc")
int raven_relay_ingress(struct __sk_buff *skb) { return classify(skb, false, true); }

char LICENSE[] SEC("license") = "Dual BSD/GPL";

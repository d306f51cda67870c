#!/bin/bash
# The lab with edge sites behind NATs that forward nothing (`--nat-a eim
# --nat-b edm`: lab/nat.sh), so both edge Gateways are underNAT without a
# public address:
#   - cloud <-> edge pod pairs answer, IPv4 and IPv6 (the edge gateways call
#     the cloud's public address and keep their mappings open);
#   - edge-a <-> edge-b has no path (no relay yet: issue 12). It is not a
#     black hole: its traffic is dropped and counted as no_path on the sending
#     node, no WireGuard peer is configured for it, and the agents of both
#     edge pools say which pair and why (/healthz?verbose, the log,
#     raven_agent_unreachable_gateways 1), while staying healthy; the cloud's
#     agents see no unreachable Gateway.
#
#   RAVEN_AGENT=build/daemon/raven-agent tests/e2e/nat_paths.sh   (as root)
set -eo pipefail
# shellcheck source=lab_lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lab_lib.sh"
lab_test_up --nat-a eim --nat-b edm

metric() { nq "$1" curl -sS -m 2 "http://${NODE_IP[$1]}:10273/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }
verbose() { nq "$1" curl -sS -m 2 "http://${NODE_IP[$1]}:10273/healthz?verbose"; }

log "== cloud <-> edge pairs answer"
for pair in c2p0:a2p0 a2p0:c2p0 c1p1:b2p1 b2p1:c1p1; do
  check_ping "${pair%:*}" "${POD_IP4[${pair#*:}]}"
  check_ping "${pair%:*}" "${POD_IP6[${pair#*:}]}"
done

log "== edge-a <-> edge-b: no path, counted and said"
before=$(drop_count a2 no_path)
! nq a2p0 ping -c 3 -i 0.2 -W 1 "${POD_IP4[b2p0]}" >/dev/null || die "a2p0 reached b2p0 with no path between the pools"
after=$(drop_count a2 no_path)
(( after - before >= 3 )) || die "a2's no_path drops went $before -> $after, want +3"
result "a2.no_path_drops=$((after - before))"
for node in a1 a2 b1 b2; do
  [[ $(metric "$node" raven_agent_unreachable_gateways) == 1 ]] ||
    die "[$node] raven_agent_unreachable_gateways is not 1"
  out=$(verbose "$node")
  other="gw-edge-b"
  [[ $node == b* ]] && other="gw-edge-a"
  [[ $out == ok* && $out == *"no path to Gateway $other: both active gateways"*"behind NAT without a public address"* ]] ||
    die "[$node] /healthz?verbose does not name the pair: $out"
done
for node in c1 c2; do
  [[ $(metric "$node" raven_agent_unreachable_gateways) == 0 ]] || die "[$node] sees an unreachable Gateway"
done
gw_a=$(active_endpoint gw-edge-a)
key_b=$(kc get gateway gw-edge-b -o json | "${UTIL[@]}" jsonpath status.activeEndpoints.0.config.publicKey)
[[ $key_b =~ ^[A-Za-z0-9+/]{43}=$ ]] || die "gw-edge-b's active endpoint has no public key: '$key_b'"
[[ $(wg_peers "$gw_a") != *"$key_b"* ]] || die "[$gw_a] has a WireGuard peer for gw-edge-b"
log "no path between the edge pools: dropped and counted, said by all four edge agents"

#!/bin/bash
# Attacks on the lab from places that must never reach into the tunnels, and
# claims on another pool's traffic:
#
#   vxlan   hand-made VXLAN datagrams (VNI 200, port 4472) carrying an ICMP
#           echo to a pod of another pool, sent to a gateway from a host on
#           the "internet" segment (198.18.0.2, no node) and from a stranger
#           plugged into edge-a's LAN; and to member nodes with a local pod as
#           the inner destination. None may arrive (an nftables counter in the
#           target pod stays at 0) and each is counted as relay_foreign on the
#           node that dropped it. The same datagram from a member of the pool
#           arrives: the probe can see a delivery.
#
#   takeover a new Gateway gw-aaa (first by name, with a healthy fake node whose
#           Lease the test renews, so it has an active endpoint) whose member
#           claims edge-b's first pod CIDR, then a /16 over it: edge-b keeps
#           every echo from the cloud, gw-aaa shows PrefixConflict in
#           `kubectl get gw`, an Event says why, the controller counts it
#   forgery  with the controller stopped, gw-aaa's status is patched to claim
#           the CIDR anyway (kubectl patch --subresource=status): no agent
#           moves the route, edge-b loses no echo, the agents count and log it
#   corrupt  gw-edge-b's status is patched with a subnet that the API's `cidr`
#           format accepts but Raven refuses (host bits set): the agents keep
#           edge-b's last good version, the controller rewrites the status
#           from the last good one (same active endpoint) with an Event, and
#           edge-b loses no echo
#
#                    rvlab-api 198.18.0.2 ──┐ internet        ┌── stranger 100.127.2.99
#                                           ▼                 ▼
#                    c1/c2 (cloud gateway, public)    a1/a2 on edge-a's LAN
#
# Run: RAVEN_AGENT=build/daemon/raven-agent tests/e2e/attacks.sh   (as root)
set -eo pipefail
# shellcheck source=lab_lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lab_lib.sh"
lab_test_up

VXLAN_PORT=4472 VNI=200

# watch POD SRC: an nftables counter in POD's namespace of packets from SRC.
watch() {
  nq "$1" nft -f - <<EOF2
table ip attack {
  chain in {
    type filter hook input priority 0;
    ip saddr $2 counter
  }
}
EOF2
}
seen() { nq "$1" nft list chain ip attack in | awk '/counter packets/ { print $(NF - 2) }'; }
agent_ip() { printf '%s' "${NODE_IP[$1]}"; }

# inject FROM_NS SRC DST INNER_SRC POD: three datagrams; once they are delivered or counted
# as dropped by DST's agent, checks that POD saw none and that they were counted as
# relay_foreign.
inject_refused() {
  local from=$1 src=$2 dst=$3 inner=$4 pod=$5 node before
  node=$(node_at "$dst")
  watch "$pod" "$inner"
  before=$(drop_count "$node" relay_foreign)
  log "[$from] VXLAN $src -> $dst:$VXLAN_PORT carrying $inner -> ${POD_IP4[$pod]} ($pod)"
  nq "$from" "${E2E_UTIL[@]}" vxlan "$src" "$dst" "$VXLAN_PORT" "$VNI" "$inner" "${POD_IP4[$pod]}" 3
  wait_for 5 "the datagrams reach $pod or are dropped by $node" delivered_or_dropped "$pod" "$node" "$before"
  [[ $(seen "$pod") == 0 ]] || die "$pod received $(seen "$pod") injected packets"
  dropped_since "$node" "$before" 3 || die "[$node] did not count them as relay_foreign"
  nq "$pod" nft delete table ip attack
}
delivered_or_dropped() { (( $(seen "$1") > 0 )) || dropped_since "$2" "$3" 3; }
dropped_since() { (( $(drop_count "$1" relay_foreign) >= $2 + $3 )); }
# node_at IP: the lab node whose node IP or public address is IP.
node_at() {
  local node
  for node in "${LAB_NODES[@]}"; do
    [[ ${NODE_IP[$node]} == "$1" ]] && { echo "$node"; return; }
  done
  die "no node at $1"
}

cloud_gw=$(active_endpoint gw-cloud)
edge_gw=$(active_endpoint gw-edge-a)
cloud_member=$([[ $cloud_gw == c1 ]] && echo c2 || echo c1)
edge_member=$([[ $edge_gw == a1 ]] && echo a2 || echo a1)
log "gateways: cloud $cloud_gw, edge-a $edge_gw"

log "== a stranger on edge-a's LAN"
add_ns stranger
plug stranger lan0 100.127.2.99/24 nat-a lan0 stranger

log "== VXLAN from the internet to the cloud gateway, for edge-a's pod"
inject_refused api 198.18.0.2 "$(agent_ip "$cloud_gw")" 100.64.12.77 a1p0
log "== VXLAN from the internet to a cloud member, for its own pod"
inject_refused api 198.18.0.2 "$(agent_ip "$cloud_member")" 100.64.99.77 "${cloud_member}p0"
log "== VXLAN from a stranger on edge-a's LAN to its gateway, for edge-b's pod"
inject_refused stranger 100.127.2.99 "$(agent_ip "$edge_gw")" 100.64.22.77 b1p0
log "== VXLAN from a stranger on edge-a's LAN to a member, for its own pod"
inject_refused stranger 100.127.2.99 "$(agent_ip "$edge_member")" 100.64.99.77 "${edge_member}p0"

log "== the same datagram from a member of edge-a arrives (the probe sees deliveries)"
watch b1p0 100.64.22.77
nq "$edge_member" "${E2E_UTIL[@]}" vxlan "$(agent_ip "$edge_member")" "$(agent_ip "$edge_gw")" \
  "$VXLAN_PORT" "$VNI" 100.64.22.77 "${POD_IP4[b1p0]}" 3
wait_for 5 "b1p0 receives the member's 3 packets" test "$(seen b1p0)" -ge 3
result "vxlan.refused=4 vxlan.member_delivered=$(seen b1p0)"

# ---------------------------------------------------------------- prefix takeover
victim_node=$(kc get gateway gw-edge-b -o json | "${UTIL[@]}" jsonpath "status.nodes.0.nodeName")
victim_cidr=$(kc get gateway gw-edge-b -o json | "${UTIL[@]}" jsonpath "status.nodes.0.subnets.0")
victim_pod=${victim_node}p0
cloud_gw=$(active_endpoint gw-cloud)
log "== gw-aaa claims $victim_cidr, the pod CIDR of edge-b's $victim_node"
fake_key=cGxheWluZyBhIGdhdGV3YXkgdGhhdCBpcyBub3Qgb24=  # 32 bytes: a valid WireGuard key
# x1: a Node of gw-aaa whose pod CIDR is $victim_cidr (and then more).
fake_node() {
  kc apply -f - >&3 <<EOF
apiVersion: v1
kind: Node
metadata:
  name: x1
  labels: {raven.openyurt.io/gateway: gw-aaa}
  annotations: {raven.openyurt.io/public-key: "$fake_key"}
spec: {podCIDR: "$1", podCIDRs: ["$1"]}
EOF
  kc patch node x1 --subresource=status --type=merge -p \
    '{"status":{"addresses":[{"type":"InternalIP","address":"100.127.9.1"}],"conditions":[{"type":"Ready","status":"True"}]}}' >&3
}
fake_node "$victim_cidr"
kc apply -f - >&3 <<EOF
apiVersion: raven.openyurt.io/v1beta1
kind: Gateway
metadata: {name: gw-aaa}
spec:
  exposeType: PublicIP
  tunnelConfig: {Replicas: 1}
  endpoints:
  - {nodeName: x1, type: tunnel, port: 4500, underNAT: false, publicIP: 198.18.0.99}
EOF
# x1's "agent": its heartbeat Lease renewed every 0.5 s while the attack lasts (bounded).
(
  for (( i = 0; i < 240; i++ )); do
    kc apply -f - >/dev/null 2>&1 <<EOF
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: x1, namespace: raven-system}
spec: {holderIdentity: x1, leaseDurationSeconds: 2, renewTime: "$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)"}
EOF
    sleep 0.5
  done
) &
BG+=($!)
aaa() { kc get gateway gw-aaa -o json; }
aaa_has() { aaa | "${UTIL[@]}" jsonpath "$1" 2>/dev/null | grep -q -- "$2"; }
conflict_published() {
  aaa_has status.activeEndpoints.0.nodeName x1 && aaa_has status.conditions.0.reason PrefixConflict
}
wait_for 10 "gw-aaa is elected and shows a PrefixConflict" conflict_published
aaa_has status.activeEndpoints.0.config.publicKey "$fake_key" ||
  die "gw-aaa's endpoint has no key: the agents would ignore it and the attack not be tried"
kc get gateways >&3
[[ $(kc get gateway gw-aaa --no-headers -o custom-columns=REASON:.status.conditions[0].reason) == PrefixConflict ]] ||
  die "kubectl get gw does not show gw-aaa's conflict"
kc get events -o json | grep -q '"reason": *"PrefixConflict"' || die "no PrefixConflict Event"
nq api curl -sS "http://$API_IP:10272/metrics" | grep -q '^raven_controller_refused_prefixes [1-9]' ||
  die "the controller does not count the refused prefix"
! aaa_has status.nodes.0.subnets "${victim_cidr%/*}" || die "gw-aaa's status publishes $victim_cidr"

# echoes from the cloud to the victim's pod: all answered, or the claim took traffic.
echoes() {
  local out
  out=$(nq "${cloud_gw}p0" ping -c 30 -i 0.1 -W 1 "${POD_IP4[$victim_pod]}" 2>&1) || true
  grep -o '[0-9]* received' <<<"$out" | cut -d' ' -f1
}
got=$(echoes)
result "takeover.exact.echoes_received=$got/30"
(( got == 30 )) || die "edge-b lost $(( 30 - got )) of 30 echoes to gw-aaa's claim"

log "== gw-aaa claims 100.64.0.0/16, over edge-b's (and every pool's) pod CIDRs"
fake_node 100.64.0.0/16
nested_refused() { aaa_has status.conditions.0.message 100.64.0.0/16; }
wait_for 10 "gw-aaa's /16 is refused" nested_refused
got=$(echoes)
result "takeover.nested.echoes_received=$got/30"
(( got == 30 )) || die "edge-b lost $(( 30 - got )) of 30 echoes to gw-aaa's nested claim"

log "== with the controller stopped, gw-aaa's status is forged to claim $victim_cidr"
kill -STOP "${DAEMON_PID[controller]}"
kc patch gateway gw-aaa --subresource=status --type=merge -p \
  "{\"status\":{\"nodes\":[{\"nodeName\":\"x1\",\"privateIP\":\"100.127.9.1\",\"subnets\":[\"$victim_cidr\"]}]}}" >&3
refused_by_agent() {
  nq "$cloud_gw" curl -sS "http://${NODE_IP[$cloud_gw]}:10273/metrics" |
    grep -q '^raven_agent_refused_prefixes [1-9]'
}
wait_for 10 "$cloud_gw counts the forged claim as refused" refused_by_agent
nq "$cloud_gw" curl -sS "http://${NODE_IP[$cloud_gw]}:10273/healthz?verbose" |
  grep -q "not routed: $victim_cidr of Gateway gw-aaa" || die "$cloud_gw's /healthz?verbose does not show it"
got=$(echoes)
kill -CONT "${DAEMON_PID[controller]}"
result "forgery.echoes_received=$got/30"
(( got == 30 )) || die "edge-b lost $(( 30 - got )) of 30 echoes to a forged status"
grep -q "not routed: $victim_cidr of Gateway gw-aaa overlaps $victim_cidr of Gateway gw-edge-b" \
  "$LOG_DIR/$cloud_gw.log" || die "$cloud_gw does not say why it refused the forged claim"

log "== gw-edge-b's status is corrupted: $victim_node's subnet with host bits set"
edge_b_active=$(active_endpoint gw-edge-b)
victim_ip=$(kc get gateway gw-edge-b -o json | "${UTIL[@]}" jsonpath "status.nodes.0.privateIP")
bad_cidr=${victim_cidr/.0\//.5/}
[[ $bad_cidr != "$victim_cidr" ]] || die "cannot corrupt $victim_cidr"
echoes >"$OUT/corrupt-echoes" &
pinger=$!
# The controller held while the agents see the corrupted status (its rewrite
# could otherwise reach an agent's watch together with the corruption).
kill -STOP "${DAEMON_PID[controller]}"
kc patch gateway gw-edge-b --subresource=status --type=merge -p \
  "{\"status\":{\"nodes\":[{\"nodeName\":\"$victim_node\",\"privateIP\":\"$victim_ip\",\"subnets\":[\"$bad_cidr\"]}]}}" >&3
says_why() {
  grep -q "Gateway gw-edge-b rejected: status.nodes\[0\].subnets\[0\]: invalid CIDR \"$bad_cidr\"" \
    "$LOG_DIR/$cloud_gw.log"
}
wait_for 10 "$cloud_gw says why it keeps gw-edge-b's last good version" says_why
kill -CONT "${DAEMON_PID[controller]}"
rewritten() {
  kc get gateway gw-edge-b -o json | "${UTIL[@]}" jsonpath "status.nodes.0.subnets.0" |
    grep -qx -- "$victim_cidr"
}
wait_for 10 "the controller rewrites gw-edge-b's status" rewritten
wait "$pinger"
got=$(<"$OUT/corrupt-echoes")
result "corrupt.echoes_received=$got/30"
(( got == 30 )) || die "edge-b lost $(( 30 - got )) of 30 echoes to a corrupted status"
[[ $(active_endpoint gw-edge-b) == "$edge_b_active" ]] ||
  die "the rewrite moved gw-edge-b's active endpoint from $edge_b_active to $(active_endpoint gw-edge-b)"
kc get events -o json | grep -q '"reason": *"InvalidStatus"' || die "no InvalidStatus Event"

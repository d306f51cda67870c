#!/bin/bash
# Bad Gateway input must not disturb a running dataplane: the agent logs the
# problem, naming the Gateway, and keeps the last good state.
#
#   pod a1p0 100.64.1.2 fd64:1::2                      pod b1p0 100.64.2.2 fd64:2::2
#          │ rvpa1p0                                          │ rvpb1p0
#   ┌──────┴──────────────┐  ul0              ul0  ┌──────────┴──────────┐
#   │ a1 cni0 100.64.1.1  ├─198.18.0.1──198.18.0.2─┤ b1 cni0 100.64.2.1  │
#   │ raven-agent (gw-a)  │       underlay         │ raven-agent (gw-b)  │
#   └─────────────────────┘                        └─────────────────────┘
#
# One Gateway file is shared by both agents, as a watch on the API server
# would be. In turn it becomes: (i) truncated JSON, (ii) gw-b with subnet
# 100.64.2.0/33, (iii) gw-b's active endpoint without config.publicKey. After
# each: a log line naming the problem, both route tries dumped byte-identical,
# the WireGuard configuration (`wg show DEV dump` less handshake times and
# transfer counters, which move with traffic) identical, pings still answered.
# Then a good file with one more subnet for b1 must be applied, and removing
# it again withdraws it, also when removed while the agent was down (kill -9):
# the restarted agent must delete the stale pinned entry and AllowedIP.
#
# Run: RAVEN_AGENT=build/daemon/raven-agent tests/e2e/bad_input.sh   (as root)

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
e2e_init

log "== topology"
add_node a1
add_node b1
link_nodes a1 ul0 198.18.0.1/24 b1 ul0 198.18.0.2/24
add_cni a1 100.64.1 fd64:1
add_cni b1 100.64.2 fd64:2
add_pod a1
add_pod b1
define_gateway gw-a a1 198.18.0.1
define_gateway gw-b b1 198.18.0.2
define_member a1 gw-a 198.18.0.1
define_member b1 gw-b 198.18.0.2

log "== agents"
make_key a1
make_key b1
write_gateways
start_agent a1
start_agent b1
wait_for 30 "a1p0 -> b1p0 ping" ping_ok a1p0 "${POD_IP4[b1p0]}"
wait_for 10 "a1 routes gw-b's subnets" has_routes a1 100.64.2.0/24 fd64:2::/64
wait_for 10 "b1 routes gw-a's subnets" has_routes b1 100.64.1.0/24 fd64:1::/64

# snapshot: raw bpftool dumps of both tries and the WireGuard configuration of both nodes.
snapshot() {
  local node
  for node in a1 b1; do
    echo "## $node routes4"; bpftool map dump pinned "$(pinned "$node" raven_routes4_v1)" -j
    echo "## $node routes6"; bpftool map dump pinned "$(pinned "$node" raven_routes6_v1)" -j
    echo "## $node wg"; wg_peers "$node"
  done
}
good=$(snapshot)
log "state to keep: $(routes a1 4 | tr '\n' ';') $(routes a1 6 | tr '\n' ';') $(grep -c '^peer ' <<<"$good") WireGuard peers"

# expect_rejected WHAT REGEX: wait for a1's log to report the problem, then check nothing moved.
expect_rejected() {
  local what=$1 re=$2 t0
  t0=$(now_us)
  wait_log a1 "$from" "$re" 10
  result "bad_input.$what.log_ms=$(ms_since "$t0")"
  check_agents_alive
  [[ $(snapshot) == "$good" ]] || { diff <(echo "$good") <(snapshot) >&3 || true; die "$what: the dataplane changed"; }
  check_ping a1p0 "${POD_IP4[b1p0]}"
  check_ping b1p0 "${POD_IP6[a1p0]}"
  [[ $(snapshot) == "$good" ]] || die "$what: the dataplane changed"
  log "$what: rejected, dataplane unchanged"
}
# Log lines look like "2026-11-25T08:59:01.123Z E file.cc:42] message": match warnings and
# errors whose message (after "] ") says what went wrong.
msg='^[^ ]+ [EW] [^ ]+\] '

log "== (i) malformed JSON (a truncated file)"
from=$(log_lines a1)
good_json=$(cat "$GW_FILE")
printf '%s' "${good_json:0:$(( ${#good_json} / 2 ))}" | write_file_atomically "$GW_FILE"
expect_rejected malformed_json "$msg.*(json|parse|syntax|gateways\.json)"

log "== (ii) gw-b with subnet 100.64.2.0/33"
from=$(log_lines a1)
write_gateways 'gw("gw-b")["status"]["nodes"][0]["subnets"][0] = "100.64.2.0/33"'
expect_rejected invalid_cidr "$msg(.*gw-b.*100\.64\.2\.0/33|.*100\.64\.2\.0/33.*gw-b)"

log "== (iii) gw-b's active endpoint without a public key"
from=$(log_lines a1)
write_gateways 'del gw("gw-b")["status"]["activeEndpoints"][0]["config"]["publicKey"]'
expect_rejected no_public_key "$msg(.*gw-b.*public ?key|.*public ?key.*gw-b)"

log "== good file again, with one more subnet for b1"
NODE_SUBNETS[b1]+=",100.64.20.0/24,fd64:20::/64"
t0=$(now_us)
write_gateways
wait_for 10 "a1 routes 100.64.20.0/24 and fd64:20::/64" has_routes a1 100.64.20.0/24 fd64:20::/64
result "good_input.apply_ms=$(ms_since "$t0")"
routes4=$(routes a1 4)
log "a1 routes4:"$'\n'"$routes4"
[[ $(wc -l <<<"$routes4") == 2 && $routes4 == *"100.64.2.0/24 action=1 "* ]] || die "a1: want 100.64.2.0/24 and 100.64.20.0/24"
peer_has_new() {
  [[ $(wg_peers a1) == *"peer ${NODE_KEY[b1]} endpoint=198.18.0.2:4500 allowed-ips=100.64.2.0/24,100.64.20.0/24,fd64:2::/64,fd64:20::/64,$(tunnel_host "${NODE_KEY[b1]}") "* ]]
}
wait_for 10 "a1 WireGuard peer allows 100.64.20.0/24 and fd64:20::/64" peer_has_new
[[ $(routes b1 4) == "100.64.1.0/24 action=1 "* && $(routes b1 4 | wc -l) == 1 ]] || die "b1: its own new subnet must not be a remote route"
check_ping a1p0 "${POD_IP4[b1p0]}"
check_ping b1p0 "${POD_IP6[a1p0]}"

log "== a removed subnet is withdrawn, also when removed while the agent was down"
NODE_SUBNETS[b1]="100.64.2.0/24,fd64:2::/64,100.64.20.0/24"
write_gateways
no_v6_extra() { ! has_routes a1 fd64:20::/64 && has_routes a1 100.64.20.0/24 fd64:2::/64; }
wait_for 10 "a1 withdraws fd64:20::/64" no_v6_extra
stop_agent a1 KILL
NODE_SUBNETS[b1]="100.64.2.0/24,fd64:2::/64"
write_gateways
start_agent a1
no_extra() { ! has_routes a1 100.64.20.0/24 && has_routes a1 100.64.2.0/24 fd64:2::/64; }
wait_for 10 "restarted a1 withdraws the stale 100.64.20.0/24" no_extra
peer_back() {
  [[ $(wg_peers a1) == *"peer ${NODE_KEY[b1]} endpoint=198.18.0.2:4500 allowed-ips=100.64.2.0/24,fd64:2::/64,$(tunnel_host "${NODE_KEY[b1]}") "* ]]
}
wait_for 10 "a1 WireGuard peer back to gw-b's two subnets" peer_back
[[ $(snapshot) == "$good" ]] || { diff <(echo "$good") <(snapshot) >&3 || true; die "a1/b1 state differs from the original after the round trip"; }
check_ping a1p0 "${POD_IP4[b1p0]}"

#!/bin/bash
# The lab works: `scripts/lab.sh up --no-install` brings up three pools (cloud,
# two edge pools behind NAT) and every pod reaches every other pod, IPv4 and
# IPv6, as its matrix says and as plain pings confirm; nothing is routed from
# the root namespace; the API token is in 0600 files and on no command
# line; a second `up` refuses, `up --recreate` starts over;
# `status` reports six healthy agents; `degrade a b --loss 100` cuts edge-a
# from edge-b alone (their pods answer through the detour via gw-cloud),
# `restore` heals it, `degrade cloud a --delay 100` adds
# 200 ms to cloud <-> edge-a round trips alone (and gw-cloud's status.paths
# shows it, measured by the cloud gateway); `down` leaves nothing named rvlab- or
# raven-lab behind (namespaces, processes, mounts, pins, sockets, state), and a
# second `down` is a no-op.
#
# In the CNI mode RAVEN_LAB_CNI (bridge, the default; flannel; calico: lab.sh
# reads it), with RAVEN_LAB_FORWARD_NODE_IP=1 the agents get --forward-node-ip.
# Per mode, the nodes' routes to the pod CIDRs of their pool peer are the
# mode's (bridge: via the LAN; flannel: flannel.1 to every node, other pools'
# included; calico: bird's, from running birds with established sessions);
# `down` also leaves no bird and no CNI state.
#
# Builds with ninja -C build when RAVEN_AGENT is unset or is build/'s agent;
# otherwise runs RAVEN_AGENT as it is (--no-build). Skipped (77) when not root
# or when a lab is already up (it is not ours to remove).
#
# Run: RAVEN_AGENT=build/daemon/raven-agent tests/e2e/lab.sh   (as root)
#      RAVEN_LAB_CNI=calico RAVEN_AGENT=... tests/e2e/lab.sh
set -eo pipefail
PATH=$PATH:/usr/sbin:/sbin
REPO_DIR=$(cd "$(dirname "$0")/../.." && pwd)
LAB=$REPO_DIR/scripts/lab.sh
OUT=$(mktemp -d /tmp/lab-test.XXXXXX)

log() { printf '%s %s\n' "$(date +%T.%3N)" "$*"; }
die() { log "FAIL: $*"; exit 1; }
now_us() { printf '%s' "${EPOCHREALTIME/./}"; }
ms_since() { printf '%d' $(( ($(now_us) - $1) / 1000 )); }

if (( EUID != 0 )); then echo "SKIP: needs root"; exit 77; fi
for tool in ip nft wg wireguard-go bpftool python3 ping; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done
if ip netns list | grep -q '^rvlab-' || [[ -d /run/raven-lab ]]; then
  echo "SKIP: a lab is already up (scripts/lab.sh down removes it)"
  exit 77
fi

cni=${RAVEN_LAB_CNI:-bridge}
case $cni in
  bridge) ;;
  flannel|calico)
    for tool in /usr/lib/cni/bridge /usr/lib/cni/ptp /usr/lib/cni/host-local; do
      [[ -x $tool ]] || { echo "SKIP: $tool not installed (containernetworking-plugins)"; exit 77; }
    done
    if [[ $cni == calico ]] && ! command -v bird >/dev/null; then echo "SKIP: bird not installed (bird2)"; exit 77; fi
    ;;
  *) echo "RAVEN_LAB_CNI=$cni: want bridge, flannel or calico" >&2; exit 2 ;;
esac
up_args=(--no-install)
if [[ -n $RAVEN_AGENT && $(readlink -f "$RAVEN_AGENT") != "$(readlink -f "$REPO_DIR/build/daemon/raven-agent")" ]]; then
  up_args+=(--no-build)
  RAVEN_AGENT=$(readlink -f "$RAVEN_AGENT")
  export RAVEN_AGENT
fi

started=0
finish() {
  local rc=$?
  trap - EXIT
  set +e
  if (( started )); then
    if (( rc != 0 )); then
      log "---- lab.log (last 40 lines), agent logs (last 10 lines each)"
      tail -n 40 /var/log/raven-lab/lab.log
      for f in /var/log/raven-lab/[a-z][0-9].log; do echo "== $f"; tail -n 10 "$f"; done
    fi
    "$LAB" down >/dev/null 2>&1
  fi
  rm -rf "$OUT"
  if (( rc == 0 )); then log "PASS: $(basename "$0")"; else log "FAIL: $(basename "$0") (exit $rc)"; fi
  exit "$rc"
}
trap finish EXIT

# check_matrix FILE: the output of up or status shows every pair reachable.
check_matrix() {
  local rows
  grep -q '^reachable 264/264 pairs (cross-pool 192/192)$' "$1" || die "$1: not every pod pair is reachable"
  rows=$(grep -E '^[a-z][0-9]p[0-9] \(' "$1") || die "$1: no matrix"
  (( $(wc -l <<<"$rows") == 2 * 12 )) || die "$1: want 12 rows in each of the two matrices"
  (( $(grep -o '✓' <<<"$rows" | wc -l) == 2 * 12 * 11 )) || die "$1: want 264 ✓ in the two matrices"
  ! grep -q '✗' <<<"$rows" || die "$1: a ✗ in the matrix"
}

# leftovers: everything named rvlab- or raven-lab that should not outlive `down`.
leftovers() {
  local p args
  ip netns list | awk '$1 ~ /^rvlab-/ {print "namespace " $1}'
  for p in /proc/[0-9]*; do
    args=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
    [[ $args == *rvlab-* || $args == */raven-lab* || $args == */lab/link_delay.py* ]] &&
      echo "process ${p#/proc/}: $args"
  done
  grep -E 'rvlab-|raven-lab' /proc/self/mountinfo | sed 's/^/mount /'
  for p in /run/raven-lab /var/lib/raven-lab /var/run/wireguard/rvlab-* /var/lib/cni/networks/rvlab; do
    [[ ! -e $p ]] || echo "path $p"
  done
  # the birds of the lab's pid files (calico mode; also those --recreate replaced), and
  # no CNI plugin still running
  for p in "${birds[@]}"; do
    [[ ! -e /proc/$p || $(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) == Z ]] ||
      echo "bird $p: $(tr '\0' ' ' <"/proc/$p/cmdline")"
  done
  for p in /proc/[0-9]*; do
    args=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
    [[ $args != /usr/lib/cni/* ]] || echo "CNI plugin ${p#/proc/}: $args"
  done
  true
}

# note_birds: remembers the pids of the lab's birds (their pid files).
birds=()
note_birds() {
  local f
  for f in /run/raven-lab/bird/*.pid; do [[ ! -f $f ]] || birds+=("$(<"$f")"); done
}

# pool_route NODE V4_CIDR V6_CIDR LAN4 LAN6: NODE's routes to a pool peer's pod CIDRs
# (the peer's LAN addresses LAN4, LAN6) are the CNI mode's.
pool_route() {
  local r4 r6 ok
  r4=$(ip -n "rvlab-$1" route show "$2") r6=$(ip -n "rvlab-$1" -6 route show "$3")
  case $cni in
    bridge) [[ $r4 == "$2 via $4 "* && $r6 == "$3 via $5 "* ]] ;;
    flannel) [[ $r4 == "$2 via ${2%/*} dev flannel.1 onlink"* && $r6 == "$3 via ${3%/*} dev flannel-v6.1 "*onlink* ]] ;;
    calico) [[ $r4 == "$2 via $4 dev "*"proto bird"* && $r6 == "$3 via $5 dev "*"proto bird"* ]] ;;
  esac && ok=1
  [[ -n $ok ]] || die "$1: the routes to $2 and $3 are not the $cni mode's: '$r4' '$r6'"
}

log "== scripts/lab.sh up ${up_args[*]}"
started=1
t0=$(now_us)
"$LAB" up "${up_args[@]}" | tee "$OUT/up.txt" || die "scripts/lab.sh up exited $?"
log "RESULT lab.up_ms=$(ms_since "$t0") lab.cni=$cni"
check_matrix "$OUT/up.txt"
grep -q "^lab is up after .* (CNI $cni;" "$OUT/up.txt" || die "up did not say CNI $cni"

log "== the CNI mode's routes within a pool ($cni)"
pool_route a2 100.64.21.0/24 fd64:21::/64 100.127.2.11 fd7f:2::11
pool_route c1 100.64.12.0/24 fd64:12::/64 198.18.0.12 fd7f:1::12
pool_route b1 100.64.32.0/24 fd64:32::/64 100.127.3.12 fd7f:3::12
if [[ $cni == flannel ]]; then
  # flannel knows no pools: a route to every node, black-holed behind the other NAT
  [[ $(ip -n rvlab-a2 route get 100.64.31.2) == *" dev flannel.1 "* ]] || die "a2: 100.64.31.2 is not routed via flannel.1"
  bridge -n rvlab-a2 fdb show dev flannel.1 | grep -q ' dst 100.127.3.11 ' || die "a2: no fdb entry of flannel.1 for b1"
fi
[[ $cni == bridge ]] || [[ $(ip -n rvlab-a2 -o link show type veth | grep -c ': veth') == 2 ]] ||
  die "a2: want two host veths veth* of its pods"
grep -q '^lab is up after ' "$OUT/up.txt" || die "no 'lab is up' line"
grep -q 'scripts/lab.sh down' "$OUT/up.txt" || die "no 'where to look' section"

log "== the API token is in 0600 files only, on no command line"
cluster=/var/lib/raven-lab/cluster
token=$(<"$cluster/token") || die "no token file"
[[ ${#token} -ge 32 ]] || die "token too short: ${#token} characters"
for f in "$cluster/token" "$cluster/kubeconfig"; do
  [[ $(stat -c %a "$f") == 600 ]] || die "$f has mode $(stat -c %a "$f"), want 600"
done
for p in /proc/[0-9]*; do
  args=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
  [[ $args != *"$token"* ]] || die "the token is on the command line of process ${p#/proc/}: ${args:0:80}"
done

log "== the root namespace routes nothing of the lab"
routes=$(ip -4 route show table all; ip -6 route show table all)
! grep -E '(^| )(100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.|198\.1[89]\.|fd64:|fd7f:)' <<<"$routes" ||
  die "a route for a lab range in the root namespace"

log "== every cross-pool pod pair, IPv4 and IPv6, with ping(8)"
mapfile -t pods </run/raven-lab/pods
(( ${#pods[@]} == 12 )) || die "want 12 pods in /run/raven-lab/pods, got ${#pods[@]}"
count=0
for src in "${pods[@]}"; do
  read -r _ _ src_ns src_gw _ _ <<<"$src"
  for dst in "${pods[@]}"; do
    read -r _ dst_name _ dst_gw v4 v6 <<<"$dst"
    [[ $src_gw != "$dst_gw" ]] || continue
    for addr in "$v4" "$v6"; do
      ip netns exec "$src_ns" ping -c 1 -W 2 -q "$addr" >/dev/null ||
        ip netns exec "$src_ns" ping -c 2 -i 0.2 -W 2 -q "$addr" >/dev/null ||
        die "ping $src_ns -> $dst_name ($addr) failed"
      count=$((count + 1))
    done
  done
done
(( count == 192 )) || die "pinged $count cross-pool pairs, want 192"
log "192 cross-pool pings answered"

log "== status"
"$LAB" status | tee "$OUT/status.txt" || die "scripts/lab.sh status exited $?"
check_matrix "$OUT/status.txt"
(( $(grep -c 'healthz: ok' "$OUT/status.txt") == 6 )) || die "status: want 6 running, healthy agents"
(( $(grep -c 'WireGuard: 2/2 peers with a handshake' "$OUT/status.txt") == 3 )) ||
  die "status: want 3 gateways with a handshake with both other pools"
grep -q "^CNI: $cni " "$OUT/status.txt" || die "status: no 'CNI: $cni' line"
if [[ $cni == calico ]]; then
  (( $(grep -c 'BGP sessions established 2/2' "$OUT/status.txt") == 6 )) ||
    die "status: want 6 birds with both BGP sessions established"
fi

log "== up while up refuses"
rc=0
"$LAB" up --no-install --no-build >"$OUT/again.txt" 2>&1 || rc=$?
cat "$OUT/again.txt"
(( rc != 0 )) || die "a second up exited 0"
grep -q 'already up' "$OUT/again.txt" || die "a second up did not say the lab is already up"

note_birds
[[ $cni != calico ]] || (( ${#birds[@]} == 6 )) || die "want 6 bird pid files, got ${#birds[@]}"
log "== up --recreate"
"$LAB" up --no-install --no-build --recreate >"$OUT/recreate.txt" 2>&1 || { cat "$OUT/recreate.txt"; die "up --recreate exited $?"; }
tail -n 1 "$OUT/recreate.txt"
check_matrix "$OUT/recreate.txt"

log "== degrade and restore the links between sites"
declare -A ip4=()
while read -r _ pod _ _ v4 _; do ip4[$pod]=$v4; done </run/raven-lab/pods
loss() { ip netns exec "rvlab-$1" ping -c 20 -i 0.05 -W 1 -q "${ip4[$2]}" | sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p'; }
rtt_ms() { ip netns exec "rvlab-$1" ping -c 3 -i 0.2 -W 2 -q "${ip4[$2]}" | awk -F/ '/^rtt/ {printf "%d", $5}'; }
"$LAB" degrade a b --loss 100 || die "degrade a b --loss 100 exited $?"
# The underlay between the two edge sites drops everything; edge-a <-> edge-b
# detours through gw-cloud's relay (daemon/failover/path_choice.h) within a
# few seconds, and the pods answer again.
for (( i = 0; i < 20; i++ )); do ip netns exec rvlab-a2p0 ping -c 1 -W 1 -q "${ip4[b2p0]}" >/dev/null && break; done
[[ $(loss a2p0 b2p0) == 0 ]] || die "a <-> b did not detour around --loss 100"
ip netns exec rvlab-inet nft list table bridge rvlab_degrade | grep -q 'counter packets [1-9]' ||
  die "degrade a b --loss 100 dropped nothing between the sites"
[[ $(loss a2p0 c2p0) == 0 ]] || die "a <-> cloud lost echoes while only a <-> b was degraded"
"$LAB" restore || die "restore exited $?"
for (( i = 0; i < 20; i++ )); do ip netns exec rvlab-a2p0 ping -c 1 -W 1 -q "${ip4[b2p0]}" >/dev/null && break; done
[[ $(loss a2p0 b2p0) == 0 ]] || die "a <-> b still lossy after restore"
# And back on the direct path (after the detour's hold time), as gw-edge-a's status says.
a_to_b_path() { "$LAB" kubectl get gw gw-edge-a -o jsonpath='{.status.paths[?(@.gateway=="gw-edge-b")].path}'; }
deadline=$(( $(now_us) + 15000000 ))
until [[ $(a_to_b_path) == Direct ]]; do
  (( $(now_us) < deadline )) || die "gw-edge-a's path to gw-edge-b is $(a_to_b_path) 15 s after restore"
  sleep 0.2
done
# The cloud gateway's measured round trip to edge-a, as gw-cloud's status says it.
cloud_a_rtt_us() {
  "$LAB" kubectl get gw gw-cloud -o jsonpath='{.status.paths[?(@.gateway=="gw-edge-a")].rttMicroseconds}'
}
# wait_status SECONDS OP MICROS: until the published round trip compares so (test OP).
wait_status() {
  local deadline=$(( $(now_us) + $1 * 1000000 )) v
  until v=$(cloud_a_rtt_us) && [[ -n $v ]] && test "$v" "$2" "$3"; do
    (( $(now_us) < deadline )) || die "gw-cloud's status: round trip to gw-edge-a '$v' us, want $2 $3"
    sleep 0.2
  done
}
wait_status 10 -lt 50000
t0=$(now_us)
"$LAB" degrade cloud a --delay 100 || die "degrade cloud a --delay 100 exited $?"
slow=$(rtt_ms c2p0 a2p0) fast=$(rtt_ms b2p0 a2p0)
log "RESULT degrade.cloud_a_rtt_ms=$slow degrade.b_a_rtt_ms=$fast"
(( slow >= 200 && slow < 400 )) || die "cloud <-> a round trip $slow ms with 100 ms each way"
(( fast < 100 )) || die "b <-> a round trip $fast ms with only cloud <-> a delayed"
wait_status 15 -ge 150000
log "RESULT degrade.status_rtt_us=$(cloud_a_rtt_us) degrade.status_after_ms=$(ms_since "$t0")"
# left in place: down removes the delaying hop too

log "== down"
note_birds
t0=$(now_us)
"$LAB" down || die "scripts/lab.sh down exited $?"
log "RESULT lab.down_ms=$(ms_since "$t0")"
started=0
left=$(leftovers)
[[ -z $left ]] || die "left after down:"$'\n'"$left"
log "nothing named rvlab- or raven-lab is left (no bird, no CNI state)"
out=$("$LAB" down) || die "a second down exited $?"
[[ $out == "no lab was up" ]] || die "a second down said: $out"
rc=0
"$LAB" status >/dev/null || rc=$?
(( rc == 3 )) || die "status with no lab exited $rc, want 3"

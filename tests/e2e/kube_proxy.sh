#!/bin/bash
# lab/kube_proxy.py's rules in a real kernel, probed with lab/tcp_probe.py:
# Services DNATed the way kube-proxy's nftables mode does it, no Raven involved.
#
#   inet 198.18.0.1 fd7f:1::1 (a host outside the cluster; routes the service
#    │                         ranges 100.96.0.0/16, fd96::/64 to the node)
#    │ kp-ul0 198.18.0.11/24 fd7f:1::11/64 (the node IP; default route via inet)
#   node ─ kp-cni0 100.64.11.1 fd64:11::1 ── pod 100.64.11.2 fd64:11::2
#    │  forwards; runs the kube_proxy.py rules (--node-ips 198.18.0.11,fd7f:1::11
#    │  --cluster-cidrs 100.64.0.0/16,fd64::/16)
#    ├ kp-ep1 (unnumbered: the node IP as /32, /128) ── ep1 100.64.21.2 fd64:21::2 :8080
#    └ kp-ep2 (likewise)                              ── ep2 100.64.22.2 fd64:22::2 :8080
#
# Checks (an answer is "<server> <client address the server saw>"):
# ClusterIP v4 and v6 from the pod reach ep1 with the pod's address (no
# masquerade inside the cluster CIDRs); from the node itself (nat-output) and
# from inet (outside the cluster CIDRs) they are masqueraded to the node IP;
# without --cluster-cidrs inet's address is kept, with --masquerade-all even
# the pod's is replaced. NodePort 30080 on the node IP (v4, v6; from inet, the
# pod, the node) reaches ep2 masqueraded to the node IP, and is not served on
# the node's other address (100.64.11.1). A two-endpoint Service spreads 20
# connections over both endpoints (numgen), v4 and v6. A Service without
# endpoints is refused at once. Re-applying the rules, and applying another
# service set then this one again, gives byte-identical `nft list table`
# output; `cleanup` removes both tables (twice without error). `resolve` of a
# headless Service prints its endpoints.
#
# Namespaces rvkp-<name>-$$, removed on exit (trap), also on failure. Nothing
# is routed from the root namespace. Root only (exit 77 otherwise).
#
# Run: tests/e2e/kube_proxy.sh   (as root, from anywhere)

set -euo pipefail
if (( EUID != 0 )); then echo "SKIP: needs root"; exit 77; fi
PATH=$PATH:/usr/sbin:/sbin
for tool in ip nft python3; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done

REPO_DIR=$(cd "$(dirname "$0")/../.." && pwd)
# The real interpreter: a version-manager shim in PATH can cost half a second a call.
PYTHON=$(python3 -c 'import sys; print(sys.executable)')
KUBE_PROXY=("$PYTHON" "$REPO_DIR/lab/kube_proxy.py")
TCP_PROBE=("$PYTHON" "$REPO_DIR/lab/tcp_probe.py")
ID=$$
RUN_DIR=$(mktemp -d "/tmp/rvkp-$ID.XXXXXX")
NODE_IPS=198.18.0.11,fd7f:1::11
CLUSTER_CIDRS=100.64.0.0/16,fd64::/16
declare -a NAMESPACES=() SERVER_PIDS=()

log() { printf '%s %s\n' "$(date +%T.%3N)" "$*"; }
die() { log "FAIL: $*"; exit 1; }
ns() { printf 'rvkp-%s-%s' "$1" "$ID"; }
nq() { local who=$1; shift; ip netns exec "$(ns "$who")" "$@"; }
ipn() { local who=$1; shift; ip -n "$(ns "$who")" "$@"; }

diagnostics() {
  log "diagnostics (node):"
  nq node nft list ruleset 2>&1 | sed 's/^/    /' || true
  ipn node route 2>&1 | sed 's/^/    /' || true
  ipn node -6 route 2>&1 | sed 's/^/    /' || true
  if command -v conntrack >/dev/null; then nq node conntrack -L 2>&1 | sed 's/^/    /'; fi
  tail -n 5 "$RUN_DIR"/*.out 2>/dev/null | sed 's/^/    /' || true
}

cleanup() {
  local rc=$? pid name
  trap - EXIT
  set +e
  (( rc == 0 )) || diagnostics
  for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${SERVER_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  for name in "${NAMESPACES[@]}"; do ip netns delete "$name"; done
  rm -rf "$RUN_DIR"
  if (( rc == 0 )); then log "PASS: $(basename "$0")"; else log "FAIL: $(basename "$0") (exit $rc)"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM # meson's timeout
trap 'exit 130' INT

# ---------------------------------------------------------------- topology
add_ns() {
  ip netns add "$(ns "$1")"
  NAMESPACES+=("$(ns "$1")")
  ipn "$1" link set lo up
  nq "$1" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
}

# veth A IF_A B IF_B: a link between two namespaces, both ends up.
veth() {
  ipn "$1" link add "$2" type veth peer name "$4" netns "$(ns "$3")"
  ipn "$1" link set "$2" up
  ipn "$3" link set "$4" up
}

log "== topology (namespaces rvkp-*-$ID)"
for name in node inet pod ep1 ep2; do add_ns "$name"; done
nq node sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
  net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0

veth node kp-ul0 inet eth0
ipn node addr add 198.18.0.11/24 dev kp-ul0
ipn node addr add fd7f:1::11/64 dev kp-ul0 nodad
ipn inet addr add 198.18.0.1/24 dev eth0
ipn inet addr add fd7f:1::1/64 dev eth0 nodad
ipn node route add default via 198.18.0.1
ipn node -6 route add default via fd7f:1::1
ipn inet route add 100.96.0.0/16 via 198.18.0.11
ipn inet -6 route add fd96::/64 via fd7f:1::11

veth node kp-cni0 pod eth0
ipn node addr add 100.64.11.1/24 dev kp-cni0
ipn node addr add fd64:11::1/64 dev kp-cni0 nodad
ipn pod addr add 100.64.11.2/24 dev eth0
ipn pod addr add fd64:11::2/64 dev eth0 nodad
ipn pod route add default via 100.64.11.1
ipn pod -6 route add default via fd64:11::1

# Endpoints on links of their own where the node's only address is the node IP,
# so that masquerading toward them gives the node IP.
for i in 1 2; do
  veth node "kp-ep$i" "ep$i" eth0
  ipn node addr add 198.18.0.11/32 dev "kp-ep$i"
  ipn node addr add fd7f:1::11/128 dev "kp-ep$i" nodad
  ipn node addr add fe80::1/64 dev "kp-ep$i" nodad
  ipn node route add "100.64.2$i.0/24" dev "kp-ep$i"
  ipn node -6 route add "fd64:2$i::/64" dev "kp-ep$i"
  ipn "ep$i" addr add "100.64.2$i.2/24" dev eth0
  ipn "ep$i" addr add "fd64:2$i::2/64" dev eth0 nodad
  ipn "ep$i" route add 198.18.0.11/32 dev eth0
  ipn "ep$i" route add default via 198.18.0.11 dev eth0
  ipn "ep$i" -6 route add default via fe80::1 dev eth0
done

log "== endpoints: tcp_probe.py serve in ep1, ep2"
# The ready files are FIFOs held open here (read-write, so opening never
# blocks): a bounded read waits for each server's ready line.
declare -A READY_FD=()
for i in 1 2; do
  mkfifo "$RUN_DIR/ep$i.ready"
  exec {fd}<>"$RUN_DIR/ep$i.ready"
  READY_FD[$i]=$fd
  # Not through nq: $! must be the server itself (ip netns exec execs it), not a subshell.
  ip netns exec "$(ns "ep$i")" "${TCP_PROBE[@]}" serve --port 8080 --name "ep$i" --for 300 \
    --ready-file "$RUN_DIR/ep$i.ready" >"$RUN_DIR/ep$i.out" 2>&1 &
  SERVER_PIDS+=("$!")
done
for i in 1 2; do
  read -r -t 10 -u "${READY_FD[$i]}" _ || die "ep$i not listening after 10 s: $(cat "$RUN_DIR/ep$i.out")"
  fd=${READY_FD[$i]}
  exec {fd}>&-
done

# ---------------------------------------------------------------- helpers
SPEC=$RUN_DIR/services.txt
cat >"$SPEC" <<'EOF'
# the Services of this test (lab/kube_proxy.py's format)
clusterip default/web 4 100.96.0.10 80/tcp 100.64.21.2:8080
clusterip default/web 6 fd96::10 80/tcp [fd64:21::2]:8080
clusterip default/spread 4 100.96.0.20 80/tcp 100.64.21.2:8080 100.64.22.2:8080
clusterip default/spread 6 fd96::20 80/tcp [fd64:21::2]:8080 [fd64:22::2]:8080
clusterip default/empty 4 100.96.0.30 80/tcp
nodeport default/web-np 4 30080/tcp 100.64.22.2:8080
nodeport default/web-np 6 30080/tcp [fd64:22::2]:8080
headless default/db 100.64.21.2 fd64:21::2
EOF

# apply_rules SPEC_FILE [OPTIONS...]: kube_proxy.py rules for the node, applied in the node.
apply_rules() {
  local spec=$1
  shift
  "${KUBE_PROXY[@]}" rules --node-ips "$NODE_IPS" "$@" <"$spec" >"$RUN_DIR/rules.nft"
  nq node nft -f "$RUN_DIR/rules.nft"
}
tables() { nq node nft list table ip kube-proxy && nq node nft list table ip6 kube-proxy; }

# expect WHO ADDR PORT ANSWER: a probe from WHO gets exactly ANSWER.
expect() {
  local who=$1 addr=$2 port=$3 want=$4 got
  got=$(nq "$who" "${TCP_PROBE[@]}" probe "$addr" "$port" --timeout 2 --attempts 3) ||
    die "$who -> $addr:$port: no answer (want \"$want\")"
  [[ $got == "$want" ]] || die "$who -> $addr:$port answered \"$got\", want \"$want\""
  log "ok: $who -> $addr port $port: $got"
}

# expect_refused WHO ADDR PORT: the probe fails fast with "connection refused".
expect_refused() {
  local who=$1 addr=$2 port=$3 err
  if nq "$who" "${TCP_PROBE[@]}" probe "$addr" "$port" --timeout 2 2>"$RUN_DIR/probe.err"; then
    die "$who -> $addr:$port answered; want refused"
  fi
  err=$(<"$RUN_DIR/probe.err")
  [[ $err == *"connection refused"* ]] || die "$who -> $addr:$port: \"$err\", want connection refused"
  log "ok: $who -> $addr port $port refused"
}

# spread WHO ADDR N: N probes; every one answered by ep1 or ep2, each at least once.
spread() {
  local who=$1 addr=$2 n=$3 i got ep1=0 ep2=0
  for (( i = 0; i < n; i++ )); do
    got=$(nq "$who" "${TCP_PROBE[@]}" probe "$addr" 80 --timeout 2 --attempts 3) || die "$who -> $addr:80: no answer"
    case $got in
      "ep1 "*) ep1=$(( ep1 + 1 )) ;;
      "ep2 "*) ep2=$(( ep2 + 1 )) ;;
      *) die "$who -> $addr:80 answered \"$got\"" ;;
    esac
  done
  log "RESULT spread $addr: ep1=$ep1 ep2=$ep2 of $n"
  (( ep1 > 0 && ep2 > 0 )) || die "$addr: all $n connections went to one endpoint"
}

# ---------------------------------------------------------------- checks
log "== ClusterIP, --cluster-cidrs $CLUSTER_CIDRS"
apply_rules "$SPEC" --cluster-cidrs "$CLUSTER_CIDRS"
expect pod 100.96.0.10 80 "ep1 100.64.11.2"
expect pod fd96::10 80 "ep1 fd64:11::2"
expect node 100.96.0.10 80 "ep1 198.18.0.11"
expect node fd96::10 80 "ep1 fd7f:1::11"
expect inet 100.96.0.10 80 "ep1 198.18.0.11"
expect inet fd96::10 80 "ep1 fd7f:1::11"
expect_refused pod 100.96.0.30 80

log "== NodePort 30080 (externalTrafficPolicy Cluster: masqueraded)"
expect inet 198.18.0.11 30080 "ep2 198.18.0.11"
expect inet fd7f:1::11 30080 "ep2 fd7f:1::11"
expect pod 198.18.0.11 30080 "ep2 198.18.0.11"
expect node 198.18.0.11 30080 "ep2 198.18.0.11"
expect_refused pod 100.64.11.1 30080

log "== numgen spreads over two endpoints"
spread pod 100.96.0.20 20
spread pod fd96::20 20

log "== re-applying is idempotent"
tables >"$RUN_DIR/tables.1"
apply_rules "$SPEC" --cluster-cidrs "$CLUSTER_CIDRS"
tables >"$RUN_DIR/tables.2"
diff -u "$RUN_DIR/tables.1" "$RUN_DIR/tables.2" || die "re-applying the same rules changed the tables"
grep -v spread "$SPEC" >"$RUN_DIR/other.txt"
echo 'clusterip default/extra 4 100.96.0.40 81/tcp 100.64.22.2:8080' >>"$RUN_DIR/other.txt"
apply_rules "$RUN_DIR/other.txt" --cluster-cidrs "$CLUSTER_CIDRS"
expect pod 100.96.0.40 81 "ep2 100.64.11.2"
! nq node nft list table ip kube-proxy | grep -q spread || die "another service set left the spread chains"
apply_rules "$SPEC" --cluster-cidrs "$CLUSTER_CIDRS"
tables >"$RUN_DIR/tables.3"
diff -u "$RUN_DIR/tables.1" "$RUN_DIR/tables.3" || die "another service set, then this one: tables differ"
log "ok: identical tables ($(wc -l <"$RUN_DIR/tables.1") lines) after re-applying, and after another set and back"
got=$(nq pod "${TCP_PROBE[@]}" probe 100.96.0.20 80 --timeout 2 --attempts 3) || die "spread: no answer after re-applying"
[[ $got == "ep"[12]" 100.64.11.2" ]] || die "spread after re-applying answered \"$got\""

log "== masquerading modes"
apply_rules "$SPEC"
expect inet 100.96.0.10 80 "ep1 198.18.0.1"
expect pod 100.96.0.10 80 "ep1 100.64.11.2"
apply_rules "$SPEC" --masquerade-all
expect pod 100.96.0.10 80 "ep1 198.18.0.11"
expect pod fd96::10 80 "ep1 fd7f:1::11"

log "== headless resolution"
got=$("${KUBE_PROXY[@]}" resolve db <"$SPEC")
[[ $got == $'100.64.21.2\nfd64:21::2' ]] || die "resolve db: \"$got\""
log "ok: resolve db: $(echo "$got" | tr '\n' ' ')"
! "${KUBE_PROXY[@]}" resolve nothere <"$SPEC" 2>/dev/null || die "resolve of an unknown name succeeded"

log "== cleanup"
"${KUBE_PROXY[@]}" cleanup | nq node nft -f -
"${KUBE_PROXY[@]}" cleanup | nq node nft -f -
[[ -z $(nq node nft list tables) ]] || die "tables left after cleanup: $(nq node nft list tables)"
log "ok: no table left"

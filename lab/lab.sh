#!/usr/bin/env bash
# A Raven lab on this machine: a simulated edge cluster of three node pools (four with --nat-d) in
# network namespaces, the project's Kubernetes API server with the Gateway CRD,
# raven-controller electing each pool's gateway, and one raven-agent per node,
# joined over a simulated internet. Root only.
#
#   scripts/lab.sh up [--cni bridge|flannel|calico] [--nat-a KIND] [--nat-b KIND] [--nat-d KIND] [--cloud-expose public|lb] [--replicas N] [--forward-node-ip] [--no-install] [--no-build] [--recreate] [-v]
#   scripts/lab.sh status
#   scripts/lab.sh kubectl ARGS...      (e.g. get gw; label node a2 ...)
#   scripts/lab.sh degrade SITE SITE [--loss PCT] [--delay MS]   (sites: cloud a b d)
#   scripts/lab.sh restore
#   scripts/lab.sh down
#
# up: installs the Debian packages (scripts/install-deps.sh; not with
# --no-install), builds (meson setup with scripts/clang.ini, ninja -C build; not with --no-build,
# which takes $RAVEN_AGENT, $RAVEN_APISERVER, $RAVEN_CONTROLLER or build/'s as
# they are), creates the namespaces below with the pods of the CNI mode (--cni,
# default $RAVEN_LAB_CNI or bridge; see "Pod CIDRs" below), checks that the pods
# of a pool reach each other and no other pool's, starts raven-apiserver (HTTPS, token)
# in namespace rvlab-api at 198.18.0.2:6443, applies the CRD, creates the six (eight)
# Nodes (labelled raven.openyurt.io/gateway=<pool's Gateway>) and the three (four)
# Gateways (two candidate endpoints each, Replicas 1), starts raven-controller
# there and the agents in their own sessions (with the mode's --pod-interfaces,
# and --forward-node-ip with that option or RAVEN_LAB_FORWARD_NODE_IP=1; they
# publish their keys on their Nodes and renew heartbeat Leases; the controller
# elects; the agents program the dataplane from the Gateways' status), waits
# (at most 60 s) until every cross-pool pod pair answers ping, prints the
# reachability matrix and where to look, and exits, leaving the lab running.
# The options are kept in /run/raven-lab/options for status, down and relink. It refuses when a lab is up (--recreate removes it first). Setup
# failures remove what was made; if the pools do not converge the lab stays up
# for inspection and up exits 1.
# --nat-a KIND, --nat-b KIND: the NAT of edge site a (pool edge-a) and b, in
# RFC 4787 terms (lab/nat.sh has the exact rules; tests/e2e/nat_kinds.sh checks them):
#   forward   (default) masquerade + udp 4500/4501 forwarded to the site's two
#             nodes; the Gateway endpoints name the router's address and port
#   eim       endpoint-independent mapping and filtering ("full cone")
#   eim-apdf  endpoint-independent mapping, address-and-port-dependent filtering
#   edm       endpoint-dependent mapping (a random port per destination), APDF
#   double    eim-apdf at the site router behind an eim-apdf carrier NAT (CGNAT,
#             namespace rvlab-cgn-<site>: wan0 the site's public address, carrier
#             segment cgn0 192.0.2.0/24 for a (CGNAT .1, router .20), 198.51.100.0/24 for b (.1, .30))
# --nat-d KIND adds a fourth pool, edge-d (gw-edge-d: nodes d1, d2 on
# 100.127.4.0/24, pod CIDRs 100.64.41.0/24 and 100.64.42.0/24, router
# rvlab-nat-d at 198.18.0.50; with double, carrier segment 203.0.113.0/24),
# behind a NAT of that kind (default none: three pools).
# Every kind but forward forwards nothing, and the site's Gateway endpoints are
# underNAT without publicIP and publicPort: the edge gateway reaches the cloud
# (and a forward site) itself, keeping its mapping with WireGuard keepalives.
# Two sites that both forward nothing reach each other through the NAT relay
# of gw-cloud's active gateway (UDP 4600-4602 there; the README's "Edge sites
# behind NATs"): WireGuard end to end, the relay forwards ciphertext; and
# directly once hole punching gets through (all pairs but edm with eim-apdf,
# double or edm).
# --cloud-expose public|lb: how gw-cloud is reached. public (default): its nodes
# sit on the internet segment and its endpoints name their addresses
# (exposeType PublicIP). lb: exposeType LoadBalancer; c1 and c2 sit on a private
# LAN (lan0 100.127.1.11, .12; fd7f:1::11, ::12) behind namespace rvlab-lb, the
# cloud's load balancer and NAT gateway (wan0 198.18.0.40); raven-controller
# manages Service raven-tunnel-gw-cloud and its Endpoints in raven-system, and
# the stand-in lab/load_balancer.py (log lb.log) gives it 198.18.0.40 and
# forwards its ports (WireGuard 4500, the NAT relay's 4600-4602) to the node
# the Endpoints name, keeping the client's address.
# --replicas N: every Gateway's tunnelConfig.Replicas (default 1). With 2, each
# pool's second node is a standby: it keeps WireGuard sessions with the other
# pools' gateways, and every node moves to it within a second when the active
# gateway stops answering echoes (the README's "Failover under a second").
# status: the CNI mode, the NAT kinds, the Gateways (kubectl get gw) and their paths with
# the round trip and loss each active gateway measures, agent liveness, role,
# /healthz and WireGuard handshakes, bird's BGP sessions (calico), and the
# matrix again (exit 0 when every agent (and bird) runs and every pair
# answers, 1 otherwise, 3 when no lab is up).
# kubectl: kubectl with the lab's kubeconfig, run in namespace rvlab-api.
# down: stops the agents, controller and API server, runs the agents' --cleanup,
# stops the birds (calico), ends leftover wireguard-go daemons of lab devices,
# deletes every rvlab-* namespace, unmounts the bpffs, removes /run/raven-lab
# and /var/lib/raven-lab (CNI state included). Idempotent. Agent logs stay
# in /var/log/raven-lab until the next up.
#
#                         rvlab-inet: bridge inet0 198.18.0.1/24 ("the internet")
#        ┌───────────────┬──────────────┴──────┬──────────────────────┐
#   ul0 198.18.0.11  ul0 198.18.0.12    wan0 198.18.0.20        wan0 198.18.0.30
#   ┌────┴─────┐     ┌────┴─────┐   ┌─────────┴─────────┐   ┌─────────┴─────────┐
#   │ c1       │     │ c2       │   │ rvlab-nat-a       │   │ rvlab-nat-b       │
#   └──────────┘     └──────────┘   │ (--nat-a forward) │   │ (--nat-b forward) │
#                                   │ masquerade LAN,   │   │ masquerade LAN,   │
#   pool "cloud" (gw-cloud):        │ udp 4500 -> a1,   │   │ udp 4500 -> b1,   │
#   public node IPs, CNI routes     │ udp 4501 -> a2    │   │ udp 4501 -> b2    │
#                                   └─────────┬─────────┘   └─────────┬─────────┘
#   over the internet segment          lan0 100.127.2.1/24     lan0 100.127.3.1/24
#   (v6: fd7f:1::11, ::12)             ┌──────┴──────┐         ┌──────┴──────┐
#                                   a1       a2             b1       b2
#                                   .2.11    .2.12          .3.11    .3.12   (fd7f:2::11 ...)
#                                   pool "edge-a" (gw-edge-a) pool "edge-b" (gw-edge-b)
#
# Pod CIDRs: node <x><n> of pool p (cloud 1, edge-a 2, edge-b 3) has
# 100.64.<p><n>.0/24 and fd64:<p><n>::/64, pods <node>p0 (.2, ::2) and
# <node>p1 (.3, ::3): c1 100.64.11.0/24, c2 100.64.12.0/24, a1 100.64.21.0/24,
# a2 100.64.22.0/24, b1 100.64.31.0/24, b2 100.64.32.0/24. The CNI mode (lab/cni.sh):
#   bridge   a stand-in: bridge cni0 (.1, ::1), pod veths rvp<pod>; within a
#            pool, routes to the other node's pod CIDRs via its LAN address.
#   flannel  Debian's CNI plugins bridge (cni0) + host-local, pod veths veth*;
#            flannel's VXLAN devices flannel.1 and flannel-v6.1 route to EVERY
#            other node's pod CIDRs (lab/cni_flannel.sh): within a pool that
#            works, to another pool it is black-holed (its node IPs are behind NAT).
#   calico   the plugins ptp + host-local, pod veths veth*; each node's pod
#            CIDRs are blackhole routes that bird announces over iBGP to the
#            other node of its pool (lab/cni_calico.sh).
# Nothing routes another pool's pods: that is Raven's job.
# With NAT kind forward, edge gateways are reachable only through their
# router's port forward: their Gateway endpoints say underNAT: true, publicIP:
# the router's address, publicPort 4500 (first candidate) or 4501 (second). The first candidate of
# each Gateway (c1, a1, b1) is elected first; the second takes over when the
# first's agent stops renewing its heartbeat Lease.
# rvlab-api (198.18.0.2 on the internet segment): raven-apiserver :6443 and
# raven-controller (metrics :10272); each agent serves /metrics and /healthz on
# <node IP>:10273.
#
# Names: namespaces rvlab-<name>, WireGuard devices rvlab-wg-<node>, pins on a
# bpffs at /run/raven-lab/bpf/<node> (not under /sys, which ip netns exec
# remounts), PIDs in /run/raven-lab/<node|apiserver|controller>.pid, keys in
# /var/lib/raven-lab/<node>, certificates and kubeconfig in
# /var/lib/raven-lab/cluster, CNI configuration and host-local leases in
# /var/lib/raven-lab/cni/<node>, bird's configuration, control socket and pid
# file in /run/raven-lab/bird/<node>.{conf,ctl,pid}, logs in /var/log/raven-lab
# (lab.log: every command run by up and down; bird-<node>.log).
# RAVEN_LAB_LOG_LEVEL=debug makes the agents chattier (default info).
#
# Sourcing this file (tests/e2e/lab_lib.sh and bench/failover.sh do) defines the functions without
# running a command; after lab_plan (which loads the running lab's options),
# relink NODE restores a node whose link went down and up, in its CNI mode.
# Nothing is routed from the root namespace; no lab packet leaves the lab's
# namespaces.
set -eo pipefail

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO_DIR"

NS_PREFIX=rvlab- NS_SUFFIX=
WG_PREFIX=rvlab-wg- WG_SUFFIX=
RUN_DIR=/run/raven-lab
BPF_ROOT=$RUN_DIR/bpf
PID_DIR=$RUN_DIR
STATE_ROOT=/var/lib/raven-lab
LOG_DIR=/var/log/raven-lab
CLUSTER=1
CLUSTER_DIR=$STATE_ROOT/cluster
API_IP=198.18.0.2
LAB_LOG=$LOG_DIR/lab.log
AGENT_LOG_LEVEL=${RAVEN_LAB_LOG_LEVEL:-info}
AGENT_DETACH=1
CONVERGE_SECONDS=60
LOCK_FILE=/run/lock/raven-lab.lock
OPTIONS_FILE=$RUN_DIR/options
CNI_STATE_DIR=$STATE_ROOT/cni
BIRD_RUN_DIR=$RUN_DIR/bird
exec 3>/dev/null # the command log; up and down point it at $LAB_LOG
# shellcheck source-path=SCRIPTDIR source=topology.sh
source "$REPO_DIR/lab/topology.sh"
# shellcheck source-path=SCRIPTDIR source=services.sh
source "$REPO_DIR/lab/services.sh"
# shellcheck source-path=SCRIPTDIR source=nat.sh
source "$REPO_DIR/lab/nat.sh"
# shellcheck source-path=SCRIPTDIR source=lab_plan.sh
source "$REPO_DIR/lab/lab_plan.sh"
# shellcheck source-path=SCRIPTDIR source=lab_report.sh
source "$REPO_DIR/lab/lab_report.sh"
# shellcheck source-path=SCRIPTDIR source=degrade.sh
source "$REPO_DIR/lab/degrade.sh"

VERBOSE=0
die() { log "FAIL: $*"; printf 'lab.sh: %s\n' "$*" >&2; exit 1; }
say() { printf '%s\n' "$*"; (( VERBOSE )) || log "$*"; }
secs() { printf '%d.%d' $(( $1 / 1000 )) $(( $1 % 1000 / 100 )); }
usage() { { echo "usage:"; sed -n '7,12s/^# //p' "$0"; } >&2; exit 2; }

# ---------------------------------------------------------------- state of the machine
lab_namespaces() { ip netns list 2>/dev/null | awk '$1 ~ /^rvlab-/ {print $1}'; }
lab_is_up() { [[ -n $(lab_namespaces) || -d $RUN_DIR ]] || mountpoint -q "$BPF_ROOT"; }

# argv_of PID: the process's arguments, one per line (fails when it is gone).
argv_of() { local -a a; mapfile -d '' -t a 2>/dev/null <"/proc/$1/cmdline" && (( ${#a[@]} )) && printf '%s\n' "${a[@]}"; }

# find_agents: AGENT_PID of every running lab agent, from the PID files, then any
# raven-agent pinning under $BPF_ROOT (a lost PID file).
find_agents() {
  local node pid p args
  for node in "${LAB_NODES[@]}"; do
    [[ -f $PID_DIR/$node.pid ]] || continue
    pid=$(<"$PID_DIR/$node.pid")
    args=$(argv_of "$pid") || continue
    [[ $args == *$'\n'--node-name="$node"$'\n'* && $args == *$'\n'--bpffs-dir="$BPF_ROOT/$node"$'\n'* ]] &&
      AGENT_PID[$node]=$pid
  done
  local name
  for name in apiserver controller lb; do
    [[ -f $PID_DIR/$name.pid ]] || continue
    pid=$(<"$PID_DIR/$name.pid")
    args=$(argv_of "$pid") || continue
    [[ ($args == *raven-$name$'\n'* || $args == *load_balancer.py$'\n'*) && $args == *"$CLUSTER_DIR"* ]] &&
      DAEMON_PID[$name]=$pid
  done
  for p in /proc/[0-9]*; do
    args=$(argv_of "${p#/proc/}") || continue
    [[ ${args%%$'\n'*} == *raven-agent && $args == *$'\n'--bpffs-dir="$BPF_ROOT/"* ]] || continue
    [[ $args =~ $'\n'--node-name=([^$'\n']*) ]] || continue
    [[ -n ${AGENT_PID[${BASH_REMATCH[1]}]} ]] || AGENT_PID[${BASH_REMATCH[1]}]=${p#/proc/}
  done
}

agent_binary() {
  if [[ -f $RUN_DIR/agent ]]; then RAVEN_AGENT=$(<"$RUN_DIR/agent"); fi
}

# binaries BUILD: the agent, API server and controller to run (build/'s when BUILD=1).
binaries() {
  if (( $1 )); then
    RAVEN_AGENT=$REPO_DIR/build/daemon/raven-agent
    RAVEN_APISERVER=$REPO_DIR/build/lab/apiserver/raven-apiserver
    RAVEN_CONTROLLER=$REPO_DIR/build/controller/raven-controller
  fi
  local b
  for b in RAVEN_AGENT RAVEN_APISERVER RAVEN_CONTROLLER; do
    [[ -x ${!b} ]] || die "no executable at ${!b} (build it, or set $b)"
    printf -v "$b" '%s' "$(readlink -f "${!b}")"
  done
}

# ---------------------------------------------------------------- down
lab_down() {
  local was_up=0 ns
  lab_is_up && was_up=1
  lab_plan
  NODE_ORDER=("${LAB_NODES[@]}")
  agent_binary
  find_agents
  mapfile -t NAMESPACES < <(lab_namespaces)
  log "down: agents ${AGENT_PID[*]:-none}; namespaces ${NAMESPACES[*]:-none}"
  lab_restore
  cni_stop
  stop_services
  teardown
  kill_wireguard_go "$WG_PREFIX*"
  for ns in $(lab_namespaces); do ip netns del "$ns" 2>/dev/null || log "ip netns del $ns failed"; done
  rm -f /var/run/wireguard/"$WG_PREFIX"*.sock
  if mountpoint -q "$BPF_ROOT"; then umount "$BPF_ROOT"; fi
  rm -rf "$RUN_DIR" "$STATE_ROOT"
  if (( was_up )); then say "lab removed (agent logs kept in $LOG_DIR)"; else say "no lab was up"; fi
  [[ -z $(lab_namespaces) ]] || die "namespaces left: $(lab_namespaces | tr '\n' ' ')"
}

# ---------------------------------------------------------------- up
up_failed() {
  local rc=$1
  trap - EXIT ERR
  (( rc != 0 )) || return 0
  set +e
  [[ -z $FAILED_CMD ]] || printf 'lab.sh: failed: %s\n' "$FAILED_CMD" >&2
  printf 'lab.sh: the last commands (from %s):\n' "$LAB_LOG" >&2
  tail -n 4 "$LAB_LOG" | sed 's/^/    /' >&2
  diagnostics
  printf 'lab.sh: setup failed (exit %s); diagnostics are in %s; removing the partial lab\n' \
    "$rc" "$LAB_LOG" >&2
  lab_down >/dev/null 2>&1
  exit "$rc"
}

lab_up() {
  local install=1 build=1 recreate=0 t0 t_build t_topo t_cluster t_agents t_conv node
  local cni=${RAVEN_LAB_CNI:-bridge} forward=${RAVEN_LAB_FORWARD_NODE_IP:-0} nat_a=forward nat_b=forward
  local cloud=public nat_d=none replicas=1
  while (( $# )); do
    case $1 in
      --no-install) install=0 ;;
      --no-build) build=0 ;;
      --recreate) recreate=1 ;;
      --cni) (( $# >= 2 )) || usage; cni=$2; shift ;;
      --cni=*) cni=${1#--cni=} ;;
      --nat-a) (( $# >= 2 )) || usage; nat_a=$2; shift ;;
      --nat-a=*) nat_a=${1#--nat-a=} ;;
      --nat-b) (( $# >= 2 )) || usage; nat_b=$2; shift ;;
      --nat-b=*) nat_b=${1#--nat-b=} ;;
      --nat-d) (( $# >= 2 )) || usage; nat_d=$2; shift ;;
      --nat-d=*) nat_d=${1#--nat-d=} ;;
      --cloud-expose) (( $# >= 2 )) || usage; cloud=$2; shift ;;
      --cloud-expose=*) cloud=${1#--cloud-expose=} ;;
      --replicas) (( $# >= 2 )) || usage; replicas=$2; shift ;;
      --replicas=*) replicas=${1#--replicas=} ;;
      --forward-node-ip) forward=1 ;;
      -v|--verbose) VERBOSE=1 ;;
      *) usage ;;
    esac
    shift
  done
  [[ $cni == @(bridge|flannel|calico) ]] || die "no CNI mode '$cni' (bridge, flannel or calico)"
  [[ $cloud == @(public|lb) ]] || die "no --cloud-expose '$cloud' (public or lb)"
  [[ $replicas == [12] ]] || die "no --replicas '$replicas' (1 or 2: each pool has two candidate endpoints)"
  [[ $forward == [01] ]] || die "RAVEN_LAB_FORWARD_NODE_IP=$forward: want 0 or 1"
  nat_kind_ok "$nat_a" || die "no NAT kind '$nat_a' for --nat-a (forward, eim, eim-apdf, edm or double)"
  nat_kind_ok "$nat_b" || die "no NAT kind '$nat_b' for --nat-b (forward, eim, eim-apdf, edm or double)"
  [[ $nat_d == none ]] || nat_kind_ok "$nat_d" ||
    die "no NAT kind '$nat_d' for --nat-d (none, forward, eim, eim-apdf, edm or double)"
  t0=$(now_us)
  if lab_is_up && (( ! recreate )); then
    printf 'lab.sh: a lab is already up (namespaces: %s); run scripts/lab.sh down first, or up --recreate\n' \
      "$(lab_namespaces | tr '\n' ' ')" >&2
    exit 1
  fi
  if (( install )); then say "== installing packages (scripts/install-deps.sh)"; scripts/install-deps.sh; fi
  if (( build )); then
    say "== building"
    [[ -f build/build.ninja ]] || meson setup --native-file scripts/clang.ini build
    ninja -C build
  fi
  binaries "$build"
  t_build=$(ms_since "$t0")
  local tool
  local -a tools=(ip nft wg wireguard-go bpftool python3 setsid nohup mountpoint curl "$KUBECTL" openssl)
  [[ $cni == bridge ]] || tools+=("$CNI_BIN/bridge" "$CNI_BIN/ptp" "$CNI_BIN/host-local")
  [[ $cni != calico ]] || tools+=("$BIRD" "$BIRDC")
  [[ $cloud != lb ]] || tools+=(conntrack)
  for tool in "${tools[@]}"; do
    command -v "$tool" >/dev/null || die "$tool is not installed (scripts/install-deps.sh installs it)"
  done
  if lab_is_up; then
    say "== removing the running lab (--recreate)"
    (lab_down) >/dev/null || die "could not remove the running lab"
  fi

  mkdir -p "$LOG_DIR"
  rm -f "$LOG_DIR"/*.log
  if (( VERBOSE )); then exec 3> >(tee -a "$LAB_LOG" >&2); else exec 3>>"$LAB_LOG"; fi
  FAILED_CMD=
  set -E
  trap 'FAILED_CMD=$BASH_COMMAND' ERR
  trap 'up_failed $?' EXIT
  say "== creating the lab (CNI $cni; NAT edge-a $nat_a, edge-b $nat_b$([[ $nat_d == none ]] || echo ", edge-d $nat_d"); cloud $cloud; namespaces rvlab-*; commands logged in $LAB_LOG)"
  pp mkdir -p "$BPF_ROOT" "$STATE_ROOT"
  pp mount -t bpf bpf "$BPF_ROOT"
  echo "$RAVEN_AGENT" >"$RUN_DIR/agent"
  printf 'cni=%s\nforward_node_ip=%s\nnat_a=%s\nnat_b=%s\nnat_d=%s\ncloud_expose=%s\nreplicas=%s\n' "$cni" \
    "$forward" "$nat_a" "$nat_b" "$nat_d" "$cloud" "$replicas" >"$OPTIONS_FILE"
  lab_plan
  create_topology
  pod_list >"$RUN_DIR/pods"
  start_services
  # The CNI connects the pods of a pool, and the pools are isolated until the agents run.
  local before
  before=$(matrix --pairs same --timeout 2 --format lines) ||
    die "the CNI ($CNI_MODE) does not connect the pods of a pool: $(grep ' fail$' <<<"$before" | tr '\n' ' ')"
  before=$(matrix --pairs cross --timeout 1 --attempts 1 --format lines) || true
  ! grep -q ' ok$' <<<"$before" ||
    die "pools reachable without Raven: $(grep ' ok$' <<<"$before" | tr '\n' ' ')"
  t_topo=$(ms_since "$t0")

  say "== starting the API server and controller in rvlab-api ($API_IP)"
  start_cluster
  t_cluster=$(ms_since "$t0")
  say "== starting agents ($RAVEN_AGENT --pod-interfaces='$POD_GLOB'${NODE_AGENT_ARGS[c1]:+ ${NODE_AGENT_ARGS[c1]}})"
  for node in "${NODE_ORDER[@]}"; do start_agent "$node"; done
  for node in "${NODE_ORDER[@]}"; do wait_log "$node" 0 '\] dataplane updated' 20; done
  t_agents=$(ms_since "$t0")
  trap - EXIT ERR # from here on the lab stays up, also when it does not converge
  set +E

  say "== waiting (at most ${CONVERGE_SECONDS} s) for every cross-pool pod pair to answer ping, IPv4 and IPv6"
  local converged=1
  converge || converged=0
  t_conv=$(ms_since "$t0")
  echo
  local rc=0
  show_matrix || rc=1
  echo
  where_to_look
  echo
  local timing
  timing="install+build $(secs "$t_build") s, topology $(secs $((t_topo - t_build))) s, API server and controller $(secs $((t_cluster - t_topo))) s, agents until their dataplane is applied $(secs $((t_agents - t_cluster))) s, convergence $(secs $((t_conv - t_agents))) s"
  if (( converged && rc == 0 )); then
    say "lab is up after $(secs "$t_conv") s (CNI $CNI_MODE; NAT edge-a ${NAT_KIND[a]}, edge-b ${NAT_KIND[b]}${NAT_KIND[d]:+, edge-d ${NAT_KIND[d]}}; $timing)"
    return 0
  fi
  diagnostics
  say "lab is up, but not every pod pair answers (see above, $LAB_LOG and $LOG_DIR); scripts/lab.sh down removes it"
  return 1
}

# ---------------------------------------------------------------- status
lab_status() {
  if ! lab_is_up; then echo "no lab is up (scripts/lab.sh up)"; exit 3; fi
  lab_plan
  NODE_ORDER=("${LAB_NODES[@]}")
  find_agents
  local node rc=0 role hs gw
  local -A active=()
  echo "CNI: $CNI_MODE (pod interfaces $POD_GLOB)$( (( ! FORWARD_NODE_IP )) || echo '; agents with --forward-node-ip')"
  echo "NAT: edge-a ${NAT_KIND[a]}, edge-b ${NAT_KIND[b]}${NAT_KIND[d]:+, edge-d ${NAT_KIND[d]}} (lab/nat.sh); cloud exposed: $CLOUD_EXPOSE"
  if [[ $CNI_MODE == calico ]]; then
    for node in "${LAB_NODES[@]}"; do
      hs=$(bird_status "$node") || rc=1
      printf '  %-3s %s\n' "$node" "$hs"
    done
  fi
  echo
  echo "Gateways"
  kc get gateways 2>&1 | sed 's/^/  /' || rc=1
  for gw in "${GW_ORDER[@]}"; do active[$gw]=$(active_endpoint "$gw" 2>/dev/null) || true; done
  echo
  echo "Paths (status.paths: each active gateway's, with the round trip and loss it measures)"
  kc get gateways -o jsonpath='{range .items[*]}{range .status.paths[*]}{.nodeName}|{.gateway}|{.path}|{.via}|{.rttMicroseconds}|{.lossPermille}{"\n"}{end}{end}' 2>/dev/null |
    awk -F'|' '{ printf "  %-3s -> %-10s %-11s %-12s %s\n", $1, $2, $3, ($4 == "" ? "" : "via " $4),
                 ($5 == "" ? "not measured" : sprintf("%.1f ms, loss %.1f%%", $5 / 1000, $6 / 10)) }'
  echo
  echo "Agents"
  for node in "${LAB_NODES[@]}"; do
    role=member
    [[ ${active[${NODE_GW[$node]}]} == "$node" ]] && role=gateway
    if [[ -n ${AGENT_PID[$node]} ]]; then
      hs=""
      if [[ $role == gateway ]]; then
        hs=$(nq "$node" wg show "$(wg_dev "$node")" latest-handshakes 2>/dev/null |
          awk -v now="$(date +%s)" '{ n++; if ($2 > 0) { ok++; age = now - $2; if (age > max) max = age } }
            END { printf "; WireGuard: %d/%d peers with a handshake%s", ok, n, ok ? sprintf(", oldest %d s ago", max) : "" }')
      fi
      printf '  %-3s %-9s %-7s pid %-7s healthz: %s%s\n' "$node" "${NODE_GW[$node]}" "$role" "${AGENT_PID[$node]}" \
        "$(agent_health "$node" 2>&1 | head -n 1)" "$hs"
    else
      printf '  %-3s %-9s %-7s NOT RUNNING (see %s)\n' "$node" "${NODE_GW[$node]}" "$role" "$LOG_DIR/$node.log"
      rc=1
    fi
  done
  echo
  if [[ -f $RUN_DIR/pods ]]; then
    show_matrix || rc=1
  else
    echo "no pod list ($RUN_DIR/pods): the lab is incomplete; scripts/lab.sh down"
    rc=1
  fi
  return "$rc"
}

# ---------------------------------------------------------------- main
[[ ${BASH_SOURCE[0]} == "$0" ]] || return 0
(( $# >= 1 )) || usage
cmd=$1
shift
case $cmd in
  up|down|status|kubectl|degrade|restore) ;;
  -h|--help|help) usage ;;
  *) usage ;;
esac
(( EUID == 0 )) || { echo "lab.sh: run as root" >&2; exit 1; }
exec 9>"$LOCK_FILE"
flock -n 9 || { echo "lab.sh: another lab.sh is running" >&2; exit 1; }
case $cmd in
  up) lab_up "$@" 9>&- ;;
  down)
    (( $# == 0 )) || usage
    if lab_is_up; then mkdir -p "$LOG_DIR"; fi
    if [[ -d $LOG_DIR ]]; then exec 3>>"$LAB_LOG"; fi
    lab_down
    ;;
  status) (( $# == 0 )) || usage; lab_status ;;
  degrade|restore)
    lab_is_up || { echo "no lab is up (scripts/lab.sh up)" >&2; exit 3; }
    exec 3>>"$LAB_LOG"
    lab_plan
    if [[ $cmd == degrade ]]; then lab_degrade "$@"; else (( $# == 0 )) || usage; lab_restore; say "links restored"; fi
    ;;
  kubectl)
    lab_is_up || { echo "no lab is up (scripts/lab.sh up)" >&2; exit 3; }
    kc "$@"
    ;;
esac

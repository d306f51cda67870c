# shellcheck shell=bash
# What the lab shows its user (sourced by lab.sh): the reachability matrix of
# the pods, convergence, and where to look.

# matrix ARGS...: labutil.py pingmatrix over the lab's pods.
matrix() { "${UTIL[@]}" pingmatrix "$@" <"$RUN_DIR/pods"; }

# matrix_ok PAIRS: every pair of PAIRS (cross or all) answers, both families.
matrix_ok() { matrix --pairs "$1" --timeout 1.5 --format none; }

# converge: polls (bounded) until every cross-pool pair answers, both families.
converge() {
  local start deadline out
  start=$(now_us)
  deadline=$(( start + CONVERGE_SECONDS * 1000000 ))
  while :; do
    check_agents_alive
    if out=$(matrix_ok cross); then
      log "converged after $(ms_since "$start") ms"
      return 0
    fi
    log "not yet: $out"
    (( $(now_us) < deadline )) || return 1
  done
}

# show_matrix: the matrix of all pairs; fails unless every pair answers.
show_matrix() { matrix --pairs all --timeout 2; }

where_to_look() {
  local cni
  case $CNI_MODE in
    bridge) cni="  the pods' networking (bridge) ip -n rvlab-a2 route; ip -n rvlab-a2 link show master cni0      (same-pool routes via the LAN)" ;;
    flannel) cni="  flannel's VXLAN of a node    ip -n rvlab-a2 route; bridge -n rvlab-a2 fdb show dev flannel.1      (flannel-v6.1; CNI configuration: $CNI_STATE_DIR/a2/10-rvlab.conf)" ;;
    calico) cni="  bird's BGP of a node         birdc -s $BIRD_RUN_DIR/a2.ctl show protocols; ip -n rvlab-a2 route show proto bird      (CNI configuration: $CNI_STATE_DIR/a2/10-rvlab.conf)" ;;
  esac
  cat <<EOF
Where to look
  a shell in a pod or node     ip netns exec rvlab-a1p0 bash      (pods: rvlab-<node>p0/p1, nodes: rvlab-c1 c2 a1 a2 b1 b2)
  ping across pools            ip netns exec rvlab-a2p0 ping 100.64.31.2      (a2 -> VXLAN -> a1 -> WireGuard -> NAT -> b1)
  the route tries of a node    bpftool map dump pinned $BPF_ROOT/a1/raven_routes4_v1      (and raven_routes6_v1)
  per-peer counters, drops     bpftool map dump pinned $BPF_ROOT/a1/raven_peer_stats_v1      (raven_drops_v2)
  WireGuard of a gateway       ip netns exec rvlab-a1 wg show rvlab-wg-a1      (gateways: c1 a1 b1)
  TC programs of a node        ip netns exec rvlab-a1 tc filter show dev ${POD_HOSTIF[a1p0]:-rvpa1p0} ingress      (pod a1p0's host interface)
$cni
  a NAT router's rules         ip netns exec rvlab-nat-a nft list ruleset      (NAT kind ${NAT_KIND[a]}; lab/nat.sh; with double also rvlab-cgn-a)
  its mappings                 ip netns exec rvlab-nat-a conntrack -L -p udp
  a Service across pools       ip netns exec rvlab-a2p0 python3 $LAB_DIR/tcp_probe.py probe 10.96.0.10 80      (svc-edge-b -> b2p0; fd96::10)
  NodePort across pools        ip netns exec rvlab-c1 python3 $LAB_DIR/tcp_probe.py probe 100.127.2.12 30080      (a2 -> b2p0, needs --forward-node-ip)
  the Services, kube-proxy     $RUN_DIR/services.txt;  ip netns exec rvlab-a2 nft list table ip kube-proxy      (lab/services.sh)
  logs                         $LOG_DIR/<node>.log, apiserver.log, controller.log      (commands run by the lab: $LAB_LOG)
  the Gateways (kubectl)       scripts/lab.sh kubectl get gw      (-o yaml: status.activeEndpoints, conditions)
  Nodes, keys, heartbeats      scripts/lab.sh kubectl get nodes -L raven.openyurt.io/gateway;  ... get leases -n raven-system
  Events                       scripts/lab.sh kubectl get events
  agent metrics, health        ip netns exec rvlab-a1 curl -s http://100.127.2.11:10273/metrics      (/healthz; c1: 198.18.0.11)
  controller metrics           ip netns exec rvlab-api curl -s http://198.18.0.2:10272/metrics
  fail a gateway over          kill the agent of the active endpoint (c1, a1 or b1): kill \$(cat $PID_DIR/a1.pid)
                               and watch: scripts/lab.sh kubectl get gw -w
  again                        scripts/lab.sh status
  remove the lab               scripts/lab.sh down
EOF
}


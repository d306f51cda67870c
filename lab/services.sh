# shellcheck shell=bash
# The lab's Kubernetes Services (sourced after topology.sh): TCP servers
# (lab/tcp_probe.py, port 8080, answering "<pod> <client address>") in three
# pods, and on every node the kube-proxy stand-in (lab/kube_proxy.py) with
# the rules kube-proxy's nftables mode would make for them:
#
#   svc-edge-b  ClusterIP 10.96.0.10, fd96::10 port 80   -> b2p0:8080 (pool edge-b)
#   svc-edge-a  ClusterIP 10.96.0.11, fd96::11 port 80   -> a1p1:8080 (pool edge-a)
#   np-edge-b   NodePort 30080 on every node's addresses -> b2p0:8080 (masqueraded
#               to the node's address, as kube-proxy does)
#   db-edge-b   headless                                 -> b1p1 (kube_proxy.py resolve)
#
# Uses RUN_DIR (service set, ready files), PID_DIR (the servers' PIDs), LOG_DIR
# and the lab's POD_IP4/POD_IP6, NODE_IP and NODE_IP6.
SERVICE_PORT=80 NODE_PORT=30080 ENDPOINT_PORT=8080
SERVICE_ENDPOINTS=(b2p0 a1p1 b1p1)
CLUSTER_CIDRS=100.64.0.0/16,fd64::/16
KUBE_PROXY=("$PYTHON" "$LAB_DIR/kube_proxy.py")
TCP_PROBE=("$PYTHON" "$LAB_DIR/tcp_probe.py")

# service_spec: the service set, in kube_proxy.py's format.
service_spec() {
  local b=${POD_IP4[b2p0]} b6=${POD_IP6[b2p0]} a=${POD_IP4[a1p1]} a6=${POD_IP6[a1p1]}
  cat <<EOF2
clusterip svc-edge-b 4 10.96.0.10 $SERVICE_PORT/tcp $b:$ENDPOINT_PORT
clusterip svc-edge-b 6 fd96::10 $SERVICE_PORT/tcp [$b6]:$ENDPOINT_PORT
clusterip svc-edge-a 4 10.96.0.11 $SERVICE_PORT/tcp $a:$ENDPOINT_PORT
clusterip svc-edge-a 6 fd96::11 $SERVICE_PORT/tcp [$a6]:$ENDPOINT_PORT
nodeport np-edge-b 4 $NODE_PORT/tcp $b:$ENDPOINT_PORT
nodeport np-edge-b 6 $NODE_PORT/tcp [$b6]:$ENDPOINT_PORT
headless db-edge-b ${POD_IP4[b1p1]} ${POD_IP6[b1p1]}
EOF2
}

# node_addresses NODE: the node's addresses, where NodePorts answer.
node_addresses() { printf '%s,%s' "${NODE_IP[$1]}" "${NODE_IP6[$1]}"; }

server_ready() { [[ -s $RUN_DIR/services/$1.ready ]]; }

# start_services: the servers (in the background, PIDs in PID_DIR/serve-<pod>.pid),
# waited for, and every node's kube-proxy rules.
start_services() {
  local pod node
  mkdir -p "$RUN_DIR/services"
  service_spec >"$RUN_DIR/services.txt"
  for pod in "${SERVICE_ENDPOINTS[@]}"; do
    start_daemon "serve-$pod" "$LOG_DIR/serve-$pod.log" ip netns exec "$(ns "$pod")" \
      "${TCP_PROBE[@]}" serve --port "$ENDPOINT_PORT" --name "$pod" \
      --ready-file "$RUN_DIR/services/$pod.ready"
  done
  for pod in "${SERVICE_ENDPOINTS[@]}"; do wait_for 10 "the server in $pod" server_ready "$pod"; done
  for node in "${NODE_ORDER[@]}"; do
    log "[$node] kube_proxy.py rules --node-ips $(node_addresses "$node") | nft -f -"
    "${KUBE_PROXY[@]}" rules --node-ips "$(node_addresses "$node")" --cluster-cidrs "$CLUSTER_CIDRS" \
      --spec "$RUN_DIR/services.txt" | nq "$node" nft -f -
  done
}

# stop_services: ends the servers of PID_DIR/serve-*.pid (the nodes' rules go
# with their namespaces).
stop_services() {
  local f pid
  for f in "$PID_DIR"/serve-*.pid; do
    [[ -f $f ]] || continue
    pid=$(<"$f")
    rm -f "$f"
    [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == *tcp_probe.py\ serve* ]] || continue
    log "stopping the server $pid ($(basename "$f" .pid))"
    kill "$pid" 2>/dev/null || true
  done
}

# probe FROM ADDR PORT: one TCP connection from FROM's namespace; prints the answer.
probe() { nq "$1" "${TCP_PROBE[@]}" probe "$2" "$3" --timeout 2 --attempts 2; }

# shellcheck shell=bash
# shellcheck disable=SC2004 # DAEMON_PID is an associative array
# The lab's control plane (sourced by topology.sh): raven-apiserver with the
# CRD, the Nodes and Gateway specs of the plan, and raven-controller, in
# namespace "api"; kubectl against them. Used when CLUSTER=1 (see topology.sh
# for the variables).

API_PORT=6443
: "${RAVEN_APISERVER:=$REPO_DIR/build/lab/apiserver/raven-apiserver}"
: "${RAVEN_CONTROLLER:=$REPO_DIR/build/controller/raven-controller}"
: "${CRD_FILE:=$REPO_DIR/crd/gateways.raven.openyurt.io.yaml}"
: "${KUBECTL:=$(command -v kubectl || echo /usr/bin/kubectl)}"

# kc ARGS...: kubectl against the lab's API server (from namespace api).
kc() {
  nq api "$KUBECTL" --kubeconfig="$CLUSTER_DIR/kubeconfig" --cache-dir="$CLUSTER_DIR/kube-cache" \
    --request-timeout=5s "$@"
}

# cluster_spec: the input of `labutil.py cluster` (Nodes and Gateway specs).
cluster_spec() {
  local gw node
  for node in "${NODE_ORDER[@]}"; do
    [[ -n ${NODE_GW[$node]} ]] || continue
    echo "node $node ${NODE_GW[$node]} ${NODE_PRIV[$node]}${NODE_IP6[$node]:+,${NODE_IP6[$node]}} ${NODE_SUBNETS[$node]}"
  done
  for gw in "${GW_ORDER[@]}"; do
    for node in ${GW_ENDPOINTS[$gw]}; do
      echo "endpoint $gw $node ${NODE_PUBLIC[$node]} ${NODE_PUBPORT[$node]:-4500} ${GW_NAT[$gw]}"
    done
    [[ -z ${GW_EXPOSE[$gw]} ]] || echo "expose $gw ${GW_EXPOSE[$gw]}"
    echo "replicas $gw $TUNNEL_REPLICAS"
  done
}

# start_daemon NAME LOG CMD...: CMD in the background in its own session (as
# start_agent), pid in DAEMON_PID[NAME] (and $PID_DIR/NAME.pid).
start_daemon() {
  local name=$1 out=$2
  shift 2
  log "$* >>$out 2>&1 &"
  (
    for fd in /proc/self/fd/*; do
      fd=${fd##*/}
      if (( fd > 2 )); then exec {fd}>&-; fi
    done
    exec setsid nohup "$@" </dev/null >>"$out" 2>&1
  ) &
  DAEMON_PID[$name]=$!
  [[ -z $PID_DIR ]] || echo "$!" >"$PID_DIR/$name.pid"
}

# start_cluster: raven-apiserver (HTTPS, token) on API_IP:API_PORT in namespace api,
# the CRD, the Nodes and Gateway specs of the plan, then raven-controller with short
# leader-election timings (and with CLOUD_EXPOSE lb the load balancer stand-in).
start_cluster() {
  local token
  mkdir -p "$CLUSTER_DIR"
  "$REPO_DIR/lab/apiserver/gen-certs.sh" "$CLUSTER_DIR/pki" "IP:$API_IP" >&3
  token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
  # The token never goes on a command line (ps shows those to every user); the
  # files holding it are created 0600 (removed first: an existing file would
  # keep its mode), by the printf and cat of a umask 077 subshell.
  rm -f "$CLUSTER_DIR/token" "$CLUSTER_DIR/kubeconfig"
  (umask 077 && printf '%s\n' "$token" >"$CLUSTER_DIR/token")
  start_daemon apiserver "$LOG_DIR/apiserver.log" ip netns exec "$(ns api)" "$RAVEN_APISERVER" \
    --bind="$API_IP" --port="$API_PORT" --token-file="$CLUSTER_DIR/token" \
    --tls-cert="$CLUSTER_DIR/pki/server.crt" --tls-key="$CLUSTER_DIR/pki/server.key"
  (umask 077 && cat >"$CLUSTER_DIR/kubeconfig") <<EOF
apiVersion: v1
kind: Config
clusters:
- name: raven-lab
  cluster:
    server: https://$API_IP:$API_PORT
    certificate-authority: $CLUSTER_DIR/pki/ca.crt
users:
- name: raven-lab
  user:
    token: $token
contexts:
- name: raven-lab
  context: {cluster: raven-lab, user: raven-lab}
current-context: raven-lab
EOF
  wait_for 10 "the API server answers" kc get --raw /version
  kc apply -f "$CRD_FILE" >&3
  wait_for 10 "the Gateway CRD is served" kc get gateways
  cluster_spec | "${UTIL[@]}" cluster | kc create --validate=false -f - >&3
  start_controller
  [[ $CLOUD_EXPOSE != lb ]] || start_load_balancer
}

# start_load_balancer: the load balancer stand-in (lab/load_balancer.py) in namespace lb.
start_load_balancer() {
  start_daemon lb "$LOG_DIR/lb.log" ip netns exec "$(ns lb)" "$PYTHON" "$LAB_DIR/load_balancer.py" \
    --address="$LB_IP" --kubeconfig-dir="$CLUSTER_DIR" --server="$API_IP:$API_PORT"
}

# start_controller: raven-controller in namespace api (metrics on API_IP:10272).
start_controller() {
  start_daemon controller "$LOG_DIR/controller.log" ip netns exec "$(ns api)" "$RAVEN_CONTROLLER" \
    --kubeconfig="$CLUSTER_DIR/kubeconfig" --metrics-address="$API_IP:10272" \
    --leader-elect-lease-duration=4s --leader-elect-renew-deadline=3s \
    --leader-elect-retry-period=500ms --identity=lab-controller --log-level="$AGENT_LOG_LEVEL"
}

# stop_daemons: the API server and controller of start_cluster.
stop_daemons() {
  local name pid i
  for name in "${!DAEMON_PID[@]}"; do
    pid=${DAEMON_PID[$name]}
    unset 'DAEMON_PID[$name]'
    [[ -z $PID_DIR ]] || rm -f "$PID_DIR/$name.pid"
    kill "$pid" 2>/dev/null || continue
    for (( i = 0; i < 30; i++ )); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
}

# active_endpoint GATEWAY: the node the controller made the Gateway's active tunnel endpoint.
active_endpoint() {
  kc get gateway "$1" -o json | "${UTIL[@]}" jsonpath status.activeEndpoints.0.nodeName
}

# agent_health NODE: the agent's /healthz answer.
agent_health() { nq "$1" curl -sS -m 2 "http://${NODE_IP[$1]}:10273/healthz"; }
# verbose NODE: the agent's /healthz?verbose.
verbose() { nq "$1" curl -sS -m 2 "http://${NODE_IP[$1]}:10273/healthz?verbose"; }
# metric NODE NAME: the value of the agent's metric NAME (with its labels, as exposed).
metric() { nq "$1" curl -sS -m 2 "http://${NODE_IP[$1]}:10273/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }


#!/bin/bash
# The raven-controller binary against raven-apiserver over HTTPS:
#
#   raven-controller ──HTTPS (kubeconfig: CA + token)──▶ raven-apiserver 127.0.0.1:<ephemeral>
#        └── /metrics, /healthz on 127.0.0.1:<ephemeral>   ◀── curl
#
# Two nodes with heartbeat Leases and a Gateway; the controller elects n1,
# fails over to n2 when n1's Lease is deleted, serves /metrics and /healthz,
# and on SIGTERM exits 0 and releases its leader Lease.
#
#   RAVEN_CONTROLLER=build/controller/raven-controller \
#   RAVEN_APISERVER=build/lab/apiserver/raven-apiserver tests/controller/binary_test.sh
#
# Exits 77 (skipped) without kubectl or curl.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$HERE/../..
CONTROLLER=${RAVEN_CONTROLLER:-$ROOT/build/controller/raven-controller}
APISERVER=${RAVEN_APISERVER:-$ROOT/build/lab/apiserver/raven-apiserver}
GEN_CERTS=${RAVEN_GEN_CERTS:-$ROOT/lab/apiserver/gen-certs.sh}
CRD=${RAVEN_CRD:-$ROOT/crd/gateways.raven.openyurt.io.yaml}
KUBECTL=${KUBECTL:-/usr/bin/kubectl}

log() { printf '[controller_binary_test] %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
k() { "$KUBECTL" --kubeconfig="$DIR/kubeconfig" --cache-dir="$DIR/cache" "$@"; }
# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 50 ms.
wait_for() {
  local seconds=$1 what=$2
  shift 2
  local end=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || die "timed out waiting for $what"
    sleep 0.05
  done
}

[[ -x $KUBECTL ]] || { echo "SKIP: $KUBECTL not found"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: curl not found"; exit 77; }
[[ -x $CONTROLLER ]] || die "RAVEN_CONTROLLER=$CONTROLLER is not an executable"
[[ -x $APISERVER ]] || die "RAVEN_APISERVER=$APISERVER is not an executable"

DIR=$(mktemp -d /tmp/raven-controller-test.XXXXXX)
SERVER_PID=
CONTROLLER_PID=
cleanup() {
  local rc=$?
  trap - EXIT
  for pid in $CONTROLLER_PID $SERVER_PID; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if ((rc != 0)); then
    [[ -f $DIR/controller.log ]] && { log "controller log:"; tail -n 40 "$DIR/controller.log" >&2; }
  fi
  rm -rf "$DIR"
  if ((rc == 0)); then log PASS; else log "FAIL (exit $rc)"; fi
  exit "$rc"
}
trap cleanup EXIT

# ---------------------------------------------------------------- API server
"$GEN_CERTS" "$DIR/pki" >/dev/null 2>&1
TOKEN=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
"$APISERVER" --bind=127.0.0.1 --port=0 --port-file="$DIR/port" --token="$TOKEN" \
  --tls-cert="$DIR/pki/server.crt" --tls-key="$DIR/pki/server.key" >"$DIR/apiserver.log" 2>&1 &
SERVER_PID=$!
wait_for 10 "the API server's port" test -s "$DIR/port"
PORT=$(<"$DIR/port")
cat >"$DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: t
  cluster: {server: "https://127.0.0.1:$PORT", certificate-authority: $DIR/pki/ca.crt}
users:
- name: t
  user: {token: $TOKEN}
contexts:
- name: t
  context: {cluster: t, user: t}
current-context: t
EOF

# ---------------------------------------------------------------- cluster
k apply -f "$CRD" >/dev/null
k wait --for=condition=Established crd/gateways.raven.openyurt.io --timeout=10s >/dev/null
NOW=$(date -u +%Y-%m-%dT%H:%M:%S.000000Z)
KEY1=$(head -c 32 /dev/urandom | base64)
KEY2=$(head -c 32 /dev/urandom | base64)
for i in 1 2; do
  key=KEY$i
  k apply -f - >/dev/null <<EOF
{"apiVersion": "v1", "kind": "Node",
 "metadata": {"name": "n$i", "labels": {"raven.openyurt.io/gateway": "gw-a"},
              "annotations": {"raven.openyurt.io/public-key": "${!key}",
                              "raven.openyurt.io/wireguard-port": "5182$i"}},
 "spec": {"podCIDRs": ["100.96.$i.0/24", "fd00:$i::/64"]},
 "status": {"addresses": [{"type": "InternalIP", "address": "100.64.0.$i"}],
            "conditions": [{"type": "Ready", "status": "True"}]}}
EOF
  k apply -f - >/dev/null <<EOF
{"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
 "metadata": {"name": "n$i", "namespace": "raven-system"},
 "spec": {"holderIdentity": "n$i", "leaseDurationSeconds": 30, "renewTime": "$NOW"}}
EOF
done
k apply -f - >/dev/null <<EOF
{"apiVersion": "raven.openyurt.io/v1beta1", "kind": "Gateway", "metadata": {"name": "gw-a"},
 "spec": {"exposeType": "PublicIP", "tunnelConfig": {"Replicas": 1}, "proxyConfig": {"Replicas": 0},
          "endpoints": [{"nodeName": "n1", "type": "tunnel", "publicIP": "198.18.0.1"},
                        {"nodeName": "n2", "type": "tunnel", "publicIP": "198.18.0.2"}]}}
EOF

# ---------------------------------------------------------------- controller
# Dashes and underscores are both accepted in flag names.
"$CONTROLLER" --kubeconfig="$DIR/kubeconfig" --namespace=raven-system \
  --leader-elect=true --leader-elect-lease-duration=2s --leader_elect_renew_deadline=1500ms \
  --leader-elect-retry-period=250ms --identity=binary-test --resync-period=5s \
  --metrics-address=127.0.0.1:0 --event-namespace=default >"$DIR/controller.log" 2>&1 &
CONTROLLER_PID=$!
wait_for 10 "the metrics port" grep -q "serving /metrics and /healthz on http://" "$DIR/controller.log"
MPORT=$(sed -n 's/.*serving \/metrics and \/healthz on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$DIR/controller.log")
log "raven-controller pid $CONTROLLER_PID, metrics on 127.0.0.1:$MPORT"

active() { k get gw gw-a -o jsonpath='{.status.activeEndpoints[0].nodeName}'; }
active_is() { [[ $(active) == "$1" ]]; }
wait_for 10 "n1 to be elected" active_is n1
[[ $(k get gw gw-a -o jsonpath='{.status.activeEndpoints[0].config.publicKey}') == "$KEY1" ]] ||
  die "publicKey not copied from the node annotation"
[[ $(k get gw gw-a -o jsonpath='{.status.activeEndpoints[0].port}') == 51821 ]] ||
  die "port not taken from the wireguard-port annotation"
[[ $(k get gw gw-a -o jsonpath='{.status.nodes[*].nodeName}') == "n1 n2" ]] || die "status.nodes"
[[ $(k get gw gw-a -o jsonpath='{.status.conditions[0].reason}') == Elected ]] || die "condition"

# Lease of n1 gone: n2 takes over.
k delete lease n1 -n raven-system >/dev/null
wait_for 10 "failover to n2" active_is n2

# ---------------------------------------------------------------- /metrics, /healthz
HEALTH=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/healthz")
[[ $HEALTH == 200 ]] || die "/healthz answered $HEALTH"
METRICS=$(curl -sS -D "$DIR/headers" "http://127.0.0.1:$MPORT/metrics")
grep -qi '^content-type: text/plain; version=0.0.4' "$DIR/headers" || die "metrics content type"
for want in 'raven_controller_is_leader 1' 'raven_controller_elections_total 2' \
    'raven_controller_failovers_total 1' 'raven_controller_status_writes_total' \
    'raven_controller_health_change_to_status_write_seconds_bucket{le="+Inf"} 1' \
    'raven_controller_reconcile_errors_total 0' \
    'raven_controller_gateways_without_active_endpoint 0'; do
  grep -qF "$want" <<<"$METRICS" || die "/metrics lacks '$want'"
done
log "scraped $(grep -c '^raven_controller_' <<<"$METRICS") samples"

# ---------------------------------------------------------------- SIGTERM
[[ $(k get lease raven-controller -n raven-system -o jsonpath='{.spec.holderIdentity}') == binary-test ]] ||
  die "leader lease not held"
kill -TERM "$CONTROLLER_PID"
rc=0
wait "$CONTROLLER_PID" || rc=$?
CONTROLLER_PID=
((rc == 0)) || die "raven-controller exited $rc on SIGTERM"
[[ -z $(k get lease raven-controller -n raven-system -o jsonpath='{.spec.holderIdentity}') ]] ||
  die "leader lease not released on SIGTERM"

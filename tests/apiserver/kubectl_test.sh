#!/bin/bash
# The real kubectl against raven-apiserver, over HTTPS with a bearer token:
#
#   kubectl ──HTTPS (CA from gen-certs.sh, token)──▶ raven-apiserver 127.0.0.1:<ephemeral>
#
# the token from a 0600 --token-file (a 0644 one is refused), a POST without
# Content-Length answered at once, apply the Gateway CRD and a Gateway, `get gw`
# (server-side printer columns, READY/REASON from the Ready condition), schema
# validation (an invalid publicIP is refused naming the field), `get -o json` →
# `replace` round trip, a Node from YAML, `label node`, `patch --type=merge`,
# the status subresource, `get -w`, `delete`.
#
#   RAVEN_APISERVER=build/lab/apiserver/raven-apiserver tests/apiserver/kubectl_test.sh
#
# Exits 77 (skipped) without kubectl. Everything lives in a temporary
# directory removed on exit; the server is stopped by its PID.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
APISERVER=${RAVEN_APISERVER:-$HERE/../../build/lab/apiserver/raven-apiserver}
CRD=${RAVEN_CRD:-$HERE/../../crd/gateways.raven.openyurt.io.yaml}
KUBECTL=${KUBECTL:-/usr/bin/kubectl}

log() { printf '[kubectl_test] %s\n' "$*" >&2; }
pp() { log "+ $*"; "$@"; }
die() { log "FAIL: $*"; exit 1; }
# k ARGS...: kubectl with the test's kubeconfig and discovery cache, logged.
k() { log "+ kubectl $*"; "$KUBECTL" --kubeconfig="$DIR/kubeconfig" --cache-dir="$DIR/cache" "$@"; }
expect_eq() { [[ $1 == "$2" ]] || die "$3: expected '$2', got '$1'"; }

[[ -x $KUBECTL ]] || { echo "SKIP: $KUBECTL not found"; exit 77; }
[[ -x $APISERVER ]] || die "RAVEN_APISERVER=$APISERVER is not an executable"

DIR=$(mktemp -d /tmp/raven-kubectl-test.XXXXXX)
SERVER_PID=
cleanup() {
  local rc=$?
  trap - EXIT
  if [[ -n $SERVER_PID ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if (( rc != 0 )) && [[ -f $DIR/apiserver.log ]]; then
    log "server log:"
    tail -n 50 "$DIR/apiserver.log" >&2
  fi
  rm -rf "$DIR"
  if (( rc == 0 )); then log PASS; else log "FAIL (exit $rc)"; fi
  exit "$rc"
}
trap cleanup EXIT

# ---------------------------------------------------------------- server
pp "$HERE/../../lab/apiserver/gen-certs.sh" "$DIR/pki" >/dev/null
TOKEN=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
# The token goes in a file, never on a command line (ps shows those to everyone).
(umask 077 && printf '%s\n' "$TOKEN" >"$DIR/token")
chmod 644 "$DIR/token"
if timeout 10 "$APISERVER" --port=0 --token-file="$DIR/token" >"$DIR/refused.log" 2>&1; then
  die "a world-readable token file was accepted"
fi
grep -q "mode 0644" "$DIR/refused.log" || die "0644 token file: $(cat "$DIR/refused.log")"
chmod 600 "$DIR/token"
"$APISERVER" --bind=127.0.0.1 --port=0 --port-file="$DIR/port" --token-file="$DIR/token" \
  --tls-cert="$DIR/pki/server.crt" --tls-key="$DIR/pki/server.key" --log-requests \
  >"$DIR/apiserver.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
  [[ -s $DIR/port ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || die "raven-apiserver exited"
  sleep 0.05
done
[[ -s $DIR/port ]] || die "raven-apiserver did not report its port"
PORT=$(<"$DIR/port")
log "raven-apiserver pid $SERVER_PID on https://127.0.0.1:$PORT"

cat >"$DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: raven-test
  cluster:
    server: https://127.0.0.1:$PORT
    certificate-authority: $DIR/pki/ca.crt
users:
- name: raven-test
  user:
    token: $TOKEN
contexts:
- name: raven-test
  context: {cluster: raven-test, user: raven-test}
current-context: raven-test
EOF

# A wrong token is refused.
if "$KUBECTL" --kubeconfig="$DIR/kubeconfig" --token=wrong get nodes >/dev/null 2>"$DIR/err"; then
  die "a wrong token was accepted"
fi
grep -qE "provide credentials|Unauthorized" "$DIR/err" || die "wrong token: $(cat "$DIR/err")"

# A POST with neither a body nor a Content-Length has an empty body (RFC 7230):
# answered at once, well within 3 s (httplib alone waited 5 s for a body).
raw_post() {  # TOKEN: the raw HTTPS response
  printf 'POST /api/v1/namespaces/default/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n' "$1" |
    timeout 3 openssl s_client -quiet -CAfile "$DIR/pki/ca.crt" -connect "127.0.0.1:$PORT" 2>/dev/null || true
}
raw_post "$TOKEN" >"$DIR/raw.txt"
head -n 1 "$DIR/raw.txt" | grep -q '^HTTP/1.1 400 ' || die "POST without length: $(cat "$DIR/raw.txt")"
grep -q '"reason":"BadRequest"' "$DIR/raw.txt" || die "POST without length: $(cat "$DIR/raw.txt")"
raw_post wrong >"$DIR/raw.txt"
head -n 1 "$DIR/raw.txt" | grep -q '^HTTP/1.1 401 ' || die "POST without length, wrong token: $(cat "$DIR/raw.txt")"

# ---------------------------------------------------------------- CRD and Gateway
k apply -f "$CRD"
k get crd gateways.raven.openyurt.io
cat >"$DIR/gw-a.yaml" <<'EOF'
apiVersion: raven.openyurt.io/v1beta1
kind: Gateway
metadata:
  name: gw-a
spec:
  exposeType: PublicIP
  tunnelConfig:
    Replicas: 2
  proxyConfig:
    Replicas: 1
  endpoints:
  - nodeName: node-a1
    type: tunnel
    port: 4500
    publicIP: 198.18.0.1
    underNAT: false
  - nodeName: node-a2
    type: tunnel
    port: 4500
EOF
k apply -f "$DIR/gw-a.yaml"
expect_eq "$(k get gw gw-a -o jsonpath='{.metadata.generation}')" 1 "generation after create"
k apply -f "$DIR/gw-a.yaml" | grep -q unchanged || die "re-apply did not report unchanged"
# Before raven-controller has set the status, READY, REASON and ACTIVE are
# empty cells (null, as kube-apiserver sends for a path that finds nothing).
k get gw gw-a | tee "$DIR/get.txt" >&2
read -r -a header <"$DIR/get.txt"
expect_eq "${header[*]:0:4}" "NAME READY REASON ACTIVE" "get gw header"
read -r -a row < <(sed -n 2p "$DIR/get.txt")
expect_eq "${row[*]:0:3}" "gw-a PublicIP 2" "get gw before the status is set"

# ---------------------------------------------------------------- schema validation
# An invalid publicIP is refused by the server, naming the field; empty
# values and port 0 (the default) are valid, as upstream.
sed -e 's/name: gw-a/name: gw-bad/' -e 's/publicIP: 198.18.0.1/publicIP: 999.1.1.1/' \
  "$DIR/gw-a.yaml" >"$DIR/gw-bad.yaml"
if k apply -f "$DIR/gw-bad.yaml" 2>"$DIR/err"; then die "publicIP 999.1.1.1 was accepted"; fi
grep -qF 'spec.endpoints[0].publicIP: Invalid value: "999.1.1.1": spec.endpoints[0].publicIP in body must be of type ipv4: "999.1.1.1"' \
  "$DIR/err" || die "invalid publicIP: $(cat "$DIR/err")"
if k get gw gw-bad 2>/dev/null; then die "the invalid gateway was stored"; fi
sed -e 's/name: gw-a/name: gw-empty/' -e 's/publicIP: 198.18.0.1/publicIP: ""/' \
  -e 's/port: 4500/port: 0/' -e 's/exposeType: PublicIP/exposeType: ""/' \
  "$DIR/gw-a.yaml" >"$DIR/gw-empty.yaml"
k apply -f "$DIR/gw-empty.yaml"
k delete gw gw-empty

# The elected state is the status subresource's (the controller's job).
k patch gw gw-a --subresource=status --type=merge -p '{"status":{
  "activeEndpoints":[{"nodeName":"node-a1","type":"tunnel","port":4500,"publicIP":"198.18.0.1",
                      "publicPort":4500,"config":{"publicKey":"hJIjNMumhSTnGrzIyDGObWbgNRLFwq8cqZMY/kJhLmE="}}],
  "nodes":[{"nodeName":"node-a1","privateIP":"100.64.1.10","subnets":["100.65.1.0/24"]}],
  "conditions":[{"type":"Ready","status":"True","reason":"Elected","message":"active: tunnel/node-a1",
                 "lastTransitionTime":"2024-05-01T10:00:00Z","observedGeneration":1}]}}'
expect_eq "$(k get gw gw-a -o jsonpath='{.metadata.generation}')" 1 "generation after a status change"

# ---------------------------------------------------------------- get: printer columns
k get gw | tee "$DIR/get.txt" >&2
read -r -a header <"$DIR/get.txt"
expect_eq "${header[*]}" "NAME READY REASON ACTIVE PUBLIC-IP EXPOSE TUNNELS AGE" "get gw header"
read -r -a row < <(sed -n 2p "$DIR/get.txt")
expect_eq "${row[*]:0:7}" "gw-a True Elected node-a1 198.18.0.1 PublicIP 2" "get gw row"
[[ ${row[7]} =~ ^[0-9]+[smhdy]$ ]] || die "AGE column: '${row[7]}'"
k get gateways -o wide | tee "$DIR/wide.txt" >&2
read -r -a header <"$DIR/wide.txt"
expect_eq "${header[*]}" \
  "NAME READY REASON ACTIVE PUBLIC-IP EXPOSE TUNNELS PUBLIC-PORT FIRST-MEMBER AGE" \
  "get gw -o wide header"
read -r -a row < <(sed -n 2p "$DIR/wide.txt")
expect_eq "${row[7]} ${row[8]}" "4500 node-a1" "get gw -o wide row"
k get yurt -o name | grep -qx gateway.raven.openyurt.io/gw-a || die "category yurt does not list gateways"

# ---------------------------------------------------------------- JSON round trip
k get gw gw-a -o json >"$DIR/gw-a.json"
k replace -f "$DIR/gw-a.json"
k get gw gw-a -o json >"$DIR/gw-a.after.json"
spec() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps([d["spec"], d["status"], d["metadata"]["uid"], d["metadata"]["generation"]], sort_keys=True))' "$1"; }
expect_eq "$(spec "$DIR/gw-a.after.json")" "$(spec "$DIR/gw-a.json")" "replace round trip"
# A stale resourceVersion is a conflict (replace changed nothing, so the
# version in gw-a.json is current until the annotation below).
k annotate gw gw-a example.com/touched=yes >/dev/null
if k replace -f "$DIR/gw-a.json" 2>"$DIR/err"; then die "a stale replace succeeded"; fi
grep -q Conflict "$DIR/err" || die "stale replace: $(cat "$DIR/err")"

# ---------------------------------------------------------------- Node, label, patch
cat >"$DIR/node.yaml" <<'EOF'
apiVersion: v1
kind: Node
metadata:
  name: node-a1
  labels:
    kubernetes.io/hostname: node-a1
spec:
  podCIDR: 100.65.1.0/24
  podCIDRs: [100.65.1.0/24]
status:
  addresses:
  - type: InternalIP
    address: 100.64.1.10
  conditions:
  - type: Ready
    status: "True"
EOF
k apply -f "$DIR/node.yaml"
k label node node-a1 raven.openyurt.io/gateway=gw-a
expect_eq "$(k get node node-a1 -o jsonpath='{.metadata.labels.raven\.openyurt\.io/gateway}')" \
  gw-a "node label"
expect_eq "$(k get nodes -l raven.openyurt.io/gateway=gw-a -o name)" node/node-a1 "label selector"
expect_eq "$(k get nodes -l 'raven.openyurt.io/gateway notin (gw-a)' -o name)" "" "notin selector"
expect_eq "$(k get node node-a1 -o jsonpath='{.status.addresses[0].address}')" 100.64.1.10 \
  "node status kept on create"

k patch gw gw-a --type=merge -p '{"spec":{"exposeType":"LoadBalancer","tunnelConfig":{"Replicas":1}}}'
expect_eq "$(k get gw gw-a -o jsonpath='{.spec.exposeType} {.spec.tunnelConfig.Replicas} {.metadata.generation}')" \
  "LoadBalancer 1 2" "merge patch"
expect_eq "$(k get gw gw-a -o jsonpath='{.status.activeEndpoints[0].config.publicKey}')" \
  hJIjNMumhSTnGrzIyDGObWbgNRLFwq8cqZMY/kJhLmE= "status survives a spec patch"

# Schema validation: a bad endpoint type is rejected by the server.
if k patch gw gw-a --type=merge -p '{"spec":{"endpoints":[{"nodeName":"x","type":"vpn"}]}}' \
    2>"$DIR/err"; then
  die "an invalid endpoint type was accepted"
fi
grep -q 'Unsupported value: "vpn"' "$DIR/err" || die "invalid type: $(cat "$DIR/err")"

# ---------------------------------------------------------------- watch and delete
k get gw --watch-only -o name >"$DIR/watch.txt" 2>"$DIR/watch.err" &
WATCH_PID=$!
for _ in $(seq 100); do
  k get --raw /debug/state 2>/dev/null | grep -q '"watches":1' && break
  sleep 0.05
done
k delete gw gw-a
for _ in $(seq 100); do
  [[ -s $DIR/watch.txt ]] && break
  sleep 0.05
done
kill "$WATCH_PID" 2>/dev/null || true
wait "$WATCH_PID" 2>/dev/null || true
grep -q 'gateway.raven.openyurt.io/gw-a' "$DIR/watch.txt" || die "get --watch-only saw: $(cat "$DIR/watch.txt" "$DIR/watch.err")"
if k get gw gw-a 2>"$DIR/err"; then die "deleted gateway still found"; fi
grep -q NotFound "$DIR/err" || die "get after delete: $(cat "$DIR/err")"
k delete crd gateways.raven.openyurt.io

#!/bin/bash
# A Gateway exposed through a load balancer (exposeType LoadBalancer), in the
# lab with `--cloud-expose lb --nat-a eim-apdf --nat-b edm`: gw-cloud's nodes
# sit on a private LAN behind the load balancer stand-in (lab/load_balancer.py,
# namespace rvlab-lb, 198.18.0.40), the edge sites forward nothing.
#   - raven-controller manages Service raven-tunnel-gw-cloud (type
#     LoadBalancer, externalTrafficPolicy Local, UDP 4500 and the relay ports
#     4600-4602) and its Endpoints (the active node); the load balancer's
#     address is gw-cloud's publicIP, and the edge gateways' WireGuard
#     endpoint for gw-cloud;
#   - every pod pair answers: cloud <-> edge through the load balancer, edge-a
#     <-> edge-b through the NAT relay behind it (status.paths Relay/gw-cloud);
#     the relay sees the edge sites' own addresses (the load balancer keeps
#     the client's address): NAT discovery as without it;
#   - gw-cloud's active node dies under a ping and a TCP stream from edge-a
#     to a pod on the other cloud node: the Endpoints follow the failover, the
#     Service and the address stay; longest gap between two replies, largest
#     reply delay and TCP stall reported and bounded (the stream survives);
#     the edge pair still answers through the relay on the new node;
#   - gw-cloud set to exposeType PublicIP: the Service and Endpoints are deleted.
#
#   RAVEN_AGENT=build/daemon/raven-agent tests/e2e/load_balancer.sh   (as root)
set -eo pipefail
# shellcheck source=lab_lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lab_lib.sh"
lab_test_up --cloud-expose lb --nat-a eim-apdf --nat-b edm

svc=raven-tunnel-gw-cloud
svc_field() { kc get service "$svc" -n raven-system -o jsonpath="$1"; }
backend() { kc get endpoints "$svc" -n raven-system -o jsonpath='{.subsets[0].addresses[0].nodeName}'; }
backend_is() { [[ $(backend) == "$1" ]]; }
public_ip() { kc get gateway gw-cloud -o jsonpath='{.status.activeEndpoints[0].publicIP}'; }
# wg_endpoint NODE GATEWAY: NODE's WireGuard endpoint for GATEWAY's active key.
wg_endpoint() {
  local key
  key=$(kc get gateway "$2" -o jsonpath='{.status.activeEndpoints[0].config.publicKey}')
  nq "$1" wg show "$(wg_dev "$1")" endpoints | awk -v k="$key" '$1 == k { print $2 }'
}
endpoint_is() { [[ $(wg_endpoint "$1" "$2") == "$3" ]]; }

cloud=$(active_endpoint gw-cloud)
other=$([[ $cloud == c1 ]] && echo c2 || echo c1)
gw_a=$(active_endpoint gw-edge-a)
gw_b=$(active_endpoint gw-edge-b)
log "== the controller's Service and Endpoints, the load balancer's address"
[[ $(svc_field '{.spec.type}/{.spec.externalTrafficPolicy}') == LoadBalancer/Local ]] ||
  die "Service $svc: $(svc_field '{.spec}')"
ports=$(svc_field '{range .spec.ports[*]}{.name}={.protocol}/{.port} {end}')
[[ $ports == "wireguard=UDP/4500 relay-0=UDP/4600 relay-1=UDP/4601 relay-2=UDP/4602 " ]] ||
  die "Service $svc ports: $ports"
[[ $(svc_field '{.status.loadBalancer.ingress[0].ip}') == "$LB_IP" ]] || die "Service $svc has no ingress $LB_IP"
backend_is "$cloud" || die "the Endpoints name $(backend), not gw-cloud's active node $cloud"
[[ $(public_ip) == "$LB_IP" ]] || die "gw-cloud's publicIP is '$(public_ip)', not $LB_IP"
for node in "$gw_a" "$gw_b"; do
  wait_for 5 "[$node] WireGuard endpoint for gw-cloud is $LB_IP:4500" endpoint_is "$node" gw-cloud "$LB_IP:4500"
done
result "lb.ports=\"$ports\""

log "== every pod pair answers: through the load balancer, and through the relay behind it"
for pair in a2p0:c1p0 c2p1:b1p0 b2p1:c2p0 c1p1:a1p1 a2p0:b2p0 b2p1:a1p0; do
  check_ping "${pair%:*}" "${POD_IP4[${pair#*:}]}"
  check_ping "${pair%:*}" "${POD_IP6[${pair#*:}]}"
done
wait_for 5 "gw-edge-a's status says Relay/gw-cloud to gw-edge-b" status_path_is gw-edge-a gw-edge-b Relay/gw-cloud
# The load balancer keeps the client's address: the relay sees edge-b's site.
mapped() {
  nq "$gw_b" curl -sS -m 2 "http://${NODE_IP[$gw_b]}:10273/metrics" |
    grep -q "^raven_agent_nat_mapped_address{relay=\"gw-cloud\",relay_port=\"[0-9]*\",address=\"${SITE_WAN[b]}:"
}
wait_for 5 "[$gw_b] learns its mapping at ${SITE_WAN[b]} from the relay behind the load balancer" mapped
wait_for 15 "gw-edge-a's status says Port Restricted cone NAT (eim-apdf)" nat_type_is gw-edge-a "Port Restricted cone NAT"
bulk a2p0 "${other}p0" 5005 8 lb.bulk

log "== gw-cloud's active node $cloud dies: the load balancer follows the failover"
service_version=$(svc_field '{.metadata.resourceVersion}')
failover_under_traffic gw-cloud "$cloud" "$other" a2p0 "${other}p1" "${other}p0" 5001 lb_failover
wait_for 3 "the Endpoints name $other" backend_is "$other"
grep "forwarding: $svc -> ${NODE_IP[$other]}" "$LOG_DIR/lb.log" | tail -n 1
[[ $(svc_field '{.metadata.resourceVersion}') == "$service_version" ]] || die "the failover changed the Service"
[[ $(public_ip) == "$LB_IP" ]] || die "after the failover gw-cloud's publicIP is '$(public_ip)'"
check_ping a2p0 "${POD_IP4[b2p0]}"
check_ping b1p1 "${POD_IP6[a2p1]}"

log "== gw-cloud exposed as PublicIP: the Service and Endpoints go"
kc patch gateway gw-cloud --type=merge -p '{"spec":{"exposeType":"PublicIP"}}' >/dev/null
gone() { ! kc get service "$svc" -n raven-system >/dev/null 2>&1 && ! kc get endpoints "$svc" -n raven-system >/dev/null 2>&1; }
wait_for 5 "Service and Endpoints $svc deleted" gone
log "the load balancer exposes the active gateway and follows its failover"

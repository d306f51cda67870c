#!/bin/bash
# The lab's NAT kinds behave as lab/nat.sh says (RFC 4787 mapping and
# filtering), with the lab's own rules (nat_rules), in namespaces rvnat-* of
# this test (never the lab's, no route in the root namespace). Per kind:
#
#   rvnat-inet: bridge inet0 203.0.113.1/24 ("the internet")
#     h1 203.0.113.101, h2 203.0.113.102          public hosts, UDP ports 7000-7002
#     rvnat-r  wan0 203.0.113.20                  the site router (nat_rules KIND)
#       double: rvnat-cgn wan0 203.0.113.20 (nat_rules eim-apdf), carrier
#               segment cgn0 192.0.2.1/24, rvnat-r wan0 192.0.2.20 behind it
#     lan0 172.31.77.1/24: cl .11 (sends), cl2 .12 (never sends), both on udp 4500
#
# One Python process opens every socket in its namespace and runs the probes
# (bounded waits, no sleeps):
#   unsolicited  h1 -> public:4500 and :4501 before anyone inside sent: reaches
#                cl resp. cl2 with forward only
#   mapping      cl:4500 -> h1:7000, h1:7001, h2:7000: the external address
#                and port each sees; the same for all three (EIM) or three
#                different ports (EDM); the address is the public one (the
#                CGNAT's with double; the carrier address seen by a host on
#                the carrier segment shows the first layer)
#   filtering    to the port mapped towards h1:7000, from h1:7000 (a reply:
#                always), from h1:7002 (another port) and h2:7002 (another
#                host): EIF lets both in, APDF neither (forward: both, the
#                port mapped towards h1:7000 is the forwarded 4500, since
#                h1:7000's unsolicited packet made cl's a reply; the flows cl
#                starts itself get one other port, never 4500 or 4501)
#   second host  then cl2:4500 -> h1:7000, h2:7000: its port clashes with
#                cl's; one other port for both (EIM kinds), two (edm)
#
#   tests/e2e/nat_kinds.sh [KIND...]     (as root; default: every kind)
set -eo pipefail
PATH=$PATH:/usr/sbin:/sbin
REPO_DIR=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../../lab/nat.sh source-path=SCRIPTDIR
source "$REPO_DIR/lab/nat.sh"

if (( EUID != 0 )); then echo "SKIP: needs root"; exit 77; fi
for tool in ip nft python3; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done
if ip netns list | grep -q '^rvnat-'; then
  echo "SKIP: rvnat-* namespaces exist (another run?)"
  exit 77
fi

log() { printf '%s %s\n' "$(date +%T.%3N)" "$*"; }
die() { log "FAIL: $*"; exit 1; }
NS=()
# ns_add NAME: namespace rvnat-NAME, loopback up, forwarding on.
ns_add() {
  ip netns add "rvnat-$1"
  NS+=("rvnat-$1")
  ip -n "rvnat-$1" link set lo up
  ip netns exec "rvnat-$1" sysctl -qw net.ipv4.ip_forward=1
}
x() { ip netns exec "rvnat-$1" "${@:2}"; }
# plug NODE IF ADDR HUB BRIDGE: NODE's IF with ADDR on HUB's bridge.
plug() {
  ip link add "$2" netns "rvnat-$1" type veth peer name "p-$1" netns "rvnat-$4"
  ip -n "rvnat-$1" addr add "$3" dev "$2"
  ip -n "rvnat-$4" link set "p-$1" master "$5" up
  ip -n "rvnat-$1" link set "$2" up
}
bridge_add() {
  ip -n "rvnat-$1" link add "$2" type bridge
  ip -n "rvnat-$1" addr add "$3" dev "$2"
  ip -n "rvnat-$1" link set "$2" up
  x "$1" sysctl -qw net.bridge.bridge-nf-call-iptables=0 2>/dev/null || true
}
cleanup() {
  local i
  for (( i = ${#NS[@]} - 1; i >= 0; i-- )); do ip netns del "${NS[i]}" 2>/dev/null || true; done
  NS=()
}
trap cleanup EXIT

PUBLIC=203.0.113.20
# site KIND: the namespaces and the NAT rules of one site of KIND.
site() {
  local kind=$1 site_kind
  site_kind=$(nat_site_kind "$kind")
  ns_add inet
  bridge_add inet inet0 203.0.113.1/24
  ns_add h1; plug h1 eth0 203.0.113.101/24 inet inet0
  ns_add h2; plug h2 eth0 203.0.113.102/24 inet inet0
  ns_add r
  if [[ $kind == double ]]; then
    ns_add cgn
    plug cgn wan0 "$PUBLIC/24" inet inet0
    bridge_add cgn cgn0 192.0.2.1/24
    plug r wan0 192.0.2.20/24 cgn cgn0
    ip -n rvnat-r route add default via 192.0.2.1
    nat_rules "$NAT_CGN_KIND" wan0 "$PUBLIC" 192.0.2.0/24 | x cgn nft -f -
    nat_rules "$site_kind" wan0 192.0.2.20 172.31.77.0/24 | x r nft -f -
  else
    plug r wan0 "$PUBLIC/24" inet inet0
    nat_rules "$site_kind" wan0 "$PUBLIC" 172.31.77.0/24 172.31.77.11 172.31.77.12 | x r nft -f -
  fi
  bridge_add r lan0 172.31.77.1/24
  ns_add cl; plug cl eth0 172.31.77.11/24 r lan0
  ns_add cl2; plug cl2 eth0 172.31.77.12/24 r lan0
  ip -n rvnat-cl route add default via 172.31.77.1
  ip -n rvnat-cl2 route add default via 172.31.77.1
}

# probe: the observations of the probes, "key value" lines.
probe() {
  local carrier=()
  [[ ! -e /run/netns/rvnat-cgn ]] || carrier=(--carrier rvnat-cgn 192.0.2.1)
  nice -n 10 python3 - --public "$PUBLIC" "${carrier[@]}" <<'EOF'
import ctypes, os, select, socket, sys, time

libc = ctypes.CDLL(None, use_errno=True)
home = os.open("/proc/self/ns/net", os.O_RDONLY)

def sock_in(ns, addr, port):
    fd = os.open("/run/netns/" + ns, os.O_RDONLY)
    try:
        if libc.setns(fd, 0x40000000) != 0:
            sys.exit("setns " + ns)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((addr, port))
        s.setblocking(False)
        return s
    finally:
        os.close(fd)
        libc.setns(home, 0x40000000)

args = sys.argv[1:]
public = args[args.index("--public") + 1]
carrier = None
if "--carrier" in args:
    i = args.index("--carrier")
    carrier = (args[i + 1], args[i + 2])
H1, H2 = "203.0.113.101", "203.0.113.102"
cl = sock_in("rvnat-cl", "0.0.0.0", 4500)
cl2 = sock_in("rvnat-cl2", "0.0.0.0", 4500)
h = {(H, p): sock_in(ns, H, p) for ns, H in (("rvnat-h1", H1), ("rvnat-h2", H2))
     for p in (7000, 7001, 7002)}
if carrier:
    h[(carrier[1], 7003)] = sock_in(carrier[0], carrier[1], 7003)

def exchange(tag, src, dst, rcv, wait=1.0, tries=5):
    """Sends TAG from socket src to dst a few times, spread over `wait`
    seconds; returns the source address of the first TAG rcv got (None:
    none came)."""
    tag = tag.encode()
    deadline = time.monotonic() + wait
    for k in range(tries):
        try:
            src.sendto(tag, dst)
        except OSError:
            pass
        until = min(deadline, time.monotonic() + wait / tries)
        while True:
            left = until - time.monotonic()
            if left <= 0:
                break
            if select.select([rcv], [], [], left)[0]:
                try:
                    data, addr = rcv.recvfrom(2048)
                except BlockingIOError:
                    continue
                if data == tag:
                    return addr
    return None

def show(key, addr):
    print(key, "%s:%d" % addr if addr else "none")

# unsolicited, before anyone inside sent
show("unsolicited_4500", exchange("u4500", h[(H1, 7000)], (public, 4500), cl))
show("unsolicited_4501", exchange("u4501", h[(H1, 7000)], (public, 4501), cl2))
# mapping: the external address and port each destination sees
m = {}
for dst in ((H1, 7000), (H1, 7001), (H2, 7000)):
    m[dst] = exchange("map%d" % dst[1], cl, dst, h[dst], wait=3.0, tries=15)
    show("map_%s:%d" % dst, m[dst])
if carrier:
    show("map_carrier", exchange("carrier", cl, (carrier[1], 7003), h[(carrier[1], 7003)], wait=3.0, tries=15))
# filtering, to the mapping towards h1:7000
mapped = m[(H1, 7000)]
if mapped:
    for src in ((H1, 7002), (H2, 7002), (H1, 7000)):
        show("from_%s:%d" % src, exchange("from%s%d" % src, h[src], mapped, cl))
# cl2 never sent: nothing may have reached it since (with forward: only the forward)
stray = None
while stray is None:
    try:
        data, addr = cl2.recvfrom(2048)
    except BlockingIOError:
        break
    if data != b"u4501":
        stray = addr
show("cl2_stray", stray)
# a second host on the same internal port (as the lab's two candidates of a pool)
for dst in ((H1, 7000), (H2, 7000)):
    show("map2_%s:%d" % dst, exchange("second" + dst[0], cl2, dst, h[dst], wait=3.0, tries=15))
EOF
}

failed=0
# check KIND WHAT OK(0|1) DETAIL
check() {
  local r=ok
  (( $3 )) || { r=FAIL; failed=1; }
  printf '  %-9s %-44s %-4s %s\n' "$1" "$2" "$r" "$4"
}

run_kind() {
  local kind=$1 s1 s2 out k v u4500 u4501 m1 m1b m2 p1 p1b p2 f_port f_host f_reply stray carrier
  site "$kind"
  out=$(probe) || die "[$kind] probe failed: $out"
  while read -r k v; do
    case $k in
      unsolicited_4500) u4500=$v ;; unsolicited_4501) u4501=$v ;;
      map_203.0.113.101:7000) m1=$v ;; map_203.0.113.101:7001) m1b=$v ;; map_203.0.113.102:7000) m2=$v ;;
      map_carrier) carrier=$v ;;
      from_203.0.113.101:7002) f_port=$v ;; from_203.0.113.102:7002) f_host=$v ;; from_203.0.113.101:7000) f_reply=$v ;;
      cl2_stray) stray=$v ;;
      map2_203.0.113.101:7000) s1=$v ;; map2_203.0.113.102:7000) s2=$v ;;
    esac
  done <<<"$out"
  p1=${m1#*:} p1b=${m1b#*:} p2=${m2#*:}
  local ok
  if [[ $kind == forward ]]; then
    check "$kind" "port forwards: public:4500 -> cl, :4501 -> cl2" "$([[ $u4500 != none && $u4501 != none ]] && echo 1 || echo 0)" "$u4500 $u4501"
  else
    check "$kind" "nothing unsolicited gets in (4500, 4501)" "$([[ $u4500 == none && $u4501 == none ]] && echo 1 || echo 0)" "$u4500 $u4501"
  fi
  check "$kind" "mapped address is the public one" "$([[ ${m1%:*} == "$PUBLIC" && ${m1b%:*} == "$PUBLIC" && ${m2%:*} == "$PUBLIC" ]] && echo 1 || echo 0)" "h1:7000 $m1, h1:7001 $m1b, h2:7000 $m2"
  if [[ $kind == edm ]]; then
    ok=$([[ $p1 != "$p1b" && $p1 != "$p2" && $p1b != "$p2" ]] && echo 1 || echo 0)
    check "$kind" "mapping endpoint-dependent (3 ports)" "$ok" "$p1 $p1b $p2"
  elif [[ $kind == forward ]]; then
    ok=$([[ $p1 == 4500 && $p1b == "$p2" && $p1b != 450[01] ]] && echo 1 || echo 0)
    check "$kind" "mapping EIM, never onto a forwarded port" "$ok" "$p1 (reply) $p1b $p2"
  else
    ok=$([[ $p1 == "$p1b" && $p1 == "$p2" ]] && echo 1 || echo 0)
    check "$kind" "mapping endpoint-independent (1 port)" "$ok" "$p1 $p1b $p2"
  fi
  check "$kind" "a reply from h1:7000 gets in" "$([[ $f_reply != none && -n $f_reply ]] && echo 1 || echo 0)" "$f_reply"
  if [[ $kind == @(eim|forward) ]]; then
    check "$kind" "$([[ $kind == eim ]] && echo EIF || echo 'forwarded 4500'): h1:7002 and h2:7002 get in" "$([[ $f_port != none && $f_host != none ]] && echo 1 || echo 0)" "$f_port $f_host"
  else
    check "$kind" "APDF: h1:7002 and h2:7002 are dropped" "$([[ $f_port == none && $f_host == none ]] && echo 1 || echo 0)" "$f_port $f_host"
  fi
  if [[ $kind == double ]]; then
    check "$kind" "first layer: the carrier segment sees 192.0.2.20" "$([[ ${carrier%:*} == 192.0.2.20 ]] && echo 1 || echo 0)" "$carrier"
  fi
  check "$kind" "cl2 (never sent) received nothing else" "$([[ $stray == none ]] && echo 1 || echo 0)" "$stray"
  if [[ $kind == edm ]]; then
    ok=$([[ ${s1#*:} != "${s2#*:}" ]] && echo 1 || echo 0)
    check "$kind" "same internal port on cl2: 2 other ports" "$ok" "$s1 $s2"
  elif [[ $kind != forward ]]; then
    ok=$([[ ${s1#*:} == "${s2#*:}" && ${s1#*:} != "$p1" && ${s1%:*} == "$PUBLIC" ]] && echo 1 || echo 0)
    check "$kind" "same internal port on cl2: 1 other port" "$ok" "$s1 $s2"
  fi
  cleanup
}

kinds=("$@")
(( ${#kinds[@]} )) || kinds=(forward eim eim-apdf edm double)
for kind in "${kinds[@]}"; do
  nat_kind_ok "$kind" || die "no NAT kind '$kind'"
  log "== $kind"
  run_kind "$kind"
done
if (( failed )); then log "FAIL: nat_kinds.sh"; exit 1; fi
log "PASS: nat_kinds.sh (${kinds[*]})"

#!/usr/bin/env python3
"""The lab's JSON and netns helpers (jq is not installed).

Subcommands (input on stdin unless a file is named):
  gateways [--edit STMT]   spec lines -> GatewayList JSON (raven.openyurt.io/v1beta1)
  cluster                  spec lines -> a v1 List of Nodes and Gateways (spec only), for kubectl
  jsonpath PATH            one value out of a JSON document ("status.activeEndpoints.0.nodeName")
  pingmatrix [OPTIONS]     pod lines -> ICMP echo from every pod to every other pod, v4 and v6,
                           all at once from one process; a reachability matrix
  routes [--need-btf]      `bpftool map dump -j` of a raven_routes{4,6}_v1 trie -> one line per entry
  stats                    `bpftool map dump -j` of raven_peer_stats_v1 -> "PACKETS BYTES" summed
  drops                    `bpftool map dump -j` of raven_drops_v2 -> "reason=count ..." summed,
                           named as in bpf/raven_abi.h
  wgpeers                  `wg show DEV dump` -> its configuration only (no handshake, no counters)
  ifindex                  `ip -j link show dev X` -> ifindex
  linkstats                `ip -j -s link show dev X` -> "RX_PACKETS TX_PACKETS"
"""
import base64
import ctypes
import ipaddress
import json
import os
import select
import signal
import socket
import struct
import sys
import time


# ---------------------------------------------------------------- gateways
def gateways(argv):
    """Spec lines on stdin:
         gateway NAME ACTIVE_NODE PUBLIC_IP PORT PUBLIC_KEY [UNDER_NAT]
         endpoint GATEWAY NODE PUBLIC_IP PORT UNDER_NAT
         node GATEWAY NODE PRIVATE_IP SUBNET[,SUBNET...]
    The gateway line is status.activeEndpoints[0] (what the controller would
    write); endpoint lines, in priority order, are the candidates of
    spec.endpoints (default: the active endpoint alone, without its key).
    UNDER_NAT is true or false (default false).
    --edit STMT runs a Python statement with `d` (the document) and `gw(name)`
    (that Gateway item) in scope, to make a deliberately bad file."""
    edit = None
    if argv[:1] == ["--edit"]:
        edit = argv[1]
    items, order, candidates = {}, [], {}
    for line in sys.stdin:
        f = line.split()
        if not f:
            continue
        if f[0] == "gateway":
            name, active, public_ip, port, key = f[1], f[2], f[3], int(f[4]), f[5]
            under_nat = len(f) > 6 and _bool(f[6])
            ep = {"nodeName": active, "type": "tunnel", "port": port,
                  "underNAT": under_nat, "publicIP": public_ip}
            items[name] = {
                "apiVersion": "raven.openyurt.io/v1beta1", "kind": "Gateway",
                "metadata": {"name": name},
                "spec": {"nodeSelector": {"matchLabels": {"raven.openyurt.io/gateway": name}},
                         "endpoints": [dict(ep)],
                         "tunnelConfig": {"Replicas": 1}, "exposeType": "PublicIP"},
                "status": {"nodes": [],
                           "activeEndpoints": [dict(ep, config={"publicKey": key})]},
            }
            order.append(name)
        elif f[0] == "endpoint":
            gw, node, public_ip, port, under_nat = f[1], f[2], f[3], int(f[4]), _bool(f[5])
            candidates.setdefault(gw, []).append(
                {"nodeName": node, "type": "tunnel", "port": port,
                 "underNAT": under_nat, "publicIP": public_ip})
        elif f[0] == "node":
            gw, node, private_ip, subnets = f[1], f[2], f[3], f[4].split(",")
            items[gw]["status"]["nodes"].append(
                {"nodeName": node, "privateIP": private_ip, "subnets": subnets})
        else:
            sys.exit("bad spec line: " + line)
    for gw, eps in candidates.items():
        items[gw]["spec"]["endpoints"] = eps
    d = {"apiVersion": "raven.openyurt.io/v1beta1", "kind": "GatewayList",
         "items": [items[n] for n in order]}
    if edit:
        def gw(name):
            return next(i for i in d["items"] if i["metadata"]["name"] == name)
        exec(edit, {"d": d, "gw": gw})
    json.dump(d, sys.stdout, indent=1)
    sys.stdout.write("\n")


def cluster(argv):
    """Spec lines on stdin, for a lab driven by the API server and the controller:
         node NAME GATEWAY INTERNAL_IP[,INTERNAL_IP...] CIDR[,CIDR...]
                                   a Ready Node labelled for GATEWAY
         endpoint GATEWAY NODE PUBLIC_IP PUBLIC_PORT UNDER_NAT   a candidate, in priority order
                                   (PUBLIC_IP and PUBLIC_PORT "-": none, the fields are omitted)
         expose GATEWAY TYPE       spec.exposeType (after its endpoints; default PublicIP
                                   unless under NAT)
         replicas GATEWAY N        spec.tunnelConfig.Replicas (after its endpoints)
    INTERNAL_IP may list a dual-stack node's addresses (100.127.2.12,fd7f:2::12):
    each is an InternalIP of status.addresses, in that order, so the controller
    publishes the first as privateIP and the first of the other family in
    secondaryPrivateIPs. Every Gateway named by an endpoint line gets tunnel
    Replicas 1 unless a replicas line says otherwise; statuses are the
    controller's to write."""
    items, gateways = [], {}
    for line in sys.stdin:
        f = line.split()
        if not f:
            continue
        if f[0] == "node":
            name, gw, ips, cidrs = f[1], f[2], _ips(f[3], line), f[4].split(",")
            addresses = [{"type": "InternalIP", "address": ip} for ip in ips]
            items.append({
                "apiVersion": "v1", "kind": "Node",
                "metadata": {"name": name, "labels": {"raven.openyurt.io/gateway": gw}},
                "spec": {"podCIDR": cidrs[0], "podCIDRs": cidrs},
                "status": {"addresses": addresses + [{"type": "Hostname", "address": name}],
                           "conditions": [{"type": "Ready", "status": "True",
                                           "reason": "KubeletReady"}]},
            })
        elif f[0] == "endpoint":
            gw, node, public_ip, port, under_nat = f[1], f[2], f[3], f[4], _bool(f[5])
            if gw not in gateways:
                gateways[gw] = {
                    "apiVersion": "raven.openyurt.io/v1beta1", "kind": "Gateway",
                    "metadata": {"name": gw},
                    "spec": {"nodeSelector": {"matchLabels": {"raven.openyurt.io/gateway": gw}},
                             "endpoints": [], "tunnelConfig": {"Replicas": 1}},
                }
                if not under_nat:  # as upstream's webhook: an exposed Gateway is not under NAT
                    gateways[gw]["spec"]["exposeType"] = "PublicIP"
            ep = {"nodeName": node, "type": "tunnel", "port": 4500, "underNAT": under_nat}
            if public_ip != "-":
                ep["publicIP"] = public_ip
            if port != "-":
                ep["publicPort"] = int(port)
            gateways[gw]["spec"]["endpoints"].append(ep)
        elif f[0] == "expose":
            gateways[f[1]]["spec"]["exposeType"] = f[2]
        elif f[0] == "replicas":
            gateways[f[1]]["spec"]["tunnelConfig"]["Replicas"] = int(f[2])
        else:
            sys.exit("bad spec line: " + line)
    json.dump({"apiVersion": "v1", "kind": "List", "items": items + list(gateways.values())},
              sys.stdout, indent=1)
    sys.stdout.write("\n")


def _ips(text, line):
    """A comma-separated list of IP addresses, in order; exits on a bad one."""
    ips = text.split(",")
    for ip in ips:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            sys.exit("bad address %r in spec line: %s" % (ip, line))
    return ips


def jsonpath(argv):
    v = json.load(sys.stdin)
    for part in argv[0].split("."):
        try:
            v = v[int(part)] if isinstance(v, list) else v[part]
        except (KeyError, IndexError, ValueError):
            sys.exit(1)
    print(v if not isinstance(v, (dict, list)) else json.dumps(v))


def _bool(word):
    if word not in ("true", "false"):
        sys.exit("expected true or false, got %r" % word)
    return word == "true"


# ---------------------------------------------------------------- bpftool dumps
def _load_dump():
    """A `bpftool map dump -j` list; bpftool reports failures as {"error": ...}."""
    dump = json.load(sys.stdin)
    if isinstance(dump, dict):
        sys.exit("bpftool: %s" % dump.get("error", dump))
    return dump


def _raw_bytes(hexlist):
    return bytes(int(x, 16) for x in hexlist)


def routes(argv):
    need_btf = "--need-btf" in argv
    dump = _load_dump()
    out = []
    for e in dump:
        raw_k, raw_v = _raw_bytes(e["key"]), _raw_bytes(e["value"])
        plen = struct.unpack_from("<I", raw_k)[0]
        addr = raw_k[4:]
        peer, ifindex, action, family, mtu = struct.unpack_from("<IIBBH", raw_v)
        dst = raw_v[12:28]
        fmt = e.get("formatted")
        if fmt is None and need_btf:
            sys.exit("routes: entry without a BTF-decoded 'formatted' field: %r" % e)
        if fmt is not None:
            # The decoded view must agree with the raw bytes.
            fk, fv = fmt["key"], fmt["value"]
            if fk["prefixlen"] != plen or list(fk["addr"]) != list(addr):
                sys.exit("routes: formatted key %r disagrees with raw %r" % (fk, raw_k.hex()))
            if (fv["peer_id"], fv["ifindex"], fv["action"]) != (peer, ifindex, action):
                sys.exit("routes: formatted value %r disagrees with raw %r" % (fv, raw_v.hex()))
        net = ipaddress.ip_network((bytes(addr), plen), strict=False)
        tdst = "-"
        if family == 4:
            tdst = str(ipaddress.IPv4Address(dst[:4]))
        elif family == 6:
            tdst = str(ipaddress.IPv6Address(dst))
        out.append("%s action=%d ifindex=%d peer=%d mtu=%d family=%d dst=%s btf=%s key=%s" % (
            net, action, ifindex, peer, mtu, family, tdst, "yes" if fmt is not None else "no",
            json.dumps(fmt["key"], separators=(",", ":")) if fmt is not None else "-"))
    print("\n".join(sorted(out)))


def _percpu_values(e):
    """[(cpu, raw bytes)] of one per-CPU entry, from the raw dump."""
    return [(v["cpu"], _raw_bytes(v["value"])) for v in e["values"]]


def stats(argv):
    packets = nbytes = 0
    for e in _load_dump():
        for _, raw in _percpu_values(e):
            p, b = struct.unpack_from("<QQ", raw)
            packets += p
            nbytes += b
    print(packets, nbytes)


def _drop_reasons():
    """{slot: name} from enum raven_drop_reason in bpf/raven_abi.h, the one list:
    RAVEN_DROP_RELAY_FOREIGN = 5 -> {5: "relay_foreign"}, as the agent's metrics say."""
    import re
    abi = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bpf", "raven_abi.h")
    with open(abi) as fh:
        found = re.findall(r"RAVEN_DROP_(\w+) = (\d+)", fh.read())
    return {int(v): n.lower() for n, v in found if n != "REASON_MAX"}


def drops(argv):
    names = _drop_reasons()
    out = []
    for e in _load_dump():
        key = struct.unpack_from("<I", _raw_bytes(e["key"]))[0]
        if key not in names:
            continue  # a slot no reason uses yet
        total = sum(struct.unpack_from("<Q", raw)[0] for _, raw in _percpu_values(e))
        out.append("%s=%d" % (names[key], total))
    print(" ".join(out))


# ---------------------------------------------------------------- wg / ip
def tunneladdr(argv):
    """The WireGuard tunnel address of the base64 key argv[0]: fe80::/64 and
    the key's first 8 bytes (daemon/failover/tunnel_address.h)."""
    key = base64.b64decode(argv[0])
    print(ipaddress.IPv6Address(b"\xfe\x80" + bytes(6) + key[:8]))


def wgpeers(argv):
    lines = sys.stdin.read().splitlines()
    if not lines:
        return
    print("interface " + " ".join(lines[0].split("\t")[1:]))  # no private key
    peers = []
    for line in lines[1:]:
        f = line.split("\t")
        # public-key preshared endpoint allowed-ips latest-handshake rx tx keepalive
        nets = [] if f[3] == "(none)" else f[3].split(",")
        allowed = ",".join(sorted(nets, key=lambda n: (ipaddress.ip_network(n).version,
                                                       ipaddress.ip_network(n))))
        peers.append("peer %s endpoint=%s allowed-ips=%s keepalive=%s" % (f[0], f[2], allowed, f[7]))
    print("\n".join(sorted(peers)))


def ifindex(argv):
    print(json.load(sys.stdin)[0]["ifindex"])


def linkstats(argv):
    s = json.load(sys.stdin)[0]["stats64"]
    print(s["rx"]["packets"], s["tx"]["packets"])


# ---------------------------------------------------------------- pingmatrix
_CLONE_NEWNET = 0x40000000


def _setns(fd):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, _CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "setns: " + os.strerror(err))


def internet_checksum(data):
    """The RFC 1071 checksum of IPv4 and ICMPv4 headers."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def pingmatrix(argv):
    """Pod lines on stdin:  pod NAME NETNS GROUP IPV4 IPV6
    Opens raw ICMP sockets inside every pod's namespace (setns, no `ip netns
    exec` per ping) and sends echo requests from every pod to every other pod,
    both families, all at once; a pair counts as reachable when any of
    --attempts requests (spread over --timeout seconds) is answered.
      --pairs all|cross|same
                          cross: only pods of different GROUPs, same: of the same (default all)
      --attempts N        echo requests per pair (default 3)
      --timeout S         seconds per probe round (default 2)
      --format matrix|lines|none
                          matrix: one table per family (from = rows, to = columns);
                          lines: "FROM TO v4|v6 ok|fail"; always a summary line
    Exits 0 when every probed pair answered, 1 otherwise."""
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `lab.sh status | head` ends quietly
    pairs, timeout, attempts, fmt = "all", 2.0, 3, "matrix"
    args = list(argv)
    while args:
        opt = args.pop(0)
        if opt == "--pairs":
            pairs = args.pop(0)
        elif opt == "--timeout":
            timeout = float(args.pop(0))
        elif opt == "--attempts":
            attempts = int(args.pop(0))
        elif opt == "--format":
            fmt = args.pop(0)
        else:
            sys.exit("pingmatrix: unknown option " + opt)
    pods = []
    for line in sys.stdin:
        f = line.split()
        if not f:
            continue
        if f[0] != "pod" or len(f) != 6:
            sys.exit("bad pod line: " + line)
        pods.append({"name": f[1], "netns": f[2], "group": f[3],
                     "addr": {4: f[4], 6: str(ipaddress.IPv6Address(f[5]))}})
    ident = os.getpid() & 0xFFFF

    # One socket per pod and family, created inside the pod's namespace.
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    socks = {}
    try:
        for i, pod in enumerate(pods):
            fd = os.open("/run/netns/" + pod["netns"], os.O_RDONLY)
            try:
                _setns(fd)
                socks[(i, 4)] = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
                socks[(i, 6)] = socket.socket(socket.AF_INET6, socket.SOCK_RAW,
                                              socket.IPPROTO_ICMPV6)
            finally:
                os.close(fd)
                _setns(home)
    finally:
        os.close(home)
    for s in socks.values():
        s.setblocking(False)
    owner = {s.fileno(): key for key, s in socks.items()}

    todo = set()
    for i, src in enumerate(pods):
        for j, dst in enumerate(pods):
            same = src["group"] == dst["group"]
            if i != j and (pairs == "all" or (pairs == "same") == same):
                todo.add((i, j, 4))
                todo.add((i, j, 6))
    probed = set(todo)
    ok = set()

    def send(i, j, fam, attempt):
        seq = (j * attempts + attempt) & 0xFFFF
        payload = b"raven-lab" + bytes(23)
        if fam == 4:
            hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
            hdr = struct.pack("!BBHHH", 8, 0, internet_checksum(hdr + payload), ident, seq)
            dest = (pods[j]["addr"][4], 0)
        else:  # the kernel fills in the ICMPv6 checksum
            hdr = struct.pack("!BBHHH", 128, 0, 0, ident, seq)
            dest = (pods[j]["addr"][6], 0, 0, 0)
        try:
            socks[(i, fam)].sendto(hdr + payload, dest)
        except OSError:
            pass  # no route, neighbour failure...: unanswered

    def receive(deadline):
        while todo:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            ready, _, _ = select.select(list(owner), [], [], left)
            for fd in ready:
                i, fam = owner[fd]
                s = socks[(i, fam)]
                while True:
                    try:
                        data, addr = s.recvfrom(2048)
                    except BlockingIOError:
                        break
                    if fam == 4:
                        data = data[(data[0] & 0xF) * 4:]
                        want_type = 0
                    else:
                        want_type = 129
                    if len(data) < 8:
                        continue
                    typ, _, _, rid, seq = struct.unpack_from("!BBHHH", data)
                    if typ != want_type or rid != ident:
                        continue
                    j = seq // attempts
                    if j >= len(pods):
                        continue
                    src = addr[0].split("%")[0]
                    want = pods[j]["addr"][fam]
                    if fam == 6:
                        src = str(ipaddress.IPv6Address(src))
                    if src == want and (i, j, fam) in todo:
                        todo.discard((i, j, fam))
                        ok.add((i, j, fam))

    start = time.monotonic()
    for attempt in range(attempts):
        for (i, j, fam) in sorted(todo):
            send(i, j, fam, attempt)
        receive(start + timeout * (attempt + 1) / attempts)
    for s in socks.values():
        s.close()

    names = [p["name"] for p in pods]
    if fmt == "lines":
        for (i, j, fam) in sorted(probed):
            print("%s %s v%d %s" % (names[i], names[j], fam,
                                    "ok" if (i, j, fam) in ok else "fail"))
    elif fmt == "matrix":
        _print_matrix(pods, probed, ok)
    failed = sorted(probed - ok)
    cross = [(i, j, f) for (i, j, f) in probed if pods[i]["group"] != pods[j]["group"]]
    print("reachable %d/%d pairs (cross-pool %d/%d)%s" % (
        len(ok), len(probed), len([c for c in cross if c in ok]), len(cross),
        "" if not failed else "; unreachable: " + " ".join(
            "%s->%s(v%d)" % (names[i], names[j], f) for (i, j, f) in failed[:12])
        + (" ..." if len(failed) > 12 else "")))
    sys.exit(0 if not failed else 1)


def _print_matrix(pods, probed, ok):
    width = max(4, max(len(p["name"]) for p in pods)) + 1
    label = max(len(p["name"]) + len(p["group"]) + 3 for p in pods)
    groups = []
    for p in pods:
        if not groups or groups[-1][0] != p["group"]:
            groups.append([p["group"], 0])
        groups[-1][1] += 1

    def row(label_text, cells):
        out, k = label_text.ljust(label), 0
        for _, count in groups:
            out += " |" + "".join(c.rjust(width) for c in cells[k:k + count])
            k += count
        return out

    for fam in (4, 6):
        print("IPv%d  (row: from, column: to;  ✓ replied  ✗ no reply  · self  - not probed)" % fam)
        header, k = " " * label, 0
        for group, count in groups:
            header += " |" + group[:width * count - 1].center(width * count)
            k += count
        print(header)
        print(row("", [p["name"] for p in pods]))
        for i, p in enumerate(pods):
            cells = []
            for j in range(len(pods)):
                if i == j:
                    cells.append("·")
                elif (i, j, fam) not in probed:
                    cells.append("-")
                else:
                    cells.append("✓" if (i, j, fam) in ok else "✗")
            print(row("%s (%s)" % (p["name"], p["group"]), cells))
        print()


if __name__ == "__main__":
    cmd = sys.argv[1]
    globals()[cmd](sys.argv[2:])

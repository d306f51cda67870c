#!/usr/bin/env python3
"""JSON and pcap helpers for the end-to-end scripts (jq is not installed).

Subcommands (input on stdin unless a file is named):
  gateways [--edit STMT]   spec lines -> GatewayList JSON (raven.openyurt.io/v1beta1)
  routes [--need-btf]      `bpftool map dump -j` of a raven_routes{4,6}_v1 trie -> one line per entry
  stats                    `bpftool map dump -j` of raven_peer_stats_v1 -> "PACKETS BYTES" summed
  drops                    `bpftool map dump -j` of raven_drops_v1 -> "reason=count ..." summed
  wgpeers                  `wg show DEV dump` -> its configuration only (no handshake, no counters)
  ifindex                  `ip -j link show dev X` -> ifindex
  linkstats                `ip -j -s link show dev X` -> "RX_PACKETS TX_PACKETS"
  pcap FILE PORT NET...    classify an Ethernet pcap: WireGuard on PORT, ARP, NDP/MLD, other
"""
import ipaddress
import json
import struct
import sys


# ---------------------------------------------------------------- gateways
def gateways(argv):
    """Spec lines on stdin:
         gateway NAME ACTIVE_NODE PUBLIC_IP PORT PUBLIC_KEY
         node GATEWAY NODE PRIVATE_IP SUBNET[,SUBNET...]
    --edit STMT runs a Python statement with `d` (the document) and `gw(name)`
    (that Gateway item) in scope, to make a deliberately bad file."""
    edit = None
    if argv[:1] == ["--edit"]:
        edit = argv[1]
    items, order = {}, []
    for line in sys.stdin:
        f = line.split()
        if not f:
            continue
        if f[0] == "gateway":
            name, active, public_ip, port, key = f[1], f[2], f[3], int(f[4]), f[5]
            ep = {"nodeName": active, "type": "tunnel", "port": port,
                  "underNAT": False, "publicIP": public_ip}
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
        elif f[0] == "node":
            gw, node, private_ip, subnets = f[1], f[2], f[3], f[4].split(",")
            items[gw]["status"]["nodes"].append(
                {"nodeName": node, "privateIP": private_ip, "subnets": subnets})
        else:
            sys.exit("bad spec line: " + line)
    d = {"apiVersion": "raven.openyurt.io/v1beta1", "kind": "GatewayList",
         "items": [items[n] for n in order]}
    if edit:
        def gw(name):
            return next(i for i in d["items"] if i["metadata"]["name"] == name)
        exec(edit, {"d": d, "gw": gw})
    json.dump(d, sys.stdout, indent=1)
    sys.stdout.write("\n")


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


def drops(argv):
    names = ["bad_route", "tunnel_key", "ttl_exceeded", "mss_rewrite", "relay_not_gateway"]
    out = []
    for e in _load_dump():
        key = struct.unpack_from("<I", _raw_bytes(e["key"]))[0]
        total = sum(struct.unpack_from("<Q", raw)[0] for _, raw in _percpu_values(e))
        out.append("%s=%d" % (names[key] if key < len(names) else key, total))
    print(" ".join(out))


# ---------------------------------------------------------------- wg / ip
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


# ---------------------------------------------------------------- pcap
def pcap(argv):
    path, port, nets = argv[0], int(argv[1]), [ipaddress.ip_network(n) for n in argv[2:]]
    with open(path, "rb") as fh:
        data = fh.read()
    magic = struct.unpack_from("<I", data)[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack_from(endian + "I", data, 20)[0]
    if linktype != 1:
        sys.exit("pcap: link type %d, want Ethernet" % linktype)
    counts = {"wg_init": 0, "wg_resp": 0, "wg_cookie": 0, "wg_data": 0, "arp": 0, "ndp": 0,
              "other": 0, "pod_addr": 0}
    others = []
    off = 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack_from(endian + "IIII", data, off)
        pkt = data[off + 16: off + 16 + caplen]
        off += 16 + caplen
        etype = struct.unpack_from("!H", pkt, 12)[0]
        l3 = pkt[14:]
        if etype == 0x0806:
            counts["arp"] += 1
            continue
        src = dst = None
        if etype == 0x0800:
            ihl = (l3[0] & 0xF) * 4
            proto, src, dst = l3[9], l3[12:16], l3[16:20]
            frag = struct.unpack_from("!H", l3, 6)[0] & 0x1FFF
            l4 = l3[ihl:] if frag == 0 else b""
        elif etype == 0x86DD:
            proto, src, dst, l4 = l3[6], l3[8:24], l3[24:40], l3[40:]
        else:
            proto, l4 = None, b""
        addrs = [ipaddress.ip_address(a) for a in (src, dst) if a is not None]
        if any(a in n for a in addrs for n in nets if a.version == n.version):
            counts["pod_addr"] += 1
        if proto == 17 and len(l4) >= 12:
            sport, dport = struct.unpack_from("!HH", l4)
            payload = l4[8:]
            if (sport == port or dport == port) and payload[1:4] == b"\0\0\0" and 1 <= payload[0] <= 4:
                counts[["wg_init", "wg_resp", "wg_cookie", "wg_data"][payload[0] - 1]] += 1
                continue
        if proto == 58 and len(l4) >= 1 and l4[0] in (130, 131, 132, 133, 134, 135, 136, 137, 143):
            counts["ndp"] += 1
            continue
        counts["other"] += 1
        if len(others) < 5:
            others.append("ethertype=0x%04x proto=%s %s" % (
                etype, proto, " > ".join(str(a) for a in addrs)))
    print(" ".join("%s=%d" % kv for kv in counts.items()))
    for o in others:
        print("  other: " + o)


if __name__ == "__main__":
    cmd = sys.argv[1]
    globals()[cmd](sys.argv[2:])

#!/usr/bin/env python3
"""A kube-proxy stand-in for the lab: Kubernetes Services as nftables DNAT,
laid out as kube-proxy's nftables mode lays them out, from a static service set.

  kube_proxy.py rules [--node-ips IP[,IP...]] [--cluster-cidrs CIDR[,CIDR...]]
                      [--masquerade-all] [--spec FILE]   an `nft -f` script for one node
  kube_proxy.py resolve NAME [--spec FILE]               what cluster DNS would answer for NAME
  kube_proxy.py cleanup                                  an `nft -f` script removing the tables

The service set is read from --spec FILE or stdin, one service port a line
('#' starts a comment):

  clusterip NAME FAMILY CLUSTER_IP PORT/PROTO [ENDPOINT...]
  nodeport  NAME FAMILY NODE_PORT/PROTO [ENDPOINT...]
  headless  NAME IP [IP...]

NAME is NAMESPACE/NAME or NAME (namespace "default"); FAMILY is 4 or 6;
PROTO is tcp, udp or sctp; ENDPOINT is IP:PORT, [IPv6]:PORT for IPv6, of the
line's family. A dual-stack Service is two lines with the same NAME. A
nodeport line stands for a NodePort Service with externalTrafficPolicy
Cluster: it is reached on the node's addresses (--node-ips of its family; all
of the node's non-loopback addresses when none is given) and is always
masqueraded, so the endpoint sees the node's address. Connections to a
service port without endpoints are rejected (ICMP port unreachable: "connection
refused"), as kube-proxy does.

Headless lines make no rules; they are there for `resolve`, which prints one
address a line: a headless Service's endpoint IPs, a ClusterIP Service's
cluster IPs (exit 1 when NAME is unknown).

`rules` prints one nftables transaction that replaces the tables `ip
kube-proxy` and `ip6 kube-proxy` (add, delete, add again: re-applying it
gives the same tables and removes what a previous service set left). Their
structure follows kube-proxy's nftables proxier: base chains nat-prerouting
(dstnat) and nat-output (host-originated traffic) jump to `services`, which
dispatches through the verdict maps service-ips (ip daddr . meta l4proto . th
dport) and service-nodeports (meta l4proto . th dport, for daddr in
nodeport-ips); `service-<hash>-<ns>/<name>/<proto>/<port>` picks an endpoint
with `numgen random mod N`; `endpoint-<hash>-...__<ip>/<port>` DNATs;
`external-<hash>-...` (NodePort) marks for masquerade; mark-for-masquerade sets
0x4000 and nat-postrouting's `masquerading` masquerades marked packets;
filter-{input,forward,output} reject new connections to ports without
endpoints. The <port> of a chain name is the service port number (the node
port on a nodeport line), standing in for the port's name. ICMP is never
DNATed: test Services with TCP (lab/tcp_probe.py).

Masquerading of ClusterIP traffic is kube-proxy's: none by default (the
endpoint sees the pod's address); with --cluster-cidrs (kube-proxy's
--cluster-cidr, detect-local-mode ClusterCIDR) traffic whose source is outside
those CIDRs (other hosts routed to the service range, the node itself) is
masqueraded; --masquerade-all masquerades all of it. Traffic an endpoint sends
to its own Service is always masqueraded (hairpin). As with kube-proxy, any
packet that leaves with mark bit 0x4000 set is masqueraded, whoever set it
(e.g. a tunnel's fwmark that has this bit).

Example, node c1 of the lab:
  lab/kube_proxy.py rules --node-ips 198.18.0.11,fd7f:1::11 \\
      --cluster-cidrs 100.64.0.0/16,fd64::/16 --spec services.txt \\
    | ip netns exec rvlab-c1 nft -f -
"""
import argparse
import base64
import hashlib
import ipaddress
import re
import sys
from dataclasses import dataclass, field

MASQUERADE_MARK = "0x4000"  # kube-proxy's default --masquerade-bit 14
PROTOCOLS = ("tcp", "udp", "sctp")
NAME_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
NFT_FAMILY = {4: "ip", 6: "ip6"}
ADDR_TYPE = {4: "ipv4_addr", 6: "ipv6_addr"}
LOOPBACK = {4: "127.0.0.0/8", 6: "::1"}
NAME_LENGTH_MAX = 256 - 16  # nftables' name limit less kube-proxy's longest chain prefix


class SpecError(Exception):
    pass


@dataclass(frozen=True)
class Endpoint:
    ip: ipaddress._BaseAddress
    port: int

    def __str__(self):
        return f"[{self.ip}]:{self.port}" if self.ip.version == 6 else f"{self.ip}:{self.port}"


@dataclass
class ServicePort:
    kind: str  # clusterip | nodeport
    name: str  # namespace/name
    family: int
    protocol: str
    port: int  # the ClusterIP's port, or the node port
    cluster_ip: ipaddress._BaseAddress = None
    endpoints: list = field(default_factory=list)

    @property
    def port_name(self):
        return f"{self.name}/{self.protocol}/{self.port}"

    @property
    def service_chain(self):
        return "service-" + hash_and_truncate(self.port_name)

    @property
    def external_chain(self):
        return "external-" + hash_and_truncate(self.port_name)

    def endpoint_chain(self, ep):
        # Colons are not allowed in chain names; kube-proxy writes IPv6 with dots.
        ip = str(ep.ip).replace(":", ".")
        return "endpoint-" + hash_and_truncate(f"{self.port_name}__{ip}/{ep.port}")


@dataclass
class ServiceSet:
    ports: list = field(default_factory=list)
    headless: dict = field(default_factory=dict)  # namespace/name -> [ip]


def hash_and_truncate(name):
    """kube-proxy's chain name base: the first 8 base32 characters of the name's SHA-256, '-', the name."""
    digest = base64.b32encode(hashlib.sha256(name.encode()).digest()).decode()
    name = digest[:8] + "-" + name
    return name if len(name) <= NAME_LENGTH_MAX else name[: NAME_LENGTH_MAX - 3] + "..."


# ---------------------------------------------------------------- parsing
def parse_name(text):
    namespace, _, name = text.rpartition("/")
    namespace = namespace or "default"
    for part in (namespace, name):
        if len(part) > 63 or not NAME_RE.fullmatch(part):
            raise SpecError(f"bad name {text!r} (want [namespace/]name, lowercase DNS labels)")
    return f"{namespace}/{name}"


def parse_family(text):
    if text not in ("4", "6"):
        raise SpecError(f"bad family {text!r} (want 4 or 6)")
    return int(text)


def parse_ip(text, family=None):
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        raise SpecError(f"bad IP address {text!r}") from None
    if family and ip.version != family:
        raise SpecError(f"{text} is not an IPv{family} address")
    return ip


def parse_port(text):
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise SpecError(f"bad port {text!r}")
    return int(text)


def parse_port_proto(text):
    port, slash, proto = text.partition("/")
    if not slash or proto not in PROTOCOLS:
        raise SpecError(f"bad PORT/PROTO {text!r} (protocols: {', '.join(PROTOCOLS)})")
    return parse_port(port), proto


def parse_endpoint(text, family):
    m = re.fullmatch(r"\[([0-9a-fA-F:.]+)\]:(\w+)|([0-9.]+):(\w+)", text)
    if not m:
        raise SpecError(f"bad endpoint {text!r} (want IP:PORT or [IPv6]:PORT)")
    ip, port = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    return Endpoint(parse_ip(ip, family), parse_port(port))


def parse_line(fields):
    kind = fields[0]
    if kind == "clusterip":
        if len(fields) < 5:
            raise SpecError("too few fields (want clusterip NAME FAMILY CLUSTER_IP PORT/PROTO [ENDPOINT...])")
        family = parse_family(fields[2])
        port, proto = parse_port_proto(fields[4])
        return ServicePort("clusterip", parse_name(fields[1]), family, proto, port,
                           parse_ip(fields[3], family), [parse_endpoint(e, family) for e in fields[5:]])
    if kind == "nodeport":
        if len(fields) < 4:
            raise SpecError("too few fields (want nodeport NAME FAMILY NODE_PORT/PROTO [ENDPOINT...])")
        family = parse_family(fields[2])
        port, proto = parse_port_proto(fields[3])
        return ServicePort("nodeport", parse_name(fields[1]), family, proto, port,
                           None, [parse_endpoint(e, family) for e in fields[4:]])
    if kind == "headless":
        if len(fields) < 3:
            raise SpecError("too few fields (want headless NAME IP [IP...])")
        return parse_name(fields[1]), [parse_ip(ip) for ip in fields[2:]]
    raise SpecError(f"unknown kind {kind!r} (clusterip, nodeport, headless)")


def parse_spec(lines):
    """The service set of spec lines; SpecError names the first bad line."""
    spec = ServiceSet()
    chains, keys = set(), set()
    for number, line in enumerate(lines, 1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        try:
            item = parse_line(fields)
            if isinstance(item, tuple):
                if item[0] in spec.headless:
                    raise SpecError(f"headless service {item[0]} defined twice")
                spec.headless[item[0]] = item[1]
                continue
            key = (item.family, item.cluster_ip, item.protocol, item.port)
            if key in keys:
                what = f"{item.cluster_ip} {item.port}/{item.protocol}" if item.cluster_ip else \
                    f"node port {item.port}/{item.protocol}"
                raise SpecError(f"{what} (IPv{item.family}) defined twice")
            if (item.family, item.service_chain) in chains:
                raise SpecError(f"{item.name} port {item.port}/{item.protocol} (IPv{item.family}) defined twice")
            if len(set(item.endpoints)) != len(item.endpoints):
                raise SpecError("an endpoint is listed twice")
            keys.add(key)
            chains.add((item.family, item.service_chain))
            spec.ports.append(item)
        except SpecError as e:
            raise SpecError(f"line {number}: {e}") from None
    return spec


def split_by_family(texts, parse):
    out = {4: [], 6: []}
    for text in texts:
        value = parse(text)
        out[value.version].append(value)
    return out


def parse_cidr(text):
    try:
        return ipaddress.ip_network(text)
    except ValueError:
        raise SpecError(f"bad CIDR {text!r}") from None


def comma_list(text):
    return [t for t in (text or "").split(",") if t]


# ---------------------------------------------------------------- rules
def nft_set(items):
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else "{ " + ", ".join(items) + " }"


def table_script(family, ports, node_ips, cluster_cidrs, masquerade_all):
    """The commands that replace table `<ip|ip6> kube-proxy` with the rules for ports."""
    ipx, table = NFT_FAMILY[family], f"{NFT_FAMILY[family]} kube-proxy"
    out = [f"add table {table}", f"delete table {table}",
           f'add table {table} {{ comment "rules for kube-proxy" ; }}']

    def chain(name, base=None):
        out.append(f"add chain {table} {name}" + (f" {{ {base} ; }}" if base else ""))

    def rule(chain_name, text):
        out.append(f"add rule {table} {chain_name} {text}")

    def element(map_name, text):
        out.append(f"add element {table} {map_name} {{ {text} }}")

    # nft 1.0.6 takes the names dstnat/srcnat only on prerouting/postrouting: -100 is dstnat.
    chain("nat-prerouting", "type nat hook prerouting priority dstnat")
    chain("nat-output", "type nat hook output priority -100")
    chain("nat-postrouting", "type nat hook postrouting priority srcnat")
    for hook in ("input", "forward", "output"):
        chain(f"filter-{hook}", f"type filter hook {hook} priority -110")
    for name in ("services", "masquerading", "mark-for-masquerade", "endpoints-check", "reject-chain"):
        chain(name)
    addr = ADDR_TYPE[family]
    out += [
        f'add map {table} service-ips {{ type {addr} . inet_proto . inet_service : verdict ; '
        'comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }',
        f'add map {table} service-nodeports {{ type inet_proto . inet_service : verdict ; '
        'comment "NodePort traffic" ; }',
        f'add map {table} no-endpoint-services {{ type {addr} . inet_proto . inet_service : verdict ; '
        'comment "vmap to drop or reject packets to services with no endpoints" ; }',
        f'add map {table} no-endpoint-nodeports {{ type inet_proto . inet_service : verdict ; '
        'comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }',
    ]
    if node_ips:
        out.append(f'add set {table} nodeport-ips {{ type {addr} ; comment "IPs that accept NodePort traffic" ; }}')
        element("nodeport-ips", ", ".join(str(ip) for ip in node_ips))
        nodeport_match = f"{ipx} daddr @nodeport-ips"
    else:  # kube-proxy's --nodeport-addresses matching everything
        nodeport_match = f"fib daddr type local {ipx} daddr != {LOOPBACK[family]}"

    rule("nat-prerouting", "jump services")
    rule("nat-output", "jump services")
    rule("nat-postrouting", "jump masquerading")
    for hook in ("input", "forward", "output"):
        rule(f"filter-{hook}", "ct state new jump endpoints-check")
    rule("mark-for-masquerade", f"mark set mark or {MASQUERADE_MARK}")
    rule("masquerading", f"mark and {MASQUERADE_MARK} == 0 return")
    rule("masquerading", f"mark set mark xor {MASQUERADE_MARK}")
    rule("masquerading", "masquerade fully-random")
    rule("reject-chain", "reject")
    rule("services", f"{ipx} daddr . meta l4proto . th dport vmap @service-ips")
    rule("services", f"{nodeport_match} meta l4proto . th dport vmap @service-nodeports")
    rule("endpoints-check", f"{ipx} daddr . meta l4proto . th dport vmap @no-endpoint-services")
    rule("endpoints-check", f"{nodeport_match} meta l4proto . th dport vmap @no-endpoint-nodeports")

    for sp in ports:
        comment = f'comment "{sp.name}:{sp.port}"'
        if not sp.endpoints:
            if sp.kind == "clusterip":
                element("no-endpoint-services",
                        f"{sp.cluster_ip} . {sp.protocol} . {sp.port} {comment} : goto reject-chain")
            else:
                element("no-endpoint-nodeports", f"{sp.protocol} . {sp.port} {comment} : goto reject-chain")
            continue
        for ep in sp.endpoints:
            chain(sp.endpoint_chain(ep))
        chain(sp.service_chain)
        if sp.kind == "clusterip":
            element("service-ips", f"{sp.cluster_ip} . {sp.protocol} . {sp.port} : goto {sp.service_chain}")
            match = f"{ipx} daddr {sp.cluster_ip} {sp.protocol} dport {sp.port}"
            if masquerade_all:
                rule(sp.service_chain, f"{match} jump mark-for-masquerade")
            elif cluster_cidrs:
                rule(sp.service_chain, f"{match} {ipx} saddr != {nft_set(cluster_cidrs)} jump mark-for-masquerade")
        else:
            chain(sp.external_chain)
            element("service-nodeports", f"{sp.protocol} . {sp.port} : goto {sp.external_chain}")
            # externalTrafficPolicy Cluster: the endpoint may be on another node, so masquerade.
            rule(sp.external_chain, "jump mark-for-masquerade")
            rule(sp.external_chain, f"goto {sp.service_chain}")
        targets = ", ".join(f"{i} : goto {sp.endpoint_chain(ep)}" for i, ep in enumerate(sp.endpoints))
        rule(sp.service_chain, f"numgen random mod {len(sp.endpoints)} vmap {{ {targets} }}")
        for ep in sp.endpoints:
            rule(sp.endpoint_chain(ep), f"{ipx} saddr {ep.ip} jump mark-for-masquerade")
            rule(sp.endpoint_chain(ep), f"meta l4proto {sp.protocol} dnat to {ep}")
    return out


def rules_script(spec, node_ips=(), cluster_cidrs=(), masquerade_all=False):
    """One `nft -f` transaction replacing both kube-proxy tables with the rules for spec."""
    ips = split_by_family(node_ips, parse_ip)
    cidrs = split_by_family(cluster_cidrs, parse_cidr)
    lines = ["#!/usr/sbin/nft -f", "# lab/kube_proxy.py rules: replaces tables ip kube-proxy and ip6 kube-proxy"]
    for family in (4, 6):
        ports = [p for p in spec.ports if p.family == family]
        lines += table_script(family, ports, ips[family], cidrs[family], masquerade_all)
    return "\n".join(lines) + "\n"


def cleanup_script():
    lines = []
    for family in (4, 6):
        table = f"{NFT_FAMILY[family]} kube-proxy"
        lines += [f"add table {table}", f"delete table {table}"]
    return "\n".join(lines) + "\n"


def resolve(spec, name):
    """The addresses cluster DNS would give for name: a headless Service's endpoints, or cluster IPs."""
    name = parse_name(name)
    if name in spec.headless:
        return [str(ip) for ip in spec.headless[name]]
    ips = []
    for sp in spec.ports:
        if sp.kind == "clusterip" and sp.name == name and str(sp.cluster_ip) not in ips:
            ips.append(str(sp.cluster_ip))
    return ips


# ---------------------------------------------------------------- main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rules = sub.add_parser("rules", help="print an nft -f script for one node")
    rules.add_argument("--node-ips", default="", help="the node's addresses, for NodePorts (comma-separated)")
    rules.add_argument("--cluster-cidrs", default="",
                       help="pod CIDRs; ClusterIP traffic from outside them is masqueraded (comma-separated)")
    rules.add_argument("--masquerade-all", action="store_true", help="masquerade all ClusterIP traffic")
    rules.add_argument("--spec", help="the service set (default: stdin)")
    res = sub.add_parser("resolve", help="print the addresses of a Service")
    res.add_argument("name")
    res.add_argument("--spec", help="the service set (default: stdin)")
    sub.add_parser("cleanup", help="print an nft -f script deleting both kube-proxy tables")
    args = parser.parse_args(argv)

    if args.command == "cleanup":
        sys.stdout.write(cleanup_script())
        return 0
    try:
        if args.spec:
            with open(args.spec, encoding="utf-8") as f:
                spec = parse_spec(f)
        else:
            spec = parse_spec(sys.stdin)
        if args.command == "rules":
            sys.stdout.write(rules_script(spec, comma_list(args.node_ips), comma_list(args.cluster_cidrs),
                                          args.masquerade_all))
            return 0
        addresses = resolve(spec, args.name)
    except (SpecError, OSError) as e:
        print(f"kube_proxy.py: {e}", file=sys.stderr)
        return 2
    if not addresses:
        print(f"kube_proxy.py: no service {args.name} in the service set", file=sys.stderr)
        return 1
    print("\n".join(addresses))
    return 0


if __name__ == "__main__":
    sys.exit(main())

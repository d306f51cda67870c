#!/usr/bin/env python3
"""lab/kube_proxy.py: the spec parser, the nft script it generates (chain names,
maps, masquerading, NodePorts, endpoint-less ports), resolve, and the CLI; as
root, that a kernel in a fresh network namespace (unshare --net) accepts the
script twice with the same result."""
import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import unittest

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "lab" / "kube_proxy.py"
_spec = importlib.util.spec_from_file_location("kube_proxy", SCRIPT)
kp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kp)

SERVICES = """\
# comment line, then a blank one

clusterip default/web 4 100.96.0.10 80/tcp 100.64.21.2:8080   # trailing comment
clusterip web 6 fd96::10 80/tcp [fd64:21::2]:8080
clusterip kube-system/spread 4 100.96.0.20 53/udp 100.64.21.2:5353 100.64.22.2:5353
clusterip empty 4 100.96.0.30 80/tcp
nodeport web-np 4 30080/tcp 100.64.22.2:8080
nodeport web-np 6 30080/tcp [fd64:22::2]:8080
nodeport empty-np 4 30081/tcp
headless db 100.64.21.2 fd64:21::2
"""


def parse(text=SERVICES):
    return kp.parse_spec(text.splitlines())


def rules(text=SERVICES, **kwargs):
    return kp.rules_script(parse(text), **kwargs)


def table_part(script, family):
    """The lines of script that concern table `ip kube-proxy` (4) or `ip6 kube-proxy` (6)."""
    prefix = {4: " ip kube-proxy", 6: " ip6 kube-proxy"}[family]
    return [line for line in script.splitlines() if prefix in line]


class ChainNamesTest(unittest.TestCase):
    def test_same_hash_as_kube_proxy(self):
        # The examples in the comments of kube-proxy's nftables proxier.
        self.assertEqual(kp.hash_and_truncate("ns1/svc1/tcp/p80"), "ULMVA6XW-ns1/svc1/tcp/p80")
        self.assertEqual(kp.hash_and_truncate("ns1/svc1/tcp/p80__10.180.0.1/80"),
                         "5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80")

    def test_service_and_endpoint_chains(self):
        web4, web6 = parse().ports[:2]
        self.assertRegex(web4.service_chain, r"^service-[A-Z2-7]{8}-default/web/tcp/80$")
        self.assertEqual(web4.service_chain, web6.service_chain)  # one Service port, two families
        self.assertRegex(web4.endpoint_chain(web4.endpoints[0]),
                         r"^endpoint-[A-Z2-7]{8}-default/web/tcp/80__100\.64\.21\.2/8080$")
        # No colons in chain names: IPv6 is written with dots.
        self.assertRegex(web6.endpoint_chain(web6.endpoints[0]),
                         r"^endpoint-[A-Z2-7]{8}-default/web/tcp/80__fd64\.21\.\.2/8080$")

    def test_long_names_truncated(self):
        name = kp.hash_and_truncate("x" * 300)
        self.assertEqual(len(name), kp.NAME_LENGTH_MAX)
        self.assertTrue(name.endswith("..."))


class ScriptTest(unittest.TestCase):
    def test_replaces_both_tables_in_one_transaction(self):
        lines = rules().splitlines()
        for family in ("ip", "ip6"):
            table = f"{family} kube-proxy"
            i = lines.index(f"add table {table}")
            self.assertEqual(lines[i + 1], f"delete table {table}")
            self.assertEqual(lines[i + 2], f'add table {table} {{ comment "rules for kube-proxy" ; }}')
        self.assertEqual(rules(), rules())

    def test_base_chains_and_dispatch(self):
        v4 = table_part(rules(), 4)
        for line in [
            "add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority dstnat ; }",
            "add chain ip kube-proxy nat-output { type nat hook output priority -100 ; }",
            "add chain ip kube-proxy nat-postrouting { type nat hook postrouting priority srcnat ; }",
            "add rule ip kube-proxy nat-prerouting jump services",
            "add rule ip kube-proxy nat-output jump services",
            "add rule ip kube-proxy nat-postrouting jump masquerading",
            "add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips",
            "add rule ip kube-proxy mark-for-masquerade mark set mark or 0x4000",
            "add rule ip kube-proxy masquerading mark and 0x4000 == 0 return",
            "add rule ip kube-proxy masquerading mark set mark xor 0x4000",
            "add rule ip kube-proxy masquerading masquerade fully-random",
        ]:
            self.assertIn(line, v4)
        self.assertIn("add rule ip6 kube-proxy services ip6 daddr . meta l4proto . th dport vmap @service-ips",
                      table_part(rules(), 6))

    def test_clusterip(self):
        web = parse().ports[0]
        v4 = table_part(rules(), 4)
        ep = web.endpoint_chain(web.endpoints[0])
        self.assertIn(f"add element ip kube-proxy service-ips {{ 100.96.0.10 . tcp . 80 : goto {web.service_chain} }}",
                      v4)
        self.assertIn(f"add rule ip kube-proxy {web.service_chain} numgen random mod 1 vmap {{ 0 : goto {ep} }}", v4)
        self.assertIn(f"add rule ip kube-proxy {ep} ip saddr 100.64.21.2 jump mark-for-masquerade", v4)
        self.assertIn(f"add rule ip kube-proxy {ep} meta l4proto tcp dnat to 100.64.21.2:8080", v4)
        self.assertNotIn("fd96::10", "\n".join(v4))

    def test_clusterip_v6(self):
        web6 = parse().ports[1]
        v6 = "\n".join(table_part(rules(), 6))
        self.assertIn(f"service-ips {{ fd96::10 . tcp . 80 : goto {web6.service_chain} }}", v6)
        self.assertIn("meta l4proto tcp dnat to [fd64:21::2]:8080", v6)
        self.assertIn("ip6 saddr fd64:21::2 jump mark-for-masquerade", v6)
        self.assertNotIn("100.96.0.10", v6)

    def test_several_endpoints_numgen(self):
        spread = parse().ports[2]
        a, b = (spread.endpoint_chain(ep) for ep in spread.endpoints)
        self.assertIn(f"add rule ip kube-proxy {spread.service_chain} numgen random mod 2 vmap "
                      f"{{ 0 : goto {a}, 1 : goto {b} }}", table_part(rules(), 4))
        self.assertIn(f"{b} meta l4proto udp dnat to 100.64.22.2:5353", rules())
        self.assertIn("100.96.0.20 . udp . 53 :", rules())

    def test_clusterip_masquerade_modes(self):
        web = parse().ports[0]
        match = f"add rule ip kube-proxy {web.service_chain} ip daddr 100.96.0.10 tcp dport 80"
        self.assertNotIn(match, rules(), "kube-proxy without a local detector: no masquerade")
        self.assertIn(f"{match} ip saddr != 100.64.0.0/16 jump mark-for-masquerade",
                      rules(cluster_cidrs=["100.64.0.0/16", "fd64::/16"]).splitlines())
        self.assertIn(f"{match} ip saddr != {{ 100.64.0.0/16, 100.65.0.0/16 }} jump mark-for-masquerade",
                      rules(cluster_cidrs=["100.64.0.0/16", "100.65.0.0/16"]).splitlines())
        self.assertIn(f"{match} jump mark-for-masquerade", rules(masquerade_all=True).splitlines())
        self.assertIn("ip6 daddr fd96::10 tcp dport 80 ip6 saddr != fd64::/16 jump mark-for-masquerade",
                      rules(cluster_cidrs=["100.64.0.0/16", "fd64::/16"]))

    def test_nodeport_on_node_ips(self):
        np = parse().ports[4]
        script = rules(node_ips=["198.18.0.11", "fd7f:1::11"])
        v4, v6 = table_part(script, 4), table_part(script, 6)
        self.assertIn("add element ip kube-proxy nodeport-ips { 198.18.0.11 }", v4)
        self.assertIn("add element ip6 kube-proxy nodeport-ips { fd7f:1::11 }", v6)
        self.assertIn("add rule ip kube-proxy services ip daddr @nodeport-ips meta l4proto . th dport "
                      "vmap @service-nodeports", v4)
        self.assertIn(f"add element ip kube-proxy service-nodeports {{ tcp . 30080 : goto {np.external_chain} }}",
                      v4)
        self.assertRegex(np.external_chain, r"^external-[A-Z2-7]{8}-default/web-np/tcp/30080$")
        self.assertIn(f"add rule ip kube-proxy {np.external_chain} jump mark-for-masquerade", v4)
        self.assertIn(f"add rule ip kube-proxy {np.external_chain} goto {np.service_chain}", v4)
        self.assertIn("dnat to [fd64:22::2]:8080", "\n".join(v6))

    def test_nodeport_without_node_ips_on_every_local_address(self):
        script = rules()
        self.assertNotIn("nodeport-ips", script)
        self.assertIn("add rule ip kube-proxy services fib daddr type local ip daddr != 127.0.0.0/8 "
                      "meta l4proto . th dport vmap @service-nodeports", script.splitlines())
        self.assertIn("add rule ip6 kube-proxy services fib daddr type local ip6 daddr != ::1 "
                      "meta l4proto . th dport vmap @service-nodeports", script.splitlines())

    def test_ports_without_endpoints_rejected(self):
        v4 = table_part(rules(), 4)
        self.assertIn('add element ip kube-proxy no-endpoint-services '
                      '{ 100.96.0.30 . tcp . 80 comment "default/empty:80" : goto reject-chain }', v4)
        self.assertIn('add element ip kube-proxy no-endpoint-nodeports '
                      '{ tcp . 30081 comment "default/empty-np:30081" : goto reject-chain }', v4)
        self.assertNotIn("default/empty/tcp", "\n".join(v4))
        for hook in ("input", "forward", "output"):
            self.assertIn(f"add rule ip kube-proxy filter-{hook} ct state new jump endpoints-check", v4)

    def test_cleanup(self):
        self.assertEqual(kp.cleanup_script().splitlines(), [
            "add table ip kube-proxy", "delete table ip kube-proxy",
            "add table ip6 kube-proxy", "delete table ip6 kube-proxy"])


class SpecTest(unittest.TestCase):
    def test_parsed(self):
        spec = parse()
        self.assertEqual([(p.kind, p.name, p.family, p.port, p.protocol) for p in spec.ports], [
            ("clusterip", "default/web", 4, 80, "tcp"),
            ("clusterip", "default/web", 6, 80, "tcp"),
            ("clusterip", "kube-system/spread", 4, 53, "udp"),
            ("clusterip", "default/empty", 4, 80, "tcp"),
            ("nodeport", "default/web-np", 4, 30080, "tcp"),
            ("nodeport", "default/web-np", 6, 30080, "tcp"),
            ("nodeport", "default/empty-np", 4, 30081, "tcp"),
        ])
        self.assertEqual([str(ep) for ep in spec.ports[1].endpoints], ["[fd64:21::2]:8080"])
        self.assertEqual([str(ip) for ip in spec.headless["default/db"]], ["100.64.21.2", "fd64:21::2"])

    def test_errors_name_the_line(self):
        cases = {
            "clusterip web 5 100.96.0.10 80/tcp": "bad family",
            "clusterip web 4 fd96::10 80/tcp": "not an IPv4 address",
            "clusterip web 4 100.96.0.10 80/icmp": "bad PORT/PROTO",
            "clusterip web 4 100.96.0.10 0/tcp": "bad port",
            "clusterip web 4 100.96.0.10 80/tcp [fd64::2]:80": "not an IPv4 address",
            "clusterip web 4 100.96.0.10 80/tcp 100.64.21.2": "bad endpoint",
            "clusterip web 4 100.96.0.10 80/tcp 100.64.21.2:99999": "bad port",
            "clusterip web 4 100.96.0.10 80/tcp 100.64.21.2:80 100.64.21.2:80": "listed twice",
            "clusterip Web 4 100.96.0.10 80/tcp": "bad name",
            "clusterip a/b/c 4 100.96.0.10 80/tcp": "bad name",
            "clusterip web 4 100.96.0.10": "too few fields \\(want clusterip NAME FAMILY",
            "nodeport web 4": "too few fields \\(want nodeport NAME FAMILY",
            "headless db": "too few fields \\(want headless NAME",
            "headless db nowhere": "bad IP address",
            "loadbalancer web 4": "unknown kind",
        }
        for line, message in cases.items():
            with self.subTest(line=line):
                with self.assertRaisesRegex(kp.SpecError, f"^line 2: .*{message}"):
                    parse("# first line\n" + line + "\n")

    def test_duplicates_refused(self):
        cases = {
            "clusterip a 4 100.96.0.10 80/tcp\nclusterip b 4 100.96.0.10 80/tcp": "100.96.0.10 80/tcp .* twice",
            "nodeport a 4 30080/tcp\nnodeport b 4 30080/tcp": "node port 30080/tcp .* twice",
            "clusterip a 4 100.96.0.10 80/tcp\nclusterip a 4 100.96.0.11 80/tcp": "default/a port 80/tcp .* twice",
            "headless db 100.64.21.2\nheadless default/db 100.64.21.3": "headless service default/db defined twice",
        }
        for text, message in cases.items():
            with self.subTest(text=text):
                with self.assertRaisesRegex(kp.SpecError, f"^line 2: {message}"):
                    parse(text)
        # The same port over UDP, or in the other family, is another Service port.
        parse("clusterip a 4 100.96.0.10 53/tcp\nclusterip a 4 100.96.0.10 53/udp\nnodeport n 4 30053/udp\n"
              "nodeport n 6 30053/udp")

    def test_resolve(self):
        spec = parse()
        self.assertEqual(kp.resolve(spec, "db"), ["100.64.21.2", "fd64:21::2"])
        self.assertEqual(kp.resolve(spec, "default/db"), ["100.64.21.2", "fd64:21::2"])
        self.assertEqual(kp.resolve(spec, "web"), ["100.96.0.10", "fd96::10"])
        self.assertEqual(kp.resolve(spec, "nothere"), [])
        self.assertEqual(kp.resolve(spec, "web-np"), [])  # a nodeport line has no cluster IP


class CliTest(unittest.TestCase):
    def run_cli(self, *args, stdin=SERVICES):
        return subprocess.run([sys.executable, str(SCRIPT), *args], input=stdin, capture_output=True,
                              text=True, timeout=30, check=False)

    def test_rules(self):
        out = self.run_cli("rules", "--node-ips", "198.18.0.11,fd7f:1::11", "--cluster-cidrs", "100.64.0.0/16")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout, rules(node_ips=["198.18.0.11", "fd7f:1::11"], cluster_cidrs=["100.64.0.0/16"]))

    def test_spec_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
            f.write(SERVICES)
            f.flush()
            out = self.run_cli("resolve", "db", "--spec", f.name, stdin="")
        self.assertEqual((out.returncode, out.stdout), (0, "100.64.21.2\nfd64:21::2\n"))

    def test_errors(self):
        out = self.run_cli("rules", stdin="clusterip web 4 100.96.0.10 80/tcp\nclusterip web 9 100.96.0.11 80/tcp\n")
        self.assertEqual(out.returncode, 2)
        self.assertIn("line 2: bad family", out.stderr)
        self.assertEqual(out.stdout, "")
        out = self.run_cli("rules", "--node-ips", "198.18.0.300")
        self.assertEqual(out.returncode, 2)
        self.assertIn("bad IP address '198.18.0.300'", out.stderr)
        out = self.run_cli("resolve", "nothere")
        self.assertEqual(out.returncode, 1)
        self.assertIn("no service nothere", out.stderr)

    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("nft") and shutil.which("unshare"),
                         "needs root, nft and unshare")
    def test_kernel_accepts_it_twice_identically(self):
        with tempfile.NamedTemporaryFile("w", suffix=".nft") as f:
            f.write(rules(node_ips=["198.18.0.11", "fd7f:1::11"], cluster_cidrs=["100.64.0.0/16", "fd64::/16"]))
            f.flush()
            # A network namespace of its own that ends with the command: nothing else is touched.
            out = subprocess.run(
                ["unshare", "--net", "sh", "-ec",
                 'nft -f "$1"; nft list ruleset; echo ===; nft -f "$1"; nft list ruleset', "sh", f.name],
                capture_output=True, text=True, timeout=60, check=False)
        self.assertEqual(out.returncode, 0, out.stderr)
        first, second = out.stdout.split("===\n")
        self.assertEqual(first, second)
        self.assertIn("table ip kube-proxy {", first)
        self.assertIn("table ip6 kube-proxy {", first)
        self.assertIn("numgen random mod 2 vmap", first)


if __name__ == "__main__":
    unittest.main()

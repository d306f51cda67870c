#!/usr/bin/env python3
"""A cloud load balancer stand-in for the lab (`lab.sh up --cloud-expose lb`).

  load_balancer.py --address IP --kubeconfig-dir DIR [--namespace NS] [--interval S]

Runs in the load balancer's namespace (its uplink wan0 holds IP, its LAN is
the cloud pool's). Like a cloud provider's service controller, it serves the
Services of type LoadBalancer that raven-controller manages in NS (label
app.kubernetes.io/managed-by=raven-controller): it gives each the address IP
in status.loadBalancer.ingress, and forwards each Service port arriving at IP
on wan0 to the backend of the Endpoints of the same name (the port of the
same name), keeping the client's address (externalTrafficPolicy Local: no
SNAT; the backends' replies come back through this router, their default
route). The rules are table `ip rvlab_lb`, replaced as a whole when a backend
changes; then the UDP conntrack entries to and from IP are deleted, as
kube-proxy does for UDP, so that flows to the old backend (and the replies
of flows it started) do not keep going there. Polls the API every --interval
seconds (default 0.1) over one HTTPS connection, with the lab's token and CA.
Logs each change with its time.
"""
import argparse
import http.client
import json
import ssl
import subprocess
import sys
import time
import urllib.parse

SELECTOR = "app.kubernetes.io/managed-by=raven-controller"


def log(msg):
    now = time.time()
    print(time.strftime("%H:%M:%S", time.gmtime(now)) + ".%03d " % (now % 1 * 1000) + msg,
          flush=True)


class Api:
    def __init__(self, kubeconfig_dir, server):
        self.host, self.port = server
        with open(kubeconfig_dir + "/token") as f:
            self.token = f.read().strip()
        self.ctx = ssl.create_default_context(cafile=kubeconfig_dir + "/pki/ca.crt")
        self.conn = None

    def call(self, method, path, body=None):
        for attempt in (0, 1):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx,
                                                            timeout=5)
                headers = {"Authorization": "Bearer " + self.token, "Accept": "application/json"}
                if body is not None:
                    headers["Content-Type"] = "application/merge-patch+json"
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                if resp.status >= 300:
                    raise RuntimeError("%s %s: %d %s" % (method, path, resp.status, data[:200]))
                return json.loads(data)
            except (OSError, http.client.HTTPException):
                self.conn = None
                if attempt:
                    raise
        return None


def rules(address, services, endpoints):
    """The nft script and a summary: every port of every Service with a backend."""
    lines, summary, taken = [], [], set()
    for svc in sorted(services, key=lambda s: s["metadata"]["name"]):
        name = svc["metadata"]["name"]
        subsets = endpoints.get(name, {}).get("subsets") or []
        addresses = subsets[0].get("addresses") or [] if subsets else []
        if not addresses:
            summary.append(name + ": no backend")
            continue
        backend = addresses[0]["ip"]
        by_name = {p.get("name", ""): p["port"] for p in subsets[0].get("ports") or []}
        for port in svc["spec"].get("ports") or []:
            proto = port.get("protocol", "TCP").lower()
            target = by_name.get(port.get("name", ""))
            if target is None or (proto, port["port"]) in taken:
                continue
            taken.add((proto, port["port"]))
            lines.append('    iifname "wan0" ip daddr %s %s dport %d dnat to %s:%d'
                         % (address, proto, port["port"], backend, target))
        summary.append("%s -> %s (%d ports)" % (name, backend, len(svc["spec"].get("ports") or [])))
    script = ("add table ip rvlab_lb\ndelete table ip rvlab_lb\ntable ip rvlab_lb {\n"
              "  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n"
              + "".join(line + "\n" for line in lines) + "  }\n}\n")
    return script, "; ".join(summary) or "no Service"


def forget_flows(address):
    for direction in ("--orig-dst", "--reply-dst"):
        subprocess.run(["conntrack", "-D", "-p", "udp", direction, address],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--address", required=True)
    p.add_argument("--kubeconfig-dir", required=True)
    p.add_argument("--server", default="198.18.0.2:6443")
    p.add_argument("--namespace", default="raven-system")
    p.add_argument("--interval", type=float, default=0.1)
    a = p.parse_args()
    host, port = a.server.rsplit(":", 1)
    api = Api(a.kubeconfig_dir, (host, int(port)))
    base = "/api/v1/namespaces/%s/" % a.namespace
    query = "?labelSelector=" + urllib.parse.quote(SELECTOR)
    applied = None
    log("serving Services of type LoadBalancer in %s at %s" % (a.namespace, a.address))
    while True:
        try:
            services = [s for s in api.call("GET", base + "services" + query)["items"]
                        if s.get("spec", {}).get("type") == "LoadBalancer"]
            for svc in services:
                ingress = svc.get("status", {}).get("loadBalancer", {}).get("ingress") or []
                if [i.get("ip") for i in ingress] != [a.address]:
                    patch = {"status": {"loadBalancer": {"ingress": [{"ip": a.address}]}}}
                    api.call("PATCH", base + "services/%s/status" % svc["metadata"]["name"],
                             json.dumps(patch))
                    log("gave %s the address %s" % (svc["metadata"]["name"], a.address))
            endpoints = {e["metadata"]["name"]: e
                         for e in api.call("GET", base + "endpoints" + query)["items"]}
            script, summary = rules(a.address, services, endpoints)
            if script != applied:
                subprocess.run(["nft", "-f", "-"], input=script.encode(), check=True)
                forget_flows(a.address)
                applied = script
                log("forwarding: " + summary)
        except (OSError, RuntimeError, http.client.HTTPException, ValueError, KeyError) as e:
            log("error (retrying): %s" % e)
            time.sleep(1)
        time.sleep(a.interval)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Checks deploy/*.yaml against the binaries and the API calls the code makes:

  - every document is a Kubernetes object (apiVersion, kind, metadata.name);
  - every flag a container passes to raven-agent / raven-controller is one the
    built binary accepts (from its --helpfull);
  - the agent gets NODE_NAME and NODE_IP, the controller POD_IP, from the
    downward API (their /metrics and /healthz bind to those by default);
  - no --metrics-address / --health-address binds every interface, and each
    probe targets a declared container port: the --health-address one when
    the container passes it;
  - each workload's ServiceAccount exists, and the RBAC rules bound to it
    grant every request the component makes (the table below mirrors
    daemon/cluster/*, daemon/agent.cc and controller/*).

Usage: check_manifests.py DEPLOY_DIR RAVEN_AGENT RAVEN_CONTROLLER
"""
import glob
import os
import re
import subprocess
import sys

import yaml

# (apiGroup, resource, verb, namespace or None for cluster-wide)
NEEDS = {
    "raven-agent": [
        ("raven.openyurt.io", "gateways", v, None) for v in ("get", "list", "watch")
    ] + [
        ("", "nodes", "get", None), ("", "nodes", "patch", None),
    ] + [
        ("coordination.k8s.io", "leases", v, "raven-system") for v in ("get", "create", "update")
    ],
    "raven-controller": [
        ("raven.openyurt.io", "gateways", v, None) for v in ("get", "list", "watch")
    ] + [
        ("raven.openyurt.io", "gateways/status", "update", None),
        ("", "nodes", "list", None), ("", "nodes", "watch", None),
        ("", "events", "create", None),
    ] + [
        ("coordination.k8s.io", "leases", v, "raven-system")
        for v in ("get", "list", "watch", "create", "update")
    ] + [
        ("", resource, v, "raven-system") for resource in ("services", "endpoints")
        for v in ("list", "watch", "create", "patch", "delete")
    ],
}

errors = []


def fail(msg):
    errors.append(msg)


def accepted_flags(binary):
    out = subprocess.run([binary, "--helpfull"], capture_output=True, text=True).stdout
    return set(re.findall(r"^\s+--([a-z0-9_]+)", out, re.M))


def main():
    deploy, agent, controller = sys.argv[1:4]
    flags = {"/usr/sbin/raven-agent": accepted_flags(agent),
             "/usr/sbin/raven-controller": accepted_flags(controller)}
    for binary, names in flags.items():
        if len(names) < 5:
            fail("%s --helpfull listed no flags" % binary)
    docs = []
    for path in sorted(glob.glob(os.path.join(deploy, "*.yaml"))):
        for doc in yaml.safe_load_all(open(path)):
            if doc is None:
                continue
            if not all(k in doc for k in ("apiVersion", "kind")) or not doc.get("metadata", {}).get("name"):
                fail("%s: a document without apiVersion, kind or metadata.name" % path)
                continue
            docs.append(doc)
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    accounts = {(d["metadata"].get("namespace"), d["metadata"]["name"])
                for d in by_kind.get("ServiceAccount", [])}
    workloads = by_kind.get("Deployment", []) + by_kind.get("DaemonSet", [])
    if {w["metadata"]["name"] for w in workloads} != set(NEEDS):
        fail("want a workload each for %s" % sorted(NEEDS))
    for w in workloads:
        name, ns = w["metadata"]["name"], w["metadata"].get("namespace")
        spec = w["spec"]["template"]["spec"]
        if (ns, spec.get("serviceAccountName")) not in accounts:
            fail("%s: ServiceAccount %s/%s is not defined" % (name, ns, spec.get("serviceAccountName")))
        for c in spec["containers"]:
            cmd = c["command"][0]
            if cmd not in flags:
                fail("%s: unknown command %s" % (name, cmd))
                continue
            for arg in c.get("args", []):
                flag = arg.split("=", 1)[0].lstrip("-").replace("-", "_")
                if flag not in flags[cmd]:
                    fail("%s: %s does not accept --%s" % (name, cmd, flag))
            env = {e["name"]: e.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
                   for e in c.get("env", [])}
            if name == "raven-agent" and (env.get("NODE_NAME") != "spec.nodeName" or
                                          env.get("NODE_IP") != "status.hostIP"):
                fail("raven-agent: NODE_NAME/NODE_IP must come from spec.nodeName/status.hostIP")
            if name == "raven-controller" and env.get("POD_IP") != "status.podIP":
                fail("raven-controller: POD_IP must come from status.podIP")
            check_listeners(name, c)
        check_rbac(name, ns, spec.get("serviceAccountName"), by_kind)
    if errors:
        print("\n".join("FAIL: " + e for e in errors))
        sys.exit(1)
    print("deploy manifests: %d objects, flags and RBAC consistent" % len(docs))


def check_listeners(component, container):
    addresses = {}
    for arg in container.get("args", []):
        flag, _, value = arg.partition("=")
        flag = flag.lstrip("-").replace("-", "_")
        if flag in ("metrics_address", "health_address"):
            addresses[flag] = value
            host = value.rpartition(":")[0]
            if host in ("0.0.0.0", "[::]", "::"):
                fail("%s: --%s=%s listens on every interface" % (component, flag, value))
    ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = container.get(kind, {}).get("httpGet")
        if probe is None:
            continue
        port = ports.get(probe["port"], probe["port"])
        if port not in ports.values():
            fail("%s: %s port %s is not a container port" % (component, kind, probe["port"]))
        health = addresses.get("health_address")
        if health and str(port) != health.rpartition(":")[2]:
            fail("%s: %s targets port %s, not --health-address=%s" % (component, kind, port, health))


def check_rbac(component, ns, account, by_kind):
    granted = set()
    roles = {("ClusterRole", None, r["metadata"]["name"]): r for r in by_kind.get("ClusterRole", [])}
    roles.update({("Role", r["metadata"].get("namespace"), r["metadata"]["name"]): r
                  for r in by_kind.get("Role", [])})
    for b in by_kind.get("ClusterRoleBinding", []) + by_kind.get("RoleBinding", []):
        if not any(s.get("kind") == "ServiceAccount" and s.get("name") == account and
                   s.get("namespace") == ns for s in b.get("subjects", [])):
            continue
        scope = b["metadata"].get("namespace")  # None: cluster-wide
        ref = b["roleRef"]
        role = roles.get((ref["kind"], scope if ref["kind"] == "Role" else None, ref["name"]))
        if role is None:
            fail("%s: binding %s refers to a missing %s %s" % (component, b["metadata"]["name"],
                                                              ref["kind"], ref["name"]))
            continue
        for rule in role.get("rules", []):
            for g in rule["apiGroups"]:
                for r in rule["resources"]:
                    for v in rule["verbs"]:
                        granted.add((g, r, v, scope))
    for group, resource, verb, need_ns in NEEDS[component]:
        if (group, resource, verb, None) in granted:
            continue
        if need_ns is not None and (group, resource, verb, need_ns) in granted:
            continue
        fail("%s: RBAC does not grant %s %s%s%s" % (component, verb, group + "/" if group else "",
                                                    resource, " in " + need_ns if need_ns else ""))


if __name__ == "__main__":
    main()

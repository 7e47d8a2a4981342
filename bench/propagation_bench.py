#!/usr/bin/env python3
"""Propagation latency: from a Kubernetes API event to the new policy snapshot being live.

Run by hand (not part of the test suite), from the repository root, after `ninja -C build`:

    python3 bench/propagation_bench.py                       # 10k pods, 1k policies
    python3 bench/propagation_bench.py --pods 1000 --policies 100 --reps 10
    python3 bench/propagation_bench.py --json results.json

What it does:

1. Generates a cluster shaped like bench/cluster_gen.c's (the policy benchmark's): namespaces
   with team/env labels, deployments of 2..20 replicas (app, tier, version, pod-template-hash
   labels, named container ports), about 100 pods per node, and NetworkPolicies of the usual
   shapes: namespace-wide default deny, monitoring from another namespace, default egress with
   DNS, and per-deployment allow lists (named and numeric ports, endPort ranges,
   matchExpressions, ipBlock with except).
2. Loads it into the stand-in API server (tests/k8s/fake_apiserver.py, HTTPS with a bearer
   token, on 127.0.0.1), in this process.
3. Starts the real daemon (build/control/podwall; PW_PODWALL overrides) with the Kubernetes
   source pointed at it and two net_pcap ports on empty captures, and waits for the first sync.
4. For each case, N times: t0 is taken just before the server's add()/delete() call that
   emits the watch event(s); a persistent connection to the operator socket sends
   {"cmd":"status"} every --poll-ms until policy.generation shows the snapshot that contains
   the change(s); t1 is that moment. Latency = t1 - t0. It includes the stand-in server's
   event emission (Python), the daemon's watch read and decode, the coalescing quiet period
   (a rebuild starts PW_POLICY_QUIET_MS = 10 ms after the last change, at most
   PW_POLICY_MAX_DELAY_MS = 50 ms after the first, checked on a 2 ms tick), compile, ACL build,
   publish, and up to one poll interval plus a status round trip of measurement error.

Cases: a single pod change (rotating add / relabel / delete of one pod on the local node), a
single policy change (rotating modify / add / delete of one NetworkPolicy), and a burst of
--burst pod changes (alternating: --burst new pods, then deleting them), emitted back to back.
For a burst, "live" means: the daemon's model holds every change (policy.objects.pods) and a
snapshot built after the last of them is published.

The split comes from the daemon's status (policy.last_build_ms: compile, acl_build, maps, total;
policy.acl_tables: how many ACL tables the build shared with the snapshot before instead of
building them; policy.last_build_cpu_ms: the build's CPU time on the daemon's control thread,
its own cost apart from what other processes take). "ACL reused" counts the samples whose build
shared every table.

Every wait is bounded; the daemon and the server are stopped on exit."""

import argparse
import json
import os
import platform
import random
import secrets
import shutil
import socket
import statistics
import struct
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "k8s"))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
os.environ.setdefault("PW_PODWALL", os.path.join(ROOT, "build", "control", "podwall"))
os.environ.setdefault("PW_PODWALLCTL", os.path.join(ROOT, "build", "tools", "podwallctl"))
import fake_apiserver as fa  # noqa: E402
from pwtest import Podwall, read_line  # noqa: E402

NODE = "node-1"  # the node the daemon guards

# ---- Cluster generator (the shapes of bench/cluster_gen.c) ---------------------------------

TIERS = ("frontend", "backend", "db", "cache")
APPS = {
    "frontend": ["web", "ui", "gateway", "portal"],
    "backend": ["api", "auth", "cart", "search", "orders", "billing", "users", "catalog",
                "worker", "notify"],
    "db": ["postgres", "mysql"],
    "cache": ["redis", "memcached"],
}
ENVS = ["prod"] * 5 + ["staging"] * 3 + ["dev"] * 2
UPSTREAM = {"frontend": "frontend", "backend": "frontend", "db": "backend", "cache": "backend"}
HASH_CHARS = "bcdfghjklmnpqrstvwxz2456789"


class Cluster:
    """A deterministic cluster: namespaces, deployments, pods and policies as API objects."""

    def __init__(self, nb_pods, nb_policies, seed=1, pods_per_node=100):
        self.rng = random.Random(seed)
        self.namespaces = []
        self.pods = []
        self.policies = []
        self.deployments = []  # (ns, dep dict, labels)
        self.nb_nodes = max(2, nb_pods // pods_per_node)
        self.node_fill = [0] * self.nb_nodes
        self.free_ips = {}  # node -> addresses of deleted pods
        self.pod_seq = 0
        self.generate(nb_pods, nb_policies)

    # Objects

    def namespace(self, name, team=None, env=None):
        labels = {"kubernetes.io/metadata.name": name}
        if team:
            labels["team"] = team
        if env:
            labels["env"] = env
        self.namespaces.append({"metadata": {"name": name, "labels": labels}})

    def next_ip(self, node):
        """A free address on @node's /24: 10.(64+n/256).(n%256).h (None when full)."""
        if self.free_ips.get(node):
            return self.free_ips[node].pop()
        if self.node_fill[node] >= 250:
            return None
        h = 2 + self.node_fill[node]
        self.node_fill[node] += 1
        return "10.%d.%d.%d" % (64 + node // 256, node % 256, h)

    def node_has_room(self, node):
        return bool(self.free_ips.get(node)) or self.node_fill[node] < 250

    def release(self, pod):
        """Give a deleted pod's address back to its node."""
        node = int(pod["spec"]["nodeName"].split("-")[1])
        self.free_ips.setdefault(node, []).append(pod["status"]["podIP"])

    def pod(self, ns, name, labels, dep, node=None):
        if node is None:
            node = self.rng.randrange(self.nb_nodes)
            for _ in range(self.nb_nodes):
                if self.node_has_room(node):
                    break
                node = (node + 1) % self.nb_nodes
        ip = self.next_ip(node)
        if dep is None:
            ports = [("dns", "UDP", 53), ("dns-tcp", "TCP", 53), ("metrics", "TCP", 9153)]
        else:
            ports = [(dep["port_name"], "TCP", dep["port"])]
            if dep["tier"] == "backend":
                ports.append(("http", "TCP", 8080))
            ports.append(("metrics", "TCP", {"db": 9187, "cache": 9121}.get(dep["tier"], 9090)))
        return {
            "metadata": {"name": name, "namespace": ns, "labels": dict(labels)},
            "spec": {"nodeName": "node-%d" % node, "containers": [{
                "name": "main", "image": "registry.example/%s:1" % labels.get(
                    "app", labels.get("k8s-app", "x")),
                "ports": [{"name": n, "protocol": p, "containerPort": c} for n, p, c in ports]}]},
            "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]},
        }

    def deployment(self, ns, dep, k8s_app=None):
        h = "".join(self.rng.choice(HASH_CHARS) for _ in range(10))
        if k8s_app:
            labels = {"k8s-app": k8s_app}
        else:
            labels = {"app": dep["app"], "tier": dep["tier"],
                      "version": "v2" if self.rng.randrange(4) == 0 else "v1"}
        labels["pod-template-hash"] = h
        for _ in range(dep["replicas"]):
            name = "%s-%s-%05d" % (k8s_app or dep["app"], h, self.pod_seq)
            self.pod_seq += 1
            self.pods.append(self.pod(ns, name, labels, None if k8s_app else dep))
        self.deployments.append((ns, dep, labels))

    # Policies

    @staticmethod
    def policy(ns, name, pod_selector, ingress=None, egress=None, types=None):
        spec = {"podSelector": pod_selector}
        if ingress is not None:
            spec["ingress"] = ingress
        if egress is not None:
            spec["egress"] = egress
        if types is not None:
            spec["policyTypes"] = types
        return {"metadata": {"name": name, "namespace": ns}, "spec": spec}

    @staticmethod
    def dns_rule():
        return {"to": [{"namespaceSelector": {"matchLabels": {
            "kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}

    def callers(self, deps, j):
        d = deps[j]
        want = 1 + self.rng.randrange(3)
        apps = []
        for i in range(len(deps)):
            c = deps[(j + 1 + i) % len(deps)]
            if len(apps) >= want:
                break
            if c is d or (c["tier"] != UPSTREAM[d["tier"]] and
                          not (d["tier"] == "backend" and c["tier"] == "backend")):
                continue
            apps.append(c["app"])
        if not apps:
            return {"matchLabels": {"tier": UPSTREAM[d["tier"]]}}
        if len(apps) == 1:
            return {"matchLabels": {"app": apps[0]}}
        return {"matchExpressions": [{"key": "app", "operator": "In", "values": apps}]}

    def dep_policy(self, ns, team, deps, j, seq):
        d = deps[j]
        v = self.rng.randrange(100)
        name = "allow-%s-%d" % (d["app"], seq)
        sel = {"matchLabels": {"app": d["app"]}}
        if 5 <= v < 10:
            return self.policy(ns, name, sel, egress=[
                {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [
                    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]}}],
                 "ports": [{"protocol": "TCP", "port": 443}]},
                self.dns_rule()], types=["Egress"])
        if self.rng.randrange(2) == 0:
            sel["matchLabels"]["tier"] = d["tier"]
        if 20 <= v < 30:
            peer = {"namespaceSelector": {"matchLabels": {"team": team}, "matchExpressions": [
                {"key": "env", "operator": "NotIn", "values": ["dev"]}]},
                "podSelector": {"matchExpressions": [
                    {"key": "tier", "operator": "In", "values": ["frontend", "backend"]},
                    {"key": "version", "operator": "Exists"}]}}
            return self.policy(ns, name, sel, ingress=[
                {"from": [peer], "ports": [{"port": d["port_name"]}]}])
        ports = []
        if 10 <= v < 20:
            ports.append({"protocol": "TCP", "port": 8000, "endPort": 8099}
                         if self.rng.randrange(2) == 0 else
                         {"protocol": "UDP", "port": 30000, "endPort": 32767})
        ports.append({"protocol": "TCP", "port": d["port_name"] if self.rng.randrange(10) < 6
                      else d["port"]})
        if self.rng.randrange(10) < 3:
            ports.append({"protocol": "TCP", "port": "http"})
        rules = [{"from": [{"podSelector": self.callers(deps, j)}], "ports": ports}]
        if v < 5:
            rules.append({"from": [{"ipBlock": {"cidr": "192.168.0.0/16", "except": [
                "192.168.%d.0/24" % self.rng.randrange(256)]}}],
                "ports": [{"protocol": "TCP", "port": d["port"]}]})
        return self.policy(ns, name, sel, ingress=rules)

    def ns_policies(self, ns, team, deps, budget):
        out = []
        if self.rng.randrange(10) < 7:
            out.append(self.policy(ns, "default-deny-ingress", {}, types=["Ingress"]))
        out.append(self.policy(ns, "allow-monitoring", {}, ingress=[{"from": [{
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
            "podSelector": {"matchLabels": {"app": "prometheus"}}}],
            "ports": [{"protocol": "TCP", "port": "metrics"}]}]))
        if self.rng.randrange(10) < 3:
            egress = [self.dns_rule(), {"to": [{"podSelector": {}}]}]
            if self.rng.randrange(2) == 0:
                egress.append({"to": [{"namespaceSelector": {"matchLabels": {"team": team}}}],
                               "ports": [{"protocol": "TCP", "port": "http"}]})
            out.append(self.policy(ns, "default-egress", {}, egress=egress, types=["Egress"]))
        out = out[:budget]
        j = 0
        while len(out) < budget and deps:
            out.append(self.dep_policy(ns, team, deps, j % len(deps), j // len(deps)))
            j += 1
        self.policies.extend(out)

    def generate(self, nb_pods, nb_policies):
        regular = max(0, nb_pods - 4)
        nb_ns = max(1, (regular + 50) // 100)
        nb_teams = max(2, nb_ns // 4)
        self.namespace("kube-system")
        self.namespace("monitoring", "platform", "prod")
        self.deployment("kube-system", {"replicas": 2}, k8s_app="kube-dns")
        self.deployment("monitoring", {"app": "prometheus", "tier": "backend", "port_name": "web",
                                       "port": 9090, "replicas": 2})
        for i in range(nb_ns):
            pods = regular * (i + 1) // nb_ns - regular * i // nb_ns
            budget = nb_policies * (i + 1) // nb_ns - nb_policies * i // nb_ns
            ns, team = "ns-%05d" % i, "team-%d" % (i % nb_teams)
            self.namespace(ns, team, self.rng.choice(ENVS))
            deps, used = [], {t: 0 for t in TIERS}
            while pods > 0:
                t = self.rng.randrange(100)
                tier = "frontend" if t < 20 else "backend" if t < 75 else "db" if t < 87 \
                    else "cache"
                a = used[tier]
                used[tier] += 1
                names = APPS[tier]
                app = names[a] if a < len(names) else "%s-%d" % (names[a % len(names)],
                                                                 a // len(names))
                replicas = min(2 + self.rng.randrange(19), pods)
                pods -= replicas
                if tier == "frontend":
                    a = self.rng.randrange(10)
                    port_name, port = "http", 8080 if a < 7 else 80 if a < 9 else 3000
                elif tier == "backend":
                    port_name, port = "grpc", 50051 if self.rng.randrange(4) == 0 else 9000
                elif tier == "db":
                    port_name, port = "db", 3306 if app[0] == "m" else 5432
                else:
                    port_name, port = "cache", 11211 if app[0] == "m" else 6379
                dep = {"app": app, "tier": tier, "port_name": port_name, "port": port,
                       "replicas": replicas}
                deps.append(dep)
                self.deployment(ns, dep)
            self.ns_policies(ns, team, deps, budget)

    def summary(self):
        local = sum(1 for p in self.pods if p["spec"]["nodeName"] == NODE)
        deny = sum(1 for p in self.policies if p["metadata"]["name"] == "default-deny-ingress")
        return ("%d namespaces, %d deployments, %d pods (%d on %s, %d nodes), %d policies "
                "(%d namespace-wide default deny)" % (
                    len(self.namespaces), len(self.deployments), len(self.pods), local, NODE,
                    self.nb_nodes, len(self.policies), deny))


# ---- Daemon and measurement ----------------------------------------------------------------

class Status:
    """A persistent operator-socket connection sending {"cmd":"status"}."""

    def __init__(self, path):
        self.conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.conn.settimeout(30)
        self.conn.connect(path)

    def policy(self):
        self.conn.sendall(b'{"cmd":"status"}\n')
        reply = json.loads(read_line(self.conn))
        if not reply.get("ok"):
            raise AssertionError("status failed: %s" % reply)
        return reply["result"]["policy"]

    def close(self):
        self.conn.close()


def write_config(pw, api, certs, token_file, memory_mb, eal_extra=(), ports="pcap"):
    empty = pw.path("empty.pcap")
    with open(empty, "wb") as f:  # a pcap file header and no packet (Ethernet, snaplen 65535)
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    if ports == "pcap":  # nothing to receive: the worker polls empty ports
        devs = ['"net_pcap%d,rx_pcap=%s,tx_pcap=/dev/null"' % (i, empty) for i in (0, 1)]
    else:
        devs = ["net_ring0", "net_ring1"]
    with open(pw.config, "w") as f:
        f.write(
            "node_name: %s\n"
            "dpdk:\n"
            "  eal_args: %s\n"
            "  hugepages: auto\n"
            "  memory_mb: %d\n"
            "  mbufs: 4095\n"
            "ports:\n"
            "  - name: a\n    device: %s\n"
            "  - name: b\n    device: %s\n"
            "forwarding:\n  mode: wire\n"
            "workers:\n  lcores: [1]\n"
            "policy:\n"
            "  source: kubernetes\n"
            "  kubernetes:\n"
            "    server: %s\n    token_file: %s\n    ca_file: %s\n"
            "  before_sync: fail-closed\n"
            "socket:\n  path: %s\n"
            "conntrack:\n  size: 65536\n" % (
                NODE, json.dumps(["--file-prefix=" + pw.prefix, "--log-level=pmd.*:notice"] +
                                 list(eal_extra)), memory_mb, devs[0], devs[1], api.url, token_file, certs["ca.crt"],
                pw.sock))


def wait_policy(st, what, cond, timeout, poll_s=0.005):
    deadline = time.perf_counter() + timeout
    while True:
        p = st.policy()
        if cond(p):
            return p
        if time.perf_counter() > deadline:
            raise AssertionError("timed out after %.0f s waiting for %s: %s" % (
                timeout, what, {k: p.get(k) for k in ("sync_state", "generation", "objects",
                                                      "builds", "last_error")}))
        time.sleep(poll_s)


def settle(st, timeout=30.0, quiet_s=0.15):
    """Wait until the generation has not moved for @quiet_s (no rebuild pending)."""
    deadline = time.perf_counter() + timeout
    p = st.policy()
    gen, since = p["generation"], time.perf_counter()
    while time.perf_counter() - since < quiet_s:
        if time.perf_counter() > deadline:
            raise AssertionError("generation never settled: %s" % gen)
        time.sleep(0.01)
        p = st.policy()
        if p["generation"] != gen:
            gen, since = p["generation"], time.perf_counter()
    return p


def measure(st, emit, done, poll_s, timeout, grace_s=0.12):
    """Call @emit (the change), then poll until the snapshot that includes it is live.

    @done(policy) says whether the daemon's model holds every change; None: the change is a
    modification that the counts do not show, and the next generation is the one. The first
    generation published after the model is complete is the one that contains it all; when the
    model is complete but no new generation follows within @grace_s (more than the 50 ms
    coalescing bound plus a tick), the last generation already did, and its time counts.
    Returns (latency seconds, emit seconds, policy status at t1, builds during the change)."""
    p0 = st.policy()
    gen0, builds0 = p0["generation"], p0["builds"]
    t0 = time.perf_counter()
    emit()
    t_emit = time.perf_counter() - t0
    deadline = t0 + timeout
    last_gen, t_last_gen = gen0, None
    t_complete, gen_complete = None, None
    while True:
        p = st.policy()
        now = time.perf_counter()
        if p["generation"] != last_gen:
            last_gen, t_last_gen = p["generation"], now
            if t_complete is not None or done is None:
                # Built after the model was complete: this snapshot has every change.
                return now - t0, t_emit, p, p["builds"] - builds0
        if t_complete is None and done is not None and done(p):
            t_complete, gen_complete = now, p["generation"]
        if t_complete is not None and now - t_complete > grace_s:
            if gen_complete == gen0 or t_last_gen is None:
                raise AssertionError("model complete but no new snapshot: %s" % p)
            return t_last_gen - t0, t_emit, p, p["builds"] - builds0
        if now > deadline:
            raise AssertionError("no new snapshot %.0f s after the change: %s" % (timeout, {
                k: p.get(k) for k in ("generation", "objects", "builds", "last_error")}))
        time.sleep(poll_s)


def pct(values, q):
    """The q-th percentile (nearest rank)."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(q / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


class Bench:
    def __init__(self, args, cluster, api, st):
        self.args = args
        self.cluster = cluster
        self.api = api
        self.st = st
        self.rng = random.Random(args.seed + 7)
        self.results = {}
        self.seq = 0

    def record(self, case, lat, emit, p, builds, kind):
        lb = p.get("last_build_ms", {})
        tables = p.get("acl_tables", {})
        self.results.setdefault(case, []).append({
            "kind": kind, "latency_ms": lat * 1e3, "emit_ms": emit * 1e3, "builds": builds,
            "compile_ms": lb.get("compile"), "acl_build_ms": lb.get("acl_build"),
            "maps_ms": lb.get("maps"), "build_total_ms": lb.get("total"),
            "build_cpu_ms": p.get("last_build_cpu_ms"),
            "acl_tables": tables.get("live"), "acl_reused": tables.get("reused"),
            "identities": p.get("identities"), "generation": p["generation"]})
        if self.args.verbose:
            print("  %-12s %-8s %7.1f ms (emit %.1f, builds %d, build %.1f ms, CPU %.1f ms: "
                  "compile %.1f, ACL %.1f, %s of %s tables reused; %s identities)" % (
                      case, kind, lat * 1e3, emit * 1e3, builds, lb.get("total", 0),
                      p.get("last_build_cpu_ms") or 0, lb.get("compile", 0),
                      lb.get("acl_build", 0), tables.get("reused"), tables.get("live"),
                      p.get("identities")), flush=True)

    def run(self, case, kind, emit, done):
        settle(self.st)
        # A random phase against the daemon's 2 ms tick and the stream thread.
        time.sleep(self.rng.uniform(0, 0.02))
        lat, em, p, builds = measure(self.st, emit, done, self.args.poll_ms / 1e3,
                                     self.args.timeout)
        self.record(case, lat, em, p, builds, kind)

    def new_pod(self, local=True):
        ns, dep, labels = self.rng.choice(self.cluster.deployments[2:])
        self.seq += 1
        name = "%s-%s-bench%05d" % (dep["app"], labels["pod-template-hash"], self.seq)
        node = 1 if local else self.rng.randrange(self.cluster.nb_nodes)
        for _ in range(self.cluster.nb_nodes):
            if local or (node != 1 and self.cluster.node_has_room(node)):
                break
            node = (node + 1) % self.cluster.nb_nodes
        pod = self.cluster.pod(ns, name, labels, dep, node=node)
        if pod["status"]["podIP"] is None:
            raise AssertionError("node-%d is full" % node)
        return pod

    def single_pod(self, reps):
        pods = lambda n: (lambda p: p["objects"]["pods"] == n)  # noqa: E731
        n = len(self.cluster.pods)
        pod = None
        for i in range(reps):
            step = i % 3
            if step == 0:
                pod = self.new_pod()
                n += 1
                self.run("pod", "add", lambda: self.api.add("pods", pod), pods(n))
            elif step == 1:
                pod = json.loads(json.dumps(pod))
                pod["metadata"]["labels"]["version"] = "v3" if i % 2 else "v4"
                # A relabel leaves the count alone: any new generation contains it.
                self.run("pod", "relabel", lambda: self.api.add("pods", pod), None)
            else:
                n -= 1
                m = pod["metadata"]
                self.run("pod", "delete",
                         lambda: self.api.delete("pods", m["namespace"], m["name"]), pods(n))
                self.cluster.release(pod)
        return n

    def single_policy(self, reps):
        pols = lambda n: (lambda p: p["objects"]["policies"] == n)  # noqa: E731
        n = len(self.cluster.policies)
        candidates = [p for p in self.cluster.policies if "ingress" in p["spec"] and
                      p["spec"]["ingress"] and "ports" in p["spec"]["ingress"][0]]
        added = None
        for i in range(reps):
            step = i % 3
            if step == 0:
                pol = json.loads(json.dumps(self.rng.choice(candidates)))
                ports = pol["spec"]["ingress"][0]["ports"]
                ports.append({"protocol": "TCP", "port": 10000 + i})
                self.run("policy", "modify", lambda: self.api.add("networkpolicies", pol),
                         None)
            elif step == 1:
                base = self.rng.choice(candidates)
                added = json.loads(json.dumps(base))
                added["metadata"] = {"name": "bench-%d" % i,
                                     "namespace": base["metadata"]["namespace"]}
                n += 1
                self.run("policy", "add", lambda: self.api.add("networkpolicies", added),
                         pols(n))
            else:
                n -= 1
                self.run("policy", "delete", lambda: self.api.delete(
                    "networkpolicies", added["metadata"]["namespace"], added["metadata"]["name"]),
                    pols(n))

    def burst(self, reps, size, nb_pods):
        n = nb_pods
        batch = []
        for i in range(reps):
            if i % 2 == 0:
                batch = [self.new_pod(local=(k % 100 == 0)) for k in range(size)]
                n += size

                def emit(b=batch):
                    for pod in b:
                        self.api.add("pods", pod)
                kind = "add"
            else:
                n -= size

                def emit(b=batch):
                    for pod in b:
                        m = pod["metadata"]
                        self.api.delete("pods", m["namespace"], m["name"])
                kind = "delete"
            self.run("burst", kind, emit, lambda p, want=n: p["objects"]["pods"] == want)
            if kind == "delete":
                for pod in batch:
                    self.cluster.release(pod)


def table(results):
    rows = []
    for case in ("pod", "policy", "burst"):
        r = results.get(case)
        if not r:
            continue
        lat = [x["latency_ms"] for x in r]

        def med(key):
            v = [x[key] for x in r if x.get(key) is not None]
            return statistics.median(v) if v else float("nan")
        # Latency outside the (last) build: emission, watch read, decode, the quiet period,
        # the tick, publish, and the poll.
        other = [x["latency_ms"] - x["build_total_ms"] for x in r
                 if x["builds"] == 1 and x["build_total_ms"] is not None]
        # Samples whose (last) build shared every ACL table with the snapshot before.
        reused = sum(1 for x in r if x.get("acl_tables") and
                     x.get("acl_reused") == x.get("acl_tables"))
        rows.append((case, len(r), statistics.median(lat), pct(lat, 99), min(lat), max(lat),
                     med("emit_ms"), med("compile_ms"), med("acl_build_ms"), med("build_total_ms"),
                     med("build_cpu_ms"), statistics.median(other) if other else float("nan"),
                     statistics.median([x["builds"] for x in r]), reused, len(r)))
    head = ("| case | n | p50 ms | p99 ms | min ms | max ms | emit ms | compile ms | "
            "ACL build ms | build total ms | build CPU ms | rest ms | builds | ACL reused |\n"
            "| --- |" + " ---: |" * 13 + "\n")
    body = "".join("| %s | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | "
                   "%.1f | %g | %d/%d |\n" % row for row in rows)
    return head + body


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pods", type=int, default=10000)
    ap.add_argument("--policies", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=30, help="repetitions of each single change")
    ap.add_argument("--burst", type=int, default=1000, help="changes in one burst")
    ap.add_argument("--burst-reps", type=int, default=6)
    ap.add_argument("--poll-ms", type=float, default=1.0, help="status poll interval")
    ap.add_argument("--timeout", type=float, default=60.0, help="per change, seconds")
    ap.add_argument("--sync-timeout", type=float, default=240.0)
    ap.add_argument("--memory-mb", type=int, default=1024, help="daemon's DPDK memory")
    ap.add_argument("--ports", choices=("pcap", "ring"), default="pcap",
                    help="the daemon's two idle ports: net_pcap on empty captures, or net_ring")
    ap.add_argument("--eal-arg", action="append", default=[],
                    help="an extra EAL argument (repeat), e.g. --eal-arg=-d --eal-arg=PMD_DIR")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", help="write the raw samples here")
    ap.add_argument("--verbose", "-v", action="store_true")
    args = ap.parse_args()

    t_start = time.perf_counter()
    load0 = os.getloadavg()
    cluster = Cluster(args.pods, args.policies, args.seed)
    print("cluster: " + cluster.summary(), flush=True)
    tmp = tempfile.mkdtemp(prefix="pw-propbench-")
    api = None
    st = None
    try:
        certs = fa.make_certs(tmp)
        token = "tok-" + secrets.token_hex(12)
        token_file = os.path.join(tmp, "token")
        with open(token_file, "w") as f:
            f.write(token + "\n")
        api = fa.FakeApiServer(certs=certs, tokens=(token,)).start()
        t = time.perf_counter()
        for o in cluster.namespaces:
            api.add("namespaces", o)
        for o in cluster.pods:
            api.add("pods", o)
        for o in cluster.policies:
            api.add("networkpolicies", o)
        print("stand-in API server %s loaded in %.1f s" % (api.url, time.perf_counter() - t),
              flush=True)
        with Podwall("propbench") as pw:
            write_config(pw, api, certs, token_file, args.memory_mb, args.eal_arg,
                         args.ports)
            t = time.perf_counter()
            pw.start(timeout=60)
            st = Status(pw.sock)
            p = wait_policy(st, "the first sync", lambda p: p["sync_state"] == "synced" and
                            p["generation"] >= 1 and
                            p["objects"]["pods"] == len(cluster.pods) and
                            p["objects"]["policies"] == len(cluster.policies),
                            args.sync_timeout, poll_s=0.05)
            sync_s = time.perf_counter() - t
            p = settle(st)
            lb = p["last_build_ms"]
            print("first sync in %.1f s (daemon start included): generation %d, %d identities, "
                  "%d rules (%d IPv4 + %d IPv6 ACL), build %.1f ms (compile %.1f, ACL %.1f), "
                  "ACL memory %.1f MB, rejected %d" % (
                      sync_s, p["generation"], p["identities"], p["rules"],
                      p["acl_rules"]["ipv4"], p["acl_rules"]["ipv6"], lb["total"],
                      lb["compile"], lb["acl_build"], p["acl_mem_bytes"] / 1e6,
                      len(p["rejected"])), flush=True)
            if p["rejected"]:
                print("rejected: %s" % list(p["rejected"].items())[:3], flush=True)
            bench = Bench(args, cluster, api, st)
            nb = bench.single_pod(args.reps)
            bench.single_policy(args.reps)
            if args.burst_reps > 0 and args.burst > 0:
                bench.burst(args.burst_reps, args.burst, nb)
            st.close()
            st = None
            pw.stop()
            hugepages = "hugepages" if "memory: hugepages" in pw.log() else "--no-huge"
        print()
        print(table(bench.results))
        cpu = platform.processor() or platform.machine()
        try:
            with open("/proc/cpuinfo") as f:
                for line in f:
                    if line.startswith("model name"):
                        cpu = line.split(":", 1)[1].strip()
                        break
        except OSError:
            pass
        info = {"pods": len(cluster.pods), "policies": len(cluster.policies),
                "cluster": cluster.summary(), "first_sync_s": sync_s, "cpu": cpu,
                "cpus": os.cpu_count(), "memory": hugepages,
                "identities": p["identities"], "rules": p["rules"], "acl_rules": p["acl_rules"],
                "initial_build_ms": lb, "wall_s": time.perf_counter() - t_start}
        load1 = os.getloadavg()
        info["loadavg_1m"] = [load0[0], load1[0]]
        print("machine: %s, %d CPUs, DPDK memory %s; run took %.0f s; load average (1 min) "
              "%.2f before, %.2f after" % (cpu, os.cpu_count(), hugepages, info["wall_s"],
                                          load0[0], load1[0]))
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"info": info, "samples": bench.results}, f, indent=1)
    finally:
        if st is not None:
            st.close()
        if api is not None:
            api.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

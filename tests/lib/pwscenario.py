"""The example policy scenarios of config/examples/policies/<scenario>/: manifests/ (Namespaces,
Pods, NetworkPolicies, as a directory podwall reads) and expected.json (the connections to
check and whether each must succeed).

The pods' addresses are read from the manifests themselves, with a reader for the plain block
YAML those files are written in (no YAML library needed): per document, kind, metadata.name,
metadata.namespace, metadata.labels (block style), status.podIP and status.podIPs[].ip."""

import ipaddress
import json
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor

from pwtest import SOURCE_ROOT

SCENARIOS_DIR = os.path.join(SOURCE_ROOT, "config", "examples", "policies")


def scenario_names():
    return sorted(d for d in os.listdir(SCENARIOS_DIR)
                  if os.path.isfile(os.path.join(SCENARIOS_DIR, d, "expected.json")))


def _scalar(v):
    v = v.split(" #", 1)[0].strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
        v = v[1:-1]
    return v


def read_objects(manifests_dir):
    """[{'kind', 'name', 'namespace', 'labels', 'ips'}] of every document of the directory."""
    objs = []
    for fn in sorted(os.listdir(manifests_dir)):
        if not fn.endswith((".yaml", ".yml")) or fn.startswith("."):
            continue
        with open(os.path.join(manifests_dir, fn)) as f:
            docs = re.split(r"(?m)^---[ \t]*$", f.read())
        for doc in docs:
            kind, name, ns, ips, top, labels, sub = None, None, "default", [], None, {}, None
            for line in doc.splitlines():
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                if not line.startswith(" "):
                    top, _, val = line.partition(":")
                    if top == "kind":
                        kind = _scalar(val)
                    continue
                if not line.startswith("   "):
                    sub = line.strip().partition(":")[0]
                m = re.match(r"^    ([^\s:#][^:]*):\s*(\S.*)$", line)
                if m and top == "metadata" and sub == "labels":
                    labels[_scalar(m.group(1))] = _scalar(m.group(2))
                m = re.match(r"^  (name|namespace|podIP):\s*(\S.*)$", line)
                if m and top == "metadata" and m.group(1) == "name":
                    name = _scalar(m.group(2))
                elif m and top == "metadata" and m.group(1) == "namespace":
                    ns = _scalar(m.group(2))
                elif m and top == "status" and m.group(1) == "podIP":
                    ips.append(_scalar(m.group(2)))
                m = re.match(r"^    - ip:\s*(\S.*)$", line)
                if m and top == "status":
                    ips.append(_scalar(m.group(1)))
            if kind is not None:
                assert name, "%s: a %s without metadata.name" % (fn, kind)
                objs.append({"kind": kind, "name": name, "namespace": ns, "labels": labels,
                             "ips": list(dict.fromkeys(ips))})
    return objs


def read_pods(manifests_dir):
    """{'namespace/name': {'name', 'namespace', 'labels', 'ips'}} of every Pod document."""
    return {"%s/%s" % (o["namespace"], o["name"]): o for o in read_objects(manifests_dir)
            if o["kind"] == "Pod"}


def read_policies(manifests_dir):
    """'namespace/name' of every NetworkPolicy."""
    return sorted("%s/%s" % (o["namespace"], o["name"]) for o in read_objects(manifests_dir)
                  if o["kind"] == "NetworkPolicy")


class Scenario:
    def __init__(self, name):
        self.name = name
        self.dir = os.path.join(SCENARIOS_DIR, name)
        self.manifests = os.path.join(self.dir, "manifests")
        with open(os.path.join(self.dir, "expected.json")) as f:
            self.expected = json.load(f)
        self.node = self.expected.get("node", "node-1")
        self.hosts = self.expected.get("hosts", {})
        self.pods = read_pods(self.manifests)
        self.policies = read_policies(self.manifests)
        self.connections = [Connection(self, c) for c in self.expected["connections"]]

    def pod_key(self, ref):
        """'namespace/name', or a bare name when one pod has it; None for a non-pod."""
        if ref in self.pods:
            return ref
        keys = [k for k, p in self.pods.items() if p["name"] == ref]
        assert len(keys) <= 1, "%s: pod name %s is ambiguous: %s" % (self.name, ref, keys)
        return keys[0] if keys else None

    def address(self, ref, ipv6=False):
        key = self.pod_key(ref)
        if key is not None:
            fam = 6 if ipv6 else 4
            ips = [a for a in self.pods[key]["ips"] if ipaddress.ip_address(a).version == fam]
            assert ips, "%s: pod %s has no IPv%d address" % (self.name, key, fam)
            return ips[0]
        if ref in self.hosts:
            return self.hosts[ref]
        ipaddress.ip_address(ref)  # a literal address, or an error naming it
        return ref


class Connection:
    def __init__(self, scenario, c):
        self.src_ref, self.dst_ref = c["from"], c["to"]
        self.proto = c.get("proto", "tcp").lower()
        assert self.proto in ("tcp", "udp"), "%s: proto %s" % (scenario.name, self.proto)
        self.port = int(c["port"])
        self.allowed = bool(c["allowed"])
        self.ipv6 = bool(c.get("ipv6", False))
        self.why = c.get("why", "")
        self.src_pod = scenario.pod_key(self.src_ref)
        self.dst_pod = scenario.pod_key(self.dst_ref)
        assert self.src_pod is not None, "%s: source %s is not a pod" % (scenario.name,
                                                                         self.src_ref)
        self.src = scenario.address(self.src_ref, self.ipv6)
        self.dst = scenario.address(self.dst_ref, self.ipv6)

    def __str__(self):
        return "%s -> %s %s/%d%s" % (self.src_ref, self.dst_ref, self.proto, self.port,
                                     " (IPv6)" if self.ipv6 else "")


# ---- real traffic between network-namespace pods (tests/lib/pwnetns.py) ----

SERVE = r"""
import socket, sys, threading
tcp = [int(p) for p in sys.argv[1].split(',') if p]
udp = [int(p) for p in sys.argv[2].split(',') if p]
lifetime = float(sys.argv[3])

def sock(kind, port):
    s = socket.socket(socket.AF_INET6, kind)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('::', port))
    return s

def echo(c):
    c.settimeout(5)
    try:
        data = b''
        while not data.endswith(b'\n'):
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
        c.sendall(b'echo:' + data)
    except OSError:
        pass
    c.close()

def tcp_loop(s):
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=echo, args=(c,), daemon=True).start()

def udp_loop(s):
    while True:
        data, peer = s.recvfrom(65536)
        s.sendto(b'echo:' + data, peer)

for p in tcp:
    threading.Thread(target=tcp_loop, args=(sock(socket.SOCK_STREAM, p),), daemon=True).start()
for p in udp:
    threading.Thread(target=udp_loop, args=(sock(socket.SOCK_DGRAM, p),), daemon=True).start()
print('listening', flush=True)
threading.Event().wait(lifetime)
"""

PROBE = r"""
import socket, sys
proto, addr, port, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
msg = b'probe\n'
try:
    if proto == 'tcp':
        c = socket.socket(fam, socket.SOCK_STREAM)
        c.settimeout(timeout)
        c.connect((addr, port))
        c.sendall(msg)
        data = b''
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
    else:
        c = socket.socket(fam, socket.SOCK_DGRAM)
        c.settimeout(timeout)
        c.connect((addr, port))
        c.send(msg)
        data = c.recv(65536)
    print('ok' if data == b'echo:' + msg else 'bad reply %r' % data)
except socket.timeout:
    print('timeout')
except ConnectionRefusedError:
    print('refused')
except OSError as e:
    print('error %s' % e)
"""


def serve(pod, tcp_ports=(), udp_ports=(), lifetime=120):
    """Echo servers in @pod on every address (IPv4 and IPv6), one process; returns the Popen."""
    p = subprocess.Popen(["ip", "netns", "exec", pod.ns, "/usr/bin/python3", "-c", SERVE,
                          ",".join(str(x) for x in sorted(set(tcp_ports))),
                          ",".join(str(x) for x in sorted(set(udp_ports))), str(lifetime)],
                         stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline().strip()
    if line != "listening":
        p.kill()
        raise AssertionError("echo server in %s did not start" % pod.name)
    return p


def probe(pod, proto, addr, port, timeout=1.5):
    """One connection from @pod: 'ok' (echoed), 'timeout' (no answer: dropped on the way),
    'refused' (reset, or ICMP port unreachable) or 'error ...'."""
    try:
        r = subprocess.run(["ip", "netns", "exec", pod.ns, "/usr/bin/python3", "-c", PROBE,
                            proto, addr, str(port), str(timeout)], capture_output=True,
                           text=True, timeout=timeout + 10)
    except subprocess.TimeoutExpired:
        return "error: probe hung"
    return r.stdout.strip() or "error: %s" % r.stderr.strip()[-200:]


def probe_all(jobs, workers=8):
    """Run probe(*job) for each job of @jobs concurrently; the results, in order."""
    with ThreadPoolExecutor(max_workers=workers) as ex:
        return list(ex.map(lambda j: probe(*j), jobs))

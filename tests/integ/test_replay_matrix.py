"""Reachability matrices by replay on the upstream e2e model (kubernetes/test/e2e/network/
netpol): namespaces x, y, z labelled ns=<name>; pods a, b, c labelled pod=<name> in each,
serving 80 and 81 on TCP, UDP and SCTP with named ports serve-80-tcp and so on.

For each policy case, every ordered pair of distinct pods exchanges one frame per
(protocol, port) — TCP, UDP and SCTP to 80 and 81, and an ICMP echo — over IPv4 and IPv6.
`podwall replay` decides them with the real dataplane; the frames in its ALLOWED output must
be exactly those the case's expectation (written by hand, as upstream writes its
reachability tables) allows."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from pwtest import PODWALL, check  # noqa: E402
from pwpkt import rdpcap, wrpcap  # noqa: E402
from scapy.layers.inet import ICMP, IP, TCP, UDP  # noqa: E402
from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.layers.sctp import SCTP  # noqa: E402

NAMESPACES = ["x", "y", "z"]
PODS = ["a", "b", "c"]
PROTOS = ["tcp", "udp", "sctp"]


def ip4(ns, pod):
    return "10.10.%d.%d" % (NAMESPACES.index(ns), PODS.index(pod) + 1)


def ip6(ns, pod):
    return "fd10::%d:%d" % (NAMESPACES.index(ns), PODS.index(pod) + 1)


def cluster_yaml(node="node-1"):
    docs = []
    for ns in NAMESPACES:
        docs.append({"apiVersion": "v1", "kind": "Namespace",
                     "metadata": {"name": ns, "labels": {"ns": ns}}})
        for pod in PODS:
            ports = [{"name": "serve-%d-%s" % (p, proto), "containerPort": p,
                      "protocol": proto.upper()} for p in (80, 81) for proto in PROTOS]
            docs.append({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": pod, "namespace": ns, "labels": {"pod": pod}},
                "spec": {"nodeName": node, "containers": [{"name": "c", "ports": ports}]},
                "status": {"phase": "Running",
                           "podIPs": [{"ip": ip4(ns, pod)}, {"ip": ip6(ns, pod)}]},
            })
    return docs


def netpol(ns, name, spec):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def sel(**labels):
    return {"matchLabels": labels}


# Each case: (name, policies, expect(src, dst, proto, port) -> bool). src and dst are
# (ns, pod); proto is "tcp", "udp", "sctp" or "icmp" (port None).
def is_(p, ns, pod):
    return p == (ns, pod)


CASES = [
    ("deny-all-ingress-x",
     [netpol("x", "deny", {"podSelector": {}, "policyTypes": ["Ingress"]})],
     lambda s, d, pr, po: d[0] != "x"),
    ("x-a-from-x-b",
     [netpol("x", "p", {"podSelector": sel(pod="a"),
                        "ingress": [{"from": [{"podSelector": sel(pod="b")}]}]})],
     lambda s, d, pr, po: not is_(d, "x", "a") or is_(s, "x", "b")),
    ("x-a-from-namespace-y",
     [netpol("x", "p", {"podSelector": sel(pod="a"),
                        "ingress": [{"from": [{"namespaceSelector": sel(ns="y")}]}]})],
     lambda s, d, pr, po: not is_(d, "x", "a") or s[0] == "y"),
    ("x-a-from-y-b-and",
     [netpol("x", "p", {"podSelector": sel(pod="a"), "ingress": [{"from": [
         {"namespaceSelector": sel(ns="y"), "podSelector": sel(pod="b")}]}]})],
     lambda s, d, pr, po: not is_(d, "x", "a") or is_(s, "y", "b")),
    ("x-a-from-x-b-or-namespace-z",
     [netpol("x", "p", {"podSelector": sel(pod="a"), "ingress": [{"from": [
         {"podSelector": sel(pod="b")}, {"namespaceSelector": sel(ns="z")}]}]})],
     lambda s, d, pr, po: not is_(d, "x", "a") or is_(s, "x", "b") or s[0] == "z"),
    ("x-a-tcp-80-from-anywhere",
     [netpol("x", "p", {"podSelector": sel(pod="a"), "ingress": [{"ports": [{"port": 80}]}]})],
     lambda s, d, pr, po: not is_(d, "x", "a") or (pr == "tcp" and po == 80)),
    ("x-a-named-port-serve-81-udp",
     [netpol("x", "p", {"podSelector": sel(pod="a"), "ingress": [
         {"ports": [{"port": "serve-81-udp", "protocol": "UDP"}]}]})],
     lambda s, d, pr, po: not is_(d, "x", "a") or (pr == "udp" and po == 81)),
    ("x-a-sctp-80-to-81-endport",
     [netpol("x", "p", {"podSelector": sel(pod="a"), "ingress": [
         {"ports": [{"port": 80, "endPort": 81, "protocol": "SCTP"}]}]})],
     lambda s, d, pr, po: not is_(d, "x", "a") or pr == "sctp"),
    ("x-a-egress-to-namespace-y-tcp-80",
     [netpol("x", "p", {"podSelector": sel(pod="a"), "policyTypes": ["Egress"], "egress": [
         {"to": [{"namespaceSelector": sel(ns="y")}], "ports": [{"port": 80}]}]})],
     lambda s, d, pr, po: not is_(s, "x", "a") or (d[0] == "y" and pr == "tcp" and po == 80)),
    ("deny-all-egress-x",
     [netpol("x", "deny", {"podSelector": {}, "policyTypes": ["Egress"]})],
     lambda s, d, pr, po: s[0] != "x"),
    ("x-a-from-pods-not-b-or-c-any-namespace",
     [netpol("x", "p", {"podSelector": sel(pod="a"), "ingress": [{"from": [{
         "namespaceSelector": {},
         "podSelector": {"matchExpressions": [
             {"key": "pod", "operator": "NotIn", "values": ["b", "c"]}]}}]}]})],
     lambda s, d, pr, po: not is_(d, "x", "a") or s[1] == "a"),
    ("x-a-from-ipblock-except-namespace-y",
     [netpol("x", "p", {"podSelector": sel(pod="a"), "ingress": [{"from": [
         {"ipBlock": {"cidr": "10.10.0.0/16", "except": ["10.10.1.0/24"]}},
         {"ipBlock": {"cidr": "fd10::/16", "except": ["fd10::1:0/112"]}}]}]})],
     lambda s, d, pr, po: not is_(d, "x", "a") or s[0] != "y"),
    ("x-a-additive-policies",
     [netpol("x", "p1", {"podSelector": sel(pod="a"),
                         "ingress": [{"from": [{"podSelector": sel(pod="b")}]}]}),
      netpol("x", "p2", {"podSelector": sel(pod="a"), "ingress": [{
          "from": [{"namespaceSelector": sel(ns="z")}], "ports": [{"port": 81}]}]})],
     lambda s, d, pr, po: not is_(d, "x", "a") or is_(s, "x", "b") or
     (s[0] == "z" and pr == "tcp" and po == 81)),
    ("both-ends-y-ingress-from-x-and-x-b-egress-to-y",
     [netpol("y", "in", {"podSelector": {}, "ingress": [
         {"from": [{"namespaceSelector": sel(ns="x")}]}]}),
      netpol("x", "out", {"podSelector": sel(pod="b"), "policyTypes": ["Egress"], "egress": [
          {"to": [{"namespaceSelector": sel(ns="y")}]}]})],
     lambda s, d, pr, po: (d[0] != "y" or s[0] == "x") and
     (not is_(s, "x", "b") or d[0] == "y")),
    ("x-c-default-policy-types-egress-section",
     [netpol("x", "p", {"podSelector": sel(pod="c"), "egress": [
         {"to": [{"podSelector": {}}]}]})],
     lambda s, d, pr, po: not is_(d, "x", "c") and (not is_(s, "x", "c") or d[0] == "x")),
    ("empty-rule-allows-all-to-x-a",
     [netpol("x", "deny", {"podSelector": {}, "policyTypes": ["Ingress"]}),
      netpol("x", "open-a", {"podSelector": sel(pod="a"), "ingress": [{}]})],
     lambda s, d, pr, po: d[0] != "x" or is_(d, "x", "a")),
    ("z-egress-matchexpressions-exists-and-doesnotexist",
     [netpol("z", "p", {"podSelector": {"matchExpressions": [
         {"key": "pod", "operator": "Exists"}]}, "policyTypes": ["Egress"], "egress": [
         {"to": [{"namespaceSelector": {"matchExpressions": [
             {"key": "ns", "operator": "In", "values": ["x"]}]},
             "podSelector": {"matchExpressions": [
                 {"key": "nothing", "operator": "DoesNotExist"}]}}]}]})],
     lambda s, d, pr, po: s[0] != "z" or d[0] == "x"),
]


def flows():
    pods = [(ns, p) for ns in NAMESPACES for p in PODS]
    for fam in (4, 6):
        for s in pods:
            for d in pods:
                if s == d:
                    continue
                for proto in PROTOS:
                    for port in (80, 81):
                        yield fam, s, d, proto, port
                yield fam, s, d, "icmp", None


def frame(fam, s, d, proto, port):
    eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    l3 = IP(src=ip4(*s), dst=ip4(*d)) if fam == 4 else IPv6(src=ip6(*s), dst=ip6(*d))
    if proto == "tcp":
        l4 = TCP(sport=40000, dport=port, flags="S")
    elif proto == "udp":
        l4 = UDP(sport=40000, dport=port)
    elif proto == "sctp":
        l4 = SCTP(sport=40000, dport=port)
    else:
        l4 = ICMP(type=8, id=1) if fam == 4 else ICMPv6EchoRequest(id=1)
    return bytes(eth / l3 / l4)


def write_manifests(d, policies, node="node-1"):
    with open(os.path.join(d, "cluster.json"), "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": cluster_yaml(node)}, f)
    for i, p in enumerate(policies):
        with open(os.path.join(d, "policy-%d.json" % i), "w") as f:
            json.dump(p, f)


def replay(work, frames, node="node-1"):
    wrpcap(os.path.join(work, "in.pcap"), frames)
    r = subprocess.run([PODWALL, "replay", "--manifests", os.path.join(work, "m"), "--node",
                        node, "--in", os.path.join(work, "in.pcap"), "--allowed",
                        os.path.join(work, "allowed.pcap"), "--denied",
                        os.path.join(work, "denied.pcap"), "--json"],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError("replay failed (%d): %s" % (r.returncode, r.stderr))
    return (json.loads(r.stdout), rdpcap(os.path.join(work, "allowed.pcap")),
            rdpcap(os.path.join(work, "denied.pcap")))


def main():
    all_flows = list(flows())
    frames = [frame(*f) for f in all_flows]
    total = 0
    for name, policies, expect in CASES:
        work = tempfile.mkdtemp(prefix="pw-matrix-")
        try:
            os.mkdir(os.path.join(work, "m"))
            write_manifests(os.path.join(work, "m"), policies)
            summary, allowed, denied = replay(work, frames)
            want = [expect(s, d, pr, po) for _, s, d, pr, po in all_flows]
            want_allowed = [fr for fr, w in zip(frames, want) if w]
            want_denied = [fr for fr, w in zip(frames, want) if not w]
            if allowed != want_allowed:
                wrong = [f for f, fr, w in zip(all_flows, frames, want)
                         if (fr in allowed) != w][:10]
                raise AssertionError("%s: %d frames decided wrongly, e.g. %s" %
                                     (name, len(wrong), wrong))
            check(denied == want_denied and summary["frames"] == len(frames) and
                  summary["denied"] == len(want_denied),
                  "%-48s %4d allowed %4d denied (v4+v6, TCP/UDP/SCTP/ICMP)" %
                  (name, len(want_allowed), len(want_denied)))
            total += len(frames)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    # The same policies, replayed as another node: none of these pods is local, so nothing
    # is enforced.
    work = tempfile.mkdtemp(prefix="pw-matrix-")
    try:
        os.mkdir(os.path.join(work, "m"))
        write_manifests(os.path.join(work, "m"), CASES[0][1])
        summary, allowed, denied = replay(work, frames, node="node-2")
        check(allowed == frames and denied == [],
              "policies are enforced only for pods of the replayed node")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    check(True, "%d cases, %d frames decided as expected" % (len(CASES), total))


if __name__ == "__main__":
    main()

"""Connection tracking by replay: the real worker decides a capture of whole conversations.

Pods a (10.30.0.1, fd30::1), b (10.30.0.2, fd30::2) and c (10.30.0.3) run on node-1. b is
isolated both ways: it accepts a on TCP 80 and UDP 53 and may send nothing on its own; c
accepts anything from a and may send nothing on its own. So every packet from b or c to a is
denied by the policy alone, and only connection tracking lets the replies through. In the
second case a is isolated for egress too (allowed to b:80, b:53 and c).

Each frame carries its expected verdict. The same capture replayed with --no-conntrack must
drop every reply: the test cannot pass by accident of a permissive policy. The handshake
frames arrive in one rx burst (the pcap port reads 32 at a time), so the in-burst path (a
SYN-ACK right behind its SYN) is exercised too; a second capture spaces them out with
unrelated frames so that each lands in its own burst."""

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
from scapy.layers.inet6 import IPv6  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402

A, B, C = "10.30.0.1", "10.30.0.2", "10.30.0.3"
A6, B6 = "fd30::1", "fd30::2"


def pod(name, ips):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
            "spec": {"nodeName": "node-1", "containers": [{"name": "c"}]},
            "status": {"phase": "Running", "podIPs": [{"ip": i} for i in ips]}}


def netpol(name, spec):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": "default"}, "spec": spec}


def sel(app):
    return {"matchLabels": {"app": app}}


BASE = [
    pod("a", [A, A6]), pod("b", [B, B6]), pod("c", [C]),
    netpol("b", {"podSelector": sel("b"), "policyTypes": ["Ingress", "Egress"],
                 "ingress": [{"from": [{"podSelector": sel("a")}],
                              "ports": [{"port": 80}, {"port": 53, "protocol": "UDP"}]}]}),
    netpol("c", {"podSelector": sel("c"), "policyTypes": ["Ingress", "Egress"],
                 "ingress": [{"from": [{"podSelector": sel("a")}]}]}),
]
A_EGRESS = netpol("a", {"podSelector": sel("a"), "policyTypes": ["Egress"], "egress": [
    {"to": [{"podSelector": sel("b")}],
     "ports": [{"port": 80}, {"port": 53, "protocol": "UDP"}]},
    {"to": [{"podSelector": sel("c")}]}]})


def eth():
    return Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")


def tcp(src, sport, dst, dport, flags, payload=b""):
    l3 = IPv6(src=src, dst=dst) if ":" in src else IP(src=src, dst=dst)
    return bytes(eth() / l3 / TCP(sport=sport, dport=dport, flags=flags) / Raw(payload))


def udp(src, sport, dst, dport, payload=b"q"):
    return bytes(eth() / IP(src=src, dst=dst) / UDP(sport=sport, dport=dport) / Raw(payload))


def icmp(src, dst, **kw):
    return bytes(eth() / IP(src=src, dst=dst) / ICMP(**kw))


def unreachable(frm, to, quoted):
    """ICMP port unreachable from @frm to @to quoting the IP packet of frame @quoted."""
    inner = Ether(quoted).payload
    return bytes(eth() / IP(src=frm, dst=to) / ICMP(type=3, code=3) / bytes(inner)[:28])


def conversation():
    """(frame, allowed?, is_reply?) in capture order."""
    udp_req = udp(A, 6000, B, 53)
    return [
        # A TCP connection a -> b:80, both ways, then closed.
        (tcp(A, 40000, B, 80, "S"), True, False),
        (tcp(B, 80, A, 40000, "SA"), True, True),
        (tcp(A, 40000, B, 80, "A"), True, False),
        (tcp(A, 40000, B, 80, "PA", b"GET / HTTP/1.0\r\n\r\n"), True, False),
        (tcp(B, 80, A, 40000, "PA", b"HTTP/1.0 200 OK\r\n\r\n"), True, True),
        (tcp(A, 40000, B, 80, "FA"), True, False),
        (tcp(B, 80, A, 40000, "FA"), True, True),
        (tcp(A, 40000, B, 80, "A"), True, False),
        # Unsolicited: b opening a connection to a, a SYN-ACK of no connection, a port b
        # does not open.
        (tcp(B, 40001, A, 80, "S"), False, False),
        (tcp(B, 80, A, 40002, "SA"), False, False),
        (tcp(A, 40003, B, 81, "S"), False, False),
        # IPv6 alike.
        (tcp(A6, 40000, B6, 80, "S"), True, False),
        (tcp(B6, 80, A6, 40000, "SA"), True, True),
        (tcp(B6, 40001, A6, 80, "S"), False, False),
        # UDP request and response; a "response" to a port nobody asked from.
        (udp(A, 5353, B, 53), True, False),
        (udp(B, 53, A, 5353, b"answer"), True, True),
        (udp(B, 53, A, 5354, b"answer"), False, False),
        # ICMP echo: c answers a; c's own ping to a is not an answer.
        (icmp(A, C, type=8, id=7, seq=1), True, False),
        (icmp(C, A, type=0, id=7, seq=1), True, True),
        (icmp(C, A, type=8, id=7, seq=1), False, False),
        (icmp(C, A, type=0, id=8, seq=1), False, False),
        # An ICMP port unreachable quoting a tracked flow comes back; quoting an unknown one,
        # it does not.
        (udp_req, True, False),
        (unreachable(B, A, udp_req), True, True),
        (unreachable(B, A, udp(A, 6001, B, 53)), False, False),
    ]


def replay(work, frames, stateless=False):
    wrpcap(os.path.join(work, "in.pcap"), frames)
    args = [PODWALL, "replay", "--manifests", os.path.join(work, "m"), "--node", "node-1",
            "--in", os.path.join(work, "in.pcap"), "--allowed",
            os.path.join(work, "allowed.pcap"), "--denied", os.path.join(work, "denied.pcap"),
            "--json"]
    if stateless:
        args.append("--no-conntrack")
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError("replay failed (%d): %s" % (r.returncode, r.stderr))
    return (json.loads(r.stdout), rdpcap(os.path.join(work, "allowed.pcap")),
            rdpcap(os.path.join(work, "denied.pcap")))


def spaced(conv, filler):
    """The conversation with 40 unrelated denied frames after each frame: one per burst."""
    out = []
    for i, (fr, ok, rep) in enumerate(conv):
        out.append((fr, ok, rep))
        for j in range(40):
            out.append((filler(i, j), False, False))
    return out


def run_case(name, objects):
    work = tempfile.mkdtemp(prefix="pw-ct-replay-")
    try:
        os.mkdir(os.path.join(work, "m"))
        with open(os.path.join(work, "m", "cluster.json"), "w") as f:
            json.dump({"apiVersion": "v1", "kind": "List", "items": objects}, f)
        conv = conversation()
        frames = [fr for fr, _, _ in conv]
        summary, allowed, denied = replay(work, frames)
        want_allowed = [fr for fr, ok, _ in conv if ok]
        if allowed != want_allowed:
            wrong = [i for i, (fr, ok, _) in enumerate(conv) if (fr in allowed) != ok]
            raise AssertionError("%s: frames %s decided wrongly" % (name, wrong))
        check(denied == [fr for fr, ok, _ in conv if not ok] and
              summary["denied_by_reason"] == {"policy_deny": len(denied)} and
              summary["conntrack"] == {"enabled": True, "flows": 5, "evicted": 0},
              "%s: %d frames, %d allowed (replies included), %d denied as policy_deny, 5 flows" %
              (name, len(frames), len(allowed), len(denied)))

        # Without conntrack, the policy alone drops every reply.
        _, allowed, _ = replay(work, frames, stateless=True)
        replies = [fr for fr, _, rep in conv if rep]
        check(not any(fr in allowed for fr in replies) and
              all(fr in allowed for fr, ok, rep in conv if ok and not rep),
              "%s: with --no-conntrack the %d replies are dropped, the rest is the same" %
              (name, len(replies)))

        # One frame per burst: state carries across bursts too.
        conv = spaced(conversation(), lambda i, j: udp(C, 1000 + i, A, 2000 + j))
        frames = [fr for fr, _, _ in conv]
        summary, allowed, denied = replay(work, frames)
        check(allowed == [fr for fr, ok, _ in conv if ok] and
              len(denied) == sum(1 for _, ok, _ in conv if not ok),
              "%s: the same verdicts with every frame in its own burst (%d frames)" %
              (name, len(frames)))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    run_case("b isolated both ways", BASE)
    run_case("a isolated for egress too", BASE + [A_EGRESS])


if __name__ == "__main__":
    main()

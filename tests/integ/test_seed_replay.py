"""The tutorials' scenarios through the real dataplane, offline: for every directory of
config/examples/policies/, one frame per expected connection (a TCP SYN, or a UDP datagram,
from the source pod's address to the destination's address and port) goes through
`podwall replay --manifests <scenario>/manifests --node node-1`, and exactly the connections
expected to succeed must come out in the allowed capture, byte for byte and in order, the
others in the denied capture, with the summary's counts and drop reasons to match.

Then, statefulness: the first packets again, followed by the answer of every allowed connection
(SYN-ACK, or the datagram back), which must all be allowed, as replies of allowed connections.

Each run also carries an ARP frame (never subject to policy: allowed) and a malformed IPv4
frame (denied for what it is, not by policy). The same frames replayed as another node, where
none of the pods is local, are all allowed: policy is enforced only for local pods."""

import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from pwtest import PODWALL, check, log  # noqa: E402
from pwpkt import ARP, IP, IPv6, TCP, UDP, Ether, Raw, rdpcap, wrpcap  # noqa: E402
from pwscenario import Scenario, scenario_names  # noqa: E402

SRC_MAC = "02:00:00:00:00:a1"
DST_MAC = "02:00:00:00:00:b2"


def frame(conn, index):
    """The first packet of @conn: a SYN, or a datagram; a source port per connection."""
    l3 = (IPv6(src=conn.src, dst=conn.dst) if conn.ipv6 else IP(src=conn.src, dst=conn.dst))
    sport = 40000 + index
    if conn.proto == "tcp":
        l4 = TCP(sport=sport, dport=conn.port, flags="S", seq=1000 + index)
    else:
        l4 = UDP(sport=sport, dport=conn.port) / Raw(b"podwall seed replay %d" % index)
    return bytes(Ether(src=SRC_MAC, dst=DST_MAC) / l3 / l4)


def reply(conn, index):
    """The answer to frame(@conn, @index): a SYN-ACK, or a datagram back."""
    l3 = (IPv6(src=conn.dst, dst=conn.src) if conn.ipv6 else IP(src=conn.dst, dst=conn.src))
    sport = 40000 + index
    if conn.proto == "tcp":
        l4 = TCP(sport=conn.port, dport=sport, flags="SA", seq=5000, ack=1001 + index)
    else:
        l4 = UDP(sport=conn.port, dport=sport) / Raw(b"podwall seed reply %d" % index)
    return bytes(Ether(src=DST_MAC, dst=SRC_MAC) / l3 / l4)


def replay(tmp, tag, manifests, node, frames):
    inp, allowed, denied = (os.path.join(tmp, "%s-%s.pcap" % (tag, k))
                            for k in ("in", "allowed", "denied"))
    wrpcap(inp, frames)
    cmd = [PODWALL, "replay", "--manifests", manifests, "--node", node, "--in", inp,
           "--allowed", allowed, "--denied", denied, "--json"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("%s: exit %d\n%s%s" % (" ".join(cmd), r.returncode, r.stdout,
                                                     r.stderr))
    try:
        summary = json.loads(r.stdout)
    except ValueError:
        raise AssertionError("%s: not JSON:\n%s%s" % (" ".join(cmd), r.stdout, r.stderr))
    return summary, rdpcap(allowed), rdpcap(denied), r.stderr


def run_scenario(tmp, name):
    sc = Scenario(name)
    check(len(sc.connections) > 0, "%s: %d connections, %d pods" % (name, len(sc.connections),
                                                                    len(sc.pods)))
    conn_frames = [frame(c, i) for i, c in enumerate(sc.connections)]
    arp = bytes(Ether(src=SRC_MAC, dst="ff:ff:ff:ff:ff:ff") /
                ARP(op=1, hwsrc=SRC_MAC, psrc=sc.connections[0].src,
                    pdst=sc.connections[0].dst if not sc.connections[0].ipv6 else "10.200.0.1"))
    # IHL 4 (below the minimum of 5): a frame no policy could allow.
    bad = bytearray(conn_frames[0] if not sc.connections[0].ipv6 else
                    bytes(Ether(src=SRC_MAC, dst=DST_MAC) / IP(src="10.200.0.1",
                                                               dst="10.200.0.2") / TCP()))
    bad[14] = 0x44
    bad = bytes(bad)
    frames = conn_frames + [arp, bad]

    summary, allowed, denied, err = replay(tmp, name, sc.manifests, sc.node, frames)
    want_allowed = [f for c, f in zip(sc.connections, conn_frames) if c.allowed] + [arp]
    want_denied = [f for c, f in zip(sc.connections, conn_frames) if not c.allowed] + [bad]
    wrong = []
    for c, f in zip(sc.connections, conn_frames):
        got = "allowed" if f in allowed else "denied" if f in denied else "missing"
        want = "allowed" if c.allowed else "denied"
        if got != want:
            wrong.append("  %s: %s, expected %s (%s)" % (c, got, want, c.why))
    if wrong:
        raise AssertionError("%s: %d of %d connections decided wrong:\n%s\nsummary: %s\n%s" %
                             (name, len(wrong), len(sc.connections), "\n".join(wrong),
                              json.dumps(summary), err))
    for c in sc.connections:
        log("   %-7s %s" % ("allowed" if c.allowed else "denied", c))
    check(allowed == want_allowed,
          "%s: the %d allowed connections and the ARP frame are the allowed capture, byte for "
          "byte, in order" % (name, len(want_allowed) - 1))
    check(denied == want_denied,
          "%s: the %d denied connections and the malformed frame are the denied capture" %
          (name, len(want_denied) - 1))
    n_denied = len(want_denied) - 1
    check(summary["frames"] == len(frames) and summary["allowed"] == len(want_allowed) and
          summary["denied"] == len(want_denied),
          "%s: summary counts frames %d, allowed %d, denied %d" %
          (name, summary["frames"], summary["allowed"], summary["denied"]))
    reasons = summary["denied_by_reason"]
    check(reasons.get("policy_deny", 0) == n_denied,
          "%s: denied_by_reason policy_deny = %d" % (name, n_denied))
    check(reasons.get("bad_ipv4_ihl") == 1 and sum(reasons.values()) == len(want_denied),
          "%s: the malformed frame is denied as bad_ipv4_ihl, not by policy: %s" %
          (name, reasons))
    named = sorted(k for k in summary["policies"] if not k.startswith("("))
    check(summary["generation"] >= 1 and set(named) <= set(sc.policies),
          "%s: generation %d, decided by %s (of %s)" % (name, summary["generation"],
                                                        named or "no rule", sc.policies))
    nb_rule_allowed = sum(v.get("egress", 0) + v.get("ingress", 0)
                          for k, v in summary["policies"].items() if k in named)
    check(nb_rule_allowed > 0, "%s: the policies' rules allowed %d directions" %
          (name, nb_rule_allowed))

    # As another node: none of these pods is local, so nothing is enforced.
    summary2, allowed2, denied2, err2 = replay(tmp, name + "-other", sc.manifests, "node-2",
                                               conn_frames + [arp])
    check(allowed2 == conn_frames + [arp] and denied2 == [] and
          summary2["denied"] == 0 and summary2["allowed"] == len(conn_frames) + 1,
          "%s: as node-2 (no local pods) every frame is allowed" % name)
    return len(sc.connections)


def run_replies(tmp, name):
    """Stateful: after the first packets, the answers of the allowed connections must pass
    too, whatever the answering direction's policy says (Kubernetes semantics; DESIGN.md key
    decision 4). Returns the problems found."""
    sc = Scenario(name)
    firsts = [frame(c, i) for i, c in enumerate(sc.connections)]
    replies = [(c, reply(c, i)) for i, c in enumerate(sc.connections) if c.allowed]
    summary, allowed, denied, _ = replay(tmp, name + "-replies", sc.manifests, sc.node,
                                         firsts + [r for _, r in replies])
    bad = ["  %s: %s, reply %s" % (name, c, "denied" if r in denied else "missing")
           for c, r in replies if r not in allowed]
    log("   %s: %d of %d replies of allowed connections allowed" %
        (name, len(replies) - len(bad), len(replies)))
    return len(replies), bad


def main():
    names = scenario_names()
    check(len(names) >= 6, "%d scenarios: %s" % (len(names), ", ".join(names)))
    t0 = time.time()
    total = 0
    with tempfile.TemporaryDirectory(prefix="pw-seed-replay-") as tmp:
        for name in names:
            total += run_scenario(tmp, name)
        check(True, "%d connections in %d scenarios decided as the tutorials say (%.1f s)" %
              (total, len(names), time.time() - t0))
        nb_replies, bad = 0, []
        for name in names:
            n, b = run_replies(tmp, name)
            nb_replies += n
            bad += b
    check(not bad, "the replies of all %d allowed connections are allowed%s" %
          (nb_replies, "" if not bad else ": %d denied:\n%s" % (len(bad), "\n".join(bad))))
    check(True, "seed replay done in %.1f s" % (time.time() - t0))


if __name__ == "__main__":
    main()

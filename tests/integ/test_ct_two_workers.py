"""Connection tracking with two workers: both directions of a flow must meet the one flow
table that holds their state (dataplane/dp.c, "Multi-queue").

Two net_pcap ports in wire mode, two rx queues each (rx_pcap given twice), two workers on two
lcores (mapped onto the machine's CPUs with --lcores). Queue q of every port is polled by
worker q. Pods a (10.40.0.1) and b (10.40.0.2): b accepts a on TCP 8080 and may send nothing
on its own, so b's SYN-ACKs pass only as replies of a tracked SYN.

1. Each connection's SYN enters port a on queue q and its SYN-ACK enters port b on the same
   queue q (what symmetric RSS or af_packet's fanout does): every SYN-ACK passes, and each
   worker tracked its own half of the connections.
2. Control: the SYN-ACKs enter on the other queue index, so they reach the worker that has
   not seen their SYN: every one is dropped. Per-worker tables really are per worker, and
   case 1 passes only because the queue mapping is consistent across ports.
3. A port with fewer rx queues than workers is refused at start with a clear message.

The e2e test test_ct_revoke.py runs two workers on af_packet (qpairs=2) with real TCP."""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from pwtest import Podwall, check, telemetry  # noqa: E402
from pwpkt import IP, TCP, Ether, rdpcap, wrpcap  # noqa: E402

A, B = "10.40.0.1", "10.40.0.2"
FLOWS = 16


def manifests(d):
    def pod(name, ip):
        return {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
                "spec": {"nodeName": "node-1", "containers": [{"name": "c"}]},
                "status": {"phase": "Running", "podIP": ip}}
    pol = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
           "metadata": {"name": "b", "namespace": "default"},
           "spec": {"podSelector": {"matchLabels": {"app": "b"}},
                    "policyTypes": ["Ingress", "Egress"],
                    "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "a"}}}],
                                 "ports": [{"port": 8080}]}]}}
    os.mkdir(d)
    with open(os.path.join(d, "all.json"), "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List",
                   "items": [pod("a", A), pod("b", B), pol]}, f)


def lcores_arg():
    """Main lcore 0 on CPU 0, the two workers on the last CPU (the machine may have two)."""
    cpu = min(1, (os.cpu_count() or 1) - 1)
    return "--lcores=0@0,1@%d,2@%d" % (cpu, cpu)


def syn(i):
    return bytes(Ether(src="02:00:00:00:00:0a", dst="02:00:00:00:00:0b") /
                 IP(src=A, dst=B) / TCP(sport=41000 + i, dport=8080, flags="S"))


def synack(i):
    return bytes(Ether(src="02:00:00:00:00:0b", dst="02:00:00:00:00:0a") /
                 IP(src=B, dst=A) / TCP(sport=8080, dport=41000 + i, flags="SA"))


def run(name, swap_replies):
    """Flow i enters on queue i % 2; its SYN-ACK on the same queue, or on the other one."""
    with Podwall("ct2w-" + name) as pw:
        d = pw.dir
        manifests(pw.path("m"))
        for q in (0, 1):
            wrpcap(pw.path("a%d.pcap" % q), [syn(i) for i in range(FLOWS) if i % 2 == q])
            rq = 1 - q if swap_replies else q
            wrpcap(pw.path("b%d.pcap" % rq), [synack(i) for i in range(FLOWS) if i % 2 == q])
        ports = []
        for p in ("a", "b"):
            ports.append((p, "net_pcap%d,rx_pcap=%s/%s0.pcap,rx_pcap=%s/%s1.pcap,"
                          "tx_pcap=%s/out_%s0.pcap,tx_pcap=%s/out_%s1.pcap" %
                          (0 if p == "a" else 1, d, p, d, p, d, p, d, p)))
        pw.configure(mode="wire", ports=ports, lcores=(1, 2), eal_extra=[lcores_arg()],
                     manifests_dir=pw.path("m"), node="node-1", before_sync="fail-closed")
        pw.start()
        stats = pw.wait_rx(2 * FLOWS)
        flows = pw.ctl_json("flows")
        if not swap_replies:
            # The socket command's bounds and filters.
            one = pw.request('{"cmd": "flows", "limit": 1}')["result"]
            bad = pw.request('{"cmd": "flows", "ip": "10.40.0.300"}')
            port = pw.ctl_json("flows", "--ip", B, "--port", "41003")
            tel = telemetry(pw.prefix, "/podwall/conntrack")
            check(tel["enabled"] == 1 and tel["created"] == FLOWS and tel["active"] == FLOWS,
                  "telemetry /podwall/conntrack: %d created, %d active" %
                  (tel["created"], tel["active"]))
            check(one["count"] == 1 and one["truncated"] and one["active"] == FLOWS and
                  not bad["ok"] and bad["error"]["code"] == "bad_request" and
                  port["count"] == 1 and port["flows"][0]["sport"] == 41003 and
                  port["flows"][0]["src"] == A and port["flows"][0]["state"] == "syn_recv",
                  "flows: limit truncates, a bad address is a bad_request, --ip/--port "
                  "filter (originator a, state syn_recv)")
        pw.stop()
        to_a = rdpcap(pw.path("out_a0.pcap")) + rdpcap(pw.path("out_a1.pcap"))
        to_b = rdpcap(pw.path("out_b0.pcap")) + rdpcap(pw.path("out_b1.pcap"))
        lc = stats["lcores"]
        check(len(lc) == 2 and all(w["rx_packets"] == FLOWS for w in lc),
              "%s: two workers, %d frames each (queue q of both ports on worker q)" %
              (name, FLOWS))
        check(sorted(to_b) == sorted(syn(i) for i in range(FLOWS)),
              "%s: all %d SYNs from a reach b" % (name, FLOWS))
        return stats, flows, to_a


def main():
    stats, flows, to_a = run("symmetric", swap_replies=False)
    check(sorted(to_a) == sorted(synack(i) for i in range(FLOWS)) and
          stats["drops"] == {},
          "every SYN-ACK met its SYN's state and passed as a reply (%d)" % len(to_a))
    per = [w["conntrack"]["created"] for w in stats["lcores"]]
    on = sorted(set(f["worker"] for f in flows["flows"]))
    check(per == [FLOWS // 2, FLOWS // 2] and flows["count"] == FLOWS and on == [0, 1],
          "each worker tracks its own half: created %s, flows on workers %s" % (per, on))

    stats, flows, to_a = run("crossed", swap_replies=True)
    check(to_a == [] and stats["drops"] == {"policy_deny": FLOWS},
          "control: SYN-ACKs sent to the other worker find no state and are denied (%s)" %
          stats["drops"])

    with Podwall("ct2w-err") as pw:
        d = pw.dir
        manifests(pw.path("m"))
        wrpcap(pw.path("in.pcap"), [])
        ports = [(p, "net_pcap%d,rx_pcap=%s/in.pcap,tx_pcap=%s/o%s0.pcap,tx_pcap=%s/o%s1.pcap" %
                  (i, d, d, p, d, p)) for i, p in enumerate(("a", "b"))]
        pw.configure(mode="wire", ports=ports, lcores=(1, 2), eal_extra=[lcores_arg()],
                     manifests_dir=pw.path("m"), node="node-1")
        try:
            pw.start(timeout=20)
            msg = None
        except AssertionError as e:
            msg = str(e)
        check(msg is not None and "has 1 rx queue(s) for 2 workers" in msg and
              "qpairs=2" in msg, "one rx queue for two workers: refused at start, saying why")


if __name__ == "__main__":
    main()

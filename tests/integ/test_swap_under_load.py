"""Snapshot swaps under load: while two pcap ports replay traffic in a loop (infinite_rx),
the watched manifests directory is rewritten over and over so that podwall rebuilds and
publishes a new generation each time; every generation decides the traffic alike. No frame
may be lost or mis-decided across the swaps (the allowed stream arrives whole, the denied
stream is dropped whole as policy_deny), and retired snapshots must really be freed: none
left pending, and the daemon's memory flat between the first and the last swaps."""

import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from pwtest import Podwall, check, log, port_stats, telemetry  # noqa: E402
from pwpkt import IP, TCP, Ether, wrpcap  # noqa: E402

SWAPS = 120


def pod(name, ip, app):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "labels": {"app": app}},
            "spec": {"nodeName": "node-1", "containers": [{"name": "c"}]},
            "status": {"phase": "Running", "podIP": ip}}


def policy(extra_label):
    """The same decision every time; the label only makes each version a new object."""
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "db", "namespace": "default",
                         "labels": {"version": str(extra_label)}},
            "spec": {"podSelector": {"matchLabels": {"app": "db"}},
                     "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "api"}}}],
                                  "ports": [{"port": 5432}]}]}}


def write_atomic(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f)
    os.rename(tmp, path)


def final_counters(log):
    """The daemon's "final port NAME: rx N tx N drops ..." lines, by port."""
    out = {}
    for line in log.splitlines():
        if "final port " not in line:
            continue
        head, _, drops = line.partition(" drops")
        words = head.split("final port ")[1].split()
        drops = dict((k, int(v)) for k, v in (d.split("=") for d in drops.split() if "=" in d))
        out[words[0].rstrip(":")] = {"rx": int(words[2]), "tx": int(words[4]), "drops": drops}
    return out


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    with Podwall("swap") as pw:
        m = pw.path("manifests")
        os.mkdir(m)
        with open(os.path.join(m, "pods.json"), "w") as f:
            json.dump({"apiVersion": "v1", "kind": "List", "items": [
                pod("api", "10.20.0.1", "api"), pod("web", "10.20.0.2", "web"),
                pod("db", "10.20.0.3", "db")]}, f)
        write_atomic(os.path.join(m, "policy.json"), policy(0))
        e = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        allowed = [bytes(e / IP(src="10.20.0.1", dst="10.20.0.3") / TCP(sport=1000 + i,
                                                                         dport=5432))
                   for i in range(16)]
        denied = [bytes(e / IP(src="10.20.0.2", dst="10.20.0.3") / TCP(sport=1000 + i,
                                                                        dport=5432))
                  for i in range(16)]
        wrpcap(pw.path("allowed.pcap"), allowed)
        wrpcap(pw.path("denied.pcap"), denied)
        pw.configure(mode="wire", manifests_dir=m, node="node-1", before_sync="fail-closed",
                     ports=[
                         ("ok-in", "net_pcap0,rx_pcap=%s,tx_pcap=/dev/null,infinite_rx=1" %
                          pw.path("allowed.pcap")),
                         ("ok-out", "net_pcap1,rx_pcap=%s,tx_pcap=/dev/null" %
                          pw.path("empty.pcap")),
                         ("bad-in", "net_pcap2,rx_pcap=%s,tx_pcap=/dev/null,infinite_rx=1" %
                          pw.path("denied.pcap")),
                         ("bad-out", "net_pcap3,rx_pcap=%s,tx_pcap=/dev/null" %
                          pw.path("empty.pcap")),
                     ])
        wrpcap(pw.path("empty.pcap"), [])
        pw.start()
        gen0 = pw.ctl_json("status")["policy"]["generation"]
        check(gen0 >= 1, "first generation live")
        rss, heap = {}, {}
        for i in range(1, SWAPS + 1):
            write_atomic(os.path.join(m, "policy.json"), policy(i))
            deadline = time.time() + 5
            while pw.ctl_json("status")["policy"]["generation"] < gen0 + i:
                if time.time() > deadline:
                    raise AssertionError("swap %d not published:\n%s" % (i, pw.log()))
                time.sleep(0.005)
            if i in (20, SWAPS):
                time.sleep(0.1)
                rss[i] = rss_kb(pw.proc.pid)
                heap[i] = telemetry(pw.prefix, "/eal/heap_info,0")["Alloc_size"]
        time.sleep(0.2)
        st = pw.ctl_json("status")
        pols = pw.ctl_json("policies")
        stats = pw.ctl_json("stats")
        pw.stop()

        check(st["policy"]["generation"] == gen0 + SWAPS,
              "%d generations published under load" % SWAPS)
        check(st["policy"]["retired_unfreed"] <= 1,
              "retired snapshots freed after their grace period (%d left)" %
              st["policy"]["retired_unfreed"])
        final = final_counters(pw.log())
        ok_in, ok_out, bad_in, bad_out = (final[p] for p in ("ok-in", "ok-out", "bad-in",
                                                             "bad-out"))
        check(ok_in["rx"] > 10000 and bad_in["rx"] > 10000,
              "traffic flowed throughout (%d allowed-class, %d denied-class frames)" %
              (ok_in["rx"], bad_in["rx"]))
        # Final counters, logged by the daemon once its workers stopped: exact.
        check(ok_in["drops"] == {} and ok_out["drops"] == {} and ok_out["tx"] == ok_in["rx"],
              "no allowed frame lost or denied across the swaps (%d in, %d out)" %
              (ok_in["rx"], ok_out["tx"]))
        check(bad_in["drops"] == {"policy_deny": bad_in["rx"]} and bad_out["tx"] == 0,
              "every denied-class frame denied across the swaps")
        ok_rx = port_stats(stats, "ok-in")["rx_packets"]
        db_in = pols.get("default/db", {}).get("ingress", 0)
        check(0.9 * ok_rx < db_in <= ok_rx,
              "per-policy counts survive the swaps: default/db allowed %d of %d frames" %
              (db_in, ok_rx))
        # Flat, not byte-exact: DPDK's allocator folds a sliver too small to stay free into
        # the allocation beside it, so re-creating the same tables can move the count by a
        # cache line or two once, with the heap's layout. A per-swap leak of even 64 bytes
        # would show as 6 kB over these 100 swaps.
        check(abs(heap[SWAPS] - heap[20]) < 4096,
              "DPDK heap flat: %d bytes allocated after 20 swaps, %d after %d" %
              (heap[20], heap[SWAPS], SWAPS))
        growth = rss[SWAPS] - rss[20]
        if "ASAN_OPTIONS" in os.environ:
            # ASan's quarantine holds freed memory back (up to 256 MB), so RSS grows with
            # every swap's freed rule copies; there LeakSanitizer checks the heap at exit.
            log("RSS %+d kB over the swaps: not checked under ASan" % growth)
        else:
            check(growth < 8 * 1024,
                  "memory flat: RSS %d kB after 20 swaps, %d kB after %d (%+d kB)" %
                  (rss[20], rss[SWAPS], SWAPS, growth))


if __name__ == "__main__":
    main()

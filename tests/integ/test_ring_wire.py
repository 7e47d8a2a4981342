"""A net_ring port as the wire partner of a net_pcap port.

A ring vdev created from devargs uses one rte_ring per queue for both rx and tx, so it is a
loopback: what podwall sends on it comes back on its rx. Paired in wire mode with a pcap
port, every frame read from the capture goes out on the ring, comes back, and leaves on the
pcap port's output: each well-formed frame exactly once, in order, malformed ones dropped on
the pcap port before they reach the ring; and the ring port's counters show the round trip."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from pwtest import Podwall, check, port_stats  # noqa: E402
from pwpkt import MAC_A, MAC_B, malformed, rdpcap, well_formed, wrpcap  # noqa: E402


def main():
    with Podwall("ring") as pw:
        good = [bytes(p) for p in well_formed(MAC_A, MAC_B)]
        bad = malformed(MAC_A, MAC_B)
        wrpcap(pw.path("in.pcap"), good + [b for b, _ in bad])
        pw.configure(mode="wire", ports=[
            ("p", "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (pw.path("in.pcap"), pw.path("out.pcap"))),
            ("r", "net_ring0"),
        ])
        pw.start()
        n = len(good) + len(bad)
        # p receives n, r receives the len(good) frames it looped back.
        stats = pw.wait_rx(n + len(good))
        status = pw.ctl_json("status")
        pw.stop()

        out = rdpcap(pw.path("out.pcap"))
        check(out == good, "every well-formed frame went round the ring once and left on p")
        p, r = port_stats(stats, "p"), port_stats(stats, "r")
        check(p["rx_packets"] == n and p["tx_packets"] == len(good), "pcap port counters")
        check(r["rx_packets"] == len(good) and r["tx_packets"] == len(good) and
              r["rx_bytes"] == sum(len(g) for g in good), "ring port counters")
        check(sum(p["drops"].values()) == len(bad) and r["drops"] == {},
              "malformed frames dropped on p, never sent to the ring")
        drivers = {x["name"]: x["driver"] for x in status["ports"]}
        check(drivers == {"p": "net_pcap", "r": "net_ring"}, "drivers %s" % drivers)


if __name__ == "__main__":
    main()

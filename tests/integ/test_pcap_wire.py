"""Wire mode on two net_pcap ports: every well-formed frame from one port leaves on its
partner byte for byte and in order, every malformed frame is dropped and counted under its
reason, and the per-port and per-lcore counters agree exactly with what went in."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from pwtest import Podwall, check, port_stats  # noqa: E402
from pwpkt import MAC_A, MAC_B, malformed, rdpcap, well_formed, wrpcap  # noqa: E402


def main():
    with Podwall("wire") as pw:
        d = pw.dir
        good_a = well_formed(MAC_A, MAC_B)
        bad_a = malformed(MAC_A, MAC_B)
        good_b = well_formed(MAC_B, MAC_A)[:5]
        # Interleave good and bad frames so that drops cannot shift the order of the rest.
        in_a = []
        for i, g in enumerate(good_a):
            in_a.append(bytes(g))
            if i < len(bad_a):
                in_a.append(bad_a[i][0])
        wrpcap(os.path.join(d, "in_a.pcap"), in_a)
        wrpcap(os.path.join(d, "in_b.pcap"), good_b)
        pw.configure(mode="wire", ports=[
            ("a", "net_pcap0,rx_pcap=%s/in_a.pcap,tx_pcap=%s/out_a.pcap" % (d, d)),
            ("b", "net_pcap1,rx_pcap=%s/in_b.pcap,tx_pcap=%s/out_b.pcap" % (d, d)),
        ])
        pw.start()
        total = len(in_a) + len(good_b)
        stats = pw.wait_rx(total)
        pw.stop()

        out_b = [bytes(p) for p in rdpcap(os.path.join(d, "out_b.pcap"))]
        out_a = [bytes(p) for p in rdpcap(os.path.join(d, "out_a.pcap"))]
        check(out_b == [bytes(g) for g in good_a],
              "port b sent exactly the %d well-formed frames of port a, in order" % len(good_a))
        check(out_a == [bytes(g) for g in good_b],
              "port a sent exactly the %d frames of port b" % len(good_b))

        a, b = port_stats(stats, "a"), port_stats(stats, "b")
        check(a["rx_packets"] == len(in_a) and b["rx_packets"] == len(good_b),
              "rx_packets a=%d b=%d" % (a["rx_packets"], b["rx_packets"]))
        check(a["rx_bytes"] == sum(len(x) for x in in_a), "rx_bytes of a counts every frame")
        check(b["tx_packets"] == len(good_a) and a["tx_packets"] == len(good_b),
              "tx_packets a=%d b=%d" % (a["tx_packets"], b["tx_packets"]))
        check(b["tx_bytes"] == sum(len(bytes(g)) for g in good_a), "tx_bytes of b")
        want = {}
        for _, reason in bad_a:
            want[reason] = want.get(reason, 0) + 1
        check(a["drops"] == want, "drops of a by reason: %s" % a["drops"])
        check(b["drops"] == {}, "no drops on b")
        check(stats["drops"] == want, "total drops by reason")
        check(stats["totals"]["dropped"] == len(bad_a), "total dropped = %d" % len(bad_a))
        lc = stats["lcores"]
        check(len(lc) == 1 and lc[0]["rx_packets"] == total and lc[0]["busy_polls"] >= 1,
              "one worker saw all %d packets" % total)
        check(lc[0]["cycles_per_packet"] is not None and lc[0]["cycles_per_packet"] > 0,
              "cycles per packet reported: %.0f" % lc[0]["cycles_per_packet"])


if __name__ == "__main__":
    main()

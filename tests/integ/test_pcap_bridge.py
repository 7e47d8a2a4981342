"""Bridge mode on three net_pcap ports: broadcast and unknown unicast are flooded to every
other port, a learnt MAC is forwarded to its port only, a frame whose destination sits
behind the port it came from is filtered (same_port), a multicast source is never learnt,
and the counters say so exactly.

One worker polls port a, then b, then c, reading each capture in one burst, so what port a
sends is learnt before port b's frames are forwarded, and so on."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from pwtest import Podwall, check, port_stats  # noqa: E402
from pwpkt import (ARP, BCAST, IP, MAC_A, MAC_B, MAC_C, UDP, Ether, rdpcap,  # noqa: E402
                   wrpcap)

MAC_D = "02:00:00:00:00:0d"  # never sends: always unknown
MAC_E = "02:00:00:00:00:0e"  # a second station behind port a
MCAST_SRC = "03:00:00:00:00:01"


def frame(src, dst, n):
    return bytes(Ether(src=src, dst=dst) / IP(src="10.1.0.%d" % n, dst="10.1.0.200") /
                 UDP(sport=1000 + n, dport=2000))


def main():
    with Podwall("bridge") as pw:
        d = pw.path
        arp_a = bytes(Ether(src=MAC_A, dst=BCAST) /
                      ARP(op=1, hwsrc=MAC_A, psrc="10.1.0.1", pdst="10.1.0.2"))
        e_hello = frame(MAC_E, BCAST, 5)        # learns E behind a, flooded
        a_to_e = frame(MAC_A, MAC_E, 6)         # E is behind a too: filtered, same_port
        mcast_src = frame(MCAST_SRC, MAC_D, 7)  # unknown dst: flooded; source not learnt
        b_to_a = frame(MAC_B, MAC_A, 1)         # A learnt on a: to a only
        b_to_d = frame(MAC_B, MAC_D, 2)         # unknown unicast: flooded to a and c
        b_to_mc = frame(MAC_B, MCAST_SRC, 8)    # multicast destination: flooded
        c_to_b = frame(MAC_C, MAC_B, 3)         # B learnt on b: to b only
        c_to_a = frame(MAC_C, MAC_A, 4)         # to a only
        wrpcap(d("in_a.pcap"), [arp_a, e_hello, a_to_e, mcast_src])
        wrpcap(d("in_b.pcap"), [b_to_a, b_to_d, b_to_mc])
        wrpcap(d("in_c.pcap"), [c_to_b, c_to_a])
        pw.configure(mode="bridge", ports=[
            ("a", "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (d("in_a.pcap"), d("out_a.pcap"))),
            ("b", "net_pcap1,rx_pcap=%s,tx_pcap=%s" % (d("in_b.pcap"), d("out_b.pcap"))),
            ("c", "net_pcap2,rx_pcap=%s,tx_pcap=%s" % (d("in_c.pcap"), d("out_c.pcap"))),
        ])
        pw.start()
        stats = pw.wait_rx(9)
        status = pw.ctl_json("status")
        pw.stop()

        out = {p: [bytes(x) for x in rdpcap(d("out_%s.pcap" % p))] for p in "abc"}
        check(out["a"] == [b_to_a, b_to_d, b_to_mc, c_to_a],
              "port a got b's frame to A, the two floods from b and c's frame to A")
        check(out["b"] == [arp_a, e_hello, mcast_src, c_to_b],
              "port b got the floods from a and c's frame to B")
        check(out["c"] == [arp_a, e_hello, mcast_src, b_to_d, b_to_mc],
              "port c got every flood and nothing addressed to A or B")
        a, b, c = (port_stats(stats, p) for p in "abc")
        check(a["drops"] == {"same_port": 1}, "a to E (behind a) filtered as same_port")
        check(a["tx_packets"] == 4 and b["tx_packets"] == 4 and c["tx_packets"] == 5,
              "tx counters match the captures")
        check(stats["totals"]["tx_packets"] == 13 and stats["totals"]["dropped"] == 1,
              "13 frames sent for 9 received (floods), 1 dropped")
        check(status["forwarding"] == "bridge" and len(status["ports"]) == 3,
              "status shows bridge mode over 3 ports")
        check(all(p["driver"] == "net_pcap" for p in status["ports"]), "ports are net_pcap")


if __name__ == "__main__":
    main()

"""End to end: three network namespaces as pods, each behind a veth pair whose host end is
a podwall port (net_af_packet); podwall in bridge mode is their only path. Real ARP, ping
(IPv4 and IPv6) and TCP between every pair of pods go through it, and its counters show
the traffic on every port with nothing malformed."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from pwtest import Podwall, check, require_root  # noqa: E402
from pwnetns import PodNet, ping, tcp_request, tcp_server  # noqa: E402


def main():
    require_root()
    with PodNet(["a", "b", "c"]) as net, Podwall("e2e") as pw:
        pw.configure(mode="bridge", ports=[(p.name, p.device(i))
                                           for i, p in enumerate(net.pods)])
        pw.start()
        pods = net.pods
        for src in pods:
            for dst in pods:
                if src is dst:
                    continue
                check(ping(src, dst.ip), "ping %s -> %s (%s)" % (src.name, dst.name, dst.ip))
        check(ping(pods[0], pods[2].ip6), "ping IPv6 a -> c (%s)" % pods[2].ip6)

        servers = [tcp_server(p, 8080) for p in pods]
        try:
            for src in pods:
                for dst in pods:
                    if src is dst:
                        continue
                    ok, reply = tcp_request(src, dst.ip, 8080, "hello from " + src.name)
                    check(ok and reply == "echo:hello from %s\n" % src.name,
                          "TCP %s -> %s:8080 round trip" % (src.name, dst.name))
            server6 = tcp_server(pods[1], 8081, addr=pods[1].ip6)
            ok, reply = tcp_request(pods[0], pods[1].ip6, 8081, "v6")
            server6.kill()
            check(ok and reply == "echo:v6\n", "TCP over IPv6 a -> b")
        finally:
            for s in servers:
                s.kill()

        stats = pw.ctl_json("stats")
        for p in stats["ports"]:
            check(p["rx_packets"] > 0 and p["tx_packets"] > 0,
                  "port %s carried traffic (rx %d, tx %d)" % (p["name"], p["rx_packets"],
                                                             p["tx_packets"]))
        parse_drops = {k: v for k, v in stats["drops"].items()
                       if k not in ("same_port", "tx_full")}
        check(parse_drops == {}, "no malformed or policy drops: %s" % stats["drops"])
        pw.stop()


if __name__ == "__main__":
    main()

"""podwall's main job on an embedded default: three network namespaces as pods (a, b, c),
podwall as their switch (bridge mode over net_af_packet ports on the host ends of their
veth pairs), and real traffic between them, then what podwall saw.

Run through scripts/demo.sh, which installs and builds first."""

import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
os.environ.setdefault("PW_PODWALL", os.path.join(ROOT, "build", "control", "podwall"))
os.environ.setdefault("PW_PODWALLCTL", os.path.join(ROOT, "build", "tools", "podwallctl"))

from pwtest import Podwall, require_root  # noqa: E402
from pwnetns import PodNet, ping, tcp_request, tcp_server  # noqa: E402


def say(msg=""):
    print(msg, flush=True)


def main():
    require_root()
    with PodNet(["a", "b", "c"], tag="demo") as net, Podwall("demo") as pw:
        say("== pods (network namespaces) ==")
        for i, p in enumerate(net.pods):
            say("  pod %s: netns %-12s %-12s %-14s podwall port %d (%s)" %
                (p.name, p.ns, p.ip, p.ip6, i, p.host_if))
        pw.configure(mode="bridge", ports=[(p.name, p.device(i))
                                           for i, p in enumerate(net.pods)])
        pw.start()
        say("\n== podwall is running (config %s) ==" % pw.config)
        say(pw.ctl("status").stdout)

        say("== traffic through podwall ==")
        servers = [tcp_server(p, 8080) for p in net.pods]
        try:
            for src in net.pods:
                for dst in net.pods:
                    if src is dst:
                        continue
                    ok_ping = ping(src, dst.ip, count=1)
                    ok_tcp, reply = tcp_request(src, dst.ip, 8080, "hi from " + src.name)
                    say("  %s -> %s  ping %-4s  tcp/8080 %-4s %s" %
                        (src.name, dst.name, "ok" if ok_ping else "FAIL",
                         "ok" if ok_tcp else "FAIL", reply.strip()))
            ok6 = ping(net.pods[0], net.pods[2].ip6, count=1)
            say("  a -> c  ping6 %s (%s)" % ("ok" if ok6 else "FAIL", net.pods[2].ip6))
        finally:
            for s in servers:
                s.kill()
        time.sleep(0.2)
        say("\n== podwallctl stats ==")
        say(pw.ctl("stats").stdout)
        pw.stop()
        say("podwall stopped; pods removed.")


if __name__ == "__main__":
    main()

"""End to end: stateful enforcement with real TCP between network namespaces (root only).

Pods a, b and c (10.200.0.1-3) sit behind net_af_packet ports of podwall in bridge mode, with
`policy.source: manifests` watching a temporary directory. b is isolated both ways and
accepts a on TCP 7000; c is isolated both ways and accepts anything from a. Everything b and
c send back is therefore allowed only as a reply, by connection tracking.

1. A long-lived stream: a sends a line every 50 ms to b, b echoes each one. Replies flow;
   `podwallctl flows` shows the connection, established, originator a.
2. Revoke: b's policy file loses its rule. The stream stops at its next packet: no echo
   arrives later than a moment after the new generation is live (the old connection is
   re-checked in its original direction, not grandfathered), and `flows` marks it revoked.
3. Re-grant: the rule comes back; a new connection works.
4. Flood: with conntrack.size 1024, a sends UDP to 6000 different ports of c while a second
   stream runs. The table fills, new flows are dropped as ct_full, the stream keeps
   echoing, and the DPDK heap (dpdk-telemetry /eal/heap_info) and RSS stay flat.
5. Two workers on af_packet with qpairs=2 (EAL --lcores puts both workers on one CPU when
   the machine has two): 24 new connections a -> b all complete. Each SYN-ACK is allowed
   only by the state its SYN created on one worker, so this holds only if the kernel's
   fanout hash sends both directions of every connection to the same queue index on both
   ports; both workers must have tracked some of them."""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from pwtest import Podwall, check, log, require_root, telemetry  # noqa: E402
from pwnetns import PodNet  # noqa: E402

PORT = 7000

LINE_SERVER = r"""
import socket, sys, threading
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(64)
print('listening', flush=True)

def serve(c):
    f = c.makefile('rb')
    try:
        for line in f:
            c.sendall(b'echo:' + line)
    except OSError:
        pass
    c.close()

while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"""

STREAM_CLIENT = r"""
import socket, sys, threading, time
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
c.settimeout(None)
print('connected', flush=True)

def send():
    n = 0
    while True:
        try:
            c.sendall(b'%d\n' % n)
        except OSError:
            return
        n += 1
        time.sleep(0.05)

threading.Thread(target=send, daemon=True).start()
for line in c.makefile('rb'):
    print('E %s %.6f' % (line.strip().decode().split(':')[-1], time.monotonic()), flush=True)
"""

ONE_SHOT = r"""
import socket, sys
try:
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[4]))
    c.sendall(sys.argv[3].encode() + b'\n')
    print(c.makefile('rb').readline().decode().strip())
except OSError as e:
    print('failed: %s' % e)
"""

# Paced (about 10k packets/s) so that the kernel's af_packet rings do not overflow.
UDP_FLOOD = r"""
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2])):
    s.sendto(b'x' * 18, (sys.argv[1], 10000 + i))
    if i % 50 == 49:
        time.sleep(0.005)
print('sent', flush=True)
"""


def one_shot(a, addr, msg, timeout):
    """A new connection from pod @a: send one line, read the echo; True if it came."""
    r = subprocess.run(["ip", "netns", "exec", a.ns, "/usr/bin/python3", "-c", ONE_SHOT, addr,
                        str(PORT), msg, str(timeout)], capture_output=True, text=True,
                       timeout=timeout + 10)
    return r.stdout.strip() == "echo:" + msg


def pod_yaml(name, ip):
    return ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n  namespace: default\n"
            "  labels:\n    app: %s\nspec:\n  nodeName: node-1\n  containers:\n  - name: c\n"
            "status:\n  phase: Running\n  podIP: %s\n" % (name, name, ip))


def policy_yaml(name, ingress):
    return ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: %s\n"
            "  namespace: default\nspec:\n  podSelector:\n    matchLabels:\n      app: %s\n"
            "  policyTypes: [Ingress, Egress]\n%s" % (name, name, ingress))


B_OPEN = ("  ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          app: a\n"
          "    ports:\n    - port: %d\n" % PORT)
C_OPEN = "  ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          app: a\n"


def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


class Stream:
    """A client in pod @a streaming lines to @addr:PORT; echoes land in self.echoes."""

    def __init__(self, a, addr):
        self.p = subprocess.Popen(["ip", "netns", "exec", a.ns, "/usr/bin/python3", "-c",
                                   STREAM_CLIENT, addr, str(PORT)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        line = self.p.stdout.readline().strip()
        if line != "connected":
            self.p.kill()
            raise AssertionError("stream client did not connect: %s %s" %
                                 (line, self.p.stderr.read()))
        self.echoes = []
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for line in self.p.stdout:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "E":
                self.echoes.append((int(parts[1]), float(parts[2])))

    def wait_echoes(self, n, timeout=5):
        deadline = time.time() + timeout
        while len(self.echoes) < n and time.time() < deadline:
            time.sleep(0.02)
        return len(self.echoes) >= n

    def kill(self):
        self.p.kill()
        self.p.wait()


def generation(pw):
    return pw.ctl_json("status")["policy"]["generation"]


def wait_generation(pw, after):
    deadline = time.time() + 5
    while time.time() < deadline:
        g = generation(pw)
        if g > after:
            return g, time.monotonic()
        time.sleep(0.005)
    raise AssertionError("no new policy generation after %d:\n%s" % (after, pw.log()))


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def lcores_arg():
    cpu = min(1, (os.cpu_count() or 1) - 1)
    return "--lcores=0@0,1@%d,2@%d" % (cpu, cpu)


def manifests(m, a, b, c):
    write(os.path.join(m, "pods.yaml"), "---\n".join(
        pod_yaml(p.name, p.ip) for p in (a, b, c)))
    write(os.path.join(m, "b.yaml"), policy_yaml("b", B_OPEN))
    write(os.path.join(m, "c.yaml"), policy_yaml("c", C_OPEN))


def stateful(net):
    a, b, c = net.pods
    with Podwall("ctrev") as pw:
        m = pw.path("manifests")
        os.mkdir(m)
        manifests(m, a, b, c)
        pw.configure(mode="bridge", ports=[(p.name, p.device(i)) for i, p in enumerate(net.pods)],
                     manifests_dir=m, node="node-1", before_sync="fail-closed",
                     extra="conntrack:\n  size: 1024\n  on_full: drop-new\n")
        pw.start()
        server = subprocess.Popen(["ip", "netns", "exec", b.ns, "/usr/bin/python3", "-c",
                                   LINE_SERVER, b.ip, str(PORT)], stdout=subprocess.PIPE,
                                  text=True)
        streams = []
        try:
            assert server.stdout.readline().strip() == "listening"
            # 1. The stream and its replies.
            s1 = Stream(a, b.ip)
            streams.append(s1)
            check(s1.wait_echoes(10), "stream a -> b:%d: echoes come back (%d in %.1f s)" %
                  (PORT, len(s1.echoes), s1.echoes[-1][1] - s1.echoes[0][1]
                   if s1.echoes else 0))
            fl = pw.ctl_json("flows", "--ip", a.ip, "--port", str(PORT))
            mine = [f for f in fl["flows"] if f["src"] == a.ip and f["dst"] == b.ip and
                    f["dport"] == PORT]
            check(len(mine) == 1 and mine[0]["state"] == "established" and mine[0]["replied"]
                  and mine[0]["packets"]["reply"] > 5 and not mine[0]["revoked"],
                  "flows: a -> b:%d established, %s packets each way" %
                  (PORT, mine[0]["packets"] if mine else "no"))
            text = pw.ctl("flows", "--ip", a.ip).stdout
            log(text)
            check("established" in text and "%s:%d" % (b.ip, PORT) in text,
                  "podwallctl flows renders the connection")

            # 2. Revoke.
            g0 = generation(pw)
            write(os.path.join(m, "b.yaml"), policy_yaml("b", ""))
            g1, t_live = wait_generation(pw, g0)
            n_at = len(s1.echoes)
            time.sleep(1.5)
            late = [e for e in s1.echoes if e[1] > t_live + 0.3]
            check(late == [] and len(s1.echoes) - n_at <= 6,
                  "revoked (generation %d -> %d): the stream stopped, %d echoes after the "
                  "swap, none later than 300 ms after it" % (g0, g1, len(s1.echoes) - n_at))
            fl = pw.ctl_json("flows", "--ip", a.ip, "--port", str(PORT))
            mine = [f for f in fl["flows"] if f["dport"] == PORT and f["src"] == a.ip]
            st = pw.ctl_json("stats")
            check(mine and all(f["revoked"] for f in mine) and
                  st["conntrack"]["revoked"] >= 1 and st["drops"].get("policy_deny", 0) > 0,
                  "flows shows the connection revoked; stats: %s revoked, %s policy_deny" %
                  (st["conntrack"]["revoked"], st["drops"].get("policy_deny")))
            check(not one_shot(a, b.ip, "new", 1),
                  "a new connection a -> b:%d is refused by the policy" % PORT)

            # 3. Re-grant.
            g0 = generation(pw)
            write(os.path.join(m, "b.yaml"), policy_yaml("b", B_OPEN))
            wait_generation(pw, g0)
            check(one_shot(a, b.ip, "again", 3), "re-granted: a new connection works")
            resumed = s1.wait_echoes(n_at + 8, timeout=4)
            log("the revoked stream %s after the re-grant (TCP retransmits into the flow, "
                "which revalidates as allowed)" % ("resumed" if resumed else "did not resume"))
            s1.kill()

            # 4. Flood beside an established stream.
            s2 = Stream(a, b.ip)
            streams.append(s2)
            check(s2.wait_echoes(5), "a second stream runs")
            time.sleep(0.2)
            heap0 = telemetry(pw.prefix, "/eal/heap_info,0")["Alloc_size"]
            rss0 = rss_kb(pw.proc.pid)
            n0 = len(s2.echoes)
            r = subprocess.run(["ip", "netns", "exec", a.ns, "/usr/bin/python3", "-c",
                                UDP_FLOOD, c.ip, "6000"], capture_output=True, text=True,
                               timeout=60)
            check(r.stdout.strip() == "sent", "flood: 6000 new UDP flows a -> c sent")
            time.sleep(1.0)
            st = pw.ctl_json("stats")
            ct = st["conntrack"]
            check(ct["table_full"] > 0 and st["drops"].get("ct_full", 0) == ct["table_full"]
                  and ct["active"] <= ct["capacity"] == 1024,
                  "table full: %d new flows dropped as ct_full, %d active of %d" %
                  (ct["table_full"], ct["active"], ct["capacity"]))
            check(len(s2.echoes) - n0 >= 15 and s2.echoes[-1][1] > time.monotonic() - 0.5,
                  "the established stream kept echoing through the flood (%d echoes)" %
                  (len(s2.echoes) - n0))
            heap1 = telemetry(pw.prefix, "/eal/heap_info,0")["Alloc_size"]
            rss1 = rss_kb(pw.proc.pid)
            check(heap1 == heap0 and rss1 - rss0 < 4096,
                  "memory flat: DPDK heap %d -> %d bytes, RSS %d -> %d kB" %
                  (heap0, heap1, rss0, rss1))
            pw.stop()
        finally:
            for s in streams:
                s.kill()
            server.kill()


def two_workers(net):
    a, b, c = net.pods
    with Podwall("ct2w") as pw:
        m = pw.path("manifests")
        os.mkdir(m)
        manifests(m, a, b, c)
        ports = [(p.name, "net_af_packet%d,iface=%s,qpairs=2" % (i, p.host_if))
                 for i, p in enumerate(net.pods)]
        pw.configure(mode="bridge", ports=ports, manifests_dir=m, node="node-1",
                     before_sync="fail-closed", lcores=(1, 2), eal_extra=[lcores_arg()])
        pw.start()
        server = subprocess.Popen(["ip", "netns", "exec", b.ns, "/usr/bin/python3", "-c",
                                   LINE_SERVER, b.ip, str(PORT)], stdout=subprocess.PIPE,
                                  text=True)
        try:
            assert server.stdout.readline().strip() == "listening"
            good = sum(1 for i in range(24) if one_shot(a, b.ip, "n%d" % i, 3))
            st = pw.ctl_json("stats")
            created = [w["conntrack"]["created"] for w in st["lcores"]]
            check(good == 24, "two workers: %d of 24 connections a -> b completed" % good)
            check(len(created) == 2 and all(n > 0 for n in created),
                  "both workers tracked connections (created %s): the kernel's fanout hash "
                  "put both directions on one queue index" % created)
            pw.stop()
        finally:
            server.kill()


def main():
    require_root()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if shutil.which("dpdk-telemetry.py") is None:
        log("note: dpdk-telemetry.py missing")
    with PodNet(["a", "b", "c"], tag="ct%d" % (os.getpid() % 100)) as net:
        stateful(net)
        two_workers(net)


if __name__ == "__main__":
    main()

"""Network namespaces as pods: each pod is a namespace with one veth pair whose host end is
a podwall port (net_af_packet). Only addresses inside these namespaces are ever used."""

import os
import subprocess


def sh(*args, check=True, ns=None, timeout=30, **kw):
    cmd = list(args)
    if ns is not None:
        cmd = ["ip", "netns", "exec", ns] + cmd
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise AssertionError("%s: exit %d: %s%s" % (" ".join(cmd), r.returncode, r.stdout,
                                                     r.stderr))
    return r


class Pod:
    def __init__(self, tag, name, index, ip=None, ip6=None, host_if=None):
        self.name = name
        self.ns = "pw%s-%s" % (tag, name)
        self.host_if = host_if or "pw%s%s" % (tag, name[:4])[:15]
        self.ip = ip or "10.200.0.%d" % (index + 1)
        self.ip6 = ip6 or "fd00:200::%d" % (index + 1)

    def device(self, port_index):
        return "net_af_packet%d,iface=%s,qpairs=1" % (port_index, self.host_if)


class PodNet:
    """Pods on one /24 and /64, each behind its own host-side veth.

    @addrs (optional) gives pods their addresses, {name: IPv4} or {name: (IPv4, IPv6)}, all in
    10.200.0.0/24 and fd00:200::/64 (the IPv6 address defaults to fd00:200:: followed by the
    IPv4 address's last number: 10.200.0.41 -> fd00:200::41); the other pods get the default
    10.200.0.<n> by position. When the names' first four letters would give two pods the same
    host interface, the interfaces are named by position instead (pw<tag>p<n>)."""

    def __init__(self, names, tag=None, addrs=None):
        self.tag = tag or str(os.getpid() % 10000)
        addrs = addrs or {}
        self.pods = []
        for i, n in enumerate(names):
            a = addrs.get(n)
            ip, ip6 = (a, None) if isinstance(a, str) else (a or (None, None))
            if ip is not None and ip6 is None:
                ip6 = "fd00:200::%s" % ip.rsplit(".", 1)[1]
            self.pods.append(Pod(self.tag, n, i, ip, ip6))
        if len(set(p.host_if for p in self.pods)) < len(self.pods):
            for i, p in enumerate(self.pods):
                p.host_if = "pw%sp%d" % (self.tag, i)

    def __enter__(self):
        self.cleanup()
        for p in self.pods:
            sh("ip", "netns", "add", p.ns)
            sh("ip", "link", "add", p.host_if, "type", "veth", "peer", "name", "eth0",
               "netns", p.ns)
            sh("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % p.host_if)
            sh("ip", "link", "set", p.host_if, "up")
            sh("ip", "link", "set", "lo", "up", ns=p.ns)
            sh("ip", "addr", "add", p.ip + "/24", "dev", "eth0", ns=p.ns)
            sh("ip", "addr", "add", p.ip6 + "/64", "dev", "eth0", "nodad", ns=p.ns)
            sh("ip", "link", "set", "eth0", "up", ns=p.ns)
            # The kernel would leave TCP checksums to an offload that af_packet never does.
            sh("ethtool", "-K", "eth0", "tx", "off", ns=p.ns)
        return self

    def __exit__(self, *exc):
        self.cleanup()

    def cleanup(self):
        for p in self.pods:
            sh("ip", "link", "del", p.host_if, check=False)
            sh("ip", "netns", "del", p.ns, check=False)

    def pod(self, name):
        return next(p for p in self.pods if p.name == name)


TCP_SERVER = r"""
import socket, sys
s = socket.socket(socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(4)
s.settimeout(float(sys.argv[3]))
print('listening', flush=True)
try:
    while True:
        c, _ = s.accept()
        data = b''
        while not data.endswith(b'\n'):
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
        c.sendall(b'echo:' + data)
        c.close()
except socket.timeout:
    pass
"""

TCP_CLIENT = r"""
import socket, sys
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
c = socket.socket(fam)
c.settimeout(float(sys.argv[4]))
c.connect((sys.argv[1], int(sys.argv[2])))
c.sendall(sys.argv[3].encode() + b'\n')
data = b''
while True:
    chunk = c.recv(65536)
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.decode())
"""


def tcp_server(pod, port, lifetime=30, addr=None):
    """Start an echo server in @pod; returns the Popen (stdout says 'listening')."""
    p = subprocess.Popen(["ip", "netns", "exec", pod.ns, "/usr/bin/python3", "-c", TCP_SERVER,
                          addr or pod.ip, str(port), str(lifetime)], stdout=subprocess.PIPE,
                         text=True)
    assert p.stdout.readline().strip() == "listening"
    return p


def tcp_request(pod, addr, port, message, timeout=5):
    """Connect from @pod to addr:port, send @message; returns (ok, reply)."""
    r = sh("/usr/bin/python3", "-c", TCP_CLIENT, addr, str(port), message, str(timeout),
           ns=pod.ns, check=False, timeout=timeout + 10)
    return r.returncode == 0, r.stdout


def ping(pod, addr, count=2, timeout=3):
    r = sh("ping", "-c", str(count), "-W", str(timeout), "-i", "0.2", addr, ns=pod.ns,
           check=False, timeout=count * timeout + 10)
    return r.returncode == 0

"""Helpers for podwall's integration and end-to-end tests: run the real daemon on a
generated configuration, query it with the real podwallctl, and check results.

Tests are plain scripts (meson runs them); a failure raises AssertionError. Exit code 77
tells meson a test was skipped (for example, not root)."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77
PODWALL = os.environ.get("PW_PODWALL", "build/control/podwall")
PODWALLCTL = os.environ.get("PW_PODWALLCTL", "build/tools/podwallctl")
SOURCE_ROOT = os.environ.get(
    "PW_SOURCE_ROOT", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def log(msg):
    print(msg, flush=True)


def skip(why):
    log("SKIP: " + why)
    sys.exit(SKIP)


def require_root():
    if os.geteuid() != 0:
        skip("needs root")


def hugepages_setting():
    """'off' in the sanitizer build (PW_TEST_HUGEPAGES=off), else 'auto': hugepages where
    the machine has them reserved, --no-huge otherwise. The daemon logs which."""
    return os.environ.get("PW_TEST_HUGEPAGES", "auto")


def yaml_list(items):
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


class Podwall:
    """One podwall daemon on a generated configuration, in its own temporary directory."""

    def __init__(self, name):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="pw-%s-" % name)
        self.sock = os.path.join(self.dir, "run", "podwall.sock")
        self.config = os.path.join(self.dir, "podwall.yaml")
        self.prefix = "pwtest-%s-%d" % (name, os.getpid())
        self.proc = None
        self.log_path = os.path.join(self.dir, "podwall.log")

    def path(self, name):
        return os.path.join(self.dir, name)

    def configure(self, ports, mode="wire", lcores=(1,), before_sync="fail-open", extra="",
                  burst=32, manifests_dir=None, node=None, kubernetes=None, eal_extra=()):
        """Write the configuration: @ports is a list of (name, device[, role]).

        With @manifests_dir, policy comes from the manifests in that directory (source:
        manifests) instead of none; @node is the node_name (default: the runner's name), which
        must be the spec.nodeName of the pods the policies are to be enforced for."""
        port_lines = "".join(
            "  - name: %s\n    device: %s\n    role: %s\n" % (p[0], json.dumps(p[1]),
                                                            p[2] if len(p) > 2 else "pod")
            for p in ports)
        # @eal_extra: more EAL arguments, e.g. "--lcores=0@0,1@1,2@1" (two workers, two CPUs).
        eal = ["--file-prefix=" + self.prefix, "--log-level=pmd.*:notice"] + list(eal_extra)
        if kubernetes is not None:
            # {"server": URL, "token_file": F, "ca_file": F}: the Kubernetes API source.
            source = "  source: kubernetes\n  kubernetes:\n" + "".join(
                "    %s: %s\n" % (k, json.dumps(v)) for k, v in kubernetes.items())
        elif manifests_dir is None:
            source = "  source: none\n"
        else:
            source = "  source: manifests\n  manifests_dir: %s\n" % json.dumps(manifests_dir)
        with open(self.config, "w") as f:
            f.write(
                "node_name: %s\n"
                "dpdk:\n"
                "  eal_args: %s\n"
                "  hugepages: %s\n"
                "  memory_mb: 256\n"
                "  mbufs: 4095\n"
                "ports:\n%s"
                "forwarding:\n"
                "  mode: %s\n"
                "workers:\n"
                "  lcores: %s\n"
                "  burst_size: %d\n"
                "policy:\n"
                "%s"
                "  before_sync: %s\n"
                "socket:\n"
                "  path: %s\n"
                "%s" % (node or self.name, yaml_list(eal), hugepages_setting(), port_lines,
                        mode, yaml_list(list(lcores)), burst, source, before_sync, self.sock,
                        extra))
        return self

    def start(self, timeout=30):
        self.logf = open(self.log_path, "w")
        self.proc = subprocess.Popen([PODWALL, "-c", self.config], stdout=self.logf,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("podwall exited with %d at start:\n%s" %
                                     (self.proc.returncode, self.log()))
            if os.path.exists(self.sock):
                try:
                    self.ctl_json("status")
                    return self
                except AssertionError:
                    pass
            time.sleep(0.05)
        raise AssertionError("podwall did not open its socket in %ds:\n%s" % (timeout, self.log()))

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def ctl(self, *args, check=True):
        r = subprocess.run([PODWALLCTL, "-s", self.sock] + list(args), capture_output=True,
                           text=True, timeout=20)
        if check and r.returncode != 0:
            raise AssertionError("podwallctl %s: exit %d: %s%s" % (" ".join(args), r.returncode,
                                                                  r.stdout, r.stderr))
        return r

    def ctl_json(self, *args):
        return json.loads(self.ctl("--json", *args).stdout)

    def request(self, line, conn=None):
        """Send one raw request line on a new (or the given) connection; return the reply."""
        own = conn is None
        if own:
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            conn.settimeout(10)
            conn.connect(self.sock)
        data = line if isinstance(line, bytes) else line.encode()
        conn.sendall(data + b"\n")
        reply = read_line(conn)
        if own:
            conn.close()
        return json.loads(reply)

    def wait_rx(self, total, timeout=20):
        """Wait until the ports together have received @total packets."""
        deadline = time.time() + timeout
        stats = None
        while time.time() < deadline:
            stats = self.ctl_json("stats")
            if stats["totals"]["rx_packets"] >= total:
                # Let the worker finish the burst it is forwarding.
                time.sleep(0.2)
                return self.ctl_json("stats")
            time.sleep(0.05)
        raise AssertionError("only %s of %d packets received:\n%s" %
                             (stats and stats["totals"], total, self.log()))

    def stop(self, timeout=20):
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("podwall did not stop on SIGTERM:\n" + self.log())
        self.logf.close()
        rc = self.proc.returncode
        self.proc = None
        if rc != 0:
            raise AssertionError("podwall exited with %d:\n%s" % (rc, self.log()))
        return rc

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.rmtree("/var/run/dpdk/" + self.prefix, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            log("---- podwall log ----\n" + self.log())
        self.cleanup()


def read_line(conn, limit=1 << 24):
    """One reply line, leaving any following line unread on the socket."""
    buf = b""
    while True:
        peek = conn.recv(65536, socket.MSG_PEEK)
        if not peek:
            raise AssertionError("connection closed after %r" % buf[:200])
        nl = peek.find(b"\n")
        buf += conn.recv(nl + 1 if nl >= 0 else len(peek))
        if nl >= 0:
            return buf[:-1]
        if len(buf) > limit:
            raise AssertionError("reply too long")


def port_stats(stats, name):
    for p in stats["ports"]:
        if p["name"] == name:
            return p
    raise AssertionError("no port %s in %s" % (name, [p["name"] for p in stats["ports"]]))


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    log("ok: " + what)


def telemetry(prefix, cmd):
    """One DPDK telemetry command against the daemon with EAL file prefix @prefix, through
    the real dpdk-telemetry.py; returns its JSON value."""
    r = subprocess.run(["dpdk-telemetry.py", "-f", prefix], input=cmd + "\n",
                       capture_output=True, text=True, timeout=20)
    out = r.stdout
    if "{" not in out:
        raise AssertionError("dpdk-telemetry.py %s: %s%s" % (cmd, out, r.stderr))
    return json.loads(out[out.index("{"):out.rindex("}") + 1]).get(cmd.split(",")[0])

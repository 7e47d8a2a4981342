"""podwall-bench against the real daemon over memif (bench/README.md, "podwall-bench").

The generator is the memif server on two sockets, podwall the client in wire mode, with the
policy of the scenario `podwall-bench --write-scenario` writes; both run without hugepages,
each with its own EAL file prefix.

1. A learning phase (--learn 1) then 2 measured seconds at 0.2 Mpps: exit 0; the JSON has
   learn_s and a learn object; no denied packet ever arrives (learning or measured); every
   allowed packet the generator sent (refused ones are not sent) arrives, unless podwall
   itself counts it dropped at its output (tx_full); podwall's own counters agree with the
   generator's totals over both phases (what it received = what the generator sent; it
   dropped as policy_deny exactly the denied ones; it forwarded exactly what the generator
   received); the progress lines carry tx-refused and late-slots, and the first one is
   marked learning.
2. The same generator, expecting the policy, against podwall without policy (source none,
   allow-all): denied packets arrive, in the learning phase and after it. That run must fail:
   exit status 2, denied arrivals counted in learn.denied_arrived and rx_denied, and the
   denied flows named in the report."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from pwtest import Podwall, check, log, port_stats  # noqa: E402

BUILD_ROOT = os.environ.get("PW_BUILD_ROOT", "build")
BENCH = os.environ.get("PW_BENCH", os.path.join(BUILD_ROOT, "bench", "podwall-bench"))
SCENARIO = ["--pods", "100", "--namespaces", "4", "--apps", "4", "--policies", "16",
            "--allowed", "80"]
# "[   1s/3s] tx 0.199 Mpps rx 0.160 Mpps denied-rx 0 tx-refused 0 late-slots 0 learning"
PROGRESS = re.compile(r"^\[\s*(\d+)s/(\d+)s\] tx ([0-9.]+) Mpps rx ([0-9.]+) Mpps.* "
                      r"denied-rx (\d+) tx-refused (\d+) late-slots (\d+)( learning)?$", re.M)


class Bench:
    """One podwall-bench: the memif server of sockets a and b, no hugepages."""

    def __init__(self, workdir, tag, args):
        self.tag = tag
        self.prefix = "pwtest-gen-%s-%d" % (tag, os.getpid())
        self.sock_a = os.path.join(workdir, "%s-a.sock" % tag)
        self.sock_b = os.path.join(workdir, "%s-b.sock" % tag)
        self.json = os.path.join(workdir, "%s.json" % tag)
        self.out_path = os.path.join(workdir, "%s.out" % tag)
        self.err_path = os.path.join(workdir, "%s.err" % tag)
        cmd = [BENCH, "-l", "0", "--no-huge", "-m", "256", "--no-pci", "--file-prefix",
               self.prefix, "--log-level", "*:warning",
               "--vdev", "net_memif0,role=server,socket=%s" % self.sock_a,
               "--vdev", "net_memif1,role=server,socket=%s" % self.sock_b, "--"]
        cmd += SCENARIO + ["--json", self.json] + list(args)
        self.out = open(self.out_path, "w")
        self.err = open(self.err_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=self.err)

    def stdout(self):
        with open(self.out_path) as f:
            return f.read()

    def stderr(self):
        with open(self.err_path) as f:
            return f.read()

    def wait_text(self, text, timeout, stream="stdout"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text in (self.stdout() if stream == "stdout" else self.stderr()):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError("podwall-bench %s: no %r in %gs (exit %s):\n%s%s" % (
            self.tag, text, timeout, self.proc.poll(), self.stdout(), self.stderr()))

    def wait_json(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if os.path.exists(self.json) or self.proc.poll() is not None:
                break
            time.sleep(0.05)
        time.sleep(0.1)  # written and closed
        if not os.path.exists(self.json):
            raise AssertionError("podwall-bench %s wrote no JSON (exit %s):\n%s%s" % (
                self.tag, self.proc.poll(), self.stdout(), self.stderr()))
        with open(self.json) as f:
            return json.load(f)

    def finish(self, sig=signal.SIGINT, timeout=10):
        """End the hold (or the run) with @sig; return the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("podwall-bench %s did not stop on %s:\n%s%s" % (
                self.tag, signal.Signals(sig).name, self.stdout(), self.stderr()))

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.out.close()
        self.err.close()
        for p in (self.sock_a, self.sock_b):
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
        shutil.rmtree("/var/run/dpdk/" + self.prefix, ignore_errors=True)


def podwall_config(pw, bench, manifests_dir):
    """podwall in wire mode on the bench's two memif sockets (client), no hugepages."""
    if manifests_dir is not None:
        policy = ("  source: manifests\n  manifests_dir: %s\n  before_sync: fail-closed\n"
                  % json.dumps(manifests_dir))
    else:
        policy = "  source: none\n  before_sync: fail-open\n"
    with open(pw.config, "w") as f:
        f.write(
            "node_name: node-1\n"
            "dpdk:\n"
            "  eal_args: [\"--file-prefix=%s\", \"--log-level=*:warning\"]\n"
            "  hugepages: off\n"
            "  memory_mb: 512\n"
            "  mbufs: 8191\n"
            "ports:\n"
            "  - {name: a, device: \"net_memif0,role=client,socket=%s\"}\n"
            "  - {name: b, device: \"net_memif1,role=client,socket=%s\"}\n"
            "forwarding: {mode: wire}\n"
            "workers: {lcores: [1]}\n"
            "conntrack: {enabled: true, size: 65536}\n"
            "policy:\n%s"
            "socket:\n  path: %s\n" % (pw.prefix, bench.sock_a, bench.sock_b, policy, pw.sock))


def wait_synced(pw, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pw.ctl_json("status")["policy"]["sync_state"] == "synced":
            return
        time.sleep(0.05)
    raise AssertionError("podwall never synced:\n" + pw.log())


def run_pair(workdir, tag, manifests_dir, bench_args):
    """Start the generator, then podwall on its sockets; wait for the JSON (the generator
    holds the links up after it); read podwall's counters; end the hold with SIGINT.
    Returns (result JSON, exit status, podwall stats, bench)."""
    bench = Bench(workdir, tag, bench_args + ["--hold", "10"])
    try:
        bench.wait_text("flows (", 20)
        with Podwall("bench-" + tag) as pw:
            podwall_config(pw, bench, manifests_dir)
            pw.start()
            if manifests_dir is not None:
                wait_synced(pw)
            res = bench.wait_json(40)
            stats = pw.ctl_json("stats")
            rc = bench.finish()
            pw.stop()
        return res, rc, stats, bench
    except BaseException:
        log("---- podwall-bench %s ----\n%s%s" % (tag, bench.stdout(), bench.stderr()))
        raise
    finally:
        bench.cleanup()


def learning_run(workdir, manifests_dir):
    t0 = time.time()
    res, rc, stats, bench = run_pair(workdir, "learn", manifests_dir, [
        "--flows", "64", "--rate", "0.2", "--learn", "1", "--seconds", "2", "--warmup", "1"])
    log("learning run: %.1f s; JSON: %s" % (time.time() - t0, json.dumps(
        {k: res[k] for k in ("seconds", "learn_s", "learn", "tx_packets", "tx_allowed",
                             "tx_fail", "refused_allowed", "refused_denied",
                             "first_refused_s", "late_slots", "rx_allowed", "allowed_lost")})))
    lrn = res["learn"]
    check(rc == 0, "exit status 0 (got %d)" % rc)
    check(res["learn_s"] == 1 and isinstance(lrn, dict) and 2 <= res["seconds"] < 2.5,
          "learn_s 1, a learn object, 2 measured seconds (%.3f)" % res["seconds"])
    check(lrn["sent"] > 0 and res["tx_packets"] > 0, "packets sent in both phases")
    check(res["rx_denied"] == 0 and res["reply_rx_denied"] == 0 and
          lrn["denied_arrived"] == 0 and res["rx_wrong_queue"] == 0,
          "no denied packet arrived, learning or measured")
    check(res["tx_fail"] == res["refused_allowed"] + res["refused_denied"] and
          lrn["refused"] == lrn["refused_allowed"] + lrn["refused_denied"],
          "refused packets split into allowed and denied")
    check((res["first_refused_s"] is None) == (res["tx_fail"] + lrn["refused"] == 0),
          "first_refused_s is set exactly when a packet was refused")

    pa, pb = port_stats(stats, "a"), port_stats(stats, "b")
    tx_full = pb["drops"].get("tx_full", 0)
    check(res["allowed_lost"] + lrn["lost"] <= tx_full,
          "allowed lost %d (measured) + %d (learning) only as podwall's tx_full drops (%d)" %
          (res["allowed_lost"], lrn["lost"], tx_full))
    check(res["rx_allowed"] == res["tx_allowed"] - res["allowed_lost"] and
          res["rx_packets"] == res["rx_allowed"],
          "received == sent allowed - lost (measured: %d of %d)" %
          (res["rx_allowed"], res["tx_allowed"]))
    sent = lrn["sent"] + res["tx_packets"]
    denied = sent - lrn["sent_allowed"] - res["tx_allowed"]
    check(pa["rx_packets"] == sent,
          "podwall received what the generator sent over both phases (%d)" % sent)
    check(pa["drops"].get("policy_deny", 0) == denied and
          sum(pa["drops"].values()) == denied,
          "podwall dropped exactly the %d denied packets, as policy_deny" % denied)
    check(pb["tx_packets"] == lrn["received"] + res["rx_packets"],
          "podwall forwarded what the generator received (%d)" % pb["tx_packets"])
    check(lrn["received"] == lrn["received_allowed"] and
          lrn["lost"] == lrn["sent_allowed"] - lrn["received_allowed"],
          "learning's totals add up (late arrivals %d counted there)" % lrn["late_learning"])

    lines = PROGRESS.findall(bench.stderr())
    check(len(lines) >= 2 and lines[0][1] == "3" and lines[0][7] == " learning" and
          lines[-1][7] == "", "progress lines with tx-refused and late-slots, the first "
          "one (of %d) learning: %s" % (len(lines), lines[:3]))
    check(sum(int(x[5]) for x in lines) <= res["tx_fail"] + lrn["refused"] and
          sum(int(x[6]) for x in lines) <= res["late_slots"] + lrn["late_slots"],
          "per-second refusals and late slots within the totals")


def denied_arrive_run(workdir):
    res, rc, _, bench = run_pair(workdir, "allowall", None, [
        "--flows", "64", "--rate", "0.1", "--learn", "0.5", "--seconds", "1",
        "--warmup", "0.5"])
    lrn = res["learn"]
    log("allow-all run: rx_denied %d, learn.denied_arrived %d, exit %d" % (
        res["rx_denied"], lrn["denied_arrived"], rc))
    check(rc == 2, "a run where denied packets arrive exits 2 (got %d)" % rc)
    check(lrn["denied_arrived"] > 0 and res["rx_denied"] > 0,
          "denied arrivals counted in both phases")
    check("ERROR denied flow arrived" in bench.stdout(), "the report names denied flows")


def main():
    if not os.path.exists(BENCH):
        raise AssertionError("no podwall-bench at %s" % BENCH)
    workdir = tempfile.mkdtemp(prefix="pw-bench-")
    try:
        scenario = os.path.join(workdir, "scenario")
        subprocess.run([BENCH, "--write-scenario", scenario] + SCENARIO, check=True,
                       stdout=subprocess.DEVNULL, timeout=30)
        learning_run(workdir, scenario)
        denied_arrive_run(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

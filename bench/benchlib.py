#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""What the benchmark scripts share: paths, the podwall-bench command line (EAL arguments,
scenario, traffic shape, the learning phase), its progress lines, a podwall configuration for
memif ports, podwallctl, process stopping, medians, and the option lists the scripts repeat.

Users: harness.py and its harness_*.py modules, scaling.py, ovs_dut.py and
ovs/ovs_checks.py. Nothing here starts a process on import.

    python3 bench/benchlib.py --selftest     # offline checks of the pure pieces (no EAL)
"""
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
BENCH = os.path.join(BUILD, "bench", "podwall-bench")
PODWALL = os.path.join(BUILD, "control", "podwall")
CTL = os.path.join(BUILD, "tools", "podwallctl")

DUT_ORDER = ("policy", "allow", "testpmd", "ovs")
DUT_NAMES = {"policy": "podwall policy+ct", "allow": "podwall allow-all",
             "testpmd": "testpmd io (ceiling)", "ovs": "OVS-DPDK + ct"}

# podwall-bench's per-second progress line on stderr: "[   1s/5s] tx 0.879 Mpps rx 0.877 Mpps
# ..." (older builds: "[  1s] tx ..."); the queue lines of the report do not match.
PROGRESS = re.compile(r"^\[\s*(\d+)s[^]]*\]\s+tx\s+([0-9.]+)\s+Mpps\s+rx\s+([0-9.]+)\s+Mpps",
                      re.M)
# podwall-bench prints this banner once its ports are configured (memif sockets are abstract
# in DPDK 22.11: there is no file to wait for).
BANNER = "flows ("

SCENARIO_KEYS = ("pods", "namespaces", "apps", "policies", "allowed")
SCENARIO_DEFAULTS = {"pods": 1000, "namespaces": 10, "apps": 10, "policies": 100,
                     "allowed": 80}
PROTOS = ("udp", "tcp", "mix")
# podwall-bench --learn's JSON object "learn": the learning phase's totals (TCP handshakes
# included), kept beside the measured phase's figures.
LEARN_KEYS = ("sent", "received", "refused", "lost", "late_learning")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def stop_proc(proc, sig=signal.SIGINT, timeout=10):
    """Stop one process we started, by its pid: `sig`, then SIGKILL after `timeout` s."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def close_log(obj, attr="lf"):
    """Close obj.attr (a log file) if it is open."""
    f = getattr(obj, attr, None)
    if f is not None and not f.closed:
        f.close()


def med3(xs):
    """(median, min, max) of the values that are not None; (None, None, None) if none."""
    xs = [x for x in xs if x is not None]
    if not xs:
        return (None, None, None)
    return (statistics.median(xs), min(xs), max(xs))


def uniq(xs):
    """xs without repeats, in first-seen order."""
    out = []
    for x in xs:
        if x not in out:
            out.append(x)
    return out


def run_checked(cmd, what, timeout=30, env=None):
    """Run cmd, return its stdout; RuntimeError with `what` and its stderr if it fails."""
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    if p.returncode != 0:
        raise RuntimeError(f"{what}: {p.stderr.strip() or p.stdout.strip()}")
    return p.stdout


# --- option lists -------------------------------------------------------------------------


def add_scenario_args(ap, defaults=None, helps=None):
    """--pods --namespaces --apps --policies --allowed (podwall-bench's scenario)."""
    defaults = SCENARIO_DEFAULTS if defaults is None else defaults
    helps = helps or {}
    for k in SCENARIO_KEYS:
        ap.add_argument("--" + k, type=int, default=defaults.get(k), help=helps.get(k))


def add_traffic_args(ap, flows=1024, size=64, rate=0.0, seconds=5.0, warmup=4.0):
    """--flows --size --rate --seconds --warmup, as the single-configuration scripts take them."""
    ap.add_argument("--flows", type=int, default=flows)
    ap.add_argument("--size", type=int, default=size)
    ap.add_argument("--rate", type=float, default=rate)
    ap.add_argument("--seconds", type=float, default=seconds)
    ap.add_argument("--warmup", type=float, default=warmup)


def add_shape_args(ap):
    """--proto --ipv6 --bidir: the traffic's shape, passed on to podwall-bench."""
    ap.add_argument("--proto", choices=PROTOS, default="udp",
                    help="L4 protocol of the flows (podwall-bench --proto; mix: half TCP)")
    ap.add_argument("--ipv6", type=int, default=0, metavar="PCT",
                    help="share of the flows sent over IPv6 (podwall-bench --ipv6)")
    ap.add_argument("--bidir", action="store_true",
                    help="port B answers every allowed packet, so the DUT sees replies "
                    "(podwall-bench --bidir)")
    ap.add_argument("--shapes", choices=("rich", "simple"), default="rich",
                    help="the scenario's policy shapes (podwall-bench --shapes): rich "
                    "(namespace selectors, named ports, endPort, egress with DNS and ipBlock) "
                    "or simple (one ingress shape, the runs recorded before 2026-11-23 12:30)")


def add_quiet_args(ap, quiet_wait=30, retry_contended=1):
    """The harness's wait for a quiet machine and its retry of a contended trial."""
    ap.add_argument("--quiet-threshold", type=float, default=0.3,
                    help="before a trial, wait until others use less than this many CPUs")
    ap.add_argument("--quiet-wait", type=float, default=quiet_wait,
                    help="... at most this many seconds (then run anyway, flagged)")
    ap.add_argument("--retry-contended", type=int, default=retry_contended,
                    help="run a trial again (keeping both) when the generator or the DUT "
                    "did not own its CPU")


# --- podwall-bench ------------------------------------------------------------------------


def _get(pt, k, default=None):
    """pt[k] of a dict or pt.k of an argparse namespace."""
    if isinstance(pt, dict):
        return pt.get(k, default)
    return getattr(pt, k, default)


def scenario_args(pt):
    """podwall-bench's scenario options from a point (dict) or parsed arguments."""
    out = []
    for k in SCENARIO_KEYS:
        out += ["--" + k, str(_get(pt, k))]
    # The policy shapes (podwall-bench --shapes; rich by default where the build has it).
    if _get(pt, "shapes") and bench_supports("--shapes"):
        out += ["--shapes", _get(pt, "shapes")]
    return out


def shape_args(pt):
    """--proto / --ipv6 / --bidir when the point asks for other than UDP over IPv4, one way."""
    out = []
    if (_get(pt, "proto") or "udp") != "udp":
        out += ["--proto", _get(pt, "proto")]
    if _get(pt, "ipv6"):
        out += ["--ipv6", str(_get(pt, "ipv6"))]
    if _get(pt, "bidir"):
        out.append("--bidir")
    return out


# log2 of the memif rings' size that the DUTs (memif clients, which size the rings) ask for:
# None leaves the driver's default (10: 1,024 slots). A bigger ring absorbs a stall of the
# DUT's or the generator's CPU (a busy host) instead of refusing packets (harness.py matrix
# --memif-rsize; bench/README.md, "Zero-loss search").
MEMIF_RSIZE = None


def memif_dev(i, role, sock):
    """The memif vdev of port i: net_memifI,role=...,socket=..., and the ring size when the
    role is client and MEMIF_RSIZE is set."""
    dev = f"net_memif{i},role={role},socket={sock}"
    if role == "client" and MEMIF_RSIZE is not None:
        dev += f",rsize={MEMIF_RSIZE}"
    return dev


def mem_args(huge, mb):
    """EAL memory: hugepages (-m) or --no-huge -m."""
    return ["-m", str(mb)] if huge else ["--no-huge", "-m", str(mb)]


def eal_args(cores, mem, prefix, sock_a, sock_b, role, extra=()):
    """EAL arguments of a process on the two memif ports: cores (["-l", "0"] or
    ["--lcores=..."]), mem (mem_args()), its own file prefix, `role` server (podwall-bench) or
    client (the DUT), extra EAL options (-d PLUGIN ...); ends with "--"."""
    return [*cores, *mem, "--no-pci", "--file-prefix", prefix, "--log-level", "*:warning",
            *extra, "--vdev", memif_dev(0, role, sock_a), "--vdev", memif_dev(1, role, sock_b),
            "--"]


def write_scenario(d, pt, cmd=(BENCH,), env=None, quiet=True, timeout=300):
    """podwall-bench --write-scenario d: the point's Namespaces, Pods and NetworkPolicies."""
    subprocess.run([*cmd, "--write-scenario", d, *scenario_args(pt)], check=True,
                   timeout=timeout, env=env, stdout=subprocess.DEVNULL if quiet else None)


_help_cache = {}


def bench_help(cmd=(BENCH,), env=None):
    """podwall-bench --help (stdout and stderr), read once per command."""
    key = tuple(cmd)
    if key not in _help_cache:
        try:
            p = subprocess.run([*cmd, "--help"], capture_output=True, text=True, timeout=30,
                               env=env)
            _help_cache[key] = p.stdout + p.stderr
        except (OSError, subprocess.TimeoutExpired):
            _help_cache[key] = ""
    return _help_cache[key]


def bench_supports(option, cmd=(BENCH,), env=None):
    """Whether this podwall-bench build has `option` (its --help lists it)."""
    return re.search(re.escape(option) + r"\b", bench_help(cmd, env)) is not None


def timed_args(seconds, learn, generator_learns):
    """podwall-bench's timing options for `learn` seconds of learning, then `seconds` measured.
    generator_learns (it has --learn): the generator resets its counters after the learning
    phase itself. Otherwise (an older build) it sends for learn + seconds and the caller
    takes the measured window's rates from the progress lines after the learning ones."""
    if learn and generator_learns:
        return ["--seconds", _fmt(seconds), "--learn", _fmt(learn)]
    return ["--seconds", _fmt(seconds + learn)]


def _fmt(x):
    return str(int(x)) if float(x).is_integer() else str(x)


def start_bench(cmd, logpath, timeout, env=None, poll=0.05):
    """Start podwall-bench (memif server) with its output in logpath and wait for its banner.
    Returns (proc, open log file); stops it and raises RuntimeError if it does not come up."""
    lf = open(logpath, "w")
    proc = subprocess.Popen(cmd, stdout=lf, stderr=subprocess.STDOUT, env=env)
    deadline = time.time() + timeout
    while BANNER not in read_text(logpath):
        if proc.poll() is not None or time.time() > deadline:
            stop_proc(proc)
            lf.close()
            raise RuntimeError(f"podwall-bench did not come up, see {logpath}")
        time.sleep(poll)
    return proc, lf


def read_text(path):
    with open(path) as f:
        return f.read()


def progress(text):
    """The progress lines in podwall-bench's output: [(second, tx Mpps, rx Mpps)]."""
    return [(int(m.group(1)), float(m.group(2)), float(m.group(3)))
            for m in PROGRESS.finditer(text)]


def learn_lines(learn):
    """Progress lines to wait for before the learning phase is over (one a second)."""
    return max(1, int(round(learn))) if learn else 0


def measured_window(res, steady, learn, generator_learns):
    """Make res (podwall-bench's JSON) describe the measured window, and record how.

    With the generator's own learning phase (learn_mode "generator") its JSON already covers
    only the measured seconds, and its object `learn` the learning phase; the harness only
    flattens that object into learn_* keys (LEARN_KEYS, and learn_denied_arrived: denied
    packets, requests or replies, that arrived while it learned). An older generator's JSON
    covers learning too: the rates then come from the progress lines after the learning ones
    (`steady`), and loss and refusals still cover the whole run (learn_mode "harness"). The
    JSON's own rates stay in *_run. Adds offered_lost and offered_allowed (RFC 2544 loss)."""
    for k in ("rx_mpps", "tx_mpps", "rx_gbps", "tx_gbps"):
        res[k + "_run"] = res.get(k)
    if not learn:
        res["learn_mode"] = None
    elif generator_learns:
        res["learn_mode"] = "generator"
        lrn = res.get("learn") or {}
        for k in LEARN_KEYS:
            res["learn_" + k] = lrn.get(k)
        if lrn:
            res["learn_denied_arrived"] = (lrn.get("denied_arrived", 0) +
                                           lrn.get("reply_denied_arrived", 0))
    else:
        res["learn_mode"] = "harness"
        if steady:
            rx = sum(x[2] for x in steady) / len(steady)
            tx = sum(x[1] for x in steady) / len(steady)
            if res.get("rx_mpps_run") and res.get("rx_gbps_run") is not None:
                res["rx_gbps"] = res["rx_gbps_run"] * rx / res["rx_mpps_run"]
            if res.get("tx_mpps_run") and res.get("tx_gbps_run") is not None:
                res["tx_gbps"] = res["tx_gbps_run"] * tx / res["tx_mpps_run"]
            res["rx_mpps"], res["tx_mpps"] = rx, tx
            res["steady_seconds"] = len(steady)
    # Loss the RFC 2544 way: every allowed packet offered and not received, including those
    # the DUT refused at its input (tx-fail at the generator: memif ring full), replies too.
    res["offered_lost"] = (res.get("allowed_lost", 0) + res.get("tx_fail", 0) +
                           res.get("reply_allowed_lost", 0) + res.get("reply_tx_fail", 0))
    res["offered_allowed"] = res.get("tx_allowed", 0) + res.get("reply_tx_allowed", 0)
    return res


# --- podwall ------------------------------------------------------------------------------


def podwall_config(path, *, sock_a, sock_b, socket_path, huge, memory_mb, mbufs, eal,
                   workers, conntrack, ct_size, manifests=None):
    """Write a podwall configuration for wire mode between the two memif ports (clients).
    eal: EAL arguments; workers: EAL lcore ids of the workers; manifests: the scenario's
    directory (policy from it, fail-closed before the first sync) or None (allow-all)."""
    lines = [
        "node_name: node-1",
        "dpdk:",
        f"  hugepages: {'on' if huge else 'off'}",
        f"  memory_mb: {memory_mb}",
        f"  mbufs: {mbufs}",
        "  eal_args: [" + ", ".join(json.dumps(x) for x in eal) + "]",
        "ports:",
        f'  - {{name: a, device: "{memif_dev(0, "client", sock_a)}"}}',
        f'  - {{name: b, device: "{memif_dev(1, "client", sock_b)}"}}',
        "forwarding: {mode: wire}",
        "workers: {lcores: [" + ", ".join(str(w) for w in workers) + "]}",
        "socket:",
        f"  path: {socket_path}",
        "conntrack:",
        f"  enabled: {'true' if conntrack else 'false'}",
        f"  size: {ct_size}",
        "policy:",
    ]
    if manifests is not None:
        lines += ["  source: manifests", f"  manifests_dir: {manifests}",
                  "  before_sync: fail-closed"]
    else:
        lines += ["  source: none", "  before_sync: fail-open"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def podwallctl(cmd, sock, *args, timeout=30, env=None):
    """podwallctl --json ARGS on the daemon's socket; the decoded answer (None if empty).
    cmd: the podwallctl command ([CTL], or a loader and CTL)."""
    out = run_checked([*cmd, "-s", sock, "--json", *args], f"podwallctl {' '.join(args)}",
                      timeout=timeout, env=env)
    return json.loads(out) if out.strip() else None


def wait_podwall(proc, ctl, synced, timeout, logpath, poll=0.2):
    """Wait until podwall answers status (and, if `synced`, its policy is synced); return the
    status. ctl(*args): podwallctl on its socket. RuntimeError if it exits or times out."""
    deadline = time.time() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"podwall exited ({proc.returncode}), see {logpath}")
        try:
            st = ctl("status")
            if not synced or st["policy"]["sync_state"] == "synced":
                return st
        except (RuntimeError, json.JSONDecodeError, subprocess.TimeoutExpired, KeyError,
                TypeError):
            pass
        if time.time() > deadline:
            raise RuntimeError(f"podwall did not come up, see {logpath}")
        time.sleep(poll)


# --- offline checks -----------------------------------------------------------------------


def selftest():
    """Checks of the pure pieces, no process started; raises AssertionError on a failure."""
    import argparse
    import tempfile

    pt = {"pods": 10, "namespaces": 2, "apps": 3, "policies": 4, "allowed": 50,
          "proto": "udp", "ipv6": 0, "bidir": False}
    assert scenario_args(pt) == ["--pods", "10", "--namespaces", "2", "--apps", "3",
                                 "--policies", "4", "--allowed", "50"]
    assert shape_args(pt) == []
    assert shape_args(dict(pt, proto="mix", ipv6=50, bidir=True)) == \
        ["--proto", "mix", "--ipv6", "50", "--bidir"]
    ap = argparse.ArgumentParser()
    add_scenario_args(ap)
    add_traffic_args(ap)
    add_shape_args(ap)
    a = ap.parse_args(["--pods", "7", "--proto", "tcp", "--bidir"])
    assert scenario_args(a)[:2] == ["--pods", "7"] and shape_args(a) == ["--proto", "tcp",
                                                                          "--bidir"]
    assert (a.flows, a.size, a.rate, a.seconds, a.warmup) == (1024, 64, 0.0, 5.0, 4.0)

    assert eal_args(["-l", "0"], mem_args(False, 256), "p", "/a", "/b", "server") == [
        "-l", "0", "--no-huge", "-m", "256", "--no-pci", "--file-prefix", "p", "--log-level",
        "*:warning", "--vdev", "net_memif0,role=server,socket=/a",
        "--vdev", "net_memif1,role=server,socket=/b", "--"]
    assert mem_args(True, 512) == ["-m", "512"]

    # The learning phase: the generator's own, or the old way (longer run, sliced lines).
    assert timed_args(5, 2, True) == ["--seconds", "5", "--learn", "2"]
    assert timed_args(5, 2, False) == ["--seconds", "7"]
    assert timed_args(5, 0, True) == ["--seconds", "5"]
    assert timed_args(2.5, 0.5, False) == ["--seconds", "3"]
    assert learn_lines(0) == 0 and learn_lines(2) == 2 and learn_lines(0.4) == 1

    text = ("podwall-bench: 1024 flows (819 allowed by policy), 64 B frames\n"
            "[   1s/7s] tx 1.000 Mpps rx 0.900 Mpps denied-rx 0\n"
            "queue 0: tx 9.000 Mpps rx 9.000 Mpps replies-rx 0.000 Mpps\n"
            "[   2s/7s] tx 2.000 Mpps rx 1.800 Mpps replies-rx 0.1 Mpps denied-rx 0\n"
            "[  3s] tx 3.000 Mpps rx 2.700 Mpps\n")
    assert progress(text) == [(1, 1.0, 0.9), (2, 2.0, 1.8), (3, 3.0, 2.7)]

    gen = {"rx_mpps": 1.0, "tx_mpps": 2.0, "rx_gbps": 0.5, "tx_gbps": 1.0, "tx_allowed": 800,
           "allowed_lost": 3, "tx_fail": 4, "learn_s": 2,
           "learn": {"sent": 100, "received": 70, "refused": 20, "lost": 10,
                     "denied_arrived": 1, "reply_denied_arrived": 2, "late_learning": 5}}
    r = measured_window(dict(gen), [(3, 9.0, 9.0)], 2, True)
    assert r["learn_mode"] == "generator" and r["rx_mpps"] == 1.0 and r["rx_mpps_run"] == 1.0
    assert (r["learn_sent"], r["learn_received"], r["learn_refused"], r["learn_lost"]) == \
        (100, 70, 20, 10)
    assert r["learn_denied_arrived"] == 3 and r["learn_late_learning"] == 5
    assert r["offered_lost"] == 7 and r["offered_allowed"] == 800  # learning left out
    r = measured_window(dict(gen, learn=None), [(3, 4.0, 2.0), (4, 6.0, 4.0)], 2, False)
    assert r["learn_mode"] == "harness" and r["steady_seconds"] == 2
    assert (r["tx_mpps"], r["rx_mpps"], r["rx_gbps"], r["tx_gbps"]) == (5.0, 3.0, 1.5, 2.5)
    assert "learn_lost" not in r and r["offered_lost"] == 7
    r = measured_window(dict(gen, reply_allowed_lost=5, reply_tx_fail=6,
                             reply_tx_allowed=700), [], 0, True)
    assert r["learn_mode"] is None and r["offered_lost"] == 18 and r["offered_allowed"] == 1500

    assert med3([3, None, 1, 2]) == (2, 1, 3) and med3([None]) == (None, None, None)
    assert med3([1, 4]) == (2.5, 1, 4)
    assert uniq([2, 1, 2, 3, 1]) == [2, 1, 3]

    with tempfile.TemporaryDirectory() as d:
        p = podwall_config(os.path.join(d, "c.yaml"), sock_a="/a", sock_b="/b",
                           socket_path="/s", huge=False, memory_mb=1024, mbufs=16383,
                           eal=["--file-prefix=x", "--log-level=*:warning"], workers=[1],
                           conntrack=True, ct_size=262144, manifests="/m")
        y = read_text(p)
        assert '  eal_args: ["--file-prefix=x", "--log-level=*:warning"]\n' in y
        assert "workers: {lcores: [1]}\n" in y and "  manifests_dir: /m\n" in y
        assert "  enabled: true\n  size: 262144\n" in y and "hugepages: off" in y
        y = read_text(podwall_config(p, sock_a="/a", sock_b="/b", socket_path="/s", huge=True,
                                     memory_mb=1, mbufs=1, eal=[], workers=[1, 2],
                                     conntrack=False, ct_size=1))
        assert "  source: none\n  before_sync: fail-open\n" in y and "lcores: [1, 2]" in y

    # Option detection reads --help once per command.
    _help_cache[("/nonexistent-bench",)] = "usage ...\n  --learn S (0: ...)\n  --rate MPPS\n"
    assert bench_supports("--learn", ("/nonexistent-bench",))
    assert not bench_supports("--lear", ("/nonexistent-bench",))
    assert not bench_supports("--bidir", ("/nonexistent-bench",))
    assert bench_help(("/nonexistent-bench-2",)) == ""
    print("benchlib selftest: ok")


if __name__ == "__main__":
    if sys.argv[1:] != ["--selftest"]:
        sys.exit(__doc__)
    selftest()

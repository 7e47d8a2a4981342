#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""podwall-bench harness: podwall (policy + conntrack), podwall (allow-all) and dpdk-testpmd
io forwarding on the same memif ports, side by side (A B C A B C ...), medians with min/max.

    python3 bench/harness.py [--reps 3] [--seconds 5] [--pods 1000] [--policies 100]
                             [--flows 1024] [--size 64] [--rate 0] [--out DIR]

On a two-core machine: the device under test's worker (podwall's worker lcore, testpmd's
forwarding lcore) runs on CPU 1; podwall-bench and the DUT's main lcore share CPU 0.
See bench/README.md, "Packet generator and harness".
"""
import argparse
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
SOCK_A = "/tmp/pw-bench-a.sock"
SOCK_B = "/tmp/pw-bench-b.sock"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def cleanup_socks(workdir):
    for p in (SOCK_A, SOCK_B, os.path.join(workdir, "podwall.sock")):
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass


def stop(proc, sig=signal.SIGINT, timeout=10):
    """Stop one process we started, by its pid; escalate to SIGKILL."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def scenario_args(a):
    return ["--pods", str(a.pods), "--namespaces", str(a.namespaces), "--apps", str(a.apps),
            "--policies", str(a.policies), "--allowed", str(a.allowed)]


def start_bench(a, workdir, tag, rep, policy):
    """podwall-bench is the memif server (testpmd 22.11 reports no port stats, hence no
    cycles per packet, for its memif ports in the server role); the DUT connects to it."""
    out = os.path.join(workdir, f"bench-{tag}-{rep}.json")
    cmd = [BENCH, "-l", "0", "--no-huge", "-m", "256", "--no-pci", "--file-prefix", "pwbench",
           "--log-level", "*:warning",
           "--vdev", f"net_memif0,role=server,socket={SOCK_A}",
           "--vdev", f"net_memif1,role=server,socket={SOCK_B}", "--"]
    cmd += scenario_args(a)
    cmd += ["--flows", str(a.flows), "--seconds", str(a.seconds), "--rate", str(a.rate),
            "--warmup", str(a.warmup), "--hold", "5", "--json", out]
    cmd += ["--imix"] if a.imix else ["--size", str(a.size)]
    if a.new:
        cmd.append("--new")
    if not policy:
        cmd.append("--no-policy")
    lf = open(os.path.join(workdir, f"bench-{tag}-{rep}.log"), "w")
    proc = subprocess.Popen(cmd, stdout=lf, stderr=subprocess.STDOUT)
    # memif sockets are abstract (DPDK 22.11's default): wait for the bench's banner instead.
    deadline = time.time() + 10
    while "flows (" not in open(lf.name).read():
        if proc.poll() is not None or time.time() > deadline:
            stop(proc)
            raise RuntimeError(f"podwall-bench did not come up, see {lf.name}")
        time.sleep(0.1)
    return proc, lf, out


def wait_bench_json(a, bench):
    """The bench writes its JSON, then holds the links up for 5 s: read the DUT meanwhile."""
    proc, lf, out = bench
    deadline = time.time() + a.seconds + a.warmup + 90
    while not os.path.exists(out):
        if proc.poll() is not None or time.time() > deadline:
            return
        time.sleep(0.05)


def finish_bench(a, bench):
    proc, lf, out = bench
    try:
        proc.wait(timeout=a.seconds + a.warmup + 90)
    finally:
        stop(proc)
        lf.close()
    if proc.returncode not in (0, 2):
        raise RuntimeError(f"podwall-bench failed ({proc.returncode}), see {lf.name}")
    with open(out) as f:
        return json.load(f)


def ctl(workdir, *args):
    p = subprocess.run([CTL, "-s", os.path.join(workdir, "podwall.sock"), "--json", *args],
                       capture_output=True, text=True, timeout=15)
    if p.returncode != 0:
        raise RuntimeError(f"podwallctl {' '.join(args)}: {p.stderr.strip()}")
    return json.loads(p.stdout) if p.stdout.strip() else None


def write_config(a, workdir, policy):
    lines = [
        "node_name: node-1",
        "dpdk:",
        "  hugepages: off",
        "  memory_mb: 1024",
        "  mbufs: 16383",
        '  eal_args: ["--file-prefix=pwdut", "--log-level=*:warning"]',
        "ports:",
        f'  - {{name: a, device: "net_memif0,role=client,socket={SOCK_A}"}}',
        f'  - {{name: b, device: "net_memif1,role=client,socket={SOCK_B}"}}',
        "forwarding: {mode: wire}",
        "workers: {lcores: [1]}",
        "socket:",
        f"  path: {os.path.join(workdir, 'podwall.sock')}",
        "conntrack:",
        f"  enabled: {'true' if policy else 'false'}",
        f"  size: {a.ct_size}",
        "policy:",
    ]
    if policy:
        lines += ["  source: manifests", f"  manifests_dir: {os.path.join(workdir, 'scenario')}",
                  "  before_sync: fail-closed"]
    else:
        lines += ["  source: none", "  before_sync: fail-open"]
    path = os.path.join(workdir, f"podwall-{'policy' if policy else 'allow'}.yaml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def run_podwall(a, workdir, policy, rep):
    tag = "policy" if policy else "allow"
    cleanup_socks(workdir)
    cfg = write_config(a, workdir, policy)
    bench = start_bench(a, workdir, tag, rep, policy)
    lf = open(os.path.join(workdir, f"podwall-{tag}-{rep}.log"), "w")
    proc = subprocess.Popen([PODWALL, "-c", cfg], stdout=lf, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"podwall exited ({proc.returncode}), see {lf.name}")
            try:
                st = ctl(workdir, "status")
                if not policy or st["policy"]["sync_state"] == "synced":
                    break
            except (RuntimeError, json.JSONDecodeError, subprocess.TimeoutExpired):
                pass
            if time.time() > deadline:
                raise RuntimeError("podwall did not come up")
            time.sleep(0.5)
        ctl(workdir, "stats-reset")  # before the bench's warm-up ends
        wait_bench_json(a, bench)
        stats = ctl(workdir, "stats")
        res = finish_bench(a, bench)
        bench = None
        lc = stats["lcores"][0]
        res["dut_cycles_per_packet"] = lc["cycles_per_packet"]
        res["dut_packets"] = stats["totals"]["rx_packets"]
        res["dut_dropped"] = stats["totals"].get("dropped")
        with open(os.path.join(workdir, f"podwall-stats-{tag}-{rep}.json"), "w") as f:
            json.dump(stats, f, indent=1)
        return res
    finally:
        if bench is not None:
            stop(bench[0])
            bench[1].close()
        stop(proc)
        lf.close()
        cleanup_socks(workdir)


def run_testpmd(a, workdir, rep):
    cleanup_socks(workdir)
    bench = start_bench(a, workdir, "testpmd", rep, False)
    logp = os.path.join(workdir, f"testpmd-{rep}.log")
    lf = open(logp, "w")
    cmd = ["dpdk-testpmd", "-l", "0,1", "--no-huge", "-m", "1024", "--no-pci",
           "--file-prefix", "pwtestpmd", "--log-level", "*:warning",
           "--vdev", f"net_memif0,role=client,socket={SOCK_A}",
           "--vdev", f"net_memif1,role=client,socket={SOCK_B}",
           "--", "-i", "--forward-mode=io", "--record-core-cycles", "--nb-cores=1",
           "--rxq=1", "--txq=1", "--total-num-mbufs=16384"]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=lf, stderr=subprocess.STDOUT,
                            text=True)
    try:
        time.sleep(1)
        if proc.poll() is not None:
            raise RuntimeError(f"testpmd exited ({proc.returncode}), see {logp}")
        proc.stdin.write("start\n")
        proc.stdin.flush()
        wait_bench_json(a, bench)
        proc.stdin.write("stop\n")  # while the links are up: memif counts only then
        proc.stdin.flush()
        res = finish_bench(a, bench)
        bench = None
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        proc.wait(timeout=20)
    finally:
        if bench is not None:
            stop(bench[0])
            bench[1].close()
        stop(proc)
        lf.close()
        cleanup_socks(workdir)
    with open(logp) as f:
        text = f.read()
    m = re.findall(r"CPU cycles/packet=([0-9.]+)", text)
    res["dut_cycles_per_packet"] = float(m[-1]) if m else None
    return res


def med(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return (None, None, None)
    return (statistics.median(xs), min(xs), max(xs))


def fmt(t, nd=2):
    if t[0] is None:
        return "n/a"
    return f"{t[0]:.{nd}f} ({t[1]:.{nd}f}..{t[2]:.{nd}f})"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--pods", type=int, default=1000)
    ap.add_argument("--namespaces", type=int, default=10)
    ap.add_argument("--apps", type=int, default=10)
    ap.add_argument("--policies", type=int, default=100)
    ap.add_argument("--allowed", type=int, default=80)
    ap.add_argument("--flows", type=int, default=1024)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--imix", action="store_true")
    ap.add_argument("--new", action="store_true")
    ap.add_argument("--rate", type=float, default=0)
    ap.add_argument("--warmup", type=float, default=4)
    ap.add_argument("--ct-size", type=int, default=262144)
    ap.add_argument("--out", default="/tmp/podwall-bench-harness")
    ap.add_argument("--only", default="policy,allow,testpmd")
    a = ap.parse_args()

    os.makedirs(a.out, exist_ok=True)
    sc = os.path.join(a.out, "scenario")
    subprocess.run([BENCH, "--write-scenario", sc, *scenario_args(a)], check=True, timeout=120)
    devs = a.only.split(",")
    results = {d: [] for d in devs}
    for rep in range(a.reps):
        for d in devs:
            log(f"rep {rep + 1}/{a.reps}: {d}")
            if d == "testpmd":
                r = run_testpmd(a, a.out, rep)
            else:
                r = run_podwall(a, a.out, d == "policy", rep)
            log(f"  rx {r['rx_mpps']:.3f} Mpps, allowed loss {r['allowed_loss_pct']:.2f}%, "
                f"denied arrived {r['rx_denied']:.0f}, DUT cycles/pkt "
                f"{r['dut_cycles_per_packet']}")
            results[d].append(r)

    names = {"policy": "podwall policy+ct", "allow": "podwall allow-all",
             "testpmd": "testpmd io (ceiling)"}
    summary = {"params": vars(a), "devices": {}}
    rows = ["| DUT | rx Mpps | tx Mpps | allowed loss % | denied arrived | p50 / p99 us | "
            "DUT cycles/packet |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for d in devs:
        rs = results[d]
        s = {k: med([r[k] for r in rs]) for k in
             ("rx_mpps", "tx_mpps", "rx_gbps", "allowed_loss_pct", "rx_denied",
              "latency_p50_us", "latency_p99_us", "dut_cycles_per_packet")}
        summary["devices"][d] = {"median_min_max": s, "runs": rs}
        rows.append(f"| {names[d]} | {fmt(s['rx_mpps'], 3)} | {fmt(s['tx_mpps'], 3)} | "
                    f"{fmt(s['allowed_loss_pct'])} | {fmt(s['rx_denied'], 0)} | "
                    f"{fmt(s['latency_p50_us'], 1)} / {fmt(s['latency_p99_us'], 1)} | "
                    f"{fmt(s['dut_cycles_per_packet'], 1)} |")
    ratios = {}
    if "testpmd" in devs:
        base = summary["devices"]["testpmd"]["median_min_max"]["dut_cycles_per_packet"][0]
        for d in ("policy", "allow"):
            if d in devs and base:
                v = summary["devices"][d]["median_min_max"]["dut_cycles_per_packet"][0]
                ratios[f"{d}/testpmd cycles per packet"] = v / base if v else None
    summary["ratios"] = ratios
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print("\n".join(rows))
    for k, v in ratios.items():
        print(f"{k}: {v:.2f}" if v else f"{k}: n/a")
    print(f"(JSON: {os.path.join(a.out, 'summary.json')})")


if __name__ == "__main__":
    main()

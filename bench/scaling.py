#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Multi-worker scaling: podwall (wire mode, policy + conntrack) with N workers against
podwall-bench with N queue pairs per memif port, for N in --workers, side by side
(1 2 4 ... 1 2 4 ...), medians with min/max.

    python3 bench/scaling.py [--workers 1,2,4,6,7] [--reps 3] [--seconds 6]
                             [--flows-per-worker 65536] [--ct-per-worker 131072]
                             [--size 64] [--gen-cpus 0-7] [--dut-main-cpu 8]
                             [--dut-cpus 9-15] [--huge auto|on|off] [--out DIR]

Memif has no RSS: generator queue q is podwall's queue q on both ports, hence worker q, and
every flow stays on one queue (the bench reports a frame that comes back on another queue
as an error). Generator queue q runs on the q-th CPU of --gen-cpus (its lcore 0, the main
one, runs queue 0), podwall's main lcore on --dut-main-cpu and worker w on the w-th CPU of
--dut-cpus: the generator and the workers never share a CPU. Each worker gets the same load
whatever N: --flows-per-worker flows and a --ct-per-worker flow table (a fixed total split N
ways would shrink each worker's working set as N grows and flatter the scaling). Per worker,
the DUT's own cost:
busy cycles per packet and the share of the time it was busy, from two `podwallctl --json
stats` readings taken inside the timed phase (at the bench's first and last progress lines).
See bench/README.md, "Multi-worker scaling".

To run from a bundle (another machine without DPDK installed): --bin-dir DIR (podwall,
podwallctl, podwall-bench), --lib-dir DIR (their shared libraries, passed to --loader, an
ld-linux-x86-64.so.2, if given, else as LD_LIBRARY_PATH) and --plugin-dir DIR (the memif
and mempool_ring PMDs, passed to both as EAL -d).
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402
from benchlib import ROOT, log, stop_proc as stop  # noqa: E402

SOCK_A = "/tmp/pw-scale-a.sock"
SOCK_B = "/tmp/pw-scale-b.sock"


def cpu_list(s):
    out = []
    for part in s.split(","):
        if "-" in part:
            a, b = part.split("-")
            out += list(range(int(a), int(b) + 1))
        elif part:
            out.append(int(part))
    return out


class Tools:
    def __init__(self, a):
        self.a = a
        d = a.bin_dir
        self.bench = os.path.join(d, "podwall-bench") if a.flat else \
            os.path.join(d, "bench", "podwall-bench")
        self.podwall = os.path.join(d, "podwall") if a.flat else \
            os.path.join(d, "control", "podwall")
        self.ctl = os.path.join(d, "podwallctl") if a.flat else \
            os.path.join(d, "tools", "podwallctl")
        self.env = dict(os.environ)
        if a.lib_dir and not a.loader:
            self.env["LD_LIBRARY_PATH"] = a.lib_dir

    def cmd(self, binary, *args):
        if self.a.loader:
            return [self.a.loader, "--library-path", self.a.lib_dir, binary, *args]
        return [binary, *args]

    def plugin_args(self):
        """EAL -d for each PMD in --plugin-dir (a file each: EAL takes a directory's
        files only when they are named *.so or *.so.<ABI version>)."""
        if not self.a.plugin_dir:
            return []
        out = []
        for f in sorted(os.listdir(self.a.plugin_dir)):
            out += ["-d", os.path.join(self.a.plugin_dir, f)]
        return out


def hugepages_free_mb():
    free = size_kb = 0
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("HugePages_Free:"):
                    free = int(line.split()[1])
                elif line.startswith("Hugepagesize:"):
                    size_kb = int(line.split()[1])
        with open("/proc/mounts") as f:
            if not any(l.split()[2] == "hugetlbfs" for l in f if len(l.split()) > 2):
                return 0
    except OSError:
        return 0
    return free * size_kb // 1024


def start_bench(t, a, n, workdir, tag, huge):
    out = os.path.join(workdir, f"bench-{tag}.json")
    cpus = ",".join(f"{i}@{c}" for i, c in enumerate(a.gen_cpus[:n]))
    mem = bl.mem_args(huge, 512 if huge else 512 + 64 * n)
    cmd = t.cmd(t.bench, *bl.eal_args([f"--lcores={cpus}"], mem, "pwscale-gen", SOCK_A, SOCK_B,
                                      "server", t.plugin_args()),
                *bl.scenario_args(a), "--flows", str(a.flows_per_worker * n),
                "--seconds", str(a.seconds), "--size", str(a.size), *bl.shape_args(a),
                "--warmup", str(a.warmup), "--hold", "2", "--queues", str(n), "--json", out)
    if a.stateless:
        cmd.append("--stateless")
    if a.new:
        cmd.append("--new")
    proc, lf = bl.start_bench(cmd, os.path.join(workdir, f"bench-{tag}.log"), 20, env=t.env,
                              poll=0.1)
    return proc, lf, out


def write_config(t, a, n, workdir, huge):
    lcores = ",".join([f"0@{a.dut_main_cpu}"] +
                      [f"{i + 1}@{c}" for i, c in enumerate(a.dut_cpus[:n])])
    eal = [f"--lcores={lcores}", "--file-prefix=pwscale-dut", "--log-level=*:warning"]
    eal += t.plugin_args()
    return bl.podwall_config(os.path.join(workdir, f"podwall-{n}.yaml"), sock_a=SOCK_A,
                             sock_b=SOCK_B, socket_path=os.path.join(workdir, "podwall.sock"),
                             huge=huge, memory_mb=a.dut_memory_mb, mbufs=65535, eal=eal,
                             workers=range(1, n + 1), conntrack=not a.stateless,
                             ct_size=a.ct_per_worker * n,
                             manifests=os.path.join(workdir, "scenario"))


def ctl(t, workdir, *args):
    return bl.podwallctl(t.cmd(t.ctl), os.path.join(workdir, "podwall.sock"), *args,
                         timeout=15, env=t.env)


def progress_seconds(path):
    """The last progress line's second, or -1."""
    lines = bl.progress(bl.read_text(path))
    return lines[-1][0] if lines else -1


def cpu_times():
    """Per CPU (user+nice+system+idle+iowait+irq+softirq+steal, steal), in ticks."""
    out = {}
    try:
        with open("/proc/stat") as f:
            for line in f:
                p = line.split()
                if p[0].startswith("cpu") and p[0] != "cpu":
                    v = [int(x) for x in p[1:9]]
                    out[int(p[0][3:])] = (sum(v), v[7])
    except (OSError, ValueError, IndexError):
        pass
    return out


def steal_pct(c1, c2, cpu):
    if cpu not in c1 or cpu not in c2 or c2[cpu][0] <= c1[cpu][0]:
        return None
    return 100.0 * (c2[cpu][1] - c1[cpu][1]) / (c2[cpu][0] - c1[cpu][0])


def lcore_deltas(s1, s2, dt):
    out = []
    for l1, l2 in zip(s1["lcores"], s2["lcores"]):
        pk = []
        for l in (l1, l2):
            cpp = l.get("cycles_per_packet")
            pk.append(l["busy_cycles"] / cpp if cpp else 0)
        dbusy = l2["busy_cycles"] - l1["busy_cycles"]
        dpk = pk[1] - pk[0]
        out.append({
            "worker": l2["worker"], "lcore": l2["lcore"],
            "cycles_per_packet": dbusy / dpk if dpk > 0 else None,
            "mpps": dpk / dt / 1e6,
            "busy_pct": 100.0 * dbusy / (l2["tsc_hz"] * dt),
            "busy_polls_pct": 100.0 * (l2["busy_polls"] - l1["busy_polls"]) /
            max(1, l2["polls"] - l1["polls"]),
        })
    return out


def run_one(t, a, n, rep, huge):
    workdir = a.out
    tag = f"{n}w-{rep}"
    cfg = write_config(t, a, n, workdir, huge)
    bench = start_bench(t, a, n, workdir, tag, huge)
    lf = open(os.path.join(workdir, f"podwall-{tag}.log"), "w")
    proc = subprocess.Popen(t.cmd(t.podwall, "-c", cfg), stdout=lf, stderr=subprocess.STDOUT,
                            env=t.env)
    try:
        bl.wait_podwall(proc, lambda *args: ctl(t, workdir, *args), True, 60, lf.name)
        ctl(t, workdir, "stats-reset")
        bproc, blf, out = bench
        # Two readings inside the timed phase: at the first and the last progress line.
        snaps = []
        want = [1, max(2, int(a.seconds) - 1)]
        deadline = time.time() + a.seconds + a.warmup + 60
        while want and time.time() < deadline and bproc.poll() is None:
            s = progress_seconds(blf.name)
            if s >= want[0]:
                snaps.append((time.time(), ctl(t, workdir, "stats"), cpu_times()))
                want.pop(0)
            time.sleep(0.02)
        while not os.path.exists(out) and bproc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        ct = ctl(t, workdir, "stats")
        bproc.wait(timeout=a.seconds + a.warmup + 60)
        blf.close()
        bench = None
        if bproc.returncode not in (0, 2):
            raise RuntimeError(f"podwall-bench failed ({bproc.returncode}), see {blf.name}")
        with open(out) as f:
            res = json.load(f)
        if len(snaps) == 2:
            res["workers"] = lcore_deltas(snaps[0][1], snaps[1][1], snaps[1][0] - snaps[0][0])
            # Time the hypervisor took from the workers' CPUs (a VM): TSC cycles count it.
            for i, w in enumerate(res["workers"]):
                w["steal_pct"] = steal_pct(snaps[0][2], snaps[1][2], a.dut_cpus[i])
        else:
            res["workers"] = []
        res["dut_mpps"] = sum(w["mpps"] for w in res["workers"]) or None
        # What the workers could do at their measured cost, busy all the time.
        hz = ct["lcores"][0]["tsc_hz"] if ct and ct.get("lcores") else None
        cpps = [w["cycles_per_packet"] for w in res["workers"]]
        res["dut_capacity_mpps"] = (sum(hz / c for c in cpps) / 1e6
                                    if hz and cpps and all(cpps) else None)
        res["dut_stats_end"] = ct
        with open(os.path.join(workdir, f"podwall-stats-{tag}.json"), "w") as f:
            json.dump({"snapshots": [s for _, s, _ in snaps], "end": ct}, f, indent=1)
        return res
    finally:
        if bench is not None:
            stop(bench[0])
            bench[1].close()
        stop(proc)
        lf.close()


def fmt(tp, nd=2):
    if tp[0] is None:
        return "n/a"
    return f"{tp[0]:.{nd}f} ({tp[1]:.{nd}f}..{tp[2]:.{nd}f})"


def lscpu_model():
    try:
        p = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10)
        for line in p.stdout.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.TimeoutExpired):
        pass
    return "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", default="1,2,4,6,7")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=6)
    ap.add_argument("--warmup", type=float, default=3)
    bl.add_scenario_args(ap)
    ap.add_argument("--flows-per-worker", type=int, default=65536,
                    help="concurrent flows per worker: N workers get N times as many")
    ap.add_argument("--size", type=int, default=64)
    bl.add_shape_args(ap)
    ap.add_argument("--stateless", action="store_true",
                    help="podwall without conntrack (the bench judges replies by policy)")
    ap.add_argument("--new", action="store_true", help="every packet a new flow")
    ap.add_argument("--ct-per-worker", type=int, default=131072,
                    help="conntrack entries per worker (conntrack.size = N times this)")
    ap.add_argument("--dut-memory-mb", type=int, default=2048)
    ap.add_argument("--gen-cpus", type=cpu_list, default=cpu_list("0-7"))
    ap.add_argument("--dut-main-cpu", type=int, default=8)
    ap.add_argument("--dut-cpus", type=cpu_list, default=cpu_list("9-15"))
    ap.add_argument("--huge", choices=("auto", "on", "off"), default="auto")
    ap.add_argument("--bin-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--flat", action="store_true",
                    help="the binaries lie directly in --bin-dir (a bundle)")
    ap.add_argument("--lib-dir", default=None)
    ap.add_argument("--loader", default=None)
    ap.add_argument("--plugin-dir", default=None)
    ap.add_argument("--out", default="/tmp/podwall-scaling")
    a = ap.parse_args()

    steps = [int(x) for x in a.workers.split(",")]
    if max(steps) > min(len(a.gen_cpus), len(a.dut_cpus)):
        ap.error(f"{max(steps)} workers need as many --gen-cpus and --dut-cpus")
    overlap = set(a.gen_cpus[:max(steps)]) & (set(a.dut_cpus[:max(steps)]) | {a.dut_main_cpu})
    if overlap:
        log(f"warning: generator and DUT share CPUs {sorted(overlap)}")
    t = Tools(a)
    need_mb = a.dut_memory_mb + 1024
    huge = a.huge == "on" or (a.huge == "auto" and hugepages_free_mb() >= need_mb)
    os.makedirs(a.out, exist_ok=True)
    sc = os.path.join(a.out, "scenario")
    bl.write_scenario(sc, a, cmd=t.cmd(t.bench), env=t.env, quiet=False, timeout=120)
    log(f"hugepages: {'yes' if huge else 'no'} ({hugepages_free_mb()} MB free); generator "
        f"CPUs {a.gen_cpus}, DUT main CPU {a.dut_main_cpu}, DUT worker CPUs {a.dut_cpus}")
    results = {n: [] for n in steps}
    for rep in range(a.reps):
        for n in steps:
            r = run_one(t, a, n, rep, huge)
            cpp = [w["cycles_per_packet"] for w in r["workers"]]
            log(f"rep {rep + 1}/{a.reps}, {n} worker(s): bench tx {r['tx_mpps']:.2f} rx "
                f"{r['rx_mpps']:.2f} Mpps, DUT {r['dut_mpps'] or 0:.2f} Mpps, cycles/pkt "
                f"{['%.0f' % c if c else '-' for c in cpp]}, busy% "
                f"{['%.0f' % w['busy_pct'] for w in r['workers']]}, steal% "
                f"{['%.1f' % w['steal_pct'] if w.get('steal_pct') is not None else '-' for w in r['workers']]}, denied arrived "
                f"{r['rx_denied']:.0f}, allowed loss {r['allowed_loss_pct']:.3f}%, "
                f"wrong queue {r.get('rx_wrong_queue', 0):.0f}")
            results[n].append(r)

    summary = {"params": {k: v for k, v in vars(a).items()}, "hugepages": huge,
               "machine": lscpu_model(), "nproc": os.cpu_count(), "steps": {}}
    base = cbase = None
    rows = ["| workers | DUT Mpps (allowed + denied) | forwarded Mpps (bench rx) | bench tx Mpps | "
            "cycles/packet per worker | DUT busy % | steal % | DUT capacity Mpps (Σ TSC/cycles) | "
            "scaling Mpps(N)/(N·Mpps(1)) | gain of the added workers | capacity scaling |",
            "| ---: | --- | --- | --- | --- | --- | --- | --- | ---: | ---: | ---: |"]
    prev = None
    for n in steps:
        rs = results[n]
        s = {k: bl.med3([r.get(k) for r in rs])
             for k in ("dut_mpps", "rx_mpps", "tx_mpps", "dut_capacity_mpps")}
        per_worker = [bl.med3([r["workers"][w]["cycles_per_packet"] for r in rs
                           if len(r["workers"]) > w]) for w in range(n)]
        busy = bl.med3([w["busy_pct"] for r in rs for w in r["workers"]])
        steal = bl.med3([w.get("steal_pct") for r in rs for w in r["workers"]])
        errors = sum(r["rx_denied"] + r.get("rx_wrong_queue", 0) +
                     r["allowed_flows_never_arrived"] for r in rs)
        if n == steps[0]:
            base = s["dut_mpps"][0] / n if s["dut_mpps"][0] else None
            cbase = s["dut_capacity_mpps"][0] / n if s["dut_capacity_mpps"][0] else None
        cratio = (s["dut_capacity_mpps"][0] / (n * cbase)
                  if cbase and s["dut_capacity_mpps"][0] else None)
        ratio = s["dut_mpps"][0] / (n * base) if base and s["dut_mpps"][0] else None
        gain = None
        if prev is not None and base and s["dut_mpps"][0]:
            gain = (s["dut_mpps"][0] - prev[1]) / ((n - prev[0]) * base)
        prev = (n, s["dut_mpps"][0])
        summary["steps"][n] = {"median_min_max": s, "cycles_per_packet": per_worker,
                               "busy_pct": busy, "scaling": ratio, "gain_per_added": gain,
                               "capacity_scaling": cratio, "steal_pct": steal,
                               "errors": errors, "runs": rs}
        rows.append(f"| {n} | {fmt(s['dut_mpps'])} | {fmt(s['rx_mpps'])} | {fmt(s['tx_mpps'])} | "
                    + " / ".join(f"{c[0]:.0f}" if c[0] else "-" for c in per_worker) +
                    f" | {fmt(busy, 0)} | {fmt(steal, 1)} | {fmt(s['dut_capacity_mpps'])} | " +
                    (f"{ratio:.2f}" if ratio else "n/a") + " | " +
                    (f"{gain:.2f}" if gain is not None else "-") + " | " +
                    (f"{cratio:.2f}" if cratio else "n/a") + " |")
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, default=str)
    print(f"machine: {summary['machine']}, {summary['nproc']} CPUs, hugepages "
          f"{'yes' if huge else 'no'}")
    print("\n".join(rows))
    bad = [n for n in steps if summary["steps"][n]["errors"]]
    print("correctness: " + ("every run: 0 denied arrived, 0 wrong-queue, 0 allowed flows lost"
                             if not bad else f"ERRORS in runs with {bad} workers"))
    print(f"(JSON: {os.path.join(a.out, 'summary.json')})")


if __name__ == "__main__":
    main()

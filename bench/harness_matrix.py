# SPDX-License-Identifier: Apache-2.0
"""`harness.py matrix`: the standard benchmark matrix in one go (bench/README.md, "Packet
generator and harness").

  comparison   every DUT at the standard point, A B C D A B C D ..., --reps repetitions
  policies     Mpps and cycles/packet versus the number of policies (policy, ovs)
  flows        ... versus concurrent flows (every DUT)
  size         ... versus frame size, IMIX included (every DUT)
  zeroloss     RFC 2544 zero-loss throughput per DUT at the standard point (binary search
               on the generator's --rate)
  build        build time and memory versus cluster size, identity compile versus naive
               per-IP compile (build/bench/podwall-policy-bench)
  propagation  API event to live snapshot latency (bench/propagation_bench.py)

Everything lands in --out: results.json (every trial, raw), one CSV per figure, gnuplot
scripts with their PNG and SVG, summary.md. results.json is rewritten after every trial, so a
stopped run keeps what it measured; `harness.py report --out DIR` renders it again.
"""
import argparse
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
import time

import benchlib as bl
import harness_cpu as cpu
import harness_dut as hd
import harness_report as rep

SECTIONS = ("comparison", "policies", "flows", "size", "zeroloss", "build", "propagation")
POLICY_BENCH = os.path.join(bl.BUILD, "bench", "podwall-policy-bench")
PROPAGATION = os.path.join(bl.ROOT, "bench", "propagation_bench.py")


def parse_list(s, conv=int):
    return [conv(x) for x in s.split(",") if x != ""]


def size_of(x):
    return 0 if x.lower() == "imix" else int(x)


def add_args(ap):
    ap.add_argument("--quick", action="store_true",
                    help="reduced matrix (1k pods, fewer points, 1 repetition): checks the "
                    "harness in a few minutes; its figures are not results")
    ap.add_argument("--out", default="/tmp/podwall-matrix")
    ap.add_argument("--append", action="store_true",
                    help="keep the trials of --out's results.json and add this run's (e.g. the "
                    "sweeps of a run stopped after the headline sections)")
    ap.add_argument("--duts", default="policy,allow,testpmd,ovs")
    ap.add_argument("--skip", default="", help="sections to leave out: " + ",".join(SECTIONS))
    ap.add_argument("--reps", type=int, help="repetitions at the standard point (5; quick 1)")
    ap.add_argument("--sweep-reps", type=int, help="repetitions per sweep point (3; quick 1)")
    ap.add_argument("--seconds", type=float, help="sending time per trial (5; quick 2)")
    ap.add_argument("--prime", type=float,
                    help="seconds of traffic before the measured window, for the DUT to "
                    "learn the flows (2; quick 1)")
    ap.add_argument("--ovs-prime", type=float,
                    help="learning seconds for the ovs DUT only (default: --prime); OVS learns "
                    "a megaflow per new pod pair through an upcall, so at 1M flows it needs far "
                    "longer than podwall")
    ap.add_argument("--warmup", type=float, default=2,
                    help="generator's wait after link-up; grows per DUT when it needs longer")
    bl.add_scenario_args(ap, defaults={"allowed": 80},
                         helps={"pods": "standard point (10000; quick 1000)",
                                "policies": "standard point (1000; quick 100)"})
    ap.add_argument("--flows", type=int, help="standard point (1048576; quick 16384)")
    ap.add_argument("--size", default="64")
    bl.add_shape_args(ap)
    ap.add_argument("--policies-sweep", help="(10,100,1000,4000; quick 10,1000)")
    ap.add_argument("--flows-sweep", help="(1024,16384,131072,1048576; quick 1024,131072)")
    ap.add_argument("--sizes", help="(64,128,256,512,1024,1518,imix; quick 64,imix)")
    ap.add_argument("--zl-seconds", type=float, help="zero-loss trial length (5; quick 2)")
    ap.add_argument("--zl-loss", default="0,0.5",
                    help="loss tolerances, percent of the allowed packets offered: one search "
                    "per value (0: RFC 2544 zero loss, NDR; 0.5: partial drop rate, PDR, as "
                    "FD.io CSIT reports it beside NDR)")
    ap.add_argument("--zl-resolution", type=float,
                    help="stop when the bracket is narrower than this share of the start "
                    "rate (0.02; quick 0.2)")
    ap.add_argument("--zl-reps", type=int, help="independent searches per DUT (2; quick 1)")
    bl.add_quiet_args(ap)
    ap.add_argument("--huge", action="store_true",
                    help="the generator, podwall and testpmd on hugepages (needs about 1 GB of "
                    "free 2 MB pages; OVS stays --no-huge); default: --no-huge everywhere")
    ap.add_argument("--memif-rsize", type=int, choices=range(1, 15), metavar="1..14",
                    help="log2 of the memif ring size every DUT asks for (default: the "
                    "driver's 10, 1,024 slots); 14 (16,384) lets a ring absorb a stall of a "
                    "busy host's CPU instead of refusing packets, which zero-loss searches "
                    "need on a shared 2-vCPU guest")
    ap.add_argument("--nice", type=int, default=0,
                    help="nice value for the generator's and DUT's threads (e.g. -10 on a "
                    "machine shared with builds: they then yield to the trial; 0: as is)")
    ap.add_argument("--policy-bench-scales", help="(1k,10k,100k; quick 1k)")
    ap.add_argument("--policy-json", help="reuse podwall-policy-bench --json output")
    ap.add_argument("--propagation-sizes", help="PODS:POLICIES,... (1000:100,10000:1000; "
                    "quick 1000:100)")
    ap.add_argument("--propagation-json", action="append", default=[],
                    help="reuse propagation_bench.py --json output (repeatable)")


def settings(a):
    """Resolve defaults (full or quick) into one dict, recorded in results.json."""
    q = a.quick

    def pick(v, full, quick):
        return v if v is not None else (quick if q else full)
    s = {
        "quick": q,
        "append": a.append,
        "duts": a.duts.split(","),
        "skip": [x for x in a.skip.split(",") if x],
        "reps": pick(a.reps, 5, 1),
        "sweep_reps": pick(a.sweep_reps, 3, 1),
        "seconds": pick(a.seconds, 5, 2),
        "warmup": a.warmup,
        "std": {
            "pods": pick(a.pods, 10000, 1000),
            "namespaces": pick(a.namespaces, 50, 10),
            "apps": pick(a.apps, 20, 10),
            "policies": pick(a.policies, 1000, 100),
            "allowed": a.allowed,
            "flows": pick(a.flows, 1048576, 16384),
            "size": size_of(a.size),
            "new": False,
            "rate": 0,
            "huge": a.huge,
            "memif_rsize": a.memif_rsize,
            "proto": a.proto,
            "ipv6": a.ipv6,
            "bidir": a.bidir,
            "shapes": a.shapes,
        },
        "policies_sweep": parse_list(pick(a.policies_sweep, "10,100,1000,4000", "10,1000")),
        "flows_sweep": parse_list(pick(a.flows_sweep, "1024,16384,131072,1048576",
                                       "1024,131072")),
        "sizes": parse_list(pick(a.sizes, "64,128,256,512,1024,1518,imix", "64,imix"),
                            size_of),
        "zl_seconds": pick(a.zl_seconds, 5, 2),
        "zl_loss_pct": parse_list(a.zl_loss, float),
        "zl_resolution": pick(a.zl_resolution, 0.02, 0.2),
        "zl_reps": pick(a.zl_reps, 2, 1),
        "quiet_threshold": a.quiet_threshold,
        "quiet_wait": a.quiet_wait if not q else 0,
        "retry_contended": a.retry_contended if not q else 0,
        "nice": a.nice,
        "policy_bench_scales": pick(a.policy_bench_scales, "1k,10k,100k", "1k"),
        "policy_json": a.policy_json,
        "propagation_sizes": pick(a.propagation_sizes, "1000:100,10000:1000", "1000:100"),
        "propagation_json": a.propagation_json,
    }
    s["std"]["prime"] = pick(a.prime, 2, 1)
    s["ovs_prime"] = a.ovs_prime
    s["std"]["seconds"] = s["seconds"]
    s["std"]["warmup"] = s["warmup"]
    return s


def machine():
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""
    m = {
        "host": platform.node(),
        "kernel": platform.release(),
        "cpu": sh("lscpu | sed -n 's/^Model name: *//p' | head -1"),
        "cpus": os.cpu_count(),
        "hypervisor": sh("lscpu | sed -n 's/^Hypervisor vendor: *//p'"),
        "l3": sh("lscpu | sed -n 's/^L3 cache: *//p'"),
        "memory": sh("free -g | awk '/Mem:/ {print $2 \" GiB\"}'"),
        "os": sh(". /etc/os-release && echo $PRETTY_NAME"),
        "dpdk": sh("pkg-config --modversion libdpdk"),
        "ovs": sh("ovs-vswitchd --version | head -1"),
        "git": sh(f"git -C {bl.ROOT} describe --always --dirty"),
        "tsc_hz": None,
        "hugepages": "off (--no-huge everywhere)",
    }
    return m


def offered_mpps(r):
    """The rate the generator offered: what it sent plus what the DUT refused (tx-fail), at
    the sent packets' measured rate."""
    sent = r.get("tx_packets") or 0
    if not sent:
        return r["tx_mpps"]
    return r["tx_mpps"] * (sent + r.get("tx_fail", 0)) / sent


class Matrix:
    def __init__(self, s, out, argv):
        self.s, self.out = s, os.path.abspath(out)
        os.makedirs(self.out, exist_ok=True)
        self.warm = {}
        self.n = 0
        self.res = {"command": "python3 bench/harness.py " + " ".join(shlex.quote(x)
                                                                       for x in argv),
                    "started": datetime.datetime.now().isoformat(timespec="seconds"),
                    "machine": machine(), "settings": s, "trials": [], "zeroloss": [],
                    "skipped": {}, "build": None, "propagation": []}
        if s["std"].get("huge"):
            self.res["machine"]["hugepages"] = ("2 MB hugepages for the generator, podwall "
                                                "and testpmd (OVS --no-huge)")
        # The standard point's traffic axes, and whether the generator keeps the learning
        # phase out of its own figures (podwall-bench --learn) or the harness slices it off.
        std = s["std"]
        self.res["traffic"] = {"proto": std["proto"], "ipv6_pct": std["ipv6"],
                               "bidir": std["bidir"], "huge": std["huge"],
                               "shapes": std.get("shapes"),
                               "memif_rsize": std.get("memif_rsize"),
                               "learn": "generator" if hd.generator_learns() else "harness"}
        prev = os.path.join(self.out, "results.json")
        if s.get("append") and os.path.exists(prev):
            with open(prev) as f:
                old = json.load(f)
            for k in ("trials", "zeroloss", "propagation"):
                self.res[k] = old.get(k, []) + self.res[k]
            for k in ("build", "build_source", "build_command"):
                if old.get(k) is not None:
                    self.res[k] = old[k]
            self.res["skipped"].update(old.get("skipped", {}))
            self.res["command"] = old.get("command", "?") + " ; " + self.res["command"]
            self.res["started"] = old.get("started", self.res["started"])
            self.res["settings_before"] = old.get("settings")
            self.n = max([int(t["tag"][:4]) for t in self.res["trials"] if t.get("tag")] or [0])
        ok, why = hd.ovs_available()
        if "ovs" in s["duts"] and not ok:
            hd.log(f"ovs: skipped: {why}")
            self.res["skipped"]["ovs"] = why
            s["duts"] = [d for d in s["duts"] if d != "ovs"]

    def save(self):
        tmp = os.path.join(self.out, "results.json.tmp")
        with open(tmp, "w") as f:
            json.dump(self.res, f, indent=1, default=str)
        os.replace(tmp, os.path.join(self.out, "results.json"))

    def trial(self, section, x, pt, dut, rep_i):
        """One trial, waiting for a quiet machine first and retrying a contended one."""
        s = self.s
        if dut == "ovs" and s.get("ovs_prime") is not None:
            pt = dict(pt, prime=s["ovs_prime"])
        last = None
        failures = 0
        attempt = -1
        while attempt < s["retry_contended"]:
            attempt += 1
            load0, load1, waited = cpu.wait_quiet(s["quiet_threshold"], s["quiet_wait"],
                                                  hd.log)
            self.n += 1
            tag = f"{self.n:04d}-{section}-{dut}"
            hd.log(f"[{self.n}] {section} x={x} {dut} rep {rep_i + 1} "
                   f"(others {load1:.2f} CPUs)")
            c2c0 = cpu.c2c_latency(self.out)
            try:
                r = hd.run_trial(self.out, pt, dut, tag, self.warm, s["nice"])
            except Exception as e:  # a failed trial is recorded, the matrix goes on
                hd.log(f"  FAILED: {e}")
                r = {"dut": dut, "error": str(e), "quiet": False}
            r["c2c_ns"] = [c2c0, cpu.c2c_latency(self.out)]
            r.update({"section": section, "x": x, "rep": rep_i, "attempt": attempt,
                      "tag": tag, "others_before": round(load1, 3),
                      "waited_s": round(waited, 1), "point": pt})
            self.res["trials"].append(r)
            self.save()
            if "error" not in r:
                c = r["cpu"] or {}
                hd.log(f"  rx {r['rx_mpps']:.3f} Mpps, cycles/pkt "
                       f"{rep.num(r.get('dut_cycles_per_packet'))}, burst "
                       f"{rep.num(r.get('dut_burst'))}, loss {r['allowed_loss_pct']:.3f}%, "
                       f"denied arrived {r['rx_denied']:.0f}; on-CPU gen "
                       f"{c.get('gen_on_cpu')} dut {c.get('dut_on_cpu')}, others "
                       f"{c.get('foreign_cpus')}{'' if r['quiet'] else ' (contended)'}; "
                       f"CPU0-CPU1 handoff {r['c2c_ns'][0]} / {r['c2c_ns'][1]} ns")
            last = r
            if "error" in r and failures < 1:
                # Once more after a pause: a conflict with another user of the machine (a
                # DPDK file prefix, a socket) is usually gone by then.
                failures += 1
                attempt -= 1
                time.sleep(10)
                continue
            if r.get("quiet") or "error" in r:
                break
        return last

    def point(self, **kw):
        pt = dict(self.s["std"])
        pt.update(kw)
        return pt

    def sweep(self, section, xs, key, duts, reps):
        for rep_i in range(reps):
            for x in xs:
                for d in duts:
                    self.trial(section, x, self.point(**{key: x}), d, rep_i)

    # --- RFC 2544 zero-loss throughput ----------------------------------------------------

    @staticmethod
    def zl_pass(r, rate, loss_pct):
        """The verdict of one zero-loss trial: (passed, why). Loss is offered_lost (allowed
        packets lost plus packets refused at the DUT's input, replies included) against the
        allowed packets offered, both over the measured seconds only when the generator ran
        its own learning phase (learn_mode "generator"; the learning phase's figures are
        recorded beside them, not judged), over the whole run with an older generator. A
        denied packet that arrived fails the trial whenever it arrived: the generator's exit
        status 2 says so for the learning phase too."""
        if "error" in r:
            return False, "error"
        if r["rx_denied"] + r.get("reply_rx_denied", 0) > 0:
            return False, "denied packets arrived"
        if r.get("learn_denied_arrived") or r.get("bench_exit") == 2:
            return False, "denied packets arrived (learning phase)"
        tol = loss_pct / 100.0 * max(r.get("offered_allowed", r["tx_allowed"]), 1)
        if r["offered_lost"] > tol:
            refused = r.get("tx_fail", 0) + r.get("reply_tx_fail", 0)
            return False, f"lost {r['offered_lost']:.0f} ({refused:.0f} refused)"
        # The DUT took everything offered: was the asked rate offered? Refused packets were
        # offered (the DUT's doing); slots the generator skipped because it was late were not.
        offered = offered_mpps(r)
        if offered < 0.98 * rate:
            return False, f"generator offered {offered:.3f} of {rate:.3f} Mpps"
        return True, "0 loss" if r["offered_lost"] == 0 else f"lost {r['offered_lost']:.0f}"

    def zeroloss(self, duts):
        """Per DUT: start at its unlimited rate from the comparison (the generator's ceiling
        when the DUT keeps up), then bisect [0, start] until the bracket is narrower than
        zl_resolution x start. A trial fails on any loss above the tolerance, on a denied
        packet, or when the generator could not send the asked rate."""
        s = self.s
        for zrep in range(s["zl_reps"]):
            state = {}
            for loss in s["zl_loss_pct"]:
                for d in duts:
                    start = self.unlimited_rate(d)
                    if start is None:
                        continue
                    state[(d, loss)] = {"lo": 0.0, "hi": start, "start": start, "steps": [],
                                        "best": None, "best_trial": None, "rate": start,
                                        "done": False}
            # Interleave the DUTs' searches, one step each in turn (A B C D A B C D).
            while any(not st["done"] for st in state.values()):
                for (d, loss), st in state.items():
                    if st["done"]:
                        continue
                    rate = round(st["rate"], 3)
                    pt = self.point(rate=rate, seconds=s["zl_seconds"])
                    r = self.trial("zeroloss", rate, pt, d, zrep)
                    r["zl_loss_pct"] = loss
                    ok, why = self.zl_pass(r, rate, loss)
                    if not ok and r.get("quiet") is False and "error" not in r:
                        why += " (contended)"
                    st["steps"].append({"rate": rate, "pass": ok, "why": why,
                                        "tag": r.get("tag"),
                                        "offered_mpps": None if "error" in r else
                                        offered_mpps(r),
                                        "first_refused_s": r.get("first_refused_s"),
                                        "late_slots": r.get("late_slots"),
                                        "learn_mode": r.get("learn_mode"),
                                        "learn_lost": r.get("learn_lost"),
                                        "learn_refused": r.get("learn_refused")})
                    hd.log(f"  loss <= {loss}% {d}: {rate:.3f} Mpps "
                           f"{'pass' if ok else 'FAIL'} ({why})")
                    if ok:
                        st["lo"] = rate
                        st["best"], st["best_trial"] = rate, r.get("tag")
                    else:
                        st["hi"] = rate
                    if ok and rate >= st["start"]:
                        st["done"] = True  # the DUT kept up with the unlimited rate
                    elif st["hi"] - st["lo"] < s["zl_resolution"] * st["start"] or \
                            len(st["steps"]) >= 12:
                        st["done"] = True
                    else:
                        st["rate"] = (st["lo"] + st["hi"]) / 2
            for (d, loss), st in state.items():
                bt = next((t for t in self.res["trials"] if t.get("tag") == st["best_trial"]),
                          {})
                self.res["zeroloss"].append({
                    "dut": d, "rep": zrep, "loss_pct": loss, "mpps": st["best"] or 0.0,
                    "start": st["start"],
                    "limited_by_start": bool(st["best"] and st["best"] >= st["start"]),
                    "cycles_per_packet": bt.get("dut_cycles_per_packet"),
                    "learn_mode": rep.uniform(x.get("learn_mode") for x in st["steps"]),
                    "learn_lost": bt.get("learn_lost"),
                    "learn_refused": bt.get("learn_refused"),
                    "steps": st["steps"]})
                self.save()

    def unlimited_rate(self, d):
        rs = [t["tx_mpps"] for t in self.res["trials"]
              if t.get("section") == "comparison" and t.get("dut") == d and "error" not in t
              and t.get("quiet")]
        if not rs:
            rs = [t["tx_mpps"] for t in self.res["trials"]
                  if t.get("section") == "comparison" and t.get("dut") == d
                  and "error" not in t]
        if not rs:
            hd.log(f"zero-loss {d}: no unlimited-rate trial to start from, skipped")
            return None
        return max(rs)

    # --- offline benchmarks ---------------------------------------------------------------

    def build(self):
        s = self.s
        path = s["policy_json"]
        if not path:
            path = os.path.join(self.out, "policy-bench.json")
            cmd = [POLICY_BENCH, "--scales", s["policy_bench_scales"], "--json", path,
                   "--csv", os.path.join(self.out, "policy-bench.csv")]
            if s["quick"]:
                cmd += ["--builds", "1", "--reps", "1", "--secs", "0.2"]
            hd.log("build: " + " ".join(cmd))
            cpu.wait_quiet(s["quiet_threshold"], s["quiet_wait"], hd.log)
            with open(os.path.join(self.out, "policy-bench.log"), "w") as lf:
                p = subprocess.run(cmd, stdout=lf, stderr=subprocess.STDOUT, timeout=3600)
            if p.returncode != 0:
                self.res["skipped"]["build"] = f"podwall-policy-bench failed ({p.returncode})"
                return
            self.res["build_command"] = " ".join(cmd)
        with open(path) as f:
            self.res["build"] = json.load(f)
        self.res["build_source"] = path
        self.save()

    def propagation(self):
        s = self.s
        files = list(s["propagation_json"])
        if not files:
            for spec in s["propagation_sizes"].split(","):
                pods, pols = spec.split(":")
                path = os.path.join(self.out, f"propagation-{pods}.json")
                cmd = [sys.executable, PROPAGATION, "--pods", pods, "--policies", pols,
                       "--json", path]
                if s["quick"]:
                    cmd += ["--reps", "5", "--burst", "100", "--burst-reps", "2"]
                hd.log("propagation: " + " ".join(cmd))
                cpu.wait_quiet(s["quiet_threshold"], s["quiet_wait"], hd.log)
                with open(os.path.join(self.out, f"propagation-{pods}.log"), "w") as lf:
                    p = subprocess.run(cmd, stdout=lf, stderr=subprocess.STDOUT,
                                       timeout=3600, cwd=bl.ROOT)
                if p.returncode != 0:
                    self.res["skipped"][f"propagation {spec}"] = \
                        f"propagation_bench.py failed ({p.returncode})"
                    continue
                files.append(path)
        for path in files:
            with open(path) as f:
                self.res["propagation"].append({"source": path, "data": json.load(f)})
        self.save()

    def run(self):
        try:
            self._run()
        except KeyboardInterrupt:
            hd.log("matrix: interrupted; rendering what was measured")
            self.res["interrupted"] = True
            self.save()
            rep.render(self.res, self.out)
            raise
        finally:
            hd.cleanup_runtime()

    def _run(self):
        s = self.s
        duts = s["duts"]
        t0 = time.time()
        hd.log(f"matrix: out {self.out}, DUTs {','.join(duts)}, standard point {s['std']}")
        if "comparison" not in s["skip"]:
            for rep_i in range(s["reps"]):
                for d in duts:
                    self.trial("comparison", "std", self.point(), d, rep_i)
        # The headline figures first, so that a run cut short still has them.
        if "zeroloss" not in s["skip"]:
            self.zeroloss(duts)
        if "build" not in s["skip"]:
            self.build()
        if "propagation" not in s["skip"]:
            self.propagation()
        if "flows" not in s["skip"]:
            self.sweep("flows", s["flows_sweep"], "flows", duts, s["sweep_reps"])
        if "policies" not in s["skip"]:
            # allow-all and testpmd do not read policies: their comparison runs are the
            # reference lines of this figure.
            self.sweep("policies", s["policies_sweep"], "policies",
                       [d for d in duts if d in ("policy", "ovs")], s["sweep_reps"])
        if "size" not in s["skip"]:
            self.sweep("size", s["sizes"], "size", duts, s["sweep_reps"])
        self.res["finished"] = datetime.datetime.now().isoformat(timespec="seconds")
        self.res["wall_s"] = round(time.time() - t0)
        self.save()
        rep.render(self.res, self.out)


def matrix_args(argv):
    ap = argparse.ArgumentParser(prog="harness.py matrix", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    add_args(ap)
    return ap.parse_args(argv)


def main(argv):
    a = matrix_args(argv)
    bl.MEMIF_RSIZE = a.memif_rsize
    m = Matrix(settings(a), a.out, ["matrix", *argv])
    m.run()
    print(open(os.path.join(m.out, "summary.md")).read())


def report_main(argv):
    ap = argparse.ArgumentParser(prog="harness.py report",
                                 description="render results.json again (CSV, plots, "
                                 "summary.md)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    with open(os.path.join(a.out, "results.json")) as f:
        res = json.load(f)
    rep.render(res, a.out)
    print(open(os.path.join(a.out, "summary.md")).read())

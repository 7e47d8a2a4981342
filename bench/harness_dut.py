# SPDX-License-Identifier: Apache-2.0
"""One trial of the harness: podwall-bench (memif server, the generator) against one device
under test (memif clients) on the same two ports, and what both report.

Devices under test:
  policy   podwall, wire mode, policy from the scenario's manifests, conntrack on
  allow    podwall, wire mode, policy source none (allow-all), conntrack off
  testpmd  dpdk-testpmd io forwarding (the ceiling: no lookup at all)
  ovs      Open vSwitch with DPDK (bench/ovs_dut.py), the same policy as OpenFlow + conntrack

CPU layout (two CPUs): the generator's only lcore on CPU 0 (`-l 0`), the DUT's worker on
CPU 1 (podwall workers.lcores [1], testpmd's forwarding lcore 1, OVS's PMD thread on CPU 1),
the DUT's main / control thread on CPU 0 (it sleeps in epoll or on stdin while traffic runs).
"""
import json
import os
import re
import shutil
import signal
import subprocess
import time

import benchlib as bl
import harness_cpu as cpu
from benchlib import BENCH, CTL, PODWALL, log, stop_proc

# Per harness process: two harness runs (or another session's podwall-bench) never share a
# memif socket or a DPDK runtime directory.
TAG = f"pwh{os.getpid()}"
SOCK_A = f"/tmp/{TAG}-a.sock"
SOCK_B = f"/tmp/{TAG}-b.sock"


def cleanup_socks(workdir):
    for p in (SOCK_A, SOCK_B, os.path.join(workdir, "podwall.sock")):
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass


def cleanup_runtime():
    """DPDK's runtime directories of this harness process's prefixes (/var/run/dpdk/TAG-*)."""
    for suffix in ("gen", "dut", "testpmd"):
        shutil.rmtree(f"/var/run/dpdk/{TAG}-{suffix}", ignore_errors=True)


def scenario_dir(out, pt):
    """The scenario's manifests, written once per cluster shape under out/scenarios/."""
    d = os.path.join(out, "scenarios", "p{pods}-n{namespaces}-a{apps}-m{policies}-"
                     "al{allowed}".format(**pt) + "-" + pt.get("shapes", "simple"))
    if not os.path.exists(os.path.join(d, ".done")):
        os.makedirs(os.path.dirname(d), exist_ok=True)
        bl.write_scenario(d, pt)
        open(os.path.join(d, ".done"), "w").close()
    return d


def ct_size_for(pt):
    """podwall's flow table: a power of two >= 2x the flows (half full at most), >= 256k."""
    if pt.get("ct_size"):
        return pt["ct_size"]
    n = 262144
    while n < 2 * pt["flows"]:
        n *= 2
    return n


def generator_learns():
    """Whether this podwall-bench has its own learning phase (--learn)."""
    return bl.bench_supports("--learn")


def ovs_available():
    """(True, None) or (False, why)."""
    try:
        import ovs_dut  # noqa: F401  (bench/ovs_dut.py, written beside this file)
    except ImportError as e:
        return False, f"bench/ovs_dut.py not importable ({e})"
    if not (os.path.exists("/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk")
            or shutil.which("ovs-vswitchd")):
        return False, "Open vSwitch with DPDK not installed (scripts/bench-bootstrap.sh)"
    if not shutil.which("ovs-vsctl") or not shutil.which("ovsdb-server"):
        return False, "ovs-vsctl / ovsdb-server missing (scripts/bench-bootstrap.sh)"
    return True, None


def bench_cmd(pt, json_path, policy, learns):
    """podwall-bench's command line for a point (see Bench)."""
    mem = bl.mem_args(pt.get("huge"), 256 + pt["flows"] * 40 // 2**20)
    cmd = [BENCH, *bl.eal_args(["-l", "0"], mem, f"{TAG}-gen", SOCK_A, SOCK_B, "server")]
    cmd += bl.scenario_args(pt)
    cmd += ["--flows", str(pt["flows"]),
            *bl.timed_args(pt["seconds"], pt.get("prime", 0), learns),
            "--rate", str(pt["rate"]), "--warmup", str(pt["warmup"]), "--hold", "120",
            "--json", json_path]
    cmd += ["--imix"] if pt["size"] == 0 else ["--size", str(pt["size"])]
    cmd += bl.shape_args(pt)
    if pt.get("new"):
        cmd.append("--new")
    if not policy:
        cmd.append("--no-policy")
    return cmd


class Bench:
    """podwall-bench, the memif server, on CPU 0. pt["prime"] seconds of learning come
    before the measured pt["seconds"]: the generator's own (--learn) when `learns`, else
    sent as part of a longer run (see benchlib.timed_args)."""

    def __init__(self, pt, workdir, tag, policy, learns=False):
        self.json = os.path.join(workdir, f"bench-{tag}.json")
        self.logpath = os.path.join(workdir, f"bench-{tag}.log")
        for p in (self.json,):
            if os.path.exists(p):
                os.unlink(p)
        self.cmd = bench_cmd(pt, self.json, policy, learns)
        self.t_start = time.monotonic()
        self.proc, self.lf = bl.start_bench(self.cmd, self.logpath, 30)

    def text(self):
        return bl.read_text(self.logpath)

    def lines(self):
        """The per-second progress lines so far: [(second, tx Mpps, rx Mpps)]."""
        return bl.progress(self.text())

    def wait_lines(self, n, timeout):
        """Wait for n progress lines (n seconds of sending); n = 0: return at once."""
        deadline = time.time() + timeout
        while len(self.lines()) < n:
            if self.proc.poll() is not None or time.time() > deadline:
                return False
            time.sleep(0.05)
        return True

    def wait_json(self, timeout):
        """The bench writes its JSON, then holds the links up: read the DUT meanwhile."""
        deadline = time.time() + timeout
        while not os.path.exists(self.json):
            if self.proc.poll() is not None or time.time() > deadline:
                return False
            time.sleep(0.05)
        time.sleep(0.05)  # written and closed
        return True

    def finish(self):
        """Stop the hold (SIGINT ends it at once) and read the result."""
        stop_proc(self.proc, timeout=20)
        self.lf.close()
        if self.proc.returncode not in (0, 2, -signal.SIGINT):
            raise RuntimeError(f"podwall-bench failed ({self.proc.returncode}), "
                               f"see {self.logpath}")
        if not os.path.exists(self.json):
            raise RuntimeError(f"podwall-bench wrote no JSON, see {self.logpath}")
        with open(self.json) as f:
            res = json.load(f)
        res["bench_exit"] = self.proc.returncode  # 2: a denied packet arrived
        return res

    def kill(self):
        stop_proc(self.proc)
        bl.close_log(self)


# --- devices under test -------------------------------------------------------------------


class PodwallDut:
    def __init__(self, pt, workdir, tag, policy, scenario):
        self.pt, self.workdir, self.policy, self.scenario = pt, workdir, policy, scenario
        self.sock = os.path.join(workdir, "podwall.sock")
        self.logpath = os.path.join(workdir, f"dut-{tag}.log")
        self.proc = None
        self.stats = None
        self.match = ()

    def config(self):
        pt = self.pt
        ct = ct_size_for(pt)
        mem = 256 + ct * 160 // 2**20 + 64  # 148 B per entry and its index
        if not pt.get("huge"):
            mem = max(1024, mem)
        path = os.path.join(self.workdir, f"podwall-{'policy' if self.policy else 'allow'}.yaml")
        return bl.podwall_config(path, sock_a=SOCK_A, sock_b=SOCK_B, socket_path=self.sock,
                                 huge=pt.get("huge"), memory_mb=mem, mbufs=16383,
                                 eal=[f"--file-prefix={TAG}-dut", "--log-level=*:warning"],
                                 workers=[1], conntrack=self.policy, ct_size=ct,
                                 manifests=self.scenario if self.policy else None)

    def ctl(self, *args):
        return bl.podwallctl([CTL], self.sock, *args)

    def start(self, timeout=180):
        cfg = self.config()
        self.lf = open(self.logpath, "w")
        self.proc = subprocess.Popen([PODWALL, "-c", cfg], stdout=self.lf,
                                     stderr=subprocess.STDOUT)
        self.status = bl.wait_podwall(self.proc, self.ctl, self.policy, timeout, self.logpath)

    def begin(self):
        """Ready: zero the counters (again at reset(), after the learning phase)."""
        self.ctl("stats-reset")

    def reset(self):
        self.ctl("stats-reset")

    def read(self):
        st = self.ctl("stats")
        self.stats = st
        lc = st["lcores"][0]
        res = {"dut_cycles_per_packet": lc["cycles_per_packet"],
               "dut_packets": st["totals"]["rx_packets"],
               "dut_dropped": st["totals"].get("dropped"),
               "dut_busy_polls": lc.get("busy_polls"), "dut_polls": lc.get("polls"),
               "tsc_hz": lc.get("tsc_hz")}
        if lc.get("busy_polls"):
            res["dut_burst"] = lc["packets"] / lc["busy_polls"] if "packets" in lc else \
                st["totals"]["rx_packets"] / lc["busy_polls"]
        pol = (getattr(self, "status", None) or {}).get("policy") or {}
        acl = pol.get("acl_rules")
        if isinstance(acl, dict):  # the rte_acl rules the worker classifies against
            res["dut_rules"] = (acl.get("ipv4") or 0) + (acl.get("ipv6") or 0)
        if isinstance(pol.get("identities"), int):
            res["dut_identities"] = pol["identities"]
        return res

    def stop(self):
        stop_proc(self.proc)
        bl.close_log(self)

    def save(self, path):
        if self.stats is not None:
            with open(path, "w") as f:
                json.dump({"stats": self.stats, "status": getattr(self, "status", None)}, f,
                          indent=1)


class TestpmdDut:
    """dpdk-testpmd io forwarding, driven over stdin (start, then stop while the links are
    up: memif reports counters only then)."""

    def __init__(self, pt, workdir, tag):
        self.pt = pt
        self.logpath = os.path.join(workdir, f"dut-{tag}.log")
        self.proc = None
        self.match = ()

    def start(self, timeout=60):
        pt = self.pt
        self.lf = open(self.logpath, "w")
        # stdbuf: testpmd printf()s to a file; unbuffered, the prompt (no newline) shows at once.
        mem = bl.mem_args(pt.get("huge"), 512 if pt.get("huge") else 1024)
        cmd = ["stdbuf", "-o0", "-e0", "dpdk-testpmd",
               *bl.eal_args(["-l", "0,1"], mem, f"{TAG}-testpmd", SOCK_A, SOCK_B, "client"),
               "-i", "--forward-mode=io", "--record-core-cycles",
               "--record-burst-stats", "--nb-cores=1", "--rxq=1", "--txq=1",
               "--total-num-mbufs=16384"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=self.lf,
                                     stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + timeout
        while "testpmd>" not in open(self.logpath).read():
            if self.proc.poll() is not None:
                raise RuntimeError(f"testpmd exited ({self.proc.returncode}), "
                                   f"see {self.logpath}")
            if time.time() > deadline:
                raise RuntimeError(f"testpmd did not come up, see {self.logpath}")
            time.sleep(0.1)

    def cmd(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def begin(self):
        self.cmd("start")

    def reset(self):
        """Forwarding statistics, core cycles included, from now on."""
        self.cmd("clear fwd stats all")

    def read(self):
        mark = len(open(self.logpath).read())
        self.cmd("stop")
        deadline = time.time() + 10
        text = ""
        while time.time() < deadline:
            text = open(self.logpath).read()[mark:]
            if "Done." in text or "CPU cycles/packet" in text:
                time.sleep(0.1)
                text = open(self.logpath).read()[mark:]
                break
            time.sleep(0.05)
        m = re.findall(r"CPU cycles/packet=([0-9.]+)", text)
        rx = re.findall(r"RX-packets:\s+(\d+)", text)
        hz = re.findall(r"at (\d+) MHz Clock", text)
        res = {"dut_cycles_per_packet": float(m[-1]) if m else None,
               "dut_packets": int(rx[-1]) if rx else None,
               "tsc_hz": int(hz[-1]) * 1000000 if hz else None}
        # --record-burst-stats: "TX-bursts : N [...]": io forwarding transmits only what a
        # non-empty receive brought, so packets / TX-bursts is the mean busy burst.
        tx = re.findall(r"TX-packets:\s+(\d+)", text)
        b = [int(x) for x in re.findall(r"TX-bursts\s*:\s*(\d+)", text)]
        if b and tx and sum(b):
            res["dut_burst"] = int(tx[-1]) / sum(b)
        return res

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.cmd("quit")
                self.proc.wait(timeout=20)
            except (BrokenPipeError, subprocess.TimeoutExpired, OSError):
                pass
        stop_proc(self.proc)
        bl.close_log(self)

    def save(self, path):
        pass


class OvsAdapter:
    """bench/ovs_dut.py's OvsDut behind the harness's DUT interface."""

    def __init__(self, pt, workdir, tag, scenario):
        import ovs_dut
        self.workdir = os.path.join(workdir, f"ovs-{tag}")
        os.makedirs(self.workdir, exist_ok=True)
        self.logpath = os.path.join(workdir, f"dut-{tag}.log")
        self.lf = open(self.logpath, "w")

        def olog(*a):
            print(*a, file=self.lf, flush=True)
        self.dut = ovs_dut.OvsDut(self.workdir, scenario, SOCK_A, SOCK_B, pmd_cpu=1,
                                  main_cpu=0, conntrack=True, log=olog)
        self.match = (self.workdir,)
        self.st = None

    def start(self, timeout=120):
        self.dut.start(timeout=timeout)

    def begin(self):
        self.dut.reset_stats()

    def reset(self):
        self.dut.reset_stats()

    def read(self):
        cpp = self.dut.cycles_per_packet()
        try:
            self.st = self.dut.stats()
        except Exception as e:  # the stats are a record; the cycles are the figure
            self.st = {"error": str(e)}
        res = {"dut_cycles_per_packet": cpp}
        st = self.st if isinstance(self.st, dict) else {}
        for k_out, keys in (("dut_packets", ("packets",)),
                            ("dut_rules", ("flows_installed",))):
            for k in keys:
                if isinstance(st.get(k), (int, float)):
                    res[k_out] = st[k]
                    break
        return res

    def stop(self):
        try:
            self.dut.stop()
        finally:
            bl.close_log(self)

    def save(self, path):
        if self.st is not None:
            with open(path, "w") as f:
                json.dump(self.st, f, indent=1, default=str)


def make_dut(name, pt, workdir, tag, scenario):
    if name == "policy":
        return PodwallDut(pt, workdir, tag, True, scenario)
    if name == "allow":
        return PodwallDut(pt, workdir, tag, False, scenario)
    if name == "testpmd":
        return TestpmdDut(pt, workdir, tag)
    if name == "ovs":
        return OvsAdapter(pt, workdir, tag, scenario)
    raise ValueError(f"unknown DUT {name}")


# --- one trial ----------------------------------------------------------------------------


def renice(pids, nice):
    """Set every thread of these processes to `nice` (the DUT's, the generator's)."""
    for pid in pids:
        for t in cpu.threads_of(pid):
            try:
                os.setpriority(os.PRIO_PROCESS, int(t), nice)
            except OSError:
                pass


def run_trial(out, pt, dut_name, tag, warmup_state, nice=0):
    """Run the generator against one DUT once. pt: the point (pods, namespaces, apps, policies,
    allowed, flows, size (0 = IMIX), new, rate, seconds, prime, warmup, proto, ipv6, bidir,
    huge).

    The first `prime` seconds of traffic let the DUT learn the flows (podwall's and OVS's
    conntrack entries, OVS's megaflows); then the DUT's counters are reset and the measured
    window of `seconds` starts: the DUT's cycles per packet and the CPU window cover only it.
    A podwall-bench with --learn resets its own counters at the same moment, so its rates,
    loss, refusals and latency cover only the window too, and its learning phase's totals are
    recorded beside them (learn_sent, learn_received, learn_refused, learn_lost). An older one
    sends for prime + seconds: the rates then come from its per-second lines inside the
    window, and its loss and latency cover the whole run (learn_mode "harness").

    warmup_state: {dut_name: seconds}, kept across trials: the generator's warm-up (after
    link-up, before sending) grows when a DUT took longer to get ready than the prime allows.
    nice: scheduling priority for the generator's and the DUT's threads (0: as started)."""
    workdir = os.path.join(out, "runs")
    os.makedirs(workdir, exist_ok=True)
    scen = scenario_dir(out, pt) if dut_name in ("policy", "ovs") else None
    p = dict(pt)
    p["warmup"] = max(pt["warmup"], warmup_state.get(dut_name, 0))
    prime = p.get("prime", 0)
    learns = bool(prime) and generator_learns()
    attempt = 0
    while True:
        attempt += 1
        cleanup_socks(workdir)
        bench, dut = None, None
        try:
            bench = Bench(p, workdir, tag, dut_name in ("policy", "ovs"), learns)
            dut = make_dut(dut_name, p, workdir, tag, scen)
            dut.start()
            t_ready = time.monotonic() - bench.t_start
            dut.begin()
            sent_at_ready = len(bench.lines())
            if sent_at_ready >= max(1, prime):
                need = int(t_ready) + 3
                warmup_state[dut_name] = max(need, p["warmup"] + 2)
                log(f"  {dut_name}: ready after {t_ready:.1f} s, {sent_at_ready} s into the "
                    f"run: warm-up {p['warmup']} -> {warmup_state[dut_name]} s, again")
                if attempt >= 3:
                    raise RuntimeError(f"{dut_name} never ready before the generator sent")
                p["warmup"] = warmup_state[dut_name]
                continue
            our_match = tuple(dut.match) + (os.path.abspath(out),)
            if nice:
                renice(cpu.ours(os.getpid(), our_match), nice)
            if not bench.wait_lines(bl.learn_lines(prime), p["warmup"] + t_ready + prime + 60):
                raise RuntimeError(f"the generator never sent, see {bench.logpath}")
            dut.reset()
            a = cpu.snapshot()
            l0 = len(bench.lines())
            if not bench.wait_json(p["seconds"] + prime + 60):
                raise RuntimeError(f"no result from the generator, see {bench.logpath}")
            b = cpu.snapshot()
            dres = dut.read()
            win = cpu.window(a, b, bench.proc.pid, cpu.ours(os.getpid(), our_match))
            res = bench.finish()
            steady = bench.lines()[l0:] if prime else []
            dut.save(os.path.join(workdir, f"dut-stats-{tag}.json"))
        finally:
            if bench is not None:
                bench.kill()
            if dut is not None:
                dut.stop()
            cleanup_socks(workdir)
        res.update(dres)
        res["dut"] = dut_name
        if dut_name in ("policy", "allow"):  # other sessions rebuild it: which build ran
            res["podwall_mtime"] = time.strftime("%Y-%m-%dT%H:%M:%S",
                                                 time.localtime(os.path.getmtime(PODWALL)))
        res["ready_s"] = round(t_ready, 2)
        res["warmup_s"] = p["warmup"]
        res["prime_s"] = prime
        res["cpu"] = win
        res["quiet"] = cpu.is_quiet(win)
        bl.measured_window(res, steady, prime, learns)
        if t_ready + 2 > p["warmup"] + prime:
            warmup_state[dut_name] = max(warmup_state.get(dut_name, 0), int(t_ready) + 2)
        return res

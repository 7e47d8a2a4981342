#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Open vSwitch with DPDK as a device under test: the peer podwall is measured against, on the
same memif ports, with the scenario's NetworkPolicies as OpenFlow with conntrack the way
Antrea programs OVS (bench/ovs/netpol_flows.py). See bench/README.md, "Open vSwitch with DPDK
(the peer)".

    dut = OvsDut(workdir, scenario_dir, sock_a, sock_b, pmd_cpu=1, main_cpu=0, conntrack=True)
    dut.start()             # after podwall-bench (the memif server) is up
    dut.reset_stats()
    ...traffic...
    dut.cycles_per_packet() # busy cycles per received packet of the PMD thread since reset
    dut.stats()
    dut.stop()

Standalone:
    python3 bench/ovs_dut.py --selftest [--pods 1000 --policies 100 --flows 1024 --seconds 5]
    python3 bench/ovs_dut.py --trace-check bench/ovs/testdata/features.yaml

A private ovsdb-server and ovs-vswitchd-dpdk run under WORKDIR/ovs/ (run, db, log, etc), never
the system's; DPDK runs with --no-huge and --file-prefix pwovs; everything is stopped and
removed by stop().
"""
import ctypes
import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "ovs"))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
import netpol_flows  # noqa: E402
import benchlib as bl  # noqa: E402

VSWITCHD = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
SHIM_SRC = os.path.join(HERE, "ovs", "memif_txq_shim.c")
BRIDGE = "pwovs0"
FILE_PREFIX = "pwovs"
BENCH_PREFIX = "pwovsbench"  # the selftest's podwall-bench
DPDK_RUN = "/var/run/dpdk"
# One OvsDut at a time on this machine: the netdev datapath's tap ("ovs-netdev"), the bridge's
# tap, the DPDK file prefix and the PMD's CPU are all shared.
LOCK = "/tmp/pw-ovs-dut.lock"


def _stop_proc(proc, timeout=10):
    """Stop one process we started, by its pid: SIGTERM, then SIGKILL."""
    bl.stop_proc(proc, signal.SIGTERM, timeout)


def _lock_holder(path, mode, lock, how):
    """Try a non-blocking lock (`lock`: fcntl.flock or fcntl.lockf, `how`: LOCK_SH or
    LOCK_EX) on path and let it go at once: None when it was free or the file is missing,
    else the file's first bytes (our lock file: its holder's pid) or "?"."""
    try:
        fd = os.open(path, mode)
    except OSError:
        return None
    try:
        lock(fd, how | fcntl.LOCK_NB)
        return None
    except OSError:
        return os.read(fd, 64).decode(errors="replace").strip() or "?"
    finally:
        os.close(fd)  # releases a lock taken here


def ovs_dut_busy():
    """The pid holding the OvsDut lock (another OvsDut is running), else None."""
    return _lock_holder(LOCK, os.O_RDONLY, fcntl.flock, fcntl.LOCK_SH)


def _prefix_in_use(prefix):
    """Whether a live DPDK primary holds /var/run/dpdk/PREFIX/config (EAL keeps a lock)."""
    return _lock_holder(os.path.join(DPDK_RUN, prefix, "config"), os.O_RDWR, fcntl.lockf,
                        fcntl.LOCK_EX) is not None


def _num(text, key):
    m = re.search(r"^\s*" + re.escape(key) + r":\s*([0-9.]+)", text, re.M)
    return float(m.group(1)) if m else None


class OvsDut:
    """ovsdb-server + ovs-vswitchd-dpdk, one netdev bridge, ports a (ofport 1) and b (2),
    memif clients of sock_a / sock_b, one PMD thread on pmd_cpu; the other threads on
    main_cpu. scenario_dir: the manifests to enforce (None: plain forwarding 1 <-> 2, no
    conntrack: OVS's own ceiling). conntrack=False: the same policy, stateless."""

    def __init__(self, workdir, scenario_dir, sock_a, sock_b, pmd_cpu=1, main_cpu=0,
                 conntrack=True, log=print):
        self.dir = os.path.join(os.path.abspath(workdir), "ovs")
        self.scenario_dir = scenario_dir
        self.socks = (sock_a, sock_b)
        self.pmd_cpu, self.main_cpu = pmd_cpu, main_cpu
        self.conntrack = conntrack and scenario_dir is not None
        self.log = log
        self.run_dir = os.path.join(self.dir, "run")
        self.db_sock = os.path.join(self.run_dir, "db.sock")
        self.db_ctl = os.path.join(self.run_dir, "ovsdb-server.ctl")
        self.sw_ctl = os.path.join(self.run_dir, "ovs-vswitchd.ctl")
        self.mgmt = os.path.join(self.run_dir, BRIDGE + ".mgmt")
        self.env = dict(os.environ, OVS_RUNDIR=self.run_dir,
                        OVS_DBDIR=os.path.join(self.dir, "db"),
                        OVS_LOGDIR=os.path.join(self.dir, "log"),
                        OVS_SYSCONFDIR=os.path.join(self.dir, "etc"))
        self.db_proc = self.sw_proc = None
        self.info = {}
        self._base = {}
        self.cluster = None
        self.lock_fd = None

    # --- commands ------------------------------------------------------------------------
    def _run(self, cmd, timeout=30):
        return bl.run_checked(cmd, f"{' '.join(cmd[:4])}...", timeout, self.env)

    def vsctl(self, *args, timeout=30):
        return self._run(["ovs-vsctl", f"--db=unix:{self.db_sock}", f"--timeout={timeout}",
                          *args], timeout=timeout + 5)

    def appctl(self, *args, target=None, timeout=30):
        return self._run(["ovs-appctl", "-t", target or self.sw_ctl, f"--timeout={timeout}",
                          *args], timeout=timeout + 5)

    def ofctl(self, *args, timeout=120):
        return self._run(["ovs-ofctl", "-O", "OpenFlow15", *args], timeout=timeout)

    def _affinity(self):
        """preexec_fn of the daemons: pinned to main_cpu, and SIGTERM if we die (no daemon
        left busy-polling CPU 1 after a crashed harness)."""
        cpu = self.main_cpu

        def pre():
            os.sched_setaffinity(0, {cpu})
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        return pre

    def _wait(self, what, cond, timeout, proc=None, logf=None):
        deadline = time.time() + timeout
        while True:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{what}: process exited ({proc.returncode}), see {logf}")
            try:
                if cond():
                    return
            except (RuntimeError, subprocess.TimeoutExpired, OSError):
                pass
            if time.time() > deadline:
                raise RuntimeError(f"{what}: not after {timeout} s, see {logf}")
            time.sleep(0.1)

    # --- life cycle ----------------------------------------------------------------------
    def _program(self):
        t = time.time()
        cluster = None
        if self.scenario_dir is not None:
            cluster = netpol_flows.load_manifests(self.scenario_dir)
        t_load = time.time() - t
        prog = netpol_flows.translate(cluster, conntrack=self.conntrack)
        self.info.update(load_s=t_load, translate_s=time.time() - t - t_load,
                         flows_written=len(prog.lines), rules=prog.rules,
                         conjunctions=prog.conjunctions, rules_matching_nothing=prog.skipped_rules)
        if cluster is not None:
            self.info.update(pods=len(cluster.endpoints), policies=len(cluster.policies),
                             isolated_ingress=prog.isolated_ingress,
                             isolated_egress=prog.isolated_egress,
                             ignored_kinds=cluster.ignored)
        self.cluster = cluster
        path = os.path.join(self.dir, "flows.txt")
        with open(path, "w") as f:
            f.write("\n".join(prog.lines) + "\n")
        return path

    def _shim(self):
        so = os.path.join(self.dir, "memif_txq_shim.so")
        cflags = self._run(["pkg-config", "--cflags", "libdpdk"]).split()
        self._run(["cc", "-O2", "-Wall", "-Werror", "-shared", "-fPIC", *cflags, SHIM_SRC,
                   "-o", so, "-ldl"], timeout=120)
        return so

    def _lock(self):
        fd = os.open(LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 64).decode(errors="replace").strip()
            os.close(fd)
            raise RuntimeError(f"another OvsDut is running (pid {holder or '?'}, {LOCK})")
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.lock_fd = fd

    def start(self, timeout=60):
        if self.sw_proc is not None:
            raise RuntimeError("OvsDut already started")
        self._lock()
        try:
            return self._start(timeout)
        except BaseException:
            self.stop()
            raise

    def _start(self, timeout):
        if _prefix_in_use(FILE_PREFIX):
            raise RuntimeError(f"a DPDK process already uses --file-prefix {FILE_PREFIX}")
        shutil.rmtree(os.path.join(DPDK_RUN, FILE_PREFIX), ignore_errors=True)
        for d in ("run", "db", "log", "etc"):
            shutil.rmtree(os.path.join(self.dir, d), ignore_errors=True)
            os.makedirs(os.path.join(self.dir, d))
        flows = self._program()  # fails loudly (Unsupported) before anything starts
        shim = self._shim()
        logd = os.path.join(self.dir, "log")
        db = os.path.join(self.dir, "db", "conf.db")
        self._run(["ovsdb-tool", "create", db, SCHEMA])
        self._start_procs(db, logd, shim, flows, timeout)
        return self

    def _start_procs(self, db, logd, shim, flows, timeout):
        t0 = time.time()
        dlog = os.path.join(logd, "ovsdb-server.log")
        self.db_out = open(os.path.join(logd, "ovsdb-server.out"), "w")
        self.db_proc = subprocess.Popen(
            ["ovsdb-server", db, f"--remote=punix:{self.db_sock}", f"--unixctl={self.db_ctl}",
             f"--pidfile={os.path.join(self.run_dir, 'ovsdb-server.pid')}",
             f"--log-file={dlog}"], env=self.env, stdout=self.db_out,
            stderr=subprocess.STDOUT, preexec_fn=self._affinity())
        self._wait("ovsdb-server", lambda: os.path.exists(self.db_sock), 15, self.db_proc, dlog)
        extra = (f"--no-huge -m 1024 --legacy-mem --no-pci --file-prefix {FILE_PREFIX} "
                 "--log-level=*:warning")
        self.vsctl("--no-wait", "init")
        self.vsctl("--no-wait", "set", "Open_vSwitch", ".",
                   "other_config:dpdk-init=true",
                   f"other_config:dpdk-lcore-mask=0x{1 << self.main_cpu:x}",
                   f"other_config:pmd-cpu-mask=0x{1 << self.pmd_cpu:x}",
                   f'other_config:dpdk-extra="{extra}"')
        slog = os.path.join(logd, "ovs-vswitchd.log")
        self.sw_out = open(os.path.join(logd, "ovs-vswitchd.out"), "w")
        # --legacy-mem: OVS adds --in-memory unless it is given, and --no-huge implies it.
        self.sw_proc = subprocess.Popen(
            [VSWITCHD, f"unix:{self.db_sock}", f"--unixctl={self.sw_ctl}",
             f"--pidfile={os.path.join(self.run_dir, 'ovs-vswitchd.pid')}",
             f"--log-file={slog}"], env=dict(self.env, LD_PRELOAD=shim),
            stdout=self.sw_out, stderr=subprocess.STDOUT, preexec_fn=self._affinity())
        self._wait("ovs-vswitchd DPDK init",
                   lambda: self.vsctl("get", "Open_vSwitch", ".", "dpdk_initialized",
                                      timeout=5).strip() == "true", timeout, self.sw_proc, slog)
        self.vsctl("add-br", BRIDGE, "--", "set", "Bridge", BRIDGE, "datapath_type=netdev",
                   "fail_mode=secure", "protocols=OpenFlow10,OpenFlow13,OpenFlow15",
                   "other_config:disable-in-band=true")
        self._wait("bridge", lambda: os.path.exists(self.mgmt), 15, self.sw_proc, slog)
        t = time.time()
        self.ofctl("del-flows", f"unix:{self.mgmt}")
        self.ofctl("--bundle", "add-flows", f"unix:{self.mgmt}", flows, timeout=600)
        self.info["install_s"] = time.time() - t
        agg = self.ofctl("dump-aggregate", f"unix:{self.mgmt}")
        self.info["flows_installed"] = int(re.search(r"flow_count=(\d+)", agg).group(1))
        if self.info["flows_installed"] != self.info["flows_written"]:
            raise RuntimeError(f"{self.info['flows_written']} flows written, "
                               f"{self.info['flows_installed']} installed")
        for i, (name, sock) in enumerate(zip("ab", self.socks)):
            self.vsctl("add-port", BRIDGE, name, "--", "set", "Interface", name, "type=dpdk",
                       f"ofport_request={i + 1}",
                       f"options:dpdk-devargs={bl.memif_dev(i, 'client', sock)}")
        for name in "ab":
            self._wait(f"port {name} link up",
                       lambda: self.vsctl("get", "Interface", name, "link_state",
                                          timeout=5).strip() == "up",
                       max(5, timeout - (time.time() - t0)), self.sw_proc, slog)
        for i, name in enumerate("ab"):  # the flows name the ports 1 and 2
            if self.vsctl("get", "Interface", name, "ofport").strip() != str(i + 1):
                raise RuntimeError(f"port {name} is not OpenFlow port {i + 1}")
        self._check_pmd()
        self.info["start_s"] = time.time() - t0
        self.log(f"ovs: up in {self.info['start_s']:.1f} s, {self.info['flows_installed']} "
                 f"OpenFlow flows installed in {self.info['install_s']:.2f} s "
                 f"({'conntrack' if self.conntrack else 'stateless'}"
                 f"{'' if self.scenario_dir else ', no policy'})")

    def _check_pmd(self):
        """The PMD thread must be alone on pmd_cpu, as podwall's worker and testpmd's are."""
        pid = self.sw_proc.pid
        pmds = []
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                comm = f.read().strip()
            if comm.startswith("pmd"):
                pmds.append((comm, os.sched_getaffinity(int(tid))))
        if len(pmds) != 1 or pmds[0][1] != {self.pmd_cpu}:
            raise RuntimeError(f"PMD threads {pmds}, wanted one on CPU {self.pmd_cpu}")
        self.info["pmd_thread"] = pmds[0][0]

    def stop(self):
        """Stop both daemons (ours, by pid), remove the bridge, sockets and DPDK run files.
        Every step runs even if one fails or is interrupted; the first error is raised."""
        first = None
        for step in (self._stop_switch, self._stop_db, self._cleanup):
            try:
                step()
            except BaseException as e:  # an interrupt must not leave a daemon behind
                first = first or e
        if first is not None:
            raise first

    def _stop_daemon(self, attr, graceful):
        """Stop the daemon in self.attr: graceful() (its own exit command, then a bounded
        wait) while it runs, then by its pid whatever happened."""
        proc = getattr(self, attr)
        try:
            if proc is not None and proc.poll() is None:
                try:
                    graceful(proc)
                except (RuntimeError, subprocess.TimeoutExpired):
                    pass
        finally:
            _stop_proc(proc)
            setattr(self, attr, None)

    def _stop_switch(self):
        def graceful(proc):
            self.vsctl("--if-exists", "del-br", BRIDGE, timeout=15)
            self.appctl("exit", "--cleanup", timeout=15)
            proc.wait(timeout=20)
        self._stop_daemon("sw_proc", graceful)

    def _stop_db(self):
        def graceful(proc):
            self.appctl("exit", target=self.db_ctl, timeout=10)
            proc.wait(timeout=10)
        self._stop_daemon("db_proc", graceful)

    def _cleanup(self):
        for f in ("sw_out", "db_out"):
            if getattr(self, f, None) is not None:
                getattr(self, f).close()
                setattr(self, f, None)
        if not _prefix_in_use(FILE_PREFIX):
            shutil.rmtree(os.path.join(DPDK_RUN, FILE_PREFIX), ignore_errors=True)
        if os.path.isdir(self.run_dir):
            for f in os.listdir(self.run_dir):
                p = os.path.join(self.run_dir, f)
                if not os.path.isdir(p):
                    os.unlink(p)
        if self.lock_fd is not None:
            os.close(self.lock_fd)  # releases the flock
            self.lock_fd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- figures -------------------------------------------------------------------------
    def _pmd_block(self):
        text = self.appctl("dpif-netdev/pmd-stats-show")
        for block in re.split(r"\n(?=\S)", text):
            if re.search(rf"pmd thread numa_id \d+ core_id {self.pmd_cpu}:", block):
                return block
        raise RuntimeError(f"no PMD on core {self.pmd_cpu} in pmd-stats-show:\n{text}")

    def _counters(self):
        cov = self.appctl("coverage/read-counter", "drop_action_of_pipeline", timeout=10)
        out = {"drop_action_of_pipeline": int(cov.strip() or 0)}
        for name in "ab":
            st = self.vsctl("get", "Interface", name, "statistics", timeout=10)
            for k, v in re.findall(r"(\w+)=(\d+)", st):
                out[f"{name}.{k}"] = int(v)
        return out

    def reset_stats(self):
        """pmd-stats-clear; counters without a clear (drops, port statistics) are read now and
        reported as differences by stats()."""
        self.appctl("dpif-netdev/pmd-stats-clear")
        self._base = self._counters()

    def cycles_per_packet(self):
        """The PMD's busy ("processing") cycles per received packet since reset_stats(), as
        pmd-stats-show's "avg processing cycles per packet"; None before any packet."""
        b = self._pmd_block()
        pkts, busy = _num(b, "packets received"), _num(b, "processing cycles")
        return busy / pkts if pkts else None

    def stats(self):
        b = self._pmd_block()
        pkts = _num(b, "packets received") or 0
        s = {"pmd_cpu": self.pmd_cpu, "conntrack": self.conntrack,
             "policy": self.scenario_dir is not None,
             "packets": pkts, "processing_cycles": _num(b, "processing cycles"),
             "idle_cycles": _num(b, "idle cycles"),
             "cycles_per_packet": (_num(b, "processing cycles") / pkts) if pkts else None,
             "recirculations": _num(b, "packet recirculations"),
             "passes_per_packet": _num(b, "avg. datapath passes per packet"),
             "simple_match_hits": _num(b, "simple match hits"),
             "emc_hits": _num(b, "emc hits"), "smc_hits": _num(b, "smc hits"),
             "megaflow_hits": _num(b, "megaflow hits"),
             "upcalls": _num(b, "miss with success upcall"),
             "failed_upcalls": _num(b, "miss with failed upcall"),
             "packets_per_output_batch": _num(b, "avg. packets per output batch")}
        m = re.search(r"flows:\s*(\d+)", self.appctl("dpctl/show"))
        s["datapath_megaflows"] = int(m.group(1)) if m else None
        s["conntrack_entries"] = int(self.appctl("dpctl/ct-get-nconns").strip() or 0)
        now = self._counters()
        s["since_reset"] = {k: v - self._base.get(k, 0) for k, v in now.items()}
        s.update(self.info)
        s["pmd_perf_show"] = self.appctl("dpif-netdev/pmd-perf-show")
        return s


if __name__ == "__main__":
    import ovs_checks  # bench/ovs/ovs_checks.py: --selftest, --trace-check
    sys.exit(ovs_checks.main())

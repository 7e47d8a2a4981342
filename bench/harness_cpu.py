# SPDX-License-Identifier: Apache-2.0
"""Who had the CPUs during a trial: per-thread run time from /proc/*/task/*/schedstat and
per-CPU steal from /proc/stat, snapshotted at the start and the end of the measured window.

A busy-polling thread that owned its CPU for the whole window has run time == wall time; the
difference is time the scheduler (or the hypervisor: steal) gave to someone else. The harness
uses this to tell a quiet trial from a preempted one on a shared machine, and reports both.
"""
import os
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def _proc_table():
    """{pid: ppid} and {pid: cmdline} of every process."""
    ppid, cmd = {}, {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        st = _read(f"/proc/{d}/stat")
        if st is None:
            continue
        # comm may hold spaces and parentheses: split after the last ')'.
        rest = st[st.rfind(")") + 2:].split()
        ppid[int(d)] = int(rest[1])
        cmd[int(d)] = (_read(f"/proc/{d}/cmdline") or "").replace("\0", " ")
    return ppid, cmd


def _cpu_steal():
    """{cpu: (steal_ticks, busy_ticks)} from /proc/stat; busy = user + nice + system + irq +
    softirq: every process's time, those that started and ended between two reads included."""
    out = {}
    for line in (_read("/proc/stat") or "").splitlines():
        if line.startswith("cpu") and line[3:4].isdigit():
            f = line.split()
            v = [int(x) for x in f[1:]] + [0] * 8
            out[int(f[0][3:])] = (v[7], v[0] + v[1] + v[2] + v[5] + v[6])
    return out


def threads_of(pid):
    """The thread ids (strings) of a process; [] if it is gone."""
    try:
        return os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []


def snapshot():
    """Run time (ns) of every thread of every process, keyed by tid, plus steal per CPU."""
    threads = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        for t in threads_of(d):
            ss = _read(f"/proc/{d}/task/{t}/schedstat")
            if ss is None:
                continue
            f = ss.split()
            threads[int(t)] = (int(d), int(f[0]), int(f[1]))  # pid, run ns, wait ns
    return {"t": time.monotonic(), "threads": threads, "steal": _cpu_steal()}


def thread_info(tid):
    """comm, last CPU and allowed CPUs of a thread (for the record: was it pinned?)."""
    st = _read(f"/proc/{tid}/stat")
    comm = (_read(f"/proc/{tid}/comm") or "?").strip()
    cpu = None
    if st is not None:
        rest = st[st.rfind(")") + 2:].split()
        cpu = int(rest[36]) if len(rest) > 36 else None
    try:
        allowed = sorted(os.sched_getaffinity(tid))
    except OSError:
        allowed = None
    return {"comm": comm, "last_cpu": cpu, "allowed_cpus": allowed}


def ours(root_pid, match=()):
    """Pids of root_pid's descendants, plus processes whose command line contains one of the
    strings in match (daemons that detach, such as ovs-vswitchd --detach)."""
    ppid, cmd = _proc_table()
    kids = {}
    for p, pp in ppid.items():
        kids.setdefault(pp, []).append(p)
    res, todo = set(), [root_pid]
    while todo:
        p = todo.pop()
        for c in kids.get(p, ()):
            if c not in res:
                res.add(c)
                todo.append(c)
    for p, c in cmd.items():
        if any(m and m in c for m in match):
            res.add(p)
    return res


def window(a, b, gen_pid, our_pids):
    """Summarise two snapshots: the generator's main thread, the busiest other thread of ours
    (the DUT's worker), everything not ours (other users of the machine), and steal."""
    wall = b["t"] - a["t"]
    if wall <= 0:
        return None
    delta = {}
    for tid, (pid, run, wait) in b["threads"].items():
        pa = a["threads"].get(tid)
        r0, w0 = (pa[1], pa[2]) if pa else (0, 0)
        delta[tid] = (pid, (run - r0) / 1e9, (wait - w0) / 1e9)
    gen = delta.get(gen_pid, (gen_pid, 0.0, 0.0))
    dut_tid, dut = None, (None, 0.0, 0.0)
    mine = 0.0
    for tid, d in delta.items():
        if d[0] in our_pids or d[0] == gen_pid or d[0] == os.getpid():
            mine += d[1]
        if d[0] in our_pids and d[0] != gen_pid and d[1] > dut[1]:
            dut_tid, dut = tid, d
    steal = busy = 0.0
    for cpu, (s1, b1) in b["steal"].items():
        s0, b0 = a["steal"].get(cpu, (s1, b1))
        steal += (s1 - s0) / CLK_TCK
        busy += (b1 - b0) / CLK_TCK
    # Everyone else: all CPU time spent in the window (kernel included, short-lived processes
    # included) less the generator's, the DUT's and the harness's own threads.
    foreign = max(0.0, busy - mine)
    res = {
        "wall_s": round(wall, 3),
        "gen_on_cpu": round(gen[1] / wall, 3),
        "gen_wait": round(gen[2] / wall, 3),
        "dut_on_cpu": round(dut[1] / wall, 3),
        "dut_wait": round(dut[2] / wall, 3),
        "foreign_cpus": round(foreign / wall, 3),
        "steal_cpus": round(steal / wall, 3),
    }
    res["gen_thread"] = thread_info(gen_pid)
    if dut_tid is not None:
        res["dut_thread"] = thread_info(dut_tid)
    return res


def is_quiet(w, max_others=0.15, max_steal=0.05):
    """Nobody else used the machine during the window: the other processes (and the kernel)
    took at most max_others of a CPU over it, the hypervisor at most max_steal. What the DUT's
    own threads take from the generator (OVS's handler and revalidator threads share CPU 0
    with it) is the DUT's doing and does not make a trial contended; gen_on_cpu and dut_on_cpu
    are recorded beside it."""
    return (w is not None and w.get("foreign_cpus", 1.0) <= max_others
            and w.get("steal_cpus", 1.0) <= max_steal)


def foreign_load(seconds=0.5):
    """CPUs used by every process but this one over the next `seconds` (steal included)."""
    a = snapshot()
    time.sleep(seconds)
    b = snapshot()
    me = os.getpid()
    used = 0.0
    for tid, (pid, run, _w) in b["threads"].items():
        if pid == me:
            pa = a["threads"].get(tid)
            used -= (run - (pa[1] if pa else 0)) / 1e9
    for c, (s1, b1) in b["steal"].items():
        s0, b0 = a["steal"].get(c, (s1, b1))
        used += (s1 - s0 + b1 - b0) / CLK_TCK
    return max(0.0, used) / (b["t"] - a["t"])


def wait_quiet(threshold, max_wait, log=None):
    """Wait until the others use less than `threshold` CPUs (sampled every 0.5 s), at most
    max_wait seconds. Returns (load at start, load when going, seconds waited)."""
    t0 = time.monotonic()
    first = load = foreign_load()
    told = False
    while load > threshold and time.monotonic() - t0 < max_wait:
        if log and not told:
            log(f"  machine busy ({load:.2f} CPUs used by others): waiting up to "
                f"{max_wait:.0f} s for < {threshold:.2f}")
            told = True
        load = foreign_load()
    return first, load, time.monotonic() - t0


# Core-to-core handoff latency between the generator's CPU and the DUT's: one cache line
# bounced between two pinned threads. memif moves every packet and ring index through such
# lines, so a host that places the two vCPUs on different core complexes (or an SMT sibling
# busy with another guest) slows the generator and the DUT together, invisibly to the guest's
# own accounting. Compiled once with the system's cc; None when there is no compiler.
C2C_SRC = r"""
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static _Alignas(64) atomic_int flag;
static int iters;
static void pin(int cpu)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
}
static void *pong(void *arg)
{
	pin(*(int *)arg);
	for (int i = 0; i < iters; i++) {
		while (atomic_load_explicit(&flag, memory_order_acquire) != 1)
			;
		atomic_store_explicit(&flag, 0, memory_order_release);
	}
	return NULL;
}
int main(int argc, char **argv)
{
	int a = atoi(argv[1]), b = atoi(argv[2]);
	pthread_t t;
	struct timespec t0, t1;
	iters = atoi(argv[3]);
	pthread_create(&t, NULL, pong, &b);
	pin(a);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < iters; i++) {
		atomic_store_explicit(&flag, 1, memory_order_release);
		while (atomic_load_explicit(&flag, memory_order_acquire) != 0)
			;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(t, NULL);
	printf("%.1f\n", ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / iters / 2);
	return 0;
}
"""


def c2c_latency(workdir, a=0, b=1, iters=50000, runs=3):
    """Median one-way handoff latency (ns) between CPUs a and b over `runs` runs, or None."""
    import shutil
    import subprocess
    exe = os.path.join(workdir, "c2c")
    if not os.path.exists(exe):
        cc = shutil.which("cc") or shutil.which("gcc")
        if cc is None:
            return None
        src = exe + ".c"
        with open(src, "w") as f:
            f.write(C2C_SRC)
        if subprocess.run([cc, "-O2", "-pthread", "-o", exe, src],
                          capture_output=True).returncode != 0:
            return None
    vals = []
    for _ in range(runs):
        try:
            p = subprocess.run([exe, str(a), str(b), str(iters)], capture_output=True,
                               text=True, timeout=10)
            vals.append(float(p.stdout.strip()))
        except (subprocess.TimeoutExpired, ValueError):
            pass
    return sorted(vals)[len(vals) // 2] if vals else None

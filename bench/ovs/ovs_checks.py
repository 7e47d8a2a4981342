# SPDX-License-Identifier: Apache-2.0
"""The standalone modes of bench/ovs_dut.py (run that file, not this one):

    python3 bench/ovs_dut.py --selftest [--pods 1000 --policies 100 --flows 1024 --seconds 5]
                             [--mode ct,stateless,nopolicy] [--reps 3] [--bench-arg=--bidir]
    python3 bench/ovs_dut.py --trace-check bench/ovs/testdata/features.yaml

--selftest writes a scenario with podwall-bench, starts podwall-bench as the harness does (memif
server), then OVS (OvsDut), sends, and prints Mpps, OVS's cycles per packet, the OpenFlow flows
installed and the bench's verdict errors (exit status 1 if any). Policy modes also compare
ofproto/trace verdicts with the reference evaluator (netpol_flows.evaluate) on sampled packets.
--trace-check does only that, for any manifests, in both policy modes.
"""
import argparse
import codecs
import ipaddress
import json
import os
import random
import re
import shutil
import signal
import socket
import time

import benchlib as bl
import netpol_flows
import ovs_dut
from ovs_dut import BENCH_PREFIX, BRIDGE, DPDK_RUN, OvsDut, _prefix_in_use, _stop_proc


def _bench_cmd(a, sock_a, sock_b, out, hold, policy=True, extra=()):
    cmd = [bl.BENCH, *bl.eal_args(["-l", str(a.main_cpu)], bl.mem_args(False, 256),
                                  BENCH_PREFIX, sock_a, sock_b, "server"),
           *bl.scenario_args(a), "--hold", str(hold), "--json", out, *extra]
    if not policy:
        cmd.append("--no-policy")
    return cmd


def _start_bench(cmd, logpath):
    return bl.start_bench(cmd, logpath, 15, poll=0.1)


def _stop_bench(bench):
    proc, lf = bench
    try:
        bl.stop_proc(proc, signal.SIGINT, 70)  # its link wait ignores signals (60 s)
    finally:
        _stop_proc(proc)
        lf.close()
        if not _prefix_in_use(BENCH_PREFIX):
            shutil.rmtree(os.path.join(DPDK_RUN, BENCH_PREFIX), ignore_errors=True)


class Unixctl:
    """A JSON-RPC client of an OVS unixctl socket (what ovs-appctl speaks), kept open: many
    ofproto/trace calls without a process each."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(60)
        self.sock.connect(path)
        self.dec = codecs.getincrementaldecoder("utf-8")()
        self.buf = ""
        self.id = 0

    def call(self, method, *params):
        self.id += 1
        self.sock.sendall(json.dumps({"id": self.id, "method": method,
                                      "params": list(params)}).encode())
        while True:
            try:
                msg, end = json.JSONDecoder().raw_decode(self.buf.lstrip())
                self.buf = self.buf.lstrip()[end:]
                break
            except json.JSONDecodeError:
                data = self.sock.recv(1 << 16)
                if not data:
                    raise RuntimeError(f"{method}: unixctl connection closed")
                self.buf += self.dec.decode(data)
        if msg.get("error"):
            raise RuntimeError(f"{method} {' '.join(params)}: {msg['error']}")
        return msg["result"]

    def close(self):
        self.sock.close()


def _trace(ctl, conntrack, src, dst, proto, dport, in_port):
    """ofproto/trace one packet, conntrack answering +trk+new: whether OVS outputs it."""
    pr = proto.lower()
    if src.version == 6:
        flow = f"in_port={in_port},{pr}6,ipv6_src={src},ipv6_dst={dst}"
    else:
        flow = f"in_port={in_port},{pr},nw_src={src},nw_dst={dst}"
    flow += f",{pr}_src=40000,{pr}_dst={dport}"
    args = [BRIDGE, flow] + (["--ct-next", "trk,new"] if conntrack else [])
    out = ctl.call("ofproto/trace", *args)
    acts = re.findall(r"^Datapath actions: (.*)$", out, re.M)
    if not acts:
        raise RuntimeError(f"trace {flow}: no datapath actions\n{out}")
    last = acts[-1]
    return last != "drop" and re.search(r"(^|,)\d+$", last) is not None, flow, last


def _addr_in(rnd, net):
    return net.network_address + rnd.randrange(net.num_addresses)


def _samples(c, n, seed):
    """Packets (src, dst, proto, port) over the cluster: half aimed at a random rule of a
    random policy (its selected pods, its peers, an ipBlock's cidr or except, its ports and
    their edges, named ports as numbered on any pod), half at random pod pairs, non-pod
    addresses and ports."""
    rnd = random.Random(seed)
    numbers = {("UDP", 9090), ("TCP", 80), ("TCP", 443), ("SCTP", 80)}
    for pol in c.policies:
        for r in pol.ingress + pol.egress:
            for ps in r.ports:
                if ps.lo is not None:
                    numbers |= {(ps.proto, x) for x in (ps.lo - 1, ps.lo, ps.hi, ps.hi + 1)}
    named = {}
    for p in c.endpoints:
        for (name, proto), num in p.ports.items():
            numbers.add((proto, num))
            named.setdefault((name, proto), set()).add(num)
    numbers = sorted(p for p in numbers if 1 <= p[1] <= 65535)
    ext = [ipaddress.ip_address(a) for a in ("192.168.1.7", "10.200.0.1", "8.8.8.8",
                                             "172.16.5.5", "fd00:99::1", "2001:db8::1")]
    selected = {}
    out = []
    while len(out) < n:
        fam = rnd.choice(c.families)

        def pod_ip(pods):
            ips = [ip for p in pods for ip in p.ips if ip.version == fam]
            return rnd.choice(ips) if ips else None

        def any_ip():
            if rnd.random() < 0.2:
                return rnd.choice([e for e in ext if e.version == fam] or [None])
            return pod_ip([rnd.choice(c.endpoints)])

        proto, port = rnd.choice(numbers)
        pol = rnd.choice(c.policies) if c.policies and rnd.random() < 0.5 else None
        rules = [] if pol is None else \
            [(r, True) for r in pol.egress] + [(r, False) for r in pol.ingress]
        if not rules:
            src, dst = any_ip(), any_ip()
        else:
            rule, egress = rnd.choice(rules)
            if id(pol) not in selected:
                selected[id(pol)] = c.policy_pods(pol)
            local = pod_ip(selected[id(pol)]) if selected[id(pol)] else any_ip()
            remote = any_ip()
            if rule.peers and rnd.random() < 0.8:
                peer = rnd.choice(rule.peers)
                if peer.cidr is not None:
                    nets = [peer.cidr] + peer.excepts
                    nets = [x for x in nets if x.version == fam]
                    remote = _addr_in(rnd, rnd.choice(nets)) if nets else None
                else:
                    remote = pod_ip(c.select(pol.ns, peer.pod_sel, peer.ns_sel)) or remote
            src, dst = (local, remote) if egress else (remote, local)
            if rule.ports and rnd.random() < 0.8:
                ps = rnd.choice(rule.ports)
                if ps.name is not None:
                    port = rnd.choice(sorted(named.get((ps.name, ps.proto), {port})))
                elif ps.lo is not None:
                    port = rnd.choice((ps.lo, ps.hi, rnd.randint(ps.lo, ps.hi),
                                       min(ps.hi + 1, 65535), max(ps.lo - 1, 1)))
                proto = ps.proto if rnd.random() < 0.9 else rnd.choice(netpol_flows.PROTOS)
        if src is not None and dst is not None and src != dst:
            out.append((src, dst, proto, port))
    return out


def trace_check(dut, n, seed=1, log=print):
    """Compare OVS's verdicts (ofproto/trace, both in_ports) with the reference evaluator on
    n packets; the number of mismatches."""
    if dut.cluster is None:
        return 0
    ctl = Unixctl(dut.sw_ctl)
    bad = allowed = 0
    rnd = random.Random(seed)
    samples = _samples(dut.cluster, n, seed)
    try:
        for src, dst, proto, port in samples:
            want = netpol_flows.evaluate(dut.cluster, src, dst, proto, port)
            got, flow, acts = _trace(ctl, dut.conntrack, src, dst, proto, port,
                                     rnd.choice((1, 2)))
            allowed += want
            if got != want:
                bad += 1
                if bad <= 10:
                    log(f"MISMATCH {flow}: reference {'allow' if want else 'deny'}, OVS {acts}")
    finally:
        ctl.close()
    log(f"trace check: {len(samples)} packets ({allowed} allowed by the reference), "
        f"{bad} mismatches")
    return bad


def _parse():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--selftest", action="store_true",
                      help="scenario + podwall-bench + OVS: Mpps, cycles/packet, verdicts")
    mode.add_argument("--trace-check", metavar="MANIFESTS",
                      help="OVS with these manifests, ofproto/trace against the reference")
    bl.add_scenario_args(ap)
    bl.add_traffic_args(ap, flows=1024, size=64, rate=0, seconds=5, warmup=4)
    ap.add_argument("--prime", type=int, default=2,
                    help="seconds of traffic before the measured window (OVS learns flows)")
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--mode", default="ct",
                    help="comma-separated, run in turn: ct (policy + conntrack), stateless "
                         "(policy, no conntrack), nopolicy (plain forwarding)")
    ap.add_argument("--bench-arg", action="append", default=[],
                    help="an option passed on to podwall-bench (repeat): --bidir, "
                         "--proto tcp, --ipv6 50, ... (stateless mode adds --stateless to "
                         "--bidir)")
    ap.add_argument("--quiet-wait", type=float, default=60,
                    help="before each run, wait up to this many seconds for the others on "
                         "the machine to use < 0.3 CPUs (bench/harness_cpu.py)")
    ap.add_argument("--traces", type=int, default=300,
                    help="ofproto/trace packets checked against the reference (0: none)")
    ap.add_argument("--pmd-cpu", type=int, default=1)
    ap.add_argument("--main-cpu", type=int, default=0)
    ap.add_argument("--sock-a", default="/tmp/pw-ovs-a.sock")
    ap.add_argument("--sock-b", default="/tmp/pw-ovs-b.sock")
    ap.add_argument("--out", default="/tmp/podwall-ovs-selftest")
    return ap.parse_args()


_log = bl.log


def _progress(logpath):
    """podwall-bench's per-second lines: (second, tx Mpps, rx Mpps)."""
    return bl.progress(bl.read_text(logpath))


def _one_run(a, sc, mode, tag, cpu):
    """podwall-bench + OVS in one mode: (bench JSON, OVS stats, CPU window, errors)."""
    policy = mode != "nopolicy"
    out = os.path.join(a.out, f"bench-{tag}.json")
    if os.path.exists(out):
        os.unlink(out)
    t0 = time.time()
    while time.time() - t0 < 3600:  # another OvsDut (the harness's) first, then quiet
        if ovs_dut.ovs_dut_busy() is not None:
            time.sleep(2)
            continue
        if cpu is not None:
            cpu.wait_quiet(0.3, a.quiet_wait, log=_log)
        if ovs_dut.ovs_dut_busy() is None:
            break
    learns = bool(a.prime) and bl.bench_supports("--learn")
    extra = ["--flows", str(a.flows), "--size", str(a.size), "--rate", str(a.rate),
             *bl.timed_args(a.seconds, a.prime, learns), "--warmup", str(a.warmup),
             *a.bench_arg]
    if mode == "stateless" and "--bidir" in a.bench_arg:
        extra.append("--stateless")  # replies are judged by policy, not let through by ct
    logpath = os.path.join(a.out, f"bench-{tag}.log")
    bench = _start_bench(_bench_cmd(a, a.sock_a, a.sock_b, out, 5, policy, extra), logpath)
    dut = OvsDut(a.out, sc if policy else None, a.sock_a, a.sock_b, a.pmd_cpu, a.main_cpu,
                 conntrack=mode == "ct", log=_log)
    errors, win, l0 = 0, None, 0
    try:
        dut.start()
        base = dut._counters()  # the whole run's drops, learning included
        dut.reset_stats()
        deadline = time.time() + a.warmup + a.prime + a.seconds + 90
        # The first `prime` seconds of traffic let OVS learn the flows (megaflows, conntrack
        # entries; its datapath flow limit starts at 10000 and grows by 1000 per dump);
        # then its counters are reset and the measured window starts (podwall-bench --learn
        # resets its own then too).
        while a.prime and len(_progress(logpath)) < bl.learn_lines(a.prime):
            if bench[0].poll() is not None or time.time() > deadline:
                raise RuntimeError(f"podwall-bench never sent, see {logpath}")
            time.sleep(0.05)
        if a.prime:
            dut.reset_stats()
            l0 = len(_progress(logpath))
        snap = None
        while not os.path.exists(out) and bench[0].poll() is None and time.time() < deadline:
            if snap is None and cpu is not None and (a.prime or _progress(logpath)):
                snap = cpu.snapshot()
            time.sleep(0.05)
        if snap is not None:
            win = cpu.window(snap, cpu.snapshot(), bench[0].pid,
                             cpu.ours(os.getpid(), (dut.dir,)))
        # The PMD publishes its coverage counters about once a second: read until stable.
        end, t_end = dut._counters(), time.time() + 6
        while time.time() < t_end:
            time.sleep(1.2)
            again = dut._counters()
            if again == end:
                break
            end = again
        st = dut.stats()
        st["whole_run"] = {k: v - base.get(k, 0) for k, v in end.items()}
        if policy and a.traces and tag.startswith("0-"):
            errors += trace_check(dut, a.traces, log=_log)
    finally:
        _stop_bench(bench)
        dut.stop()
    with open(out) as f:
        r = json.load(f)
    # Denied packets sent over the whole run: requests, and with --bidir --stateless replies
    # the policy denies. With --learn the bench's counts cover the measured phase and its
    # learn object the requests before it (not the replies: their denied share while
    # learning is not reported, so with --bidir --stateless the note may fire).
    lrn = r.get("learn") or {}
    denied_sent = r["tx_packets"] - r["tx_allowed"] + \
        r.get("reply_tx_packets", 0) - r.get("reply_tx_allowed", 0) + \
        lrn.get("sent", 0) - lrn.get("sent_allowed", 0)
    drops = st["whole_run"]["drop_action_of_pipeline"]
    # The measured window's rates (an older bench's JSON covers learning too).
    bl.measured_window(r, _progress(logpath)[l0:] if a.prime else [], a.prime, learns)
    errors += int(r["rx_denied"]) + int(r.get("reply_rx_denied", 0)) + \
        int(r["allowed_flows_never_arrived"])
    # OVS's own count of packets its pipeline dropped (the drop_action_of_pipeline coverage
    # counter) beside the denied packets the bench sent: a note, not a verdict. The PMD
    # publishes it by trylock about once a second, and on a busy machine it lags by up to
    # seconds; the bench's own counts (no denied packet arrived, every allowed flow did, loss)
    # already account for every packet.
    if policy and abs(drops - denied_sent) > max(64, denied_sent / 1000):
        _log(f"note: OVS counted {drops} pipeline drops so far, the bench sent "
             f"{denied_sent:.0f} denied packets")
    st["cpu_window"] = win
    with open(os.path.join(a.out, f"ovs-stats-{tag}.json"), "w") as f:
        json.dump(st, f, indent=1, default=str)
    quiet = None if win is None else cpu.is_quiet(win)
    _log(f"{mode} run {tag}: rx {r['rx_mpps']:.3f} Mpps, OVS "
         f"{st['cycles_per_packet'] or float('nan'):.1f} cycles/packet, denied arrived "
         f"{r['rx_denied'] + r.get('reply_rx_denied', 0):.0f}, allowed flows never arrived "
         f"{r['allowed_flows_never_arrived']:.0f}, allowed loss {r['allowed_loss_pct']:.3f}%, "
         f"policy drops {drops} (denied sent {denied_sent:.0f})" +
         ("" if win is None else f"; {'quiet' if quiet else 'CONTENDED'}: generator "
          f"{win['gen_on_cpu']:.2f} / PMD {win['dut_on_cpu']:.2f} on CPU, others "
          f"{win['foreign_cpus']:.2f} CPUs"))
    return r, st, quiet, errors


def selftest(a):
    """Write a scenario, then per repetition and mode (A B C A B C): podwall-bench as the
    harness starts it, OVS, traffic; medians, and the verdict errors (exit status 1)."""
    try:
        import harness_cpu as cpu  # bench/harness_cpu.py: who had the CPUs
    except ImportError:
        cpu = None
    os.makedirs(a.out, exist_ok=True)
    sc = os.path.join(a.out, "scenario")
    shutil.rmtree(sc, ignore_errors=True)
    bl.write_scenario(sc, a, quiet=False)
    modes = a.mode.split(",")
    for m in modes:
        if m not in ("ct", "stateless", "nopolicy"):
            raise SystemExit(f"--mode: {m!r} is not ct, stateless or nopolicy")
    errors = 0
    results = {m: [] for m in modes}
    for rep in range(a.reps):
        for m in modes:
            for attempt in range(5):
                try:
                    r, st, quiet, err = _one_run(a, sc, m, f"{rep}-{m}", cpu)
                    break
                except RuntimeError as e:  # lost the race for the machine: again
                    if "another OvsDut" not in str(e) or attempt == 4:
                        raise
                    _log(f"{e}: trying again")
            errors += err
            results[m].append((r, st, quiet))
    print(f"{a.pods} pods, {a.namespaces} namespaces, {a.apps} apps, {a.policies} policies, "
          f"{a.flows} flows, {a.size} B frames, {a.seconds} s, {a.reps} repetition(s)"
          + (f", podwall-bench {' '.join(a.bench_arg)}" if a.bench_arg else ""))
    print("| OVS mode | runs (quiet) | rx Mpps | OVS cycles/packet | OpenFlow flows | "
          "install s | megaflows | conntrack entries |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for m in modes:
        rs = results[m]
        quiet = [x for x in rs if x[2]]
        use = quiet or rs  # medians over the quiet runs when there are any
        mp = bl.med3([x[0]["rx_mpps"] for x in use])
        cp = bl.med3([x[1]["cycles_per_packet"] for x in use])
        st = rs[-1][1]
        print(f"| {m} | {len(rs)} ({len(quiet)}) | {mp[0]:.3f} ({mp[1]:.3f}..{mp[2]:.3f}) | "
              f"{cp[0]:.1f} ({cp[1]:.1f}..{cp[2]:.1f}) | {st['flows_installed']} | "
              f"{st['install_s']:.2f} | {st['datapath_megaflows']} | "
              f"{st['conntrack_entries']} |")
    st = results[modes[0]][-1][1]
    if "load_s" in st and st.get("policy"):
        print(f"manifests read in {st['load_s']:.2f} s, translated in {st['translate_s']:.2f} s "
              f"({st['rules']} rules, {st['conjunctions']} conjunctions)")
    print(f"verdict errors: {errors}")
    return 1 if errors else 0


def trace_main(a):
    """OVS with the given manifests (a podwall-bench holds the memif links up, sending
    nothing), then ofproto/trace against the reference evaluator."""
    os.makedirs(a.out, exist_ok=True)
    out = os.path.join(a.out, "bench-trace.json")
    bench = _start_bench(_bench_cmd(a, a.sock_a, a.sock_b, out, 0, True,
                                    ["--seconds", "1", "--warmup", "600"]),
                         os.path.join(a.out, "bench-trace.log"))
    bad = 0
    try:
        for mode in ("ct", "stateless"):
            dut = OvsDut(a.out, a.trace_check, a.sock_a, a.sock_b, a.pmd_cpu, a.main_cpu,
                         conntrack=mode == "ct", log=_log)
            try:
                dut.start()
                _log(f"{mode}: {dut.info}")
                bad += trace_check(dut, a.traces or 300, log=_log)
            finally:
                dut.stop()
    finally:
        _stop_bench(bench)
    print(f"trace check: {bad} mismatches")
    return 1 if bad else 0


def main():
    args = _parse()
    return selftest(args) if args.selftest else trace_main(args)

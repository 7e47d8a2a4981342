#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""podwall-bench harness: podwall (policy + conntrack), podwall (allow-all), dpdk-testpmd io
forwarding and Open vSwitch with DPDK (+ conntrack) on the same memif ports, side by side
(A B C D A B C D ...), medians with min/max, each DUT's busy cycles per packet.

    python3 bench/harness.py matrix [--quick] --out DIR     # the standard matrix, in one go
    python3 bench/harness.py report --out DIR               # render DIR/results.json again
    python3 bench/harness.py selftest                       # offline checks, no traffic
    python3 bench/harness.py [--reps 3] [--seconds 5] [--pods 1000] [--policies 100]
                             [--flows 1024] [--size 64] [--rate 0] [--out DIR]
                                                            # one configuration

`matrix --help` lists the matrix's options. Modules: harness_dut.py (one trial: generator,
DUTs), harness_cpu.py (who had the CPUs), harness_matrix.py (the matrix, zero-loss search),
harness_report.py / harness_summary.py / harness_fig.py (CSV, summary.md, gnuplot),
harness_selftest.py (the offline checks); benchlib.py: what they share with scaling.py and
ovs_dut.py.

On a two-core machine: the DUT's worker (podwall's worker lcore, testpmd's forwarding lcore,
OVS's PMD thread) runs on CPU 1; podwall-bench and the DUT's main lcore share CPU 0.
See bench/README.md, "Packet generator and harness".
"""
import argparse
import json
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import benchlib as bl  # noqa: E402
import harness_matrix  # noqa: E402
import harness_report as rep  # noqa: E402


def single(argv):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3)
    bl.add_scenario_args(ap)
    bl.add_traffic_args(ap, seconds=5, warmup=4)
    bl.add_shape_args(ap)
    ap.add_argument("--imix", action="store_true")
    ap.add_argument("--new", action="store_true")
    ap.add_argument("--prime", type=float, default=0,
                    help="seconds of traffic before the measured window (flow learning)")
    ap.add_argument("--ct-size", type=int, default=0,
                    help="podwall's flow table (0: a power of two >= 2x the flows, >= 256k)")
    ap.add_argument("--out", default="/tmp/podwall-bench-harness")
    ap.add_argument("--only", default="policy,allow,testpmd",
                    help="DUTs, in this order: policy,allow,testpmd,ovs")
    bl.add_quiet_args(ap, retry_contended=0)
    a = ap.parse_args(argv)

    m = harness_matrix.matrix_args(["--out", a.out, "--duts", a.only, "--reps", str(a.reps),
                                    "--seconds", str(a.seconds), "--warmup", str(a.warmup),
                                    "--quiet-threshold", str(a.quiet_threshold),
                                    "--quiet-wait", str(a.quiet_wait),
                                    "--retry-contended", str(a.retry_contended),
                                    "--skip", ",".join(harness_matrix.SECTIONS[1:])])
    s = harness_matrix.settings(m)
    s["std"].update({"pods": a.pods, "namespaces": a.namespaces, "apps": a.apps,
                     "policies": a.policies, "allowed": a.allowed, "flows": a.flows,
                     "size": 0 if a.imix else a.size, "new": a.new, "rate": a.rate,
                     "ct_size": a.ct_size, "prime": a.prime, "proto": a.proto,
                     "ipv6": a.ipv6, "bidir": a.bidir, "shapes": a.shapes})
    mx = harness_matrix.Matrix(s, a.out, sys.argv[1:])
    mx.run()
    res = mx.res
    rows = ["| DUT | rx Mpps | tx Mpps | allowed loss % | denied arrived | p50 / p99 us | "
            "DUT cycles/packet | quiet |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    summary = {"params": vars(a), "devices": {}, "machine": res["machine"]}
    for d in s["duts"]:
        ts = rep.sel(res, "comparison", d)
        st = {k: rep.agg(ts, k)[:3] for k in
              ("rx_mpps", "tx_mpps", "rx_gbps", "allowed_loss_pct", "rx_denied",
               "latency_p50_us", "latency_p99_us", "dut_cycles_per_packet", "dut_burst")}
        summary["devices"][d] = {"median_min_max": st, "runs": ts}
        nq = rep.agg(ts, "rx_mpps")
        rows.append(f"| {bl.DUT_NAMES[d]} | {rep.mmm(st['rx_mpps'], 3)} | "
                    f"{rep.mmm(st['tx_mpps'], 3)} | {rep.mmm(st['allowed_loss_pct'], 2)} | "
                    f"{rep.mmm(st['rx_denied'], 0)} | {rep.mmm(st['latency_p50_us'])} / "
                    f"{rep.mmm(st['latency_p99_us'])} | "
                    f"{rep.mmm(st['dut_cycles_per_packet'])} | {nq[4]}/{nq[3]} |")
    summary["ratios"] = {k: v for k, v in rep.ratios(res).items()}
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, default=str)
    print("\n".join(rows))
    for k, v in summary["ratios"].items():
        print(f"{k}: {rep.mmm(v, 2)}")
    print(f"(JSON: {os.path.join(a.out, 'summary.json')}, every trial: "
          f"{os.path.join(a.out, 'results.json')})")


def _interrupt(sig, frame):
    # Background jobs start with SIGINT ignored: handle both so every trial's finally stops
    # the processes it started.
    raise KeyboardInterrupt(f"signal {sig}")


def main():
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    if len(sys.argv) > 1 and sys.argv[1] == "matrix":
        harness_matrix.main(sys.argv[2:])
    elif len(sys.argv) > 1 and sys.argv[1] == "report":
        harness_matrix.report_main(sys.argv[2:])
    elif len(sys.argv) > 1 and sys.argv[1] == "selftest":
        import harness_selftest
        sys.exit(harness_selftest.main())
    else:
        single(sys.argv[1:])


if __name__ == "__main__":
    main()

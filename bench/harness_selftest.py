#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Offline checks of the harness: no process, no EAL, no DUT; a second or so.

    python3 bench/harness_selftest.py        # or: python3 bench/harness.py selftest

What a regression would break without a run showing it: the generator's command line (the
learning phase through --learn or the older longer run, the traffic axes), the zero-loss
verdict (measured phase only, refusals, denied packets while learning, a generator that fell
behind), the matrix's settings, and the columns of trials.csv and zeroloss.csv. benchlib's
own checks run first. Exit status 0 when every check passes.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import benchlib as bl  # noqa: E402
import harness_dut as hd  # noqa: E402
import harness_matrix as hm  # noqa: E402
import harness_report as rep  # noqa: E402
import harness_summary  # noqa: E402

# trials.csv's columns before the learning phase and the traffic axes: kept, in this order.
TRIAL_COLS = ["tag", "section", "x", "dut", "rep", "attempt", "pods", "policies", "flows",
              "size", "rate", "rx_mpps", "tx_mpps", "cycles_per_packet", "burst",
              "allowed_loss_pct", "offered_lost", "rx_denied", "p50_us", "p99_us",
              "gen_on_cpu", "dut_on_cpu", "others_cpus", "steal_cpus", "c2c_before_ns",
              "c2c_after_ns", "podwall_mtime", "quiet", "error"]


def opt(cmd, name):
    """The value after option `name` in cmd, None if absent."""
    return cmd[cmd.index(name) + 1] if name in cmd else None


def check_bench_cmd(std):
    pt = dict(std, seconds=5, prime=2, warmup=2)
    new = hd.bench_cmd(pt, "/j.json", True, True)
    old = hd.bench_cmd(pt, "/j.json", True, False)
    assert opt(new, "--seconds") == "5" and opt(new, "--learn") == "2"
    assert opt(old, "--seconds") == "7" and "--learn" not in old
    # Today's traffic by default: UDP over IPv4, one way, no hugepages.
    for c in (new, old):
        assert "--proto" not in c and "--ipv6" not in c and "--bidir" not in c
        assert "--no-huge" in c[:c.index("--")] and "--no-policy" not in c
    c = hd.bench_cmd(dict(pt, proto="tcp", ipv6=25, bidir=True, huge=True), "/j", False, True)
    assert opt(c, "--proto") == "tcp" and opt(c, "--ipv6") == "25" and "--bidir" in c
    assert "--no-huge" not in c and "--no-policy" in c
    assert c[c.index("--") + 1:][:2] == ["--pods", str(pt["pods"])]
    assert opt(hd.bench_cmd(dict(pt, prime=0), "/j", True, True), "--seconds") == "5"


def trial(**kw):
    """A zero-loss trial at 2 Mpps asked, as run_trial leaves it (generator --learn)."""
    r = {"rx_denied": 0, "tx_mpps": 2.0, "tx_packets": 10_000_000, "tx_allowed": 8_000_000,
         "allowed_lost": 0, "tx_fail": 0, "learn": {"sent": 4_000_000, "received": 1_000,
                                                    "refused": 3_000_000, "lost": 999_000,
                                                    "denied_arrived": 0}}
    r.update(kw)
    return bl.measured_window(r, [], 2, True)


def check_zeroloss():
    ok = hm.Matrix.zl_pass
    # The learning phase's losses and refusals are recorded, not judged.
    r = trial()
    assert ok(r, 2.0, 0) == (True, "0 loss") and r["learn_lost"] == 999_000
    assert r["learn_refused"] == 3_000_000 and r["learn_mode"] == "generator"
    # Any measured loss or refusal fails the NDR; refusals are loss, named as such.
    assert ok(trial(tx_fail=1), 2.0, 0) == (False, "lost 1 (1 refused)")
    assert not ok(trial(allowed_lost=1), 2.0, 0)[0]
    # PDR: the tolerance is a share of the allowed packets offered, replies included.
    assert ok(trial(allowed_lost=40_000), 2.0, 0.5)[0]
    assert not ok(trial(allowed_lost=40_001), 2.0, 0.5)[0]
    assert ok(trial(allowed_lost=60_000, reply_tx_allowed=8_000_000), 2.0, 0.5)[0]
    assert not ok(trial(reply_allowed_lost=1), 2.0, 0)[0]
    # A denied packet fails the trial, while learning too (the learn object, or exit 2).
    assert ok(trial(rx_denied=1), 2.0, 0) == (False, "denied packets arrived")
    lrn = dict(trial()["learn"], denied_arrived=1)
    assert ok(trial(learn=lrn), 2.0, 0)[1] == "denied packets arrived (learning phase)"
    assert not ok(trial(bench_exit=2), 2.0, 0)[0]
    # The asked rate must have been offered: refused packets were, skipped slots were not.
    assert ok(trial(tx_mpps=1.9, tx_packets=9_500_000, tx_fail=500_000), 2.0, 10)[0]
    assert hm.offered_mpps(trial(tx_mpps=1.9, tx_packets=9_500_000, tx_fail=500_000)) == 2.0
    assert ok(trial(tx_mpps=1.9, late_slots=1000), 2.0, 0) == \
        (False, "generator offered 1.900 of 2.000 Mpps")
    assert ok({"error": "x"}, 2.0, 0) == (False, "error")
    # An older generator: loss over the whole run, rates from the lines after learning.
    r = bl.measured_window({"rx_denied": 0, "tx_mpps": 1.0, "tx_packets": 7, "tx_allowed": 7,
                            "allowed_lost": 3, "tx_fail": 0, "rx_mpps": 1.0},
                           [(3, 2.0, 2.0)], 2, False)
    assert r["learn_mode"] == "harness" and r["tx_mpps"] == 2.0
    assert ok(r, 2.0, 0) == (False, "lost 3 (0 refused)")


def check_settings():
    s = hm.settings(hm.matrix_args(["--quick"]))
    std = s["std"]
    assert (std["proto"], std["ipv6"], std["bidir"], std["huge"]) == ("udp", 0, False, False)
    assert (std["pods"], std["flows"], std["prime"], std["seconds"]) == (1000, 16384, 1, 2)
    assert s["retry_contended"] == 0 and s["quiet_wait"] == 0
    check_bench_cmd(std)
    s = hm.settings(hm.matrix_args(["--proto", "mix", "--ipv6", "50", "--bidir", "--huge",
                                    "--pods", "20000"]))
    std = s["std"]
    assert (std["proto"], std["ipv6"], std["bidir"], std["huge"]) == ("mix", 50, True, True)
    assert std["pods"] == 20000 and std["namespaces"] == 50 and s["reps"] == 5
    assert s["retry_contended"] == 1 and s["quiet_threshold"] == 0.3
    text = harness_summary.traffic_text(std)
    assert text.startswith("UDP and TCP") and "50% of the flows over IPv6" in text
    assert harness_summary.traffic_text({}) == "UDP over IPv4, one way"


def check_report():
    pt = {"pods": 1000, "policies": 100, "flows": 16384, "size": 64, "rate": 2.0,
          "proto": "tcp", "ipv6": 0, "bidir": False, "huge": False}
    t = dict(trial(tx_fail=5, refused_allowed=4, refused_denied=1, late_slots=0,
                   first_refused_s=0.5),
             tag="0001-zeroloss-policy", section="zeroloss", x=2.0, dut="policy", rep=0,
             attempt=0, point=pt, quiet=True, prime_s=2, cpu={})
    res = {"trials": [t], "zeroloss": [
        {"dut": "policy", "loss_pct": 0.0, "mpps": 2.0, "learn_mode": "generator",
         "limited_by_start": False, "cycles_per_packet": None},
        {"dut": "allow", "loss_pct": 0.0, "mpps": 3.0, "learn_mode": "harness"}]}
    row = rep.trial_rows(res)[0]
    assert list(row)[:len(TRIAL_COLS)] == TRIAL_COLS
    assert (row["proto"], row["learn_mode"], row["learn_s"], row["learn_lost"]) == \
        ("tcp", "generator", 2, 999_000)
    assert (row["refused_allowed"], row["refused_denied"], row["first_refused_s"]) == \
        (4, 1, 0.5)
    assert row["learn_denied_arrived"] == 0 and row["offered_lost"] == 5
    z = {r["dut"]: r for r in rep.zeroloss_rows(res)}
    assert z["policy"]["loss_scope"] == "measured" and z["allow"]["loss_scope"] == "run"
    assert rep.uniform(["a", "a"]) == "a" and rep.uniform(["a", None]) == "mixed"
    assert rep.uniform([]) is None


def main():
    bl.selftest()
    check_settings()
    check_zeroloss()
    check_report()
    print("harness selftest: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())

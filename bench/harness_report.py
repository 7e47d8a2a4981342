# SPDX-License-Identifier: Apache-2.0
"""The matrix's outputs from results.json: one CSV per figure, gnuplot scripts rendered to
PNG and SVG, and summary.md (tables, ratios, targets) for bench/README.md.

Central values are medians over the quiet trials of a point (generator and DUT each owned its
CPU, see harness_cpu.py) when it has any, else over all of them; min-max always span every
trial, contended ones included. Each table says how many trials were quiet.
"""
import csv
import os
import shutil
import statistics
import subprocess

import harness_cpu as cpu
import harness_fig as fig
from benchlib import DUT_ORDER, LEARN_KEYS, uniq

TARGETS = {"policy/testpmd cycles": 1.25, "policy/ovs cycles": 0.5,
           "policy/testpmd zero-loss": 0.8}


def num(v, nd=1):
    if v is None:
        return "n/a"
    if isinstance(v, float) and abs(v) < 10 and nd == 1:
        nd = 2 if abs(v) >= 1 else 3
    return f"{v:,.{nd}f}"


def mmm(t, nd=1):
    """'median [min-max]'."""
    if t is None or t[0] is None:
        return "n/a"
    if t[1] == t[2]:
        return num(t[0], nd)
    return f"{num(t[0], nd)} [{num(t[1], nd)}-{num(t[2], nd)}]"


def ok(t):
    return [x for x in t if "error" not in x]


def agg(trials, key):
    """(central, min, max, n, n_quiet, basis) of key over trials."""
    allv = [t.get(key) for t in ok(trials) if t.get(key) is not None]
    qv = [t.get(key) for t in ok(trials) if t.get(key) is not None and t.get("quiet")]
    if not allv:
        return (None, None, None, 0, 0, "-")
    base = qv if qv else allv
    return (statistics.median(base), min(allv), max(allv), len(allv), len(qv),
            "quiet" if qv else "all")


def sel(res, section, dut, x=None):
    return [t for t in res["trials"] if t.get("section") == section and t.get("dut") == dut
            and (x is None or t.get("x") == x)]


def xs_of(res, section):
    return uniq(t.get("x") for t in res["trials"] if t.get("section") == section)


def duts_of(res, section=None):
    have = {t.get("dut") for t in res["trials"]
            if section is None or t.get("section") == section}
    return [d for d in DUT_ORDER if d in have]


def xlabel(section, x):
    if section == "size":
        return "IMIX" if x == 0 else str(x)
    return str(x)


# --- ratios -------------------------------------------------------------------------------


def paired(res, section, num_d, den_d, key, x=None):
    """Per repetition, last attempt of each DUT: num/den, then (central, min, max)."""
    def last(d):
        by = {}
        for t in ok(sel(res, section, d, x)):
            if t.get(key) is not None:
                by[t["rep"]] = t
        return by
    a, b = last(num_d), last(den_d)
    rs = [a[r][key] / b[r][key] for r in a if r in b and b[r][key]]
    ca, cb = agg(sel(res, section, num_d, x), key)[0], agg(sel(res, section, den_d, x), key)[0]
    if ca is None or not cb:
        return None
    central = ca / cb
    return (central, min(rs + [central]), max(rs + [central]))


def zl_levels(res):
    return sorted(uniq(z.get("loss_pct", 0.0) for z in res.get("zeroloss", [])))


def zl_name(loss):
    return "NDR (0 loss)" if loss == 0 else f"PDR ({loss:g}% loss)"


def zl_stats(res, d, loss=0.0):
    zs = [z for z in res.get("zeroloss", []) if z["dut"] == d and z.get("loss_pct", 0.0) == loss]
    v = [z["mpps"] for z in zs]
    c = [z["cycles_per_packet"] for z in zs if z.get("cycles_per_packet") is not None]
    lim = any(z.get("limited_by_start") for z in zs)
    if not v:
        return None
    return {"mpps": (statistics.median(v), min(v), max(v)), "n": len(v),
            "cycles": (statistics.median(c), min(c), max(c)) if c else None,
            "limited": lim, "scope": loss_scope(zs)}


def uniform(xs):
    """The one value every x has, "mixed" if they differ, None if there are none."""
    xs = uniq(xs)
    return xs[0] if len(xs) == 1 else "mixed" if xs else None


def loss_scope(zs):
    """What the zero-loss verdicts counted: "measured" (the generator kept its learning phase
    apart: podwall-bench --learn) or "run" (learning included: an older generator)."""
    return "measured" if zs and all(z.get("learn_mode") == "generator" for z in zs) else "run"


def ratios(res):
    out = {}
    duts = duts_of(res, "comparison")
    for n, d in (("policy", "testpmd"), ("allow", "testpmd"), ("policy", "ovs"),
                 ("policy", "allow")):
        if n in duts and d in duts:
            out[f"{n}/{d} cycles"] = paired(res, "comparison", n, d, "dut_cycles_per_packet")
            out[f"{n}/{d} Mpps"] = paired(res, "comparison", n, d, "tx_mpps")
    for loss in zl_levels(res):
        name = "zero-loss" if loss == 0 else f"PDR {loss:g}%"
        for n, d in (("policy", "testpmd"), ("allow", "testpmd"), ("policy", "ovs")):
            zn, zd = zl_stats(res, n, loss), zl_stats(res, d, loss)
            if zn and zd and zd["mpps"][0]:
                out[f"{n}/{d} {name}"] = (
                    zn["mpps"][0] / zd["mpps"][0],
                    zn["mpps"][1] / zd["mpps"][2] if zd["mpps"][2] else 0,
                    zn["mpps"][2] / zd["mpps"][1] if zd["mpps"][1] else 0)
    return out


# --- CSV ----------------------------------------------------------------------------------

COLS = ("tx_mpps", "rx_mpps", "dut_cycles_per_packet", "rx_gbps", "allowed_loss_pct", "dut_burst",
        "latency_p50_us", "latency_p99_us", "dut_rules")


def point_rows(res, section):
    rows = []
    for x in xs_of(res, section):
        for d in duts_of(res, section):
            ts = sel(res, section, d, x)
            if not ts:
                continue
            row = {"x": xlabel(section, x), "dut": d}
            _, _, _, row["n"], row["n_quiet"], row["basis"] = agg(ts, "tx_mpps")
            for k in COLS:
                c, lo, hi, _, _, _ = agg(ts, k)
                row[k] = c
                row[k + "_min"] = lo
                row[k + "_max"] = hi
            row["errors"] = len(ts) - len(ok(ts))
            rows.append(row)
    return rows


def write_csv(path, rows):
    if not rows:
        return
    keys = list(rows[0].keys())
    for r in rows[1:]:
        keys += [k for k in r if k not in keys]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in keys})


def trial_rows(res):
    rows = []
    for t in res["trials"]:
        c = t.get("cpu") or {}
        p = t.get("point") or {}
        rows.append({"tag": t.get("tag"), "section": t.get("section"), "x": t.get("x"),
                     "dut": t.get("dut"), "rep": t.get("rep"), "attempt": t.get("attempt"),
                     "pods": p.get("pods"), "policies": p.get("policies"),
                     "flows": p.get("flows"), "size": p.get("size"), "rate": p.get("rate"),
                     "rx_mpps": t.get("rx_mpps"), "tx_mpps": t.get("tx_mpps"),
                     "cycles_per_packet": t.get("dut_cycles_per_packet"),
                     "burst": t.get("dut_burst"), "allowed_loss_pct": t.get("allowed_loss_pct"),
                     "offered_lost": t.get("offered_lost"), "rx_denied": t.get("rx_denied"),
                     "p50_us": t.get("latency_p50_us"), "p99_us": t.get("latency_p99_us"),
                     "gen_on_cpu": c.get("gen_on_cpu"), "dut_on_cpu": c.get("dut_on_cpu"),
                     "others_cpus": c.get("foreign_cpus"), "steal_cpus": c.get("steal_cpus"),
                     "c2c_before_ns": (t.get("c2c_ns") or [None, None])[0],
                     "c2c_after_ns": (t.get("c2c_ns") or [None, None])[1],
                     "podwall_mtime": t.get("podwall_mtime"),
                     "quiet": t.get("quiet"), "error": t.get("error")})
        # Added later, at the end so that the columns above keep their places: the traffic
        # axes, the refusals, and the learning phase (learn_mode "generator": its figures are
        # apart from the row's; "harness": an older generator, loss covers learning too).
        rows[-1].update({"proto": p.get("proto", "udp"), "ipv6_pct": p.get("ipv6", 0),
                         "bidir": p.get("bidir", False), "huge": p.get("huge", False),
                         "tx_fail": t.get("tx_fail"),
                         "refused_allowed": t.get("refused_allowed"),
                         "refused_denied": t.get("refused_denied"),
                         "first_refused_s": t.get("first_refused_s"),
                         "late_slots": t.get("late_slots"),
                         "offered_allowed": t.get("offered_allowed"),
                         "reply_rx_mpps": t.get("reply_rx_mpps"),
                         "learn_mode": t.get("learn_mode"), "learn_s": t.get("prime_s"),
                         **{"learn_" + k: t.get("learn_" + k)
                            for k in (*LEARN_KEYS, "denied_arrived")}})
    return rows


def build_rows(res):
    rows = []
    for b in res.get("build") or []:
        r = {k: b.get(k) for k in ("case", "pods", "policies", "identities", "policy_rules",
                                  "acl_rules4", "acl_rules6", "compile_ms", "acl_build_ms",
                                  "total_ms", "total_min_ms", "total_max_ms", "acl_mb",
                                  "hash_mb", "build_rss_mb", "naive_rules", "naive_built",
                                  "naive_build_ms", "naive_mb", "mpps", "naive_mpps")}
        r["naive_over_identity_build"] = (b["naive_build_ms"] / b["total_ms"]
                                          if b.get("naive_built") and b.get("total_ms")
                                          else None)
        acl = (b.get("acl_rules4") or 0)
        r["naive_over_identity_rules_v4"] = b["naive_rules"] / acl if acl and \
            b.get("naive_rules") else None
        rows.append(r)
    return rows


def pct(v, p):
    v = sorted(v)
    if not v:
        return None
    k = (len(v) - 1) * p / 100
    f = int(k)
    return v[f] + (v[min(f + 1, len(v) - 1)] - v[f]) * (k - f)


def propagation_rows(res):
    rows = []
    for pr in res.get("propagation") or []:
        d = pr["data"]
        info = d.get("info", {})
        for case, samples in (d.get("samples") or {}).items():
            lat = [s["latency_ms"] for s in samples if s.get("latency_ms") is not None]
            if not lat:
                continue
            rows.append({"pods": info.get("pods"), "policies": info.get("policies"),
                         "case": case, "n": len(lat), "p50_ms": pct(lat, 50),
                         "p99_ms": pct(lat, 99), "max_ms": max(lat),
                         "build_total_p50_ms": pct([s.get("build_total_ms") or 0
                                                    for s in samples], 50)})
    return rows


def zeroloss_rows(res):
    rows = []
    for loss in zl_levels(res):
        for d in DUT_ORDER:
            z = zl_stats(res, d, loss)
            if not z:
                continue
            rows.append({"dut": d, "loss_pct": loss, "level": zl_name(loss), "n": z["n"],
                         "mpps": z["mpps"][0], "mpps_min": z["mpps"][1],
                         "mpps_max": z["mpps"][2],
                         "cycles_per_packet": z["cycles"][0] if z["cycles"] else None,
                         "limited_by_generator": z["limited"], "loss_scope": z["scope"]})
    return rows


def requalify(res):
    """Apply the current quiet rule to every trial's recorded CPU window."""
    for t in res["trials"]:
        if "error" not in t and t.get("cpu"):
            t["quiet"] = cpu.is_quiet(t["cpu"])


def render(res, out):
    requalify(res)
    figs = os.path.join(out, "figures")
    os.makedirs(figs, exist_ok=True)
    tables = {"comparison": point_rows(res, "comparison"),
              "policies": point_rows(res, "policies"),
              "flows": point_rows(res, "flows"), "size": point_rows(res, "size"),
              "zeroloss": zeroloss_rows(res), "build": build_rows(res),
              "propagation": propagation_rows(res)}
    for name, rows in tables.items():
        write_csv(os.path.join(out, f"{name}.csv"), rows)
    write_csv(os.path.join(out, "trials.csv"), trial_rows(res))
    made = []
    if shutil.which("gnuplot"):
        made = fig.render_all(res, tables, figs)
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write(summary(res, tables, made))
    return made


# --- summary.md ---------------------------------------------------------------------------


def summary(res, tables, made):
    import harness_summary
    return harness_summary.markdown(res, tables, made)


def gnuplot_terminals():
    p = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
    return p.stdout + p.stderr

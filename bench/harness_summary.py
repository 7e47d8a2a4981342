# SPDX-License-Identifier: Apache-2.0
"""summary.md of a matrix run: the tables and ratios to paste into bench/README.md."""
import os

import benchlib as bl
import harness_report as R


def traffic_text(std):
    """The standard point's traffic: protocol, address family, one way or with replies (older
    results.json files, from before these axes, are UDP over IPv4, one way)."""
    proto = {"udp": "UDP", "tcp": "TCP",
             "mix": "UDP and TCP (half the flows each)"}[std.get("proto") or "udp"]
    v6 = std.get("ipv6") or 0
    fam = " over IPv4" if not v6 else " over IPv6" if v6 >= 100 else \
        f", {v6}% of the flows over IPv6"
    way = ("replies to every allowed packet (the Mpps count requests only)"
           if std.get("bidir") else "one way")
    return f"{proto}{fam}, {way}"


def _std_text(std):
    size = "IMIX" if std["size"] == 0 else f"{std['size']}-byte frames"
    return (f"{std['pods']:,} pods / {std['namespaces']} namespaces / {std['apps']} apps / "
            f"{std['policies']:,} policies ({std.get('shapes') or 'simple'} shapes), "
            f"{std['flows']:,} concurrent flows "
            f"({std['allowed']}% allowed by policy), {size}, {traffic_text(std)}, "
            f"{'hugepages' if std.get('huge') else 'no hugepages'}, memif rings of "
            f"{1 << (std.get('memif_rsize') or 10):,} slots, one worker")


def _table(L, intro, header, align):
    """Append a table's introduction, a blank line, its header and the separator line:
    align, one letter a column: l (---) or r (---:)."""
    L += [intro, "", header,
          "| " + " | ".join("---:" if a == "r" else "---" for a in align) + " |"]


def _quiet(rows, d):
    r = next((r for r in rows if r["dut"] == d), None)
    return f"{r['n_quiet']}/{r['n']}" if r else "-"


def _ratio_line(name, t, target=None, le=True):
    if t is None:
        return f"| {name} | n/a | {'' if target is None else target} | |"
    v = R.mmm(t, 2)
    if target is None:
        return f"| {name} | {v} | | |"
    met = t[0] <= target if le else t[0] >= target
    return f"| {name} | {v} | {'<=' if le else '>='} {target} | {'**met**' if met else '**not met**'} |"


def markdown(res, tables, made):
    s = res["settings"]
    m = res["machine"]
    std = s["std"]
    L = []
    L.append(f"Run {res.get('started', '?')} - {res.get('finished', 'unfinished')} "
             f"({res.get('wall_s', '?')} s){' - QUICK matrix: checks the harness, not results' if s['quick'] else ''}.")
    L.append("")
    L.append(f"Command: `{res['command']}`")
    L.append("")
    hz = next((t["tsc_hz"] for t in res["trials"] if t.get("tsc_hz")), None)
    L.append(f"Machine: {m.get('cpu')} ({m.get('hypervisor') or 'bare metal'} guest), "
             f"{'TSC %.2f GHz, ' % (hz / 1e9) if hz else ''}"
             f"{m.get('cpus')} vCPUs, L3 {m.get('l3')}, {m.get('memory')}, {m.get('os')}, "
             f"kernel {m.get('kernel')}, DPDK {m.get('dpdk')}, {m.get('ovs') or 'no OVS'}, "
             f"git {m.get('git')}; {m.get('hugepages')}.")
    L.append("")
    if res.get("skipped"):
        for k, v in res["skipped"].items():
            L.append(f"- skipped {k}: {v}")
        L.append("")
    n_all = len([t for t in res["trials"] if "error" not in t])
    n_q = len([t for t in res["trials"] if t.get("quiet")])
    n_err = len([t for t in res["trials"] if "error" in t])
    L.append(f"Trials: {n_all} ran ({n_q} quiet: the machine's other users took <= 0.15 CPU "
             f"during the window), {n_err} failed. Central values: medians over a point's "
             "quiet trials (over all when none was quiet); [min-max] over all trials.")
    L.append("")

    comp = tables["comparison"]
    if comp:
        _table(L, f"**Standard point**: {_std_text(std)}; unlimited offer (`--rate 0`), "
               f"{s['reps']} repetitions x {s['seconds']} s, DUTs interleaved.",
               "| DUT | Mpps in | Mpps out (allowed) | DUT cycles/packet | mean burst | "
               "allowed loss % | p50 / p99 latency us | quiet |", "lrrrrrrr")
        for r in comp:
            L.append(f"| {bl.DUT_NAMES[r['dut']]} | "
                     f"{R.mmm((r['tx_mpps'], r['tx_mpps_min'], r['tx_mpps_max']), 2)} | "
                     f"{R.mmm((r['rx_mpps'], r['rx_mpps_min'], r['rx_mpps_max']), 2)} | "
                     f"{R.mmm((r['dut_cycles_per_packet'], r['dut_cycles_per_packet_min'], r['dut_cycles_per_packet_max']))} | "
                     f"{R.num(r.get('dut_burst'))} | {R.num(r.get('allowed_loss_pct'), 3)} | "
                     f"{R.num(r.get('latency_p50_us'))} / {R.num(r.get('latency_p99_us'))} | "
                     f"{r['n_quiet']}/{r['n']} |")
        L.append("")
    zl = tables["zeroloss"]
    if zl:
        tl = s["zl_loss_pct"] if isinstance(s["zl_loss_pct"], list) else [s["zl_loss_pct"]]
        tols = ", ".join(f"{x:g}%" for x in tl)
        scope = ("the measured seconds only: the generator's learning phase, reset before "
                 "them, is in trials.csv (learn_*)"
                 if all(r["loss_scope"] == "measured" for r in zl) else "learning included")
        _table(L, f"**Zero-loss throughput** (RFC 2544 style, standard point): binary search "
               f"on the offered rate (`--rate`), {s['zl_seconds']} s trials after "
               f"{std.get('prime', 0)} s of learning, loss tolerance {tols} of the allowed "
               f"packets offered (lost anywhere or refused at the DUT's input; {scope}), "
               f"resolution {s['zl_resolution'] * 100:.0f}% of the start rate "
               f"(the DUT's unlimited rate), {s['zl_reps']} search(es) per DUT and tolerance.",
               "| DUT | tolerance | Mpps offered | cycles/packet at that rate | searches |",
               "llrrr")
        for r in zl:
            lim = " (kept up with the unlimited offer)" if r["limited_by_generator"] else ""
            L.append(f"| {bl.DUT_NAMES[r['dut']]} | {r['level']} | "
                     f"{R.mmm((r['mpps'], r['mpps_min'], r['mpps_max']), 2)}{lim} | "
                     f"{R.num(r['cycles_per_packet'])} | {r['n']} |")
        L.append("")
    rt = R.ratios(res)
    if rt:
        _table(L, "**Ratios** (median of each DUT's median; [min-max] over the repetitions "
               "paired A/B within one round):", "| ratio | value | target | |", "lrrl")
        tgt = {"policy/testpmd cycles": (1.25, True), "policy/ovs cycles": (0.5, True),
               "policy/testpmd zero-loss": (0.8, False)}
        for k, v in rt.items():
            t = tgt.get(k)
            L.append(_ratio_line(k, v, t[0] if t else None, t[1] if t else True))
        L.append("")

    for sec, title in (("policies", "Versus policies"), ("flows", "Versus concurrent flows"),
                       ("size", "Versus frame size")):
        rows = tables[sec]
        if not rows:
            continue
        duts = [d for d in bl.DUT_ORDER if any(r["dut"] == d for r in rows)]
        xs = bl.uniq(r["x"] for r in rows)
        _table(L, f"**{title}** (Mpps into the DUT / its cycles per packet, medians; others at "
               f"the standard point; {s['sweep_reps']} repetition(s)):",
               f"| {sec} | " + " | ".join(bl.DUT_NAMES[d] for d in duts) + " |",
               "l" + "r" * len(duts))
        for x in xs:
            cells = []
            for d in duts:
                r = next((r for r in rows if r["dut"] == d and r["x"] == x), None)
                if r is None:
                    cells.append("-")
                else:
                    q = "" if r["n_quiet"] == r["n"] else f" ({r['n_quiet']}/{r['n']} quiet)"
                    cells.append(f"{R.num(r['tx_mpps'])} / {R.num(r['dut_cycles_per_packet'], 0)}{q}")
            L.append(f"| {x} | " + " | ".join(cells) + " |")
        L.append("")

    b = tables["build"]
    if b:
        _table(L, "**Build time and memory versus cluster size** (`podwall-policy-bench`; "
               "identity compile versus naive per-IP compile):",
               "| pods / policies | case | podwall build ms (min-max) | ACL rules v4+v6 | "
               "snapshot MB | build peak MB | naive rules | naive build ms | naive / "
               "podwall build | naive / podwall rules |", "llrrrrrrrr")
        for r in b:
            snap = (r.get("acl_mb") or 0) + (r.get("hash_mb") or 0)
            L.append(f"| {r['pods']:,} / {r['policies']:,} | {r['case']} | "
                     f"{R.mmm((r['total_ms'], r['total_min_ms'], r['total_max_ms']))} | "
                     f"{r['acl_rules4']:,} + {r['acl_rules6']:,} | {R.num(snap)} | "
                     f"{R.num(r.get('build_rss_mb'))} | {r['naive_rules']:,} | "
                     f"{R.num(r['naive_build_ms']) if r.get('naive_built') else 'not built'} | "
                     f"{R.num(r['naive_over_identity_build'])}{'x' if r['naive_over_identity_build'] else ''} | "
                     f"{R.num(r['naive_over_identity_rules_v4'])}x |")
        L.append("")
    p = tables["propagation"]
    if p:
        _table(L, "**Propagation latency** (`propagation_bench.py`, API event to live "
               "snapshot):", "| pods / policies | case | samples | p50 ms | p99 ms | max ms | "
               "build p50 ms |", "llrrrrr")
        for r in p:
            L.append(f"| {r['pods']:,} / {r['policies']:,} | {r['case']} | {r['n']} | "
                     f"{R.num(r['p50_ms'])} | {R.num(r['p99_ms'])} | {R.num(r['max_ms'])} | "
                     f"{R.num(r['build_total_p50_ms'])} |")
        L.append("")
    if made:
        L.append("Figures: " + ", ".join(os.path.basename(x) for x in made
                                         if x.endswith(".png")) + " (and .svg).")
        L.append("")
    return "\n".join(L) + "\n"

# SPDX-License-Identifier: Apache-2.0
"""gnuplot figures of the matrix: one data file (.dat, gnuplot blocks) and one script (.gp)
per figure, each rendered to PNG (pngcairo, else png) and SVG. The scripts set no terminal:
`gnuplot -e "set terminal svg; set output 'x.svg'" x.gp` renders any of them again."""
import os
import subprocess

from benchlib import DUT_NAMES, DUT_ORDER, uniq

COLORS = {"policy": "#d62728", "allow": "#ff7f0e", "testpmd": "#2ca02c", "ovs": "#1f77b4"}
W, H = 1000, 400

COMMON = """set encoding utf8
set grid ytics lc rgb "#dddddd"
set border 3
set tics nomirror
set key top right box opaque font ",9"
set style fill solid 0.7 border -1
set bars 1.5
set offsets graph 0, graph 0, graph 0.3, 0
"""


def _terms():
    p = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
    t = p.stdout + p.stderr
    png = (f"pngcairo size {W},{H} font 'DejaVu Sans,10'" if "pngcairo" in t
           else f"png size {W},{H}")
    return png, f"svg size {W},{H} dynamic font 'DejaVu Sans,10' background '#ffffff'"


def _v(x):
    return "NaN" if x is None else f"{x:.6g}"


def _q(s):
    return '"' + str(s).replace('"', "'") + '"'


def _titles(duts):
    return ("array T[%d] = [%s]\narray C[%d] = [%s]\n" %
            (len(duts), ", ".join(_q(DUT_NAMES[d]) for d in duts), len(duts),
             ", ".join(_q(COLORS[d]) for d in duts)))


def _yscale(rows, key):
    """Linear from 0, or logarithmic when the values span more than 20x (OVS's upcalls)."""
    v = [r.get(key) for r in rows if r.get(key)]
    if v and min(v) > 0 and max(v) / min(v) > 20:
        return "set logscale y\nset yrange [*:*]\n"
    return "unset logscale y\nset yrange [0:*]\n"


def _plot(parts):
    """A gnuplot plot command of several parts, one a line."""
    return "plot " + ", \\\n     ".join(parts) + "\n"


def _categories(labels, n):
    """A categorical x axis for clusters of n bars: (bar width, its gnuplot lines)."""
    bw = 0.8 / max(n, 1)
    return bw, (f"set boxwidth {bw:.3f}\nset xrange [-0.6:{len(labels) - 0.4}]\n"
                "set xtics (" + ", ".join(f"{_q(c)} {i}" for i, c in enumerate(labels)) + ")\n")


def _bars(dat, n, bw, col, err, colour, title):
    """Clustered bars: for data block i of n, a bar of column col placed i-th in its cluster,
    coloured colour(i) and titled title(i) (gnuplot expressions), and its whisker (columns
    err, "low:high"), black and untitled."""
    parts = []
    for i in range(n):
        x = f"($1+{(i - (n - 1) / 2) * bw:.3f})"
        parts.append(f"'{dat}' index {i} using {x}:{col} with boxes lc rgb {colour(i)} "
                     f"title {title(i)}")
        parts.append(f"'{dat}' index {i} using {x}:{col}:{err} with yerrorbars "
                     f"lc rgb 'black' pt 7 ps 0 notitle")
    return parts


def _blocks(dat, series, specs):
    """Plot parts over the data file's blocks: for block i (series[i]), one part per
    (using, style, title) in specs, titled "title (series)"."""
    return [f"'{dat}' index {i} using {u} with {w} title '{t} ({name})'"
            for i, name in enumerate(series) for u, w, t in specs]


def _render(figs, name, script):
    gp = os.path.join(figs, name + ".gp")
    with open(gp, "w") as f:
        f.write(script)
    png, svg = _terms()
    made = []
    for term, ext in ((png, "png"), (svg, "svg")):
        outp = os.path.join(figs, f"{name}.{ext}")
        p = subprocess.run(["gnuplot", "-e", f"set terminal {term}; set output '{outp}'",
                            gp], capture_output=True, text=True, cwd=figs, timeout=60)
        if p.returncode == 0 and os.path.exists(outp):
            made.append(outp)
        else:
            print(f"gnuplot {name}.{ext}: {p.stderr.strip()[:400]}")
    return made


def _lines(rows, duts, figs, name, xlabel, title, logx, refs):
    """Mpps and cycles/packet against a numeric x, one line per DUT, min-max bars; refs:
    {dut: (mpps, cycles)} drawn as dashed horizontal lines (DUTs the sweep does not vary)."""
    dat = os.path.join(figs, name + ".dat")
    with open(dat, "w") as f:
        for d in duts:
            f.write(f"# {d}: x mpps min max cycles min max\n")
            for r in rows:
                if r["dut"] == d:
                    f.write(" ".join([r["x"]] + [_v(r.get(k)) for k in (
                        "tx_mpps", "tx_mpps_min", "tx_mpps_max", "dut_cycles_per_packet",
                        "dut_cycles_per_packet_min", "dut_cycles_per_packet_max")]) + "\n")
            f.write("\n\n")
    xs = sorted({float(r["x"]) for r in rows})
    s = COMMON + _titles(duts)
    s += f"set multiplot layout 1,2 title {_q(title)} font ',11'\n"
    s += f"set xlabel {_q(xlabel)}\n"
    if logx:
        s += "set logscale x\nset format x '%.0s%c'\n"
    if xs:
        lo, hi = xs[0], xs[-1]
        s += (f"set xrange [{lo / 1.5 if logx else lo - (hi - lo) * 0.05}:"
              f"{hi * 1.5 if logx else hi + (hi - lo) * 0.05 + 1}]\n")
    for col, ylab in ((2, "Mpps into the DUT (median, min-max)"),
                      (5, "DUT busy cycles per packet")):
        key = "rx_mpps" if col == 2 else "dut_cycles_per_packet"
        s += f"set ylabel {_q(ylab)}\n" + _yscale(rows, "tx_mpps" if col == 2 else key)
        parts = [f"'{name}.dat' index {i} using 1:{col}:{col + 1}:{col + 2} with yerrorlines "
                 f"lw 2 pt 7 ps 0.8 lc rgb C[{i + 1}] title T[{i + 1}]"
                 for i in range(len(duts))]
        for d, (mp, cy) in refs.items():
            v = mp if col == 2 else cy
            if v is not None:
                parts.append(f"{v:.6g} with lines dt 2 lw 1.5 lc rgb {_q(COLORS[d])} "
                             f"title {_q(DUT_NAMES[d] + ' (standard point)')}")
        s += _plot(parts)
    s += "unset multiplot\n"
    return _render(figs, name, s)


def _groups(rows, duts, figs, name, cats, xlabel, title, cols, ylabels):
    """Clustered bars with min-max bars: one cluster per category, one bar per DUT."""
    dat = os.path.join(figs, name + ".dat")
    n = len(duts)
    with open(dat, "w") as f:
        for d in duts:
            f.write(f"# {d}: pos label " + " ".join(" ".join((c, c + "_min", c + "_max"))
                                                   for c in cols) + "\n")
            for ci, c in enumerate(cats):
                r = next((r for r in rows if r["dut"] == d and r["x"] == c), None)
                if r is None:
                    continue
                vals = []
                for k in cols:
                    vals += [_v(r.get(k)), _v(r.get(k + "_min")), _v(r.get(k + "_max"))]
                f.write(f"{ci} {_q(c)} " + " ".join(vals) + "\n")
            f.write("\n\n")
    s = COMMON + _titles(duts)
    s += f"set multiplot layout 1,{len(cols)} title {_q(title)} font ',11'\n"
    s += f"set xlabel {_q(xlabel)}\n"
    bw, axis = _categories(["" if c == "std" else c for c in cats], n)
    s += axis
    for ki, (k, ylab) in enumerate(zip(cols, ylabels)):
        c0 = 3 + 3 * ki
        s += f"set ylabel {_q(ylab)}\n" + _yscale(rows, k)
        s += _plot(_bars(f"{name}.dat", n, bw, c0, f"{c0 + 1}:{c0 + 2}",
                         lambda i: f"C[{i + 1}]", lambda i: f"T[{i + 1}]"))
    s += "unset multiplot\n"
    return _render(figs, name, s)


def _build(rows, figs):
    if not rows:
        return []
    dat = os.path.join(figs, "build.dat")
    series = []
    with open(dat, "w") as f:
        for case in ("node", "all-local"):
            cr = sorted((r for r in rows if r["case"] == case), key=lambda r: r["pods"])
            if not cr:
                continue
            f.write(f"# {case}: pods total_ms min max naive_build_ms build_rss_mb "
                    "snapshot_mb naive_mb\n")
            for r in cr:
                snap = (r.get("acl_mb") or 0) + (r.get("hash_mb") or 0)
                f.write(" ".join(_v(x) for x in (
                    r["pods"], r.get("total_ms"), r.get("total_min_ms"), r.get("total_max_ms"),
                    r.get("naive_build_ms") if r.get("naive_built") else None,
                    r.get("build_rss_mb"), snap,
                    r.get("naive_mb") if r.get("naive_built") else None)) + "\n")
            f.write("\n\n")
            series.append(case)
    s = COMMON + "set multiplot layout 1,2 title 'Policy build versus cluster size " \
        "(pods; policies = pods / 10)' font ',11'\n"
    s += "set logscale xy\nset xlabel 'pods'\nset format x '%.0s%c'\nset xrange [500:200000]\n"
    s += "set key top left\nset ylabel 'build time, ms (median, min-max)'\n"
    s += _plot(_blocks("build.dat", series, (
        ("1:2:3:4", "yerrorlines lw 2 pt 7", "podwall identity compile + ACL"),
        ("1:5", "linespoints dt 2 lw 2 pt 5", "naive per-IP ACL build"))))
    s += "set ylabel 'MB'\n"
    parts = _blocks("build.dat", series, (
        ("1:($6 > 0 ? $6 : 1/0)", "linespoints lw 2 pt 7", "build peak RSS"),
        ("1:7", "linespoints lw 2 pt 9", "snapshot: ACL + address maps"),
        ("1:8", "linespoints dt 2 lw 2 pt 5", "naive ACL")))
    s += _plot(parts) + "unset multiplot\n"
    return _render(figs, "build", s)


def _propagation(rows, figs):
    if not rows:
        return []
    sizes = uniq(f"{r['pods']}/{r['policies']}" for r in rows)
    cases = uniq(r["case"] for r in rows)
    with open(os.path.join(figs, "propagation.dat"), "w") as f:
        for c in cases:
            f.write(f"# {c}: pos p50 p99 max\n")
            for i, k in enumerate(sizes):
                r = next((r for r in rows if r["case"] == c and
                          f"{r['pods']}/{r['policies']}" == k), None)
                if r:
                    f.write(f"{i} {_v(r['p50_ms'])} {_v(r['p99_ms'])} {_v(r['max_ms'])}\n")
            f.write("\n\n")
    s = COMMON + "set title 'Propagation: API event to live snapshot (bar p50, whisker " \
        "p99)' font ',11'\n"
    bw, axis = _categories(sizes, len(cases))
    s += axis
    s += "set xlabel 'pods / policies'\nset ylabel 'ms'\nset yrange [0:*]\n"
    s += "set arrow from graph 0, first 100 to graph 1, first 100 nohead dt 2 lc rgb 'red'\n"
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"]
    s += _plot(_bars("propagation.dat", len(cases), bw, 2, "2:3",
                     lambda i: _q(colors[i % len(colors)]), lambda i: _q(cases[i])))
    return _render(figs, "propagation", s)


def render_all(res, tables, figs):
    made = []
    comp = tables["comparison"]
    cd = [d for d in DUT_ORDER if any(r["dut"] == d for r in comp)]
    std = res["settings"]["std"]
    ptxt = (f"{std['pods']} pods / {std['policies']} policies, {std['flows']} flows, "
            f"{'IMIX' if std['size'] == 0 else str(std['size']) + ' B'}")
    if comp:
        made += _groups(comp, cd, figs, "comparison", ["std"], "", f"Standard point: {ptxt}",
                        ["tx_mpps", "dut_cycles_per_packet"],
                        ["Mpps into the DUT (unlimited offer)", "DUT busy cycles per packet"])
    refs = {}
    for r in comp:
        if r["dut"] in ("allow", "testpmd"):
            refs[r["dut"]] = (r.get("tx_mpps"), r.get("dut_cycles_per_packet"))
    size = "IMIX" if std["size"] == 0 else f"{std['size']} B"
    for sec, xl, logx, title in (
            ("policies", "policies", True,
             f"Versus policies: {std['pods']} pods, {std['flows']} flows, {size}"),
            ("flows", "concurrent flows", True,
             f"Versus concurrent flows: {std['pods']} pods / {std['policies']} policies, "
             f"{size}"),):
        rows = tables[sec]
        if rows:
            d = [x for x in DUT_ORDER if any(r["dut"] == x for r in rows)]
            made += _lines(rows, d, figs, sec, xl, title, logx,
                           refs if sec == "policies" else {})
    rows = tables["size"]
    if rows:
        d = [x for x in DUT_ORDER if any(r["dut"] == x for r in rows)]
        cats = uniq(r["x"] for r in rows)
        made += _groups(rows, d, figs, "size", cats, "frame size (bytes)",
                        f"Versus frame size: {std['pods']} pods / {std['policies']} policies, "
                        f"{std['flows']} flows", ["tx_mpps", "dut_cycles_per_packet"],
                        ["Mpps into the DUT", "DUT busy cycles per packet"])
    zl = tables["zeroloss"]
    if zl:
        zrows = [{"dut": r["dut"], "x": r["level"], "tx_mpps": r["mpps"],
                  "tx_mpps_min": r["mpps_min"], "tx_mpps_max": r["mpps_max"],
                  "dut_cycles_per_packet": r["cycles_per_packet"]} for r in zl]
        cats = uniq(r["level"] for r in zl)
        made += _groups(zrows, [x for x in DUT_ORDER if any(r["dut"] == x for r in zl)], figs,
                        "zeroloss", cats, "", f"Throughput at a loss tolerance (RFC 2544 "
                        f"search on the offered rate): {ptxt}",
                        ["tx_mpps", "dut_cycles_per_packet"],
                        ["Mpps offered (median, min-max)", "cycles per packet at that rate"])
    made += _build(tables["build"], figs)
    made += _propagation(tables["propagation"], figs)
    return made

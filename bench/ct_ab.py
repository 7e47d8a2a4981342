#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Side by side runs of podwall-ct-bench builds (bench/README.md, "Connection tracking").

    ct_ab.py ROUNDS "BENCH ARGS" NAME=BINARY [NAME=BINARY ...]

Runs each binary once per round, in turn (A B C A B C ...), with BENCH ARGS plus --json, so
that a noisy machine disturbs every build alike; then prints, per run and build, the median
cycles per packet over the rounds with min and max, and Mpps per core at the median. Use
--reps 1 in BENCH ARGS: the rounds are the repetitions.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    rounds, args = int(sys.argv[1]), sys.argv[2].split()
    builds = [a.split("=", 1) for a in sys.argv[3:]]
    res = {name: {} for name, _ in builds}
    hz = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run.json")
        for _ in range(rounds):
            for name, binary in builds:
                p = subprocess.run([binary] + args + ["--json", out], capture_output=True,
                                   text=True, check=False)
                if p.returncode != 0:
                    sys.exit("%s failed:\n%s" % (name, p.stderr[-2000:]))
                with open(out, encoding="utf-8") as f:
                    j = json.load(f)
                hz = j["tsc_hz"]
                for run, v in j["runs"].items():
                    res[name].setdefault(run, []).append(v["cycles_per_packet"])
    med = {n: {r: statistics.median(v) for r, v in runs.items()} for n, runs in res.items()}
    print("TSC %.3f GHz; cycles/packet median [min-max] over %d rounds, Mpps/core at the "
          "median" % (hz / 1e9, rounds))
    print("%-18s" % "run" + "".join("%27s" % n for n, _ in builds))
    for run in res[builds[0][0]]:
        line = "%-18s" % run
        for name, _ in builds:
            v = res[name][run]
            line += "%8.1f [%4.0f-%4.0f] %6.2f" % (med[name][run], min(v), max(v),
                                                   hz / med[name][run] / 1e6)
        print(line)

    def ratio(name, a, b):
        m = med[name]
        return m[b] / m[a] if a in m and b in m else float("nan")

    for name, _ in builds:
        print("%s: whole path established/allow-all %.3f, first/established %.3f; decision "
              "step first/established %.3f" % (
                  name, ratio(name, "path-established", "path-nopolicy"),
                  ratio(name, "path-first", "path-established"),
                  ratio(name, "first", "established")))


if __name__ == "__main__":
    main()

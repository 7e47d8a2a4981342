"""podwall-bench stops at once on SIGINT or SIGTERM before its measured phase, with a clear
message, a non-zero exit status (128 + the signal) and no JSON, instead of waiting out the
link wait (60 s), the warm-up or the learning phase (bench/README.md, "podwall-bench").

1. SIGINT while waiting for the links (no peer at all).
2. SIGTERM during a 30 s warm-up, the links up (podwall, allow-all, on the memif sockets):
   the generator ends, closing its ports; podwall sees both links go down and stays healthy.
3. SIGINT during a 30 s learning phase, traffic flowing."""

import os
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from pwtest import Podwall, check, log  # noqa: E402
from test_bench_memif import BENCH, Bench, podwall_config  # noqa: E402


def stopped(bench, sig, within):
    """Send @sig; return (exit status, seconds it took)."""
    t0 = time.time()
    rc = bench.finish(sig, timeout=within + 5)
    return rc, time.time() - t0


def link_wait(workdir):
    bench = Bench(workdir, "nolink", ["--seconds", "1"])
    try:
        bench.wait_text("flows (", 20)
        time.sleep(0.3)
        rc, dt = stopped(bench, signal.SIGINT, 2)
        check(rc == 128 + signal.SIGINT and dt < 2,
              "SIGINT in the link wait: exit %d after %.2f s" % (rc, dt))
        check("Interrupt while waiting for the links: no result" in bench.stderr(),
              "the link wait's message")
        check(not os.path.exists(bench.json), "no JSON")
    finally:
        bench.cleanup()


def links(pw):
    return [p["link"]["up"] for p in pw.ctl_json("status")["ports"]]


def with_podwall(workdir, tag, args, wait_for, stream, sig, message):
    bench = Bench(workdir, tag, args)
    try:
        bench.wait_text("flows (", 20)
        with Podwall("gensig-" + tag) as pw:
            podwall_config(pw, bench, None)
            pw.start()
            bench.wait_text(wait_for, 20, stream)
            check(links(pw) == [True, True], "%s: podwall's links are up" % tag)
            rc, dt = stopped(bench, sig, 2)
            check(rc == 128 + sig and dt < 2, "%s: %s ends the generator: exit %d after "
                  "%.2f s" % (tag, signal.Signals(sig).name, rc, dt))
            check(message in bench.stderr(), "%s: message %r" % (tag, message))
            check(not os.path.exists(bench.json), "%s: no JSON" % tag)
            deadline = time.time() + 5
            while links(pw) != [False, False] and time.time() < deadline:
                time.sleep(0.05)
            check(links(pw) == [False, False], "%s: podwall saw both links go down" % tag)
            pw.stop()
    except BaseException:
        log("---- podwall-bench %s ----\n%s%s" % (tag, bench.stdout(), bench.stderr()))
        raise
    finally:
        bench.cleanup()


def main():
    if not os.path.exists(BENCH):
        raise AssertionError("no podwall-bench at %s" % BENCH)
    workdir = tempfile.mkdtemp(prefix="pw-bench-sig-")
    try:
        link_wait(workdir)
        with_podwall(workdir, "warmup", ["--warmup", "30", "--seconds", "1"], "links up",
                     "stdout", signal.SIGTERM,
                     "Terminated during the warm-up: no measured result")
        with_podwall(workdir, "learning", ["--learn", "30", "--seconds", "1", "--rate",
                                           "0.05", "--flows", "16"],
                     "learning\n", "stderr", signal.SIGINT,
                     "Interrupt during the learning phase: no measured result")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

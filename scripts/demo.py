"""podwall's main job: Kubernetes NetworkPolicy enforced on real traffic between pods.

The scenario is the frontend / not-frontend / backend app of the Cilium lab tutorial
(config/examples/policies/frontend-backend/, seed 004): three pods as network namespaces,
with the addresses their manifests give them, and podwall as their switch (bridge mode over
net_af_packet ports on the host ends of their veth pairs), watching a directory of manifests.
The policies arrive as in the tutorial, one file at a time, and after each step every pod
tries every other on TCP 8080 for real:

  1. no policy: everything connects;
  2. backend-ingress-deny: nothing reaches backend;
  3. backend-allow-ingress-frontend as well: frontend does, not-frontend still does not
     (policies are additive).

Then `podwallctl explain` for one blocked and one allowed connection, and the per-policy hits.

Run through scripts/demo.sh, which installs and builds first."""

import os
import shutil
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
os.environ.setdefault("PW_PODWALL", os.path.join(ROOT, "build", "control", "podwall"))
os.environ.setdefault("PW_PODWALLCTL", os.path.join(ROOT, "build", "tools", "podwallctl"))

from pwtest import Podwall, require_root  # noqa: E402
from pwnetns import PodNet  # noqa: E402
from pwscenario import Scenario, probe_all, serve  # noqa: E402

SCENARIO = "frontend-backend"
PORT = 8080
TIMEOUT = 1.5
STEPS = [
    ("no policy", [],
     lambda src, dst: True),
    ("backend-ingress-deny", ["backend-ingress-deny.yaml"],
     lambda src, dst: dst != "backend"),
    ("backend-ingress-deny + backend-allow-ingress-frontend",
     ["backend-allow-ingress-frontend.yaml"],
     lambda src, dst: dst != "backend" or src == "frontend"),
]


def say(msg=""):
    print(msg, flush=True)


def policy_text(path):
    """A policy file without its comment lines."""
    with open(path) as f:
        return "".join("      " + line for line in f if not line.lstrip().startswith("#"))


def generation(pw):
    return pw.ctl_json("status")["policy"]["generation"]


def matrix(net, names):
    pairs = [(s, d) for s in names for d in names if s != d]
    jobs = [(net.pod(s), "tcp", net.pod(d).ip, PORT, TIMEOUT) for s, d in pairs]
    return dict(zip(pairs, probe_all(jobs)))


def show_matrix(results, names, expect):
    width = max(len(n) for n in names) + 2
    say("    %-*s %s" % (width + 3, "from \\ to", "".join("%-16s" % n for n in names)))
    wrong = 0
    for s in names:
        cells = []
        for d in names:
            if s == d:
                cells.append("%-16s" % "-")
                continue
            got = results[(s, d)]
            seen = "ALLOWED" if got == "ok" else "BLOCKED" if got == "timeout" else got
            mark = ""
            if (got == "ok") != expect(s, d):
                mark = " (!)"
                wrong += 1
            cells.append("%-16s" % (seen + mark))
        say("    %-*s %s" % (width + 3, s, "".join(cells)))
    if wrong:
        say("    (!) %d connection(s) not as Kubernetes NetworkPolicy semantics say" % wrong)


def main():
    require_root()
    t_start = time.time()
    sc = Scenario(SCENARIO)
    names = ["frontend", "not-frontend", "backend"]
    pods = {sc.pods[sc.pod_key(n)]["name"]: sc.pods[sc.pod_key(n)] for n in names}
    addrs = {n: tuple(pods[n]["ips"][:2]) for n in names}
    net = PodNet(names, tag="demo", addrs=addrs)
    servers = []
    try:
        with net, Podwall("demo") as pw:
            say("== scenario: %s (tutorial %s) ==" % (SCENARIO, sc.expected["tutorial"]))
            say("== pods (network namespaces), from %s ==" % os.path.relpath(sc.manifests, ROOT))
            for i, p in enumerate(net.pods):
                meta = pods[p.name]
                say("  %-13s ns %-8s labels %-18s %-12s %-14s podwall port %d (%s)" %
                    (p.name, meta["namespace"],
                     ",".join("%s=%s" % kv for kv in sorted(meta["labels"].items())),
                     p.ip, p.ip6, i, p.host_if))
            servers = [serve(p, [PORT]) for p in net.pods]

            watched = pw.path("manifests")
            os.mkdir(watched)
            for fn in ("00-namespaces.yaml", "10-pods.yaml"):
                shutil.copy(os.path.join(sc.manifests, fn), watched)
            pw.configure(mode="bridge", ports=[(p.name, p.device(i))
                                               for i, p in enumerate(net.pods)],
                         before_sync="fail-closed", manifests_dir=watched, node="node-1")
            pw.start()
            say("\n== podwall is running: bridge over %d pod ports, policy.source manifests, "
                "watching %s ==" % (len(net.pods), watched))

            for step, (title, files, expect) in enumerate(STEPS, 1):
                g0 = generation(pw)
                t0 = time.time()
                for fn in files:
                    shutil.copy(os.path.join(sc.manifests, fn), watched)
                if files:
                    while generation(pw) == g0 and time.time() - t0 < 5:
                        time.sleep(0.01)
                    live = "live after %.0f ms (generation %d)" % ((time.time() - t0) * 1000,
                                                                   generation(pw))
                else:
                    live = "generation %d" % g0
                say("\n== step %d: %s -- %s ==" % (step, title, live))
                for fn in files:
                    say("  %s:" % fn)
                    say(policy_text(os.path.join(sc.manifests, fn)).rstrip())
                say("  TCP %d, every pod to every other (BLOCKED = no answer in %.1f s):" %
                    (PORT, TIMEOUT))
                show_matrix(matrix(net, names), names, expect)

            fe, nf, be = (net.pod(n) for n in names)
            say("\n== podwallctl explain --from %s (not-frontend) --to %s (backend) --proto tcp "
                "--port %d ==" % (nf.ip, be.ip, PORT))
            say(pw.ctl("explain", "--from", nf.ip, "--to", be.ip, "--proto", "tcp", "--port",
                       str(PORT)).stdout.rstrip())
            say("\n== podwallctl explain --from %s (frontend) --to %s (backend) --proto tcp "
                "--port %d ==" % (fe.ip, be.ip, PORT))
            say(pw.ctl("explain", "--from", fe.ip, "--to", be.ip, "--proto", "tcp", "--port",
                       str(PORT)).stdout.rstrip())
            say("\n== podwallctl policies (hits on the live table) ==")
            say(pw.ctl("policies").stdout.rstrip())
            stats = pw.ctl_json("stats")
            say("\n== drops: %s ==" % (", ".join("%s %d" % kv for kv in
                                                 sorted(stats["drops"].items())) or "none"))
            pw.stop()
    finally:
        for s in servers:
            s.kill()
            s.wait()
        net.cleanup()
    say("podwall stopped; pods removed (%.1f s)." % (time.time() - t_start))


if __name__ == "__main__":
    main()

"""End to end: the tutorials' policies enforced on real traffic. Every pod of four example
scenarios (config/examples/policies/: web-api-db, frontend-backend, app-db-dns,
allow-access-label) and the
stand-in internet host is a network namespace with the address its manifest gives it, behind
a net_af_packet port of podwall in bridge mode, with `policy.source: manifests` watching a
temporary copy of the scenarios' manifests.

Every expected connection is tried for real (TCP connect and echo, UDP echo for DNS, IPv6
where the scenario says so): the allowed ones must get their echo, the blocked ones must time
out (dropped by podwall, not refused). Then the policies change live in the watched directory,
as in the tutorials, and each change must be in force within a second:

1. frontend-backend starts with backend-ingress-deny only (tutorial task 2.2.3): nothing
   reaches backend. Adding backend-allow-ingress-frontend (task 2.2.5) lets frontend in while
   not-frontend stays out (policies are additive), and explain names the allowing rule.
2. Removing web-api-db's db-policy opens the database to the web pod; putting it back closes
   it again while the API pod keeps its access.
3. As in the allow-access tutorial, the client pod gets the label allow-access=true (its
   manifest is rewritten): the server, closed to it before, now accepts it.

ARP always passes (policy applies to IP only), and the bridge learns the pods' MACs."""

import os
import re
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from pwtest import Podwall, check, log, require_root  # noqa: E402
from pwnetns import PodNet  # noqa: E402
from pwscenario import Scenario, probe_all, serve  # noqa: E402

SCENARIOS = ["web-api-db", "frontend-backend", "app-db-dns", "allow-access-label"]
LATE = ("frontend-backend", "backend-allow-ingress-frontend.yaml")
DB_POLICY = ("web-api-db", "db-policy.yaml")
TIMEOUT = 1.5       # a blocked connection is one that gets no answer in this long
SWAP_LIMIT = 1.0    # a policy change must be live within this long


def alias(key, taken):
    """A network namespace name for a pod key ('ns/name') or host name."""
    name = key.split("/")[-1]
    if name in taken:
        name = re.sub(r"[^a-z0-9-]", "-", key.lower())
    return name


class Net:
    """The pods of the scenarios as network namespaces, and the way from references to them."""

    def __init__(self, scenarios):
        self.by_key = {}   # (scenario, pod key or host) -> alias
        addrs = {}
        for sc in scenarios:
            for key, pod in sorted(sc.pods.items()):
                v4 = [a for a in pod["ips"] if ":" not in a]
                v6 = [a for a in pod["ips"] if ":" in a]
                a = alias(key, addrs)
                addrs[a] = (v4[0], v6[0] if v6 else None)
                self.by_key[(sc.name, key)] = a
            for host, ip in sorted(sc.hosts.items()):
                a = alias(host.replace(".", "-"), addrs)
                addrs[a] = (ip, None)
                self.by_key[(sc.name, host)] = a
        self.netns = PodNet(sorted(addrs), tag="pol%d" % (os.getpid() % 100), addrs=addrs)

    def pod(self, sc, ref):
        key = sc.pod_key(ref) or ref
        return self.netns.pod(self.by_key[(sc.name, key)])


def copy_manifests(scenarios, watched, held_back):
    for sc in scenarios:
        for fn in sorted(os.listdir(sc.manifests)):
            if (sc.name, fn) not in held_back:
                shutil.copy(os.path.join(sc.manifests, fn), os.path.join(watched, fname(sc, fn)))


def fname(sc, fn):
    return "%s--%s" % (sc.name, fn)


class Failures:
    """Checks that let the test go on, so that one run shows every problem; main() fails at
    the end if any failed."""

    def __init__(self):
        self.failed = []

    def check(self, cond, what):
        if cond:
            log("ok: " + what)
        else:
            log("FAIL: " + what)
            self.failed.append(what)

    def done(self):
        if self.failed:
            raise AssertionError("%d checks failed:\n%s" % (len(self.failed),
                                                             "\n".join(self.failed)))


def try_connections(fails, net, cases, what):
    """@cases: (scenario, connection, allowed?) — try them all; every one must behave."""
    jobs = [(net.pod(sc, c.src_ref), c.proto, c.dst, c.port, TIMEOUT) for sc, c, _ in cases]
    t0 = time.time()
    results = probe_all(jobs)
    bad = []
    for (sc, c, allowed), got in zip(cases, results):
        want = "ok" if allowed else "timeout"
        log("   %-8s %-8s %s: %s" % ("allowed" if allowed else "blocked", got, sc.name, c))
        if got != want:
            bad.append("%s: %s: got %s, expected %s (%s)" % (sc.name, c, got, want, c.why))
    fails.check(not bad, "%s: %d connections (%d allowed, %d blocked) behave, in %.1f s%s" %
                (what, len(cases), sum(1 for x in cases if x[2]),
                 sum(1 for x in cases if not x[2]), time.time() - t0,
                 "" if not bad else ":\n  " + "\n  ".join(bad)))


def generation(pw):
    return pw.ctl_json("status")["policy"]["generation"]


def wait_generation(pw, after, t0):
    """Wait for a policy generation newer than @after; its number and the delay since @t0."""
    while True:
        gen = generation(pw)
        if gen > after:
            return gen, time.time() - t0
        if time.time() - t0 > 5:
            raise AssertionError("policy generation still %d after 5 s:\n%s" % (gen, pw.log()))
        time.sleep(0.01)


def explain(pw, sc, c):
    return pw.ctl_json("explain", "--from", c.src, "--to", c.dst, "--proto", c.proto, "--port",
                       str(c.port))


def find(sc, src, dst, port, ipv6=False):
    return next(c for c in sc.connections
                if (c.src_ref, c.dst_ref, c.port, c.ipv6) == (src, dst, port, ipv6))


def main():
    require_root()
    # A test runner's SIGTERM (timeout) still runs the clean-up below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    t_start = time.time()
    scs = {n: Scenario(n) for n in SCENARIOS}
    net = Net(scs.values())
    fails = Failures()
    servers = []
    try:
        with net.netns, Podwall("policy") as pw:
            pods = net.netns.pods
            log("pods: " + ", ".join("%s %s" % (p.name, p.ip) for p in pods))
            # Echo servers on every port a connection goes to, in each destination pod.
            ports = {}
            for sc in scs.values():
                for c in sc.connections:
                    tcp, udp = ports.setdefault(net.pod(sc, c.dst_ref).name, (set(), set()))
                    (tcp if c.proto == "tcp" else udp).add(c.port)
            for p in pods:
                tcp, udp = ports.get(p.name, ((), ()))
                if tcp or udp:
                    servers.append(serve(p, tcp, udp, lifetime=120))

            watched = pw.path("manifests")
            os.mkdir(watched)
            copy_manifests(scs.values(), watched, {LATE})
            pw.configure(mode="bridge", ports=[(p.name[:31], p.device(i))
                                               for i, p in enumerate(pods)],
                         before_sync="fail-closed", manifests_dir=watched, node="node-1")
            pw.start()
            pol = pw.ctl_json("status")["policy"]
            nb_pods = sum(len(sc.pods) for sc in scs.values())
            check(pol["source"] == "manifests" and pol["sync_state"] == "synced" and
                  pol["rejected"] == {} and pol["objects"]["pods"] == nb_pods,
                  "podwall enforces the manifests of %s: generation %d, %s, nothing rejected" %
                  (", ".join(SCENARIOS), pol["generation"], pol["objects"]))

            # Phase 1: web-api-db and app-db-dns as the tutorials end; frontend-backend with
            # backend-ingress-deny only, so nothing reaches backend.
            fb = scs["frontend-backend"]
            cases = []
            for sc in scs.values():
                for c in sc.connections:
                    allowed = c.allowed
                    if sc is fb and c.dst_pod == "default/backend":
                        allowed = False
                    cases.append((sc, c, allowed))
            try_connections(fails, net, cases, "before the change")
            fe_be = find(fb, "frontend", "backend", 8080)
            e = explain(pw, fb, fe_be)
            fails.check(not e["allowed"] and e["ingress"]["pod"] == "default/backend" and
                        not e["ingress"]["allowed"] and "no rule" in e["ingress"]["decision"],
                        "explain frontend -> backend:8080: denied at backend's ingress (%s)" %
                        e["ingress"]["decision"])

            # Live change 1: the additive allow policy appears in the watched directory.
            g0 = generation(pw)
            t0 = time.time()
            shutil.copy(os.path.join(fb.manifests, LATE[1]), os.path.join(watched,
                                                                           fname(fb, LATE[1])))
            g1, delay = wait_generation(pw, g0, t0)
            fails.check(delay < SWAP_LIMIT, "%s added: generation %d -> %d live after %.0f ms" %
                        (LATE[1], g0, g1, delay * 1000))
            res = probe_all([(net.pod(fb, "frontend"), "tcp", fe_be.dst, 8080, TIMEOUT)])[0]
            fails.check(res == "ok" and time.time() - t0 < SWAP_LIMIT + TIMEOUT,
                        "frontend -> backend:8080 now connects (%s, %.0f ms after the write)" %
                        (res, (time.time() - t0) * 1000))
            try_connections(fails, net, [(fb, c, c.allowed) for c in fb.connections],
                            "frontend-backend, both policies")
            e = explain(pw, fb, fe_be)
            fails.check(e["allowed"] and e["ingress"].get("policy") ==
                        "default/backend-allow-ingress-frontend" and
                        e["ingress"].get("rule") == "spec.ingress[0]" and e["generation"] == g1,
                        "explain frontend -> backend:8080: allowed by %s %s (generation %d)" %
                        (e["ingress"].get("policy"), e["ingress"].get("rule"), e["generation"]))
            e = explain(pw, fb, find(fb, "not-frontend", "backend", 8080))
            fails.check(not e["allowed"] and not e["ingress"]["allowed"],
                        "explain not-frontend -> backend:8080: still denied (%s)" %
                        e["ingress"]["decision"])

            # Live change 2: db-policy removed, then restored.
            wad = scs["web-api-db"]
            web_db = find(wad, "web", "db", 3306)
            api_db = find(wad, "api", "db", 3306)
            g0 = generation(pw)
            t0 = time.time()
            os.unlink(os.path.join(watched, fname(wad, DB_POLICY[1])))
            g1, delay = wait_generation(pw, g0, t0)
            fails.check(delay < SWAP_LIMIT, "%s removed: generation %d -> %d live after %.0f ms" %
                        (DB_POLICY[1], g0, g1, delay * 1000))
            e = explain(pw, wad, web_db)
            fails.check(e["allowed"] and not e["ingress"]["enforced"],
                        "explain web -> db:3306: allowed, db %s" % e["ingress"]["decision"])
            try_connections(fails, net, [(wad, web_db, True), (wad, api_db, True)],
                            "web-api-db without db-policy")

            g0 = generation(pw)
            t0 = time.time()
            shutil.copy(os.path.join(wad.manifests, DB_POLICY[1]),
                        os.path.join(watched, fname(wad, DB_POLICY[1])))
            g1, delay = wait_generation(pw, g0, t0)
            fails.check(delay < SWAP_LIMIT, "%s restored: generation %d -> %d live after %.0f ms" %
                        (DB_POLICY[1], g0, g1, delay * 1000))
            try_connections(fails, net, [(wad, web_db, False), (wad, api_db, True)],
                            "web-api-db with db-policy again")
            e = explain(pw, wad, api_db)
            fails.check(e["allowed"] and e["ingress"].get("policy") == "default/db-policy",
                        "explain api -> db:3306: allowed by %s %s" % (e["ingress"].get("policy"),
                                                                    e["ingress"].get("rule")))
            e = explain(pw, wad, web_db)
            fails.check(not e["allowed"] and e["ingress"]["pod"] == "default/db",
                        "explain web -> db:3306: denied at db's ingress (%s)" %
                        e["ingress"]["decision"])

            # Live change 3: `kubectl label pod client allow-access=true`.
            aal = scs["allow-access-label"]
            cl_srv = find(aal, "client", "server", 80)
            pods_file = os.path.join(watched, fname(aal, "10-pods.yaml"))
            with open(pods_file) as f:
                text = f.read()
            relabelled = text.replace("  name: client\n  namespace: default\n",
                                      "  name: client\n  namespace: default\n  labels:\n"
                                      "    allow-access: \"true\"\n")
            check(relabelled != text, "client's manifest relabelled")
            g0 = generation(pw)
            t0 = time.time()
            with open(pods_file + ".tmp", "w") as f:
                f.write(relabelled)
            os.rename(pods_file + ".tmp", pods_file)
            g1, delay = wait_generation(pw, g0, t0)
            fails.check(delay < SWAP_LIMIT, "client labelled allow-access=true: generation "
                        "%d -> %d live after %.0f ms" % (g0, g1, delay * 1000))
            try_connections(fails, net, [(aal, cl_srv, True)], "client relabelled")
            e = explain(pw, aal, cl_srv)
            fails.check(e["allowed"] and e["ingress"].get("policy") ==
                        "default/simple-network-policy",
                        "explain client -> server:80: allowed by %s %s" %
                        (e["ingress"].get("policy"), e["ingress"].get("rule")))

            pol = pw.ctl_json("policies")
            log(pw.ctl("policies").stdout)
            # Hits count on the live table: since the last change, the relabelled client.
            fails.check(pol.get("default/simple-network-policy", {}).get("ingress", 0) > 0,
                        "podwallctl policies: simple-network-policy allowed %s ingress packets" %
                        pol.get("default/simple-network-policy", {}).get("ingress"))
            stats = pw.ctl_json("stats")
            fails.check(stats["drops"].get("policy_deny", 0) > 0,
                        "policy drops counted: %s" % stats["drops"])
            pw.stop()
    finally:
        for s in servers:
            s.kill()
            s.wait()
        net.netns.cleanup()
    fails.done()
    check(True, "end to end in %.1f s" % (time.time() - t_start))


if __name__ == "__main__":
    main()

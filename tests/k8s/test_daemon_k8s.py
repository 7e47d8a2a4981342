"""The real daemon with the Kubernetes API source, against the stand-in API server over
HTTPS (tests/k8s/fake_apiserver.py): it follows adds, updates and deletes of pods and
NetworkPolicies (checked through explain); while the server is down the last good table
stays in force and status shows the watches' state; after the server returns, and after a
410 relist, it converges without a restart; a bad object is rejected alone; the bearer token
never appears in the daemon's output or the operator socket's."""

import os
import secrets
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import fake_apiserver as fa  # noqa: E402
from pwtest import Podwall, check  # noqa: E402
from pwpkt import wrpcap  # noqa: E402

TOKEN = "tok-" + secrets.token_hex(12)


def pod(name, ip, app):
    return {"metadata": {"name": name, "namespace": "shop", "labels": {"app": app}},
            "spec": {"nodeName": "node-1", "containers": [
                {"name": "c", "ports": [{"name": "pg", "containerPort": 5432}]}]},
            "status": {"phase": "Running", "podIP": ip}}


def db_policy(*apps, end_port=None):
    port = {"port": "pg"} if end_port is None else {"port": 5432, "endPort": end_port}
    return {"metadata": {"name": "db", "namespace": "shop"},
            "spec": {"podSelector": {"matchLabels": {"app": "db"}},
                     "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": a}}}
                                           for a in apps], "ports": [port]}]}}


def allowed(pw, src, dst="10.40.0.3", port=5432):
    return pw.ctl_json("explain", "--from", src, "--to", dst, "--proto", "tcp", "--port",
                       str(port))["allowed"]


def wait(pw, what, cond, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        st = pw.ctl_json("status")["policy"]
        if cond(st):
            return st
        time.sleep(0.02)
    raise AssertionError("timed out waiting for: %s\n%s" % (what, pw.log()[-4000:]))


def start_cluster(tmp, token):
    """Test certificates, a token file and the stand-in server with namespace shop and pods
    api, web and db (10.40.0.1-3). Returns (certs, token_file, api)."""
    certs = fa.make_certs(tmp)
    token_file = os.path.join(tmp, "token")
    with open(token_file, "w") as f:
        f.write(token + "\n")
    api = fa.FakeApiServer(certs=certs, tokens=(token,)).start()
    api.add("namespaces", {"metadata": {"name": "shop"}})
    api.add("pods", pod("api", "10.40.0.1", "api"))
    api.add("pods", pod("web", "10.40.0.2", "web"))
    api.add("pods", pod("db", "10.40.0.3", "db"))
    return certs, token_file, api


def start_daemon(pw, server, token_file, ca_file):
    """The daemon on two idle net_pcap ports, guarding node-1, fail-closed until synced."""
    wrpcap(pw.path("empty.pcap"), [])
    pw.configure(mode="wire", node="node-1", before_sync="fail-closed",
                 kubernetes={"server": server, "token_file": token_file, "ca_file": ca_file},
                 ports=[(name, "net_pcap%d,rx_pcap=%s,tx_pcap=/dev/null" %
                         (i, pw.path("empty.pcap"))) for i, name in enumerate("ab")])
    pw.start()


def main():
    tmp = tempfile.mkdtemp(prefix="pw-k8sd-")
    try:
        certs, token_file, api = start_cluster(tmp, TOKEN)
        with Podwall("k8sd") as pw:
            start_daemon(pw, api.url, token_file, certs["ca.crt"])
            st = wait(pw, "first sync", lambda s: s["sync_state"] == "synced")
            check(st["source"] == "kubernetes" and st["objects"]["pods"] == 3 and
                  st["generation"] >= 1, "first full sync published: 3 pods, no policy")
            check(allowed(pw, "10.40.0.2"), "web -> db allowed: nothing isolated")

            gen = st["generation"]
            api.add("networkpolicies", db_policy("api"))
            st = wait(pw, "policy add", lambda s: s["generation"] > gen)
            check(allowed(pw, "10.40.0.1") and not allowed(pw, "10.40.0.2"),
                  "policy ADDED: api -> db allowed (named port), web -> db denied")
            gen = st["generation"]
            api.add("networkpolicies", db_policy("api", "web"))
            wait(pw, "policy update", lambda s: s["generation"] > gen)
            check(allowed(pw, "10.40.0.2"), "policy MODIFIED: web -> db allowed")

            # The server goes away: the last good table stays, status says so.
            api.stop()
            time.sleep(1.0)
            st = pw.ctl_json("status")["policy"]
            states = {w["resource"]: w["state"] for w in st["kubernetes"]["watches"]}
            check(allowed(pw, "10.40.0.2") and not allowed(pw, "10.40.0.2", port=80),
                  "server down: the last good table still decides")
            check(all(v != "watching" for v in states.values()),
                  "status shows the watches are not watching: %s" % states)
            api.start()  # same port
            gen = st["generation"]
            api.delete("pods", "shop", "web")
            api.add("pods", pod("web2", "10.40.0.4", "web"))
            st = wait(pw, "catch up after the outage",
                      lambda s: s["generation"] > gen and s["objects"]["pods"] == 3)
            check(allowed(pw, "10.40.0.4"), "after the outage: converged (web2 allowed)")

            # 410: the watch's resourceVersion expires; the relist replaces the state.
            gen = st["generation"]
            api.expire()
            api.add("networkpolicies", db_policy("api"))
            st = wait(pw, "relist after 410", lambda s: s["generation"] > gen)
            check(not allowed(pw, "10.40.0.4") and allowed(pw, "10.40.0.1"),
                  "after 410 and relist: converged (web2 denied again)")

            # A bad object is rejected alone; the last good version stays.
            api.add("networkpolicies", db_policy("web", end_port=80))
            wait(pw, "rejection", lambda s: "NetworkPolicy shop/db" in s["rejected"])
            check(allowed(pw, "10.40.0.1") and not allowed(pw, "10.40.0.4"),
                  "bad update rejected alone: the previous version of shop/db stays")

            gen = pw.ctl_json("status")["policy"]["generation"]
            api.delete("networkpolicies", "shop", "db")
            wait(pw, "policy delete", lambda s: s["generation"] > gen)
            check(allowed(pw, "10.40.0.4"), "policy DELETED: db no longer isolated")

            out = pw.ctl("--json", "status").stdout + pw.ctl("status").stdout
            pw.stop()
            check(TOKEN not in pw.log() and TOKEN not in out,
                  "the token never appears in the daemon's log or status")
        api.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

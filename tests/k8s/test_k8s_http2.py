"""The Kubernetes source over HTTP/2: the real daemon against the stand-in API server behind
an HTTP/2-only TLS front (tests/k8s/h2proxy.js, Node's http2; ALPN offers h2 alone, so an
HTTP/1.1 client would fail its handshake). The daemon lists and watches the three resources
over HTTP/2, multiplexed on one connection, follows adds and deletes (checked through
explain), and converges again after the API server behind the front restarts, with the front
answering 502 and resetting the watch streams meanwhile."""

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from pwtest import Podwall, check  # noqa: E402
from test_daemon_k8s import allowed, db_policy, pod, start_cluster, start_daemon, wait  # noqa: E402

TOKEN = "tok-" + secrets.token_hex(12)


def start_front(tmp, certs, upstream):
    log = os.path.join(tmp, "h2.jsonl")
    proc = subprocess.Popen(
        ["node", os.path.join(HERE, "h2proxy.js"), "--cert", certs["server.crt"], "--key",
         certs["server.key"], "--ca", certs["ca.crt"], "--upstream", upstream, "--log", log],
        stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line:
        raise AssertionError("h2proxy.js did not start (exit %s)" % proc.wait(5))
    return proc, json.loads(line)["port"], log


def requests(log):
    with open(log) as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    tmp = tempfile.mkdtemp(prefix="pw-k8sh2-")
    front = None
    try:
        certs, token_file, api = start_cluster(tmp, TOKEN)
        front, port, log = start_front(tmp, certs, api.url)
        with Podwall("k8sh2") as pw:
            start_daemon(pw, "https://127.0.0.1:%d" % port, token_file, certs["ca.crt"])
            st = wait(pw, "first sync", lambda s: s["sync_state"] == "synced")
            check(st["objects"]["pods"] == 3, "first full sync over HTTP/2: 3 pods")
            check(st["kubernetes"]["http2"] is True, "status: libcurl has HTTP/2")

            gen = st["generation"]
            api.add("networkpolicies", db_policy("api"))
            st = wait(pw, "policy add", lambda s: s["generation"] > gen)
            check(allowed(pw, "10.40.0.1") and not allowed(pw, "10.40.0.2"),
                  "policy ADDED over an HTTP/2 watch: api -> db allowed, web -> db denied")

            reqs = requests(log)
            kinds = {(r["path"].split("?")[0], "watch=1" in r["path"]) for r in reqs}
            check(all(r["alpn"] == "h2" for r in reqs) and len(kinds) == 6,
                  "lists and watches of pods, namespaces, networkpolicies all over h2: %s" %
                  sorted(kinds))
            check(len({r["session"] for r in reqs}) == 1,
                  "one TLS connection carries all six requests (multiplexed): sessions %s" %
                  sorted({r["session"] for r in reqs}))

            # The API server behind the front restarts: the front answers 502 and resets
            # the open streams; the daemon backs off, relists and converges.
            api.stop()
            time.sleep(1.0)
            check(allowed(pw, "10.40.0.1") and not allowed(pw, "10.40.0.2"),
                  "upstream down: the last good table still decides")
            api.start()
            gen = pw.ctl_json("status")["policy"]["generation"]
            api.delete("pods", "shop", "web")
            api.add("pods", pod("web2", "10.40.0.4", "web"))
            api.add("networkpolicies", db_policy("api", "web"))
            # Three changes: converged once a snapshot holds all of them.
            wait(pw, "catch up after the restart",
                 lambda s: s["generation"] > gen and allowed(pw, "10.40.0.4"), timeout=30)
            check(not allowed(pw, "10.40.0.2") and allowed(pw, "10.40.0.1"),
                  "after the restart: converged over h2 (web2 allowed, web gone)")
            check(any(r["status"] == 502 for r in requests(log)),
                  "the front answered 502 while the API server was down")

            gen = pw.ctl_json("status")["policy"]["generation"]
            api.delete("networkpolicies", "shop", "db")
            wait(pw, "policy delete", lambda s: s["generation"] > gen)
            check(allowed(pw, "10.40.0.2", port=80), "policy DELETED: db no longer isolated")
            check(all(r["alpn"] == "h2" for r in requests(log)), "every request was HTTP/2")
            pw.stop()
            check(TOKEN not in pw.log(), "the token never appears in the daemon's log")
        api.stop()
    finally:
        if front is not None:
            front.terminate()
            front.wait(5)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

"""The Kubernetes source (tests/k8s/k8s_driver: the source on an event loop, one JSON line per
callback) against the stand-in API server (fake_apiserver.py), over HTTPS on 127.0.0.1.

One driver runs through every fault without a restart, and after each one its state (what it
delivered minus what it removed) must equal the server's, closed by a synced:
  initial paginated, gzip-compressed lists; adds, updates, deletes; lines split across chunks;
  a multi-MB object; a disconnect mid-line; a malformed line; a line over the 16 MiB bound;
  410 as an ERROR event (with changes the watch never showed: the relist must remove what
  vanished, and only that), as an HTTP status, and on an expired continue token; 500s, as
  HTTP status and as ERROR events; stalls (a request, an open stream, a connection that never
  completes TLS); the server going down and coming back; token rotation (401 until the new
  token file appears), with a server that echoes the token.
Other drivers: a wrong CA (refused, said clearly), a bad token (401, counted), a kubeconfig
with inline CA and client certificate, in-cluster variables, insecure mode (warned). The
tokens never appear in any driver's output."""

import base64
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_apiserver as fa  # noqa: E402

DRIVER = os.environ.get("PW_K8S_DRIVER", "build/tests/k8s_driver")
TOKEN = "tok-" + secrets.token_hex(12)
NEW_TOKEN = "tok2-" + secrets.token_hex(12)
KIND = {"namespaces": "Namespace", "pods": "Pod", "networkpolicies": "NetworkPolicy"}
API = {"Namespace": "v1", "Pod": "v1", "NetworkPolicy": "networking.k8s.io/v1"}
FAST = ["--page-size", "4", "--idle-timeout-ms", "1500", "--backoff-base-ms", "50",
        "--backoff-max-ms", "800", "--watch-timeout-s", "20"]


def log(msg):
    print(msg, flush=True)


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    log("ok: " + what)


class Driver:
    """The driver process and what it said, parsed as it comes."""

    def __init__(self, tmp, name, args, env=None):
        self.name = name
        self.stderr_path = os.path.join(tmp, name + ".stderr")
        self.stdout_lines = []
        self.events = []
        self.state = {}
        self.synced_states = []
        self.cond = threading.Condition()
        self.proc = subprocess.Popen([DRIVER] + args, stdout=subprocess.PIPE,
                                     stderr=open(self.stderr_path, "w"), text=True, env=env)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            ev = json.loads(line)
            with self.cond:
                self.stdout_lines.append(line)
                self.events.append(ev)
                if ev["ev"] == "object":
                    self.state[(ev["kind"], ev["ns"], ev["name"])] = ev["rv"]
                elif ev["ev"] == "removed":
                    self.state.pop((ev["kind"], ev["ns"], ev["name"]), None)
                elif ev["ev"] == "synced":
                    self.synced_states.append(dict(self.state))
                self.cond.notify_all()

    def mark(self):
        with self.cond:
            return len(self.events)

    def since(self, mark, ev=None):
        with self.cond:
            return [e for e in self.events[mark:] if ev is None or e["ev"] == ev]

    def wait(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not pred():
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise AssertionError("%s: timed out: %s\nlast events: %s" % (
                        self.name, what, self.events[-8:]))
                self.cond.wait(min(left, 0.1))

    def closed_batch(self):
        """The last delivery was followed by a synced."""
        for e in reversed(self.events):
            if e["ev"] == "synced":
                return True
            if e["ev"] in ("object", "removed"):
                return False
        return False

    def wait_converged(self, api, what, timeout=15):
        want = api.snapshot()
        self.wait(lambda: self.state == want and self.closed_batch(), timeout, what)
        log("ok: converged: " + what)

    def wait_event(self, mark, pred, timeout, what):
        self.wait(lambda: any(pred(e) for e in self.events[mark:]), timeout, what)
        log("ok: " + what)

    def status(self):
        m = self.mark()
        self.proc.send_signal(signal.SIGUSR1)
        self.wait(lambda: any(e["ev"] == "status" for e in self.events[m:]), 5, "status")
        st = [e for e in self.since(m, "status")][0]["status"]
        return {w["resource"]: w for w in st["watches"]}, st

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(10)
        self.thread.join(5)
        with open(self.stderr_path) as f:
            err = f.read()
        if rc != 0:
            log("%s: exit status %d, stderr:\n%s" % (self.name, rc, err[-6000:]))
        return rc, "".join(self.stdout_lines) + err


def pod(name, ns="default", labels=None, ip=None, annotations=None):
    o = {"metadata": {"name": name, "namespace": ns, "labels": labels or {"app": "web"}},
         "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "nginx:1.25",
                                                        "ports": [{"containerPort": 80}]}]},
         "status": {"phase": "Running", "podIP": ip or "10.0.0.1"}}
    if annotations:
        o["metadata"]["annotations"] = annotations
    return o


def policy(name, ns="default", app="web"):
    return {"metadata": {"name": name, "namespace": ns},
            "spec": {"podSelector": {"matchLabels": {"app": app}}, "policyTypes": ["Ingress"],
                     "ingress": [{"from": [{"podSelector": {}}]}]}}


def populate(api):
    for ns in ("default", "shop"):
        api.add("namespaces", {"metadata": {"name": ns, "labels": {"team": ns}}})
    for i in range(10):
        api.add("pods", pod("pod-%d" % i, ip="10.0.0.%d" % (i + 1)))
    for i in range(3):
        api.add("networkpolicies", policy("pol-%d" % i, app="app-%d" % i))


def write_token(tmp, value):
    path = os.path.join(tmp, "token")
    with open(path + ".new", "w") as f:
        f.write(value + "\n")
    os.rename(path + ".new", path)
    return path


def main_run(tmp, certs, api):
    token_file = write_token(tmp, TOKEN)
    d = Driver(tmp, "main", ["--server", api.url, "--token-file", token_file,
                             "--ca", certs["ca.crt"]] + FAST)

    # Initial lists: paginated, compressed, delivered whole before the first synced.
    d.wait_converged(api, "initial lists")
    first = d.synced_states[0]
    check(first == api.snapshot(), "the first synced came after all three lists, complete")
    objs = d.since(0, "object")
    check(all(e["api"] == API[e["kind"]] and e["file"] == "k8s:%s" % {
        "Namespace": "namespaces", "Pod": "pods", "NetworkPolicy": "networkpolicies"}[e["kind"]]
        for e in objs), "list items delivered with apiVersion and kind filled in")
    with api.cond:
        pages = [r for r in api.requests if r[1] == "/api/v1/pods" and "continue" in r[2]]
        limits = {r[2].get("limit") for r in api.requests if "watch" not in r[2]}
    check(len(pages) >= 2 and limits == {"4"}, "pods listed in pages of 4 (limit + continue)")
    check(api.stats["gzip"] > 0, "list responses came gzip-compressed")
    watches, st = d.status()
    check(st["synced"] and all(w["state"] == "watching" for w in watches.values()),
          "status: synced, three watches watching")

    # Adds, updates and deletes.
    m = d.mark()
    api.add("pods", pod("added", ip="10.0.1.1"))
    api.add("pods", pod("pod-0", labels={"app": "db"}, ip="10.0.0.1"))
    api.delete("pods", "default", "pod-9")
    api.add("namespaces", {"metadata": {"name": "new-ns"}})
    api.delete("networkpolicies", "default", "pol-2")
    api.add("networkpolicies", policy("pol-new"))
    d.wait_converged(api, "adds, updates, deletes")
    check(any(e["ev"] == "removed" and e["name"] == "pod-9" for e in d.since(m)),
          "DELETED delivered as removed")

    # Lines split across chunks (7 bytes per chunk).
    m = d.mark()
    api.set_split(7)
    for i in range(1, 4):
        api.add("pods", pod("pod-%d" % i, labels={"app": "split"}, ip="10.0.0.%d" % (i + 1)))
    d.wait_converged(api, "events split across chunks")
    api.set_split(0)
    check(not d.since(m, "error"), "split lines: no error")

    # A multi-MB object.
    big = "x" * (3 * 1024 * 1024)
    api.add("pods", pod("big", ip="10.0.2.1", annotations={"big": big}))
    d.wait_converged(api, "a 3 MiB object")
    check(max(e["bytes"] for e in d.since(m, "object") if e["name"] == "big") > 3 * 1024 * 1024,
          "the 3 MiB object arrived whole")
    api.delete("pods", "default", "big")

    # Disconnect mid-line: the watches resume from their resourceVersion, no relist.
    watches, _ = d.status()
    m = d.mark()
    check(api.command_streams("disconnect") == 3, "three open streams cut mid-line")
    api.add("pods", pod("after-cut", ip="10.0.1.2"))
    api.delete("pods", "default", "pod-8")
    d.wait_converged(api, "after a disconnect mid-stream")
    w2, _ = d.status()
    check(all(w2[r]["reconnects"] > watches[r]["reconnects"] and
              w2[r]["relists"] == watches[r]["relists"] for r in KIND),
          "each watch reconnected, resumed from its resourceVersion without a relist")

    # A malformed line: reported, the stream is distrusted and the pods relisted.
    m = d.mark()
    api.command_streams("malformed", "pods")
    api.add("pods", pod("after-garbage", ip="10.0.1.3"))
    d.wait_event(m, lambda e: e["ev"] == "error" and "bad JSON" in e["msg"], 5,
                 "malformed line reported")
    d.wait_converged(api, "after a malformed line")
    w3, _ = d.status()
    check(w3["pods"]["relists"] == w2["pods"]["relists"] + 1, "malformed line: pods relisted")

    # A line over the bound (16 MiB): refused, relisted (the list has no line bound).
    m = d.mark()
    huge = "y" * (16 * 1024 * 1024 + 100)
    api.add("pods", pod("huge", ip="10.0.2.2", annotations={"huge": huge}))
    d.wait_event(m, lambda e: e["ev"] == "error" and "longer than 16777216" in e["msg"], 15,
                 "oversized watch line reported")
    d.wait_converged(api, "after an oversized line", timeout=20)
    api.delete("pods", "default", "huge")
    d.wait_converged(api, "huge object deleted")

    # 410 as an ERROR event, after changes the watches never showed.
    w4, _ = d.status()
    api.hold(True)
    api.delete("pods", "default", "pod-7")
    api.add("pods", pod("late", ip="10.0.1.4"))
    api.add("pods", pod("pod-6", labels={"app": "changed"}, ip="10.0.0.7"))
    api.delete("networkpolicies", "default", "pol-1")
    api.expire()
    m = d.mark()
    api.command_streams("gone")
    d.wait_converged(api, "after 410 Gone with unseen changes")
    api.hold(False)
    removed = [(e["kind"], e["name"]) for e in d.since(m, "removed")]
    check(sorted(removed) == [("NetworkPolicy", "pol-1"), ("Pod", "pod-7")],
          "relist removed exactly the vanished objects (%s), nothing else" % removed)
    objs = [(e["kind"], e["name"]) for e in d.since(m, "object")]
    check(sorted(objs) == [("Pod", "late"), ("Pod", "pod-6")],
          "relist delivered only new and changed objects (%s)" % objs)
    check(d.synced_states[-1] == api.snapshot(), "one synced closed the relist batch")
    w5, _ = d.status()
    check(all(w5[r]["relists"] == w4[r]["relists"] + 1 for r in KIND), "each resource relisted")

    # 410 as an HTTP status on a watch request.
    m = d.mark()
    api.gone_next_watch(1)
    api.command_streams("close", "networkpolicies")
    api.add("networkpolicies", policy("pol-after-410"))
    d.wait_event(m, lambda e: e["ev"] == "error" and "HTTP 410" in e["msg"], 5,
                 "HTTP 410 on a watch reported")
    d.wait_converged(api, "after HTTP 410")

    # An expired continue token: the list starts over.
    m = d.mark()
    api.expire_next_continue(1)
    api.command_streams("gone", "pods")
    d.wait_event(m, lambda e: e["ev"] == "error" and "continue" in e["msg"], 5,
                 "expired continue token reported")
    d.wait_converged(api, "after an expired continue token")

    # 500s, as HTTP status (with backoff) and as an ERROR event (no relist).
    w6, _ = d.status()
    m = d.mark()
    api.fail_next(4, 500)
    api.command_streams("close")
    api.add("pods", pod("after-500", ip="10.0.1.5"))
    d.wait_event(m, lambda e: e["ev"] == "error" and "HTTP 500" in e["msg"], 5,
                 "HTTP 500 reported")
    d.wait_converged(api, "after 500s")
    m = d.mark()
    api.command_streams("error500", "namespaces")
    api.add("namespaces", {"metadata": {"name": "after-error-event"}})
    d.wait_event(m, lambda e: e["ev"] == "error" and "InternalError" in e["msg"], 5,
                 "ERROR event with a 500 Status reported")
    d.wait_converged(api, "after an ERROR 500 event")
    w7, _ = d.status()
    check(w7["namespaces"]["relists"] == w6["namespaces"]["relists"],
          "a 500 ERROR event resumes the watch without a relist")

    # Stalls: requests that are never answered, an open stream that goes silent, and a
    # connection that never completes TLS. The idle timeout (1.5 s) abandons them.
    m = d.mark()
    api.stall_next(2, watch_only=True)
    api.stall_next_accept(1)
    api.command_streams("close")
    api.command_streams("stall", "pods")
    api.add("pods", pod("after-stall", ip="10.0.1.6"))
    d.wait_event(m, lambda e: e["ev"] == "error" and "no data for 1500 ms" in e["msg"], 10,
                 "stalled request abandoned after the idle timeout")
    d.wait_converged(api, "after stalls", timeout=20)
    check(api.stats["stalled"] >= 2, "the server did stall (%d)" % api.stats["stalled"])

    # The server goes away: the driver keeps its state (nothing removed), then catches up.
    m = d.mark()
    api.stop()
    api.add("pods", pod("while-down", ip="10.0.1.7"))
    api.delete("pods", "default", "pod-5")
    d.wait_event(m, lambda e: e["ev"] == "error", 5, "server down reported")
    time.sleep(1.0)
    check(not d.since(m, "removed") and not d.since(m, "object"),
          "server down: nothing removed or added (fail static)")
    watches, _ = d.status()
    check(all(w["state"] in ("backoff", "listing", "watching") and w["last_error"]
              for w in watches.values()), "status shows the errors while down")
    api.start()
    d.wait_converged(api, "after the server came back", timeout=20)

    # Token rotation: the server accepts only the new token; 401s until the file changes.
    m = d.mark()
    api.echo_token = True
    api.set_tokens([NEW_TOKEN])
    d.wait_event(m, lambda e: e["ev"] == "error" and "HTTP 401" in e["msg"], 5,
                 "401 reported after the token was revoked")
    check(any("[redacted]" in e["msg"] for e in d.since(m, "error")),
          "a token echoed by the server is redacted from the error")
    watches, _ = d.status()
    check(sum(w["unauthorized"] for w in watches.values()) > 0, "status counts the 401s")
    api.add("pods", pod("after-rotation", ip="10.0.1.8"))
    write_token(tmp, NEW_TOKEN)
    d.wait_converged(api, "after token rotation", timeout=20)
    api.echo_token = False

    rc, out = d.stop()
    check(rc == 0, "driver exited cleanly")
    check(TOKEN not in out and NEW_TOKEN not in out, "no token in the driver's output")


def side_runs(tmp, certs, api):
    token_file = write_token(tmp, NEW_TOKEN)

    # A CA that did not sign the server's certificate.
    d = Driver(tmp, "wrong-ca", ["--server", api.url, "--token-file", token_file,
                                 "--ca", certs["wrong-ca.crt"]] + FAST)
    d.wait_event(0, lambda e: e["ev"] == "error" and "certificate" in e["msg"].lower(), 5,
                 "wrong CA: refused with a certificate error")
    time.sleep(0.5)
    check(not d.since(0, "synced") and not d.since(0, "object"), "wrong CA: nothing delivered")
    log("  e.g. " + d.since(0, "error")[0]["msg"])
    rc, out = d.stop()
    check(rc == 0 and NEW_TOKEN not in out, "wrong CA: clean exit, no token")

    # A token the server does not know.
    bad = os.path.join(tmp, "bad-token")
    with open(bad, "w") as f:
        f.write("not-" + TOKEN)
    d = Driver(tmp, "bad-token", ["--server", api.url, "--token-file", bad,
                                  "--ca", certs["ca.crt"]] + FAST)
    d.wait(lambda: len({e["file"] for e in d.events if e["ev"] == "error" and
                        "HTTP 401" in e["msg"]}) == 3, 5, "401 on each resource")
    log("ok: bad token: 401 reported for each resource")
    watches, st = d.status()
    check(sum(w["unauthorized"] for w in watches.values()) >= 3 and not st["synced"],
          "bad token: 401s counted per watch, not synced")
    rc, out = d.stop()
    check(rc == 0 and TOKEN not in out, "bad token: clean exit, token not shown")

    # A kubeconfig with the CA and a client certificate inline (no token).
    def b64(path):
        with open(path, "rb") as f:
            return base64.b64encode(f.read()).decode()
    kc = os.path.join(tmp, "kubeconfig")
    with open(kc, "w") as f:
        f.write("apiVersion: v1\nkind: Config\ncurrent-context: test\n"
                "contexts:\n- name: test\n  context: {cluster: fake, user: node}\n"
                "clusters:\n- name: fake\n  cluster:\n    server: %s\n"
                "    certificate-authority-data: %s\n"
                "users:\n- name: node\n  user:\n    client-certificate-data: %s\n"
                "    client-key-data: %s\n" % (api.url, b64(certs["ca.crt"]),
                                               b64(certs["client.crt"]),
                                               b64(certs["client.key"])))
    d = Driver(tmp, "kubeconfig", ["--kubeconfig", kc] + FAST)
    d.wait_converged(api, "kubeconfig: inline CA, client certificate")
    _, st = d.status()
    check(st["auth"].startswith("kubeconfig ") and st["tls_verify"], "kubeconfig: status")
    rc, _ = d.stop()
    check(rc == 0, "kubeconfig: clean exit")

    # In-cluster: the service variables and the mounted service-account files.
    sa = os.path.join(tmp, "sa")
    os.mkdir(sa)
    with open(os.path.join(sa, "token"), "w") as f:
        f.write(NEW_TOKEN)
    with open(certs["ca.crt"]) as src, open(os.path.join(sa, "ca.crt"), "w") as dst:
        dst.write(src.read())
    env = dict(os.environ, KUBERNETES_SERVICE_HOST="127.0.0.1",
               KUBERNETES_SERVICE_PORT=str(api.port))
    d = Driver(tmp, "in-cluster", ["--sa-dir", sa] + FAST, env=env)
    d.wait_converged(api, "in-cluster credentials")
    rc, out = d.stop()
    check(rc == 0 and NEW_TOKEN not in out, "in-cluster: clean exit, no token")

    # Insecure: works without a CA, and says that it is insecure.
    d = Driver(tmp, "insecure", ["--server", api.url, "--token-file", token_file,
                                 "--insecure"] + FAST)
    d.wait_converged(api, "insecure_skip_tls_verify")
    check(any("verification is OFF" in e["msg"] for e in d.since(0, "error")),
          "insecure: warned")
    rc, _ = d.stop()
    check(rc == 0, "insecure: clean exit")


def main():
    if not os.path.exists(DRIVER):
        log("SKIP: no driver at " + DRIVER)
        return 77
    if shutil.which("openssl") is None:
        log("SKIP: the openssl CLI (Debian package openssl) makes the test CA")
        return 77
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="pw-k8s-") as tmp:
        certs = fa.make_certs(tmp)
        api = fa.FakeApiServer(certs, tokens=[TOKEN], client_ca=True, bookmark_interval=0.3)
        populate(api)
        api.start()
        try:
            main_run(tmp, certs, api)
            side_runs(tmp, certs, api)
        finally:
            api.stop()
    log("all k8s source checks passed in %.1f s" % (time.monotonic() - start))
    return 0


if __name__ == "__main__":
    sys.exit(main())

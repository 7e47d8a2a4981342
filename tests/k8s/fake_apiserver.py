"""A stand-in Kubernetes API server for tests (Python standard library only).

It speaks the wire format that podwall's client reads: list responses with
metadata.resourceVersion and limit/continue pagination (gzip-compressed when the client accepts
it), chunked watch streams of {"type", "object"} lines with bookmarks, ERROR events carrying a
410 Status, bearer-token checks (401 with a Status body otherwise) or TLS client
certificates, all over HTTPS with a CA and certificates made at test time with the openssl
CLI.

Tests import it, start it in a thread and script it through its methods: add, modify and
delete objects (each bumps the resourceVersion), and inject faults (disconnect mid-stream,
lines split across chunks, malformed lines, compaction and 410, 500s, stalls, token changes,
going down and coming back on the same port). Run as a script, it serves sample objects and
prints its URL, CA and token file, for trying the client by hand.

Only 127.0.0.1 is ever bound."""

import base64
import copy
import gzip
import http.server
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse

RESOURCES = {
    "namespaces": {"path": "/api/v1/namespaces", "api": "v1", "kind": "Namespace",
                   "list": "NamespaceList", "namespaced": False},
    "pods": {"path": "/api/v1/pods", "api": "v1", "kind": "Pod", "list": "PodList",
             "namespaced": True},
    "networkpolicies": {"path": "/apis/networking.k8s.io/v1/networkpolicies",
                        "api": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                        "list": "NetworkPolicyList", "namespaced": True},
}
BY_PATH = {r["path"]: name for name, r in RESOURCES.items()}


def status(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=30)


def make_ca(d, name):
    """A self-signed CA (EC P-256): <d>/<name>.crt and .key."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", name + ".key", "-out", name + ".crt", "-days", "2",
            "-subj", "/CN=" + name, "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)


def make_cert(d, ca, name, ext):
    """A certificate signed by CA @ca: <d>/<name>.crt and .key, with extensions @ext."""
    with open(os.path.join(d, name + ".ext"), "w") as f:
        f.write(ext + "\nbasicConstraints=CA:FALSE\nsubjectKeyIdentifier=hash\n"
                "authorityKeyIdentifier=keyid,issuer\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name, cwd=d)
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key",
            "-CAcreateserial", "-out", name + ".crt", "-days", "2", "-extfile", name + ".ext",
            cwd=d)


def make_certs(d):
    """CA, server certificate (SAN 127.0.0.1), client certificate, and an unrelated CA.
    Returns a dict of paths."""
    make_ca(d, "ca")
    make_ca(d, "wrong-ca")
    make_cert(d, "ca", "server", "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
              "extendedKeyUsage=serverAuth")
    make_cert(d, "ca", "client", "extendedKeyUsage=clientAuth")
    return {k: os.path.join(d, k) for k in (
        "ca.crt", "wrong-ca.crt", "server.crt", "server.key", "client.crt", "client.key")}


class Stream:
    """One open watch: what the test asks it to do next."""

    def __init__(self, res, token):
        self.res = res
        self.token = token
        self.commands = []


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # a client that sends no request is dropped

    def log_message(self, fmt, *args):
        pass

    # Responses

    def send_json(self, code, obj):
        body = json.dumps(obj).encode()
        api = self.server.api
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        if ("gzip" in self.headers.get("Accept-Encoding", "") and len(body) > 512 and
                code == 200):
            body = gzip.compress(body, compresslevel=1)
            self.send_header("Content-Encoding", "gzip")
            with api.cond:
                api.stats["gzip"] += 1
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    # Requests

    def authorized(self):
        api = self.server.api
        auth = self.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else None
        with api.cond:
            if token is not None and token in api.tokens:
                return True, token
            if token is None and api.client_ca and self.connection.getpeercert():
                return True, None
            api.stats["unauthorized"] += 1
        return False, token

    def do_GET(self):
        api = self.server.api
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        res = BY_PATH.get(url.path)
        with api.cond:
            api.requests.append((time.monotonic(), url.path, q))
            fault = api.take_fault(url.path, "watch" in q)
        if fault is not None:
            kind, arg = fault
            if kind == "stall":
                api.stalled(self)
                return
            if kind == "status":
                self.send_json(arg, status(arg, "InternalError" if arg >= 500 else "Expired",
                                           "injected fault"))
                return
        ok, token = self.authorized()
        if not ok:
            # A careless proxy might echo the credentials: the client must not repeat them.
            msg = "Unauthorized" if not api.echo_token else "Unauthorized: bearer token %s " \
                "is not valid" % token
            self.send_json(401, status(401, "Unauthorized", msg))
            return
        if res is None:
            self.send_json(404, status(404, "NotFound", "the server could not find the "
                                       "requested resource"))
            return
        if q.get("watch") in ("1", "true"):
            self.watch(res, q, token)
        else:
            self.list(res, q)

    def list(self, res, q):
        api = self.server.api
        r = RESOURCES[res]
        limit = int(q.get("limit", "0") or 0)
        cont = q.get("continue")
        with api.cond:
            if cont:
                tok = json.loads(base64.b64decode(cont))
                rv, start = tok["rv"], tuple(tok["start"])
                if rv < api.compacted[res] or api.take_fault(None, False, "expire-continue"):
                    self.send_json(410, status(
                        410, "Expired", "The provided continue parameter is too old to "
                        "display a consistent list result. You can start a new list without "
                        "the continue parameter."))
                    return
            else:
                rv, start = api.rv, None
            items = api.state_at(res, rv)
            api.stats["lists"] += 1
        keys = sorted(items)
        if start is not None:
            keys = [k for k in keys if k > start]
        meta = {"resourceVersion": str(rv)}
        if limit > 0 and len(keys) > limit:
            meta["continue"] = base64.b64encode(json.dumps(
                {"rv": rv, "start": list(keys[limit - 1])}).encode()).decode()
            meta["remainingItemCount"] = len(keys) - limit
            keys = keys[:limit]
        out = []
        for k in keys:
            o = copy.deepcopy(items[k])
            # Real list responses leave apiVersion and kind out of items.
            o.pop("apiVersion", None)
            o.pop("kind", None)
            out.append(o)
        self.send_json(200, {"kind": r["list"], "apiVersion": r["api"], "metadata": meta,
                             "items": out})

    def watch(self, res, q, token):
        api = self.server.api
        since = int(q.get("resourceVersion", "0") or 0)
        timeout = int(q.get("timeoutSeconds", "1800") or 1800)
        deadline = time.monotonic() + timeout
        stream = Stream(res, token)
        with api.cond:
            gone_http = api.take_fault(None, False, "gone-http")
            gone = since < api.compacted[res]
            if not gone and not gone_http:
                api.streams.append(stream)
                api.stats["watches"] += 1
        if gone_http:
            self.send_json(410, status(410, "Expired", "too old resource version: %d (%d)" %
                                       (since, api.compacted[res])))
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            if gone:
                self.send_event("ERROR", status(410, "Expired", "too old resource version: "
                                                "%d (%d)" % (since, api.compacted[res])))
                self.chunk(b"")
                return
            self.stream(stream, res, since, deadline)
        except (OSError, ssl.SSLError):
            pass
        finally:
            with api.cond:
                if stream in api.streams:
                    api.streams.remove(stream)

    def send_event(self, type_, obj, split=0):
        line = json.dumps({"type": type_, "object": obj}).encode() + b"\n"
        if split <= 0:
            self.chunk(line)
            return
        for i in range(0, len(line), split):
            self.chunk(line[i:i + split])
            time.sleep(0.002)

    def stream(self, stream, res, since, deadline):
        api = self.server.api
        last = since
        next_bookmark = time.monotonic() + api.bookmark_interval
        while True:
            with api.cond:
                while True:
                    now = time.monotonic()
                    if now >= deadline or api.stopping:
                        pending, cmds = [], ["end"]
                        break
                    cmds, stream.commands = stream.commands, []
                    pending = [] if api.held else [e for e in api.history[res] if e[0] > last]
                    if cmds or pending or (now >= next_bookmark and not api.held and
                                           api.bookmark_interval > 0):
                        break
                    wait = deadline - now
                    if api.bookmark_interval > 0:
                        wait = min(wait, max(next_bookmark - now, 0.001))
                    api.cond.wait(wait)
                split = api.split
                rv = api.rv
            for c in cmds:
                if c == "end":
                    self.chunk(b"")
                    return
                if c == "disconnect":
                    # Half a line, then the connection drops: no closing chunk, no TLS close.
                    self.chunk(b'{"type":"ADDED","object":{"kind":"Pod","apiVers')
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if c == "malformed":
                    self.chunk(b'{"type":"MODIFIED","object":{"metadata":{"name":"x"}\n')
                if c == "gone":
                    self.send_event("ERROR", status(410, "Expired",
                                                    "too old resource version: %d (%d)" %
                                                    (last, api.compacted[res])))
                    self.chunk(b"")
                    return
                if c == "error500":
                    self.send_event("ERROR", status(500, "InternalError", "etcd is sad"))
                    self.chunk(b"")
                    return
                if c == "close":
                    self.chunk(b"")
                    return
                if c == "stall":
                    api.stalled(self)
                    return
            for erv, type_, obj in pending:
                self.send_event(type_, obj, split)
                last = erv
            if time.monotonic() >= next_bookmark and api.bookmark_interval > 0:
                self.send_event("BOOKMARK", {"kind": RESOURCES[res]["kind"],
                                             "apiVersion": RESOURCES[res]["api"],
                                             "metadata": {"resourceVersion": str(rv)}})
                next_bookmark = time.monotonic() + api.bookmark_interval


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, api):
        self.api = api
        super().__init__(addr, Handler)

    def finish_request(self, request, client_address):
        # The TLS handshake runs here, in the connection's thread, not in the accept loop.
        api = self.api
        request.settimeout(30)
        if api.take_fault(None, False, "stall-accept"):
            api.stalled_socket(request)
            return
        if api.ctx is not None:
            try:
                request = api.ctx.wrap_socket(request, server_side=True)
            except (OSError, ssl.SSLError) as e:
                with api.cond:
                    api.stats["tls_failures"] += 1
                    api.tls_errors.append(str(e))
                return
        with api.cond:
            api.conns.add(request)
        try:
            self.RequestHandlerClass(request, client_address, self)
        finally:
            with api.cond:
                api.conns.discard(request)

    def handle_error(self, request, client_address):
        pass


class FakeApiServer:
    """The cluster state plus the HTTPS server in front of it."""

    def __init__(self, certs=None, tokens=("test-token",), client_ca=False, bookmark_interval=0.5):
        self.cond = threading.Condition()
        self.rv = 100
        self.objects = {r: {} for r in RESOURCES}
        self.history = {r: [] for r in RESOURCES}  # (rv, type, object) per resource
        self.compacted = {r: 0 for r in RESOURCES}
        self.streams = []
        self.conns = set()
        self.tokens = set(tokens)
        self.faults = []  # [kind, arg, path filter, count, watch-only]
        self.held = False
        self.split = 0
        self.stopping = False
        self.bookmark_interval = bookmark_interval
        self.echo_token = False
        self.requests = []
        self.tls_errors = []
        self.stall_release = threading.Event()
        self.stats = {"gzip": 0, "unauthorized": 0, "lists": 0, "watches": 0, "stalled": 0,
                      "tls_failures": 0}
        self.client_ca = client_ca
        self.ctx = None
        if certs is not None:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(certs["server.crt"], certs["server.key"])
            if client_ca:
                self.ctx.verify_mode = ssl.CERT_OPTIONAL
                self.ctx.load_verify_locations(certs["ca.crt"])
        self.port = 0
        self.httpd = None
        self.thread = None

    # Serving

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % ("https" if self.ctx else "http", self.port)

    def start(self):
        self.stopping = False
        self.stall_release.clear()
        self.httpd = Server(("127.0.0.1", self.port), self)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={
            "poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        """Go down: stop accepting, end every stream, drop every connection."""
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
            conns = list(self.conns)
        self.stall_release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.thread.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # Objects

    def _key(self, res, obj):
        m = obj["metadata"]
        return (m.get("namespace", "") if RESOURCES[res]["namespaced"] else "", m["name"])

    def _put(self, res, type_, obj):
        self.rv += 1
        obj = copy.deepcopy(obj)
        obj["apiVersion"] = RESOURCES[res]["api"]
        obj["kind"] = RESOURCES[res]["kind"]
        obj["metadata"]["resourceVersion"] = str(self.rv)
        obj["metadata"].setdefault("uid", "uid-%s-%d" % (obj["metadata"]["name"], self.rv))
        key = self._key(res, obj)
        if type_ == "DELETED":
            del self.objects[res][key]
        else:
            self.objects[res][key] = obj
        self.history[res].append((self.rv, type_, obj))
        self.cond.notify_all()
        return obj

    def add(self, res, obj):
        """Create or replace (ADDED or MODIFIED) an object; returns it as stored."""
        with self.cond:
            type_ = "MODIFIED" if self._key(res, obj) in self.objects[res] else "ADDED"
            return self._put(res, type_, obj)

    def delete(self, res, ns, name):
        with self.cond:
            obj = self.objects[res][(ns if RESOURCES[res]["namespaced"] else "", name)]
            return self._put(res, "DELETED", obj)

    def get(self, res, ns, name):
        with self.cond:
            return copy.deepcopy(self.objects[res].get((ns, name)))

    def state_at(self, res, rv):
        """The objects of @res as they were at resourceVersion @rv (caller holds cond)."""
        if rv >= self.rv:
            return dict(self.objects[res])
        st = {}
        for erv, type_, obj in self.history[res]:
            if erv > rv:
                break
            if type_ == "DELETED":
                st.pop(self._key(res, obj), None)
            else:
                st[self._key(res, obj)] = obj
        return st

    def snapshot(self):
        """{(kind, ns, name): resourceVersion} of everything: what a client should hold."""
        with self.cond:
            return {(RESOURCES[r]["kind"], k[0], k[1]): o["metadata"]["resourceVersion"]
                    for r in RESOURCES for k, o in self.objects[r].items()}

    # Faults

    def _fault(self, kind, arg=None, path=None, count=1, watch_only=False):
        with self.cond:
            self.faults.append([kind, arg, path, count, watch_only])

    def take_fault(self, path, is_watch, kind=None):
        """Consume one matching fault (any kind for a request path, or one @kind)."""
        with self.cond:
            for f in self.faults:
                if kind is not None and f[0] != kind:
                    continue
                if kind is None and f[0] not in ("stall", "status"):
                    continue
                if path is not None and f[2] is not None and f[2] != path:
                    continue
                if kind is None and f[4] and not is_watch:
                    continue
                f[3] -= 1
                if f[3] <= 0:
                    self.faults.remove(f)
                return (f[0], f[1])
        return None

    def fail_next(self, n, code=500, path=None):
        """The next @n requests (to @path, or any) get HTTP @code with a Status body."""
        self._fault("status", code, path, n)

    def stall_next(self, n, path=None, watch_only=False):
        """The next @n requests are read, then never answered (until stall_release)."""
        self._fault("stall", None, path, n, watch_only)

    def stall_next_accept(self, n=1):
        """The next @n connections are accepted, then nothing: no TLS handshake."""
        self._fault("stall-accept", None, None, n)

    def gone_next_watch(self, n=1):
        """The next @n watch requests get HTTP 410 instead of a stream."""
        self._fault("gone-http", None, None, n)

    def expire_next_continue(self, n=1):
        """The next @n list requests with a continue token get 410."""
        self._fault("expire-continue", None, None, n)

    def stalled(self, handler):
        with self.cond:
            self.stats["stalled"] += 1
        self.stall_release.wait(60)

    def stalled_socket(self, sock):
        with self.cond:
            self.stats["stalled"] += 1
        self.stall_release.wait(60)
        sock.close()

    def command_streams(self, cmd, res=None):
        """Send @cmd to every open watch (of @res): disconnect, malformed, gone, error500,
        close, stall. Returns how many got it."""
        with self.cond:
            n = 0
            for s in self.streams:
                if res is None or s.res == res:
                    s.commands.append(cmd)
                    n += 1
            self.cond.notify_all()
            return n

    def streams_open(self, res=None):
        with self.cond:
            return sum(1 for s in self.streams if res is None or s.res == res)

    def hold(self, on):
        """While held, open watches send nothing (events queue up in the history)."""
        with self.cond:
            self.held = on
            self.cond.notify_all()

    def set_split(self, n):
        """Write each event line in chunks of @n bytes (0: one chunk per line)."""
        with self.cond:
            self.split = n

    def expire(self, res=None):
        """Compact history: resourceVersions up to now are too old (410) for @res or all."""
        with self.cond:
            for r in ([res] if res else list(RESOURCES)):
                self.compacted[r] = self.rv

    def set_tokens(self, tokens, close_streams=True):
        """Accept only @tokens from now on; optionally end the streams of other tokens (an
        API server does not, but a revoked token must not keep a watch forever)."""
        with self.cond:
            self.tokens = set(tokens)
            if close_streams:
                for s in self.streams:
                    if s.token is not None and s.token not in self.tokens:
                        s.commands.append("close")
            self.cond.notify_all()


def sample(api, nb_pods=5):
    api.add("namespaces", {"metadata": {"name": "default", "labels": {"team": "a"}}})
    for i in range(nb_pods):
        api.add("pods", {"metadata": {"name": "pod-%d" % i, "namespace": "default",
                                      "labels": {"app": "web"}},
                         "spec": {"nodeName": "node-1", "containers": [{"name": "c"}]},
                         "status": {"phase": "Running", "podIP": "10.0.0.%d" % (i + 1)}})
    api.add("networkpolicies", {"metadata": {"name": "deny", "namespace": "default"},
                                "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}})


def main():
    import tempfile
    d = tempfile.mkdtemp(prefix="fake-apiserver-")
    certs = make_certs(d)
    token = os.path.join(d, "token")
    with open(token, "w") as f:
        f.write("test-token\n")
    api = FakeApiServer(certs, tokens=["test-token"])
    sample(api)
    api.start()
    print("url %s\nca %s\ntoken-file %s" % (api.url, certs["ca.crt"], token), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        api.stop()


if __name__ == "__main__":
    sys.exit(main())

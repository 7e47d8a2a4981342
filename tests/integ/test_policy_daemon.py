"""The daemon with a watched manifests directory (pcap ports, no root): explain over the
socket and podwallctl says which policy and rule decide a flow in each direction; editing,
adding and deleting files changes the live table within milliseconds; a bad object is
rejected alone (named in the log and in status) while every other object stays in force,
and its last good version stays; policies shows per-policy decisions."""

import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from pwtest import Podwall, check  # noqa: E402
from pwpkt import wrpcap  # noqa: E402


def pod(name, ip, app, ns="shop"):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "labels": {"app": app}},
            "spec": {"nodeName": "node-1", "containers": [
                {"name": "c", "ports": [{"name": "http", "containerPort": 8080}]}]},
            "status": {"phase": "Running", "podIP": ip}}


DB_POLICY = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": {"name": "db-from-api", "namespace": "shop"},
             "spec": {"podSelector": {"matchLabels": {"app": "db"}},
                      "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "api"}}}],
                                   "ports": [{"port": "http"}]}]}}


def write(path, obj):
    tmp = os.path.join(os.path.dirname(path), ".tmp-" + os.path.basename(path))
    with open(tmp, "w") as f:
        json.dump(obj, f)
    os.rename(tmp, path)


def explain(pw, src, dst, port, proto="tcp"):
    return pw.ctl_json("explain", "--from", src, "--to", dst, "--proto", proto, "--port",
                       str(port))


def wait_generation(pw, above, timeout=3):
    deadline = time.time() + timeout
    while time.time() < deadline:
        st = pw.ctl_json("status")["policy"]
        if st["generation"] > above:
            return st
        time.sleep(0.005)
    raise AssertionError("no new generation after %d:\n%s" % (above, pw.log()))


def main():
    with Podwall("policyd") as pw:
        m = pw.path("manifests")
        os.mkdir(m)
        write(os.path.join(m, "pods.json"), {"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
            pod("api", "10.30.0.1", "api"), pod("web", "10.30.0.2", "web"),
            pod("db", "10.30.0.3", "db")]})
        write(os.path.join(m, "db.json"), DB_POLICY)
        wrpcap(pw.path("empty.pcap"), [])
        pw.configure(mode="wire", manifests_dir=m, node="node-1", ports=[
            ("a", "net_pcap0,rx_pcap=%s,tx_pcap=/dev/null" % pw.path("empty.pcap")),
            ("b", "net_pcap1,rx_pcap=%s,tx_pcap=/dev/null" % pw.path("empty.pcap"))])
        pw.start()
        st = pw.ctl_json("status")["policy"]
        check(st["source"] == "manifests" and st["sync_state"] == "synced" and
              st["generation"] == 1 and st["objects"] == {"namespaces": 1, "pods": 3,
                                                          "policies": 1},
              "synced from the directory: 1 namespace, 3 pods, 1 policy, generation 1")

        e = explain(pw, "10.30.0.1", "10.30.0.3", 8080)
        check(e["allowed"] and e["ingress"]["decision"] == "allowed by rule" and
              e["ingress"]["policy"] == "shop/db-from-api" and
              e["ingress"]["rule"] == "spec.ingress[0]" and e["ingress"]["pod"] == "shop/db",
              "api -> db:8080 allowed by shop/db-from-api spec.ingress[0] (named port http)")
        check(e["egress"]["decision"] == "not isolated" and e["egress"]["pod"] == "shop/api",
              "the egress side of api is not isolated")
        e = explain(pw, "10.30.0.2", "10.30.0.3", 8080)
        check(not e["allowed"] and e["ingress"]["decision"] == "isolated, no rule matched" and
              e["ingress"]["isolated_by"] == ["shop/db-from-api"],
              "web -> db:8080 denied: isolated by shop/db-from-api, no rule matched")
        e = explain(pw, "10.30.0.1", "10.30.0.3", 5432)
        check(not e["allowed"], "api -> db:5432 denied (the named port is 8080)")
        e = explain(pw, "10.30.0.3", "10.30.0.2", 80, proto="udp")
        check(e["allowed"] and e["egress"]["decision"] == "not isolated" and
              e["ingress"]["decision"] == "not isolated", "db -> web allowed, nothing isolated")
        out = pw.ctl("explain", "--from", "10.30.0.2", "--to", "10.30.0.3", "--proto", "tcp",
                     "--port", "8080").stdout
        check(out.startswith("DENIED") and "isolated, no rule matched" in out,
              "podwallctl explain prints a readable verdict")
        bad = pw.request(json.dumps({"cmd": "explain", "from": "nope", "to": "10.30.0.3"}))
        check(not bad["ok"] and bad["error"]["code"] == "bad_request",
              "explain with a bad address: bad_request")
        bad = pw.request(json.dumps({"cmd": "explain", "from": "10.30.0.1", "to": "10.30.0.3",
                                     "proto": "tcp"}))
        check(not bad["ok"] and "port" in bad["error"]["message"],
              "explain of tcp without a port: bad_request, not a guess")

        # Live edit: also allow web. Within milliseconds, one new generation.
        pol = json.loads(json.dumps(DB_POLICY))
        pol["spec"]["ingress"][0]["from"].append({"podSelector": {"matchLabels": {"app": "web"}}})
        t0 = time.time()
        write(os.path.join(m, "db.json"), pol)
        st = wait_generation(pw, 1)
        dt = (time.time() - t0) * 1000
        check(explain(pw, "10.30.0.2", "10.30.0.3", 8080)["allowed"],
              "edited policy live in %.0f ms (generation %d): web -> db allowed" %
              (dt, st["generation"]))
        lb = st["last_build_ms"]
        check(set(lb) == {"decode", "compile", "acl_build", "maps", "total", "publish",
                          "change_to_live"} and 0 < lb["change_to_live"] < 1000 and
              lb["total"] > 0 and lb["decode"] >= 0,
              "status splits the propagation: %s" % lb)

        # A bad edit is rejected alone: the last good version stays, other objects too.
        bad_pol = json.loads(json.dumps(pol))
        bad_pol["spec"]["ingress"][0]["ports"] = [{"port": 80, "endPort": 70}]
        write(os.path.join(m, "db.json"), bad_pol)
        write(os.path.join(m, "cache.json"), pod("cache", "10.30.0.4", "cache"))
        st = wait_generation(pw, st["generation"])
        check("NetworkPolicy shop/db-from-api" in st["rejected"] and
              "endPort" in st["rejected"]["NetworkPolicy shop/db-from-api"],
              "status names the rejected object and field: %s" % st["rejected"])
        check(st["objects"]["pods"] == 4, "the good object in the same batch was taken")
        check(explain(pw, "10.30.0.2", "10.30.0.3", 8080)["allowed"],
              "the last good version of the rejected policy stays in force")
        check("rejected NetworkPolicy shop/db-from-api" in pw.log(),
              "the log names the rejected object")

        # Deleting the file deletes the policy: db is no longer isolated.
        gen = st["generation"]
        os.unlink(os.path.join(m, "db.json"))
        st = wait_generation(pw, gen)
        e = explain(pw, "10.30.0.2", "10.30.0.3", 9999)
        check(st["objects"]["policies"] == 0 and st["rejected"] == {} and e["allowed"] and
              e["ingress"]["decision"] == "not isolated",
              "file deleted: policy gone, db not isolated, rejection cleared")
        check(isinstance(pw.ctl_json("policies"), dict), "policies answers")
        pw.stop()


if __name__ == "__main__":
    main()

"""The deployment in docker/: the Kubernetes manifests parse and carry what podwall needs, the
ClusterRole grants exactly what the Kubernetes client requests (derived from control/k8s/*.c,
not restated here), the ConfigMap's podwall.yaml loads with `podwall --check-config` once the
DaemonSet's own start script has substituted the node name, the probes' commands work against a
real daemon (not ready before the first sync, ready after), and the Dockerfile is a multi-stage
Debian 12 build whose runtime stage installs only existing, non-dev packages that provide every
DPDK library podwall links.

Needs python3-yaml (PyYAML). PW_PODWALL and PW_PODWALLCTL name the binaries."""

import glob
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.path.insert(0, os.path.join(ROOT, "tests", "k8s"))
from pwtest import Podwall, check, log  # noqa: E402

PODWALL = os.environ.get("PW_PODWALL", os.path.join(ROOT, "build", "control", "podwall"))
PODWALLCTL = os.environ.get("PW_PODWALLCTL", os.path.join(ROOT, "build", "tools", "podwallctl"))
DOCKER = os.path.join(ROOT, "docker")
DPDK_CAPS = {"IPC_LOCK", "SYS_ADMIN", "NET_ADMIN", "SYS_RAWIO", "SYS_NICE"}
READ_VERBS = {"get", "list", "watch"}


# ---- Manifests ---------------------------------------------------------------------------

def load_manifests():
    files = sorted(glob.glob(os.path.join(DOCKER, "*.yaml")) +
                   glob.glob(os.path.join(DOCKER, "*.yml")))
    check(files, "docker/ has Kubernetes manifests: %s" % [os.path.basename(f) for f in files])
    docs = []
    for path in files:
        with open(path) as f:
            for d in yaml.safe_load_all(f):
                if d is None:
                    continue
                check(isinstance(d, dict) and d.get("apiVersion") and d.get("kind") and
                      d.get("metadata", {}).get("name"),
                      "%s: %s %s has apiVersion, kind and metadata.name" % (
                          os.path.basename(path), d.get("kind"), d.get("metadata", {}).get("name")))
                docs.append(d)
    return docs


def one(docs, kind):
    found = [d for d in docs if d["kind"] == kind]
    check(len(found) == 1, "exactly one %s (found %d)" % (kind, len(found)))
    return found[0]


def podwall_container(ds):
    cs = ds["spec"]["template"]["spec"]["containers"]
    c = [c for c in cs if c["name"] == "podwall"]
    check(len(c) == 1, "the DaemonSet has a container named podwall")
    return c[0]


def probe_argv(probe):
    argv = probe["exec"]["command"]
    return argv


def check_daemonset(docs, cfg):
    ds = one(docs, "DaemonSet")
    spec = ds["spec"]["template"]["spec"]
    c = podwall_container(ds)
    check(spec.get("hostNetwork") is True, "DaemonSet: hostNetwork: true")

    env = {e["name"]: e for e in c.get("env", [])}
    check(env.get("NODE_NAME", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") ==
          "spec.nodeName", "DaemonSet: NODE_NAME from the downward API (spec.nodeName)")

    sc = c.get("securityContext", {})
    caps = set(sc.get("capabilities", {}).get("add", []))
    check(sc.get("privileged") is True or DPDK_CAPS <= caps,
          "DaemonSet: privileged, or the capabilities DPDK needs (%s)" % ", ".join(
              sorted(DPDK_CAPS)))

    res = c.get("resources", {})
    req, lim = res.get("requests", {}), res.get("limits", {})
    check(req.get("hugepages-2Mi") and req.get("hugepages-2Mi") == lim.get("hugepages-2Mi"),
          "DaemonSet: hugepages-2Mi requested, requests == limits (%s)" % req.get("hugepages-2Mi"))
    check("cpu" not in lim, "DaemonSet: no CPU limit (CFS throttling stalls poll-mode workers)")
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
    huge = [m for m in mounts.values() if vols.get(m["name"], {}).get("emptyDir", {}).get(
        "medium", "").startswith("HugePages")]
    check(huge, "DaemonSet: an emptyDir of medium HugePages is mounted (%s)" %
          [m["mountPath"] for m in huge])

    # The operator socket's directory is a hostPath, at the path the config names.
    sock = cfg.get("socket", {}).get("path", "/run/podwall/podwall.sock")
    sock_dir = os.path.dirname(sock)
    m = mounts.get(sock_dir)
    check(m is not None and "hostPath" in vols.get(m["name"], {}),
          "DaemonSet: the socket directory %s is a hostPath mount" % sock_dir)
    check(vols[m["name"]]["hostPath"]["path"] == sock_dir,
          "DaemonSet: ... at the same path on the node (%s)" % vols[m["name"]]["hostPath"]["path"])
    for path in ("/dev/vfio", "/sys"):
        check(path in mounts and "hostPath" in vols.get(mounts[path]["name"], {}),
              "DaemonSet: %s from the host" % path)

    # Probes run podwallctl on that socket; readiness asks for the synced state.
    for kind in ("livenessProbe", "readinessProbe"):
        argv = probe_argv(c[kind])
        text = " ".join(argv)
        check("podwallctl" in text and "status" in text and sock in text,
              "DaemonSet: %s runs podwallctl -s %s status" % (kind, sock))
    check("sync_state" in " ".join(probe_argv(c["readinessProbe"])) and
          "synced" in " ".join(probe_argv(c["readinessProbe"])),
          "DaemonSet: readiness requires sync_state synced")

    # The ConfigMap is mounted where the start script reads its template.
    cm = one(docs, "ConfigMap")
    script = start_script(c)
    tmpl = re.search(r'PODWALL_TEMPLATE:-([^}"]+)', script)
    check(tmpl is not None, "start script: reads the template from a default path")
    tmpl = tmpl.group(1)
    cm_mount = mounts.get(os.path.dirname(tmpl))
    check(cm_mount is not None and
          vols.get(cm_mount["name"], {}).get("configMap", {}).get("name") ==
          cm["metadata"]["name"] and os.path.basename(tmpl) in cm["data"],
          "DaemonSet: ConfigMap %s mounted at %s with key %s" % (
              cm["metadata"]["name"], os.path.dirname(tmpl), os.path.basename(tmpl)))
    conf = re.search(r'PODWALL_CONFIG:-([^}"]+)', script).group(1)
    check(os.path.dirname(conf) in mounts, "start script: writes the config to a mounted "
          "directory (%s)" % conf)
    return ds, c


def start_script(c):
    cmd = c.get("command", [])
    check(len(cmd) >= 3 and cmd[0] in ("/bin/sh", "sh") and cmd[1].startswith("-") and
          "e" in cmd[1] and "c" in cmd[1],
          "DaemonSet: the command is a /bin/sh -ec start script")
    script = cmd[2]
    check("@NODE_NAME@" in script and "NODE_NAME" in script and "exec " in script,
          "start script: substitutes @NODE_NAME@ with $NODE_NAME and execs podwall")
    return script


# ---- RBAC against the client's requests ----------------------------------------------------

def client_requests():
    """{(apiGroup, resource): verbs} the client in control/k8s/ requests, from its source."""
    src = ""
    for path in sorted(glob.glob(os.path.join(ROOT, "control", "k8s", "*.c"))):
        with open(path) as f:
            src += f.read()
    # String literals only (comments may mention paths they do not request).
    src_nocomments = re.sub(r"/\*.*?\*/", "", src, flags=re.S)
    src_nocomments = re.sub(r"//[^\n]*", "", src_nocomments)
    lits = re.findall(r'"((?:[^"\\]|\\.)*)"', src_nocomments)
    resources, named = set(), set()
    for lit in lits:
        m = re.fullmatch(r"/api/v1/([a-z]+)", lit)
        if m:
            resources.add(("", m.group(1)))
            continue
        m = re.fullmatch(r"/apis/([a-z0-9.-]+)/v[0-9a-z]+/([a-z]+)", lit)
        if m:
            resources.add((m.group(1), m.group(2)))
            continue
        # A named object (GET of one item): "/api/v1/namespaces/%s/pods/%s" and the like.
        m = re.fullmatch(r"/apis?/(?:([a-z0-9.-]+)/)?v[0-9a-z]+/(?:namespaces/%s/)?([a-z]+)/%s",
                         lit)
        if m:
            named.add((m.group(1) or "", m.group(2)))
    verbs = set()
    if any(re.match(r"limit=", lit) for lit in lits):
        verbs.add("list")
    if any(re.search(r"(^|&)watch=(1|true)", lit) for lit in lits):
        verbs.add("watch")
    writes = re.findall(r"CURLOPT_(POST|UPLOAD|CUSTOMREQUEST|PUT)\b", src_nocomments)
    if writes:
        verbs.add("write(%s)" % ",".join(sorted(set(writes))))
    out = {r: set(verbs) for r in resources}
    for r in named:
        out.setdefault(r, set()).add("get")
    return out


def check_rbac(docs, ds):
    client = client_requests()
    log("client requests (from control/k8s/*.c): %s" % {
        "%s/%s" % (g or "core", r): sorted(v) for (g, r), v in sorted(client.items())})
    check({r for _, r in client} == {"pods", "namespaces", "networkpolicies"} and
          all(v >= {"list", "watch"} for v in client.values()),
          "the client lists and watches pods, namespaces and networkpolicies")

    role = one(docs, "ClusterRole")
    granted = {}
    for rule in role.get("rules", []):
        check("nonResourceURLs" not in rule and "resourceNames" not in rule,
              "ClusterRole: no nonResourceURLs, no resourceNames")
        for g in rule.get("apiGroups", []):
            for r in rule.get("resources", []):
                check("*" not in (g, r) and "*" not in rule.get("verbs", []),
                      "ClusterRole: no wildcard in %s/%s" % (g or "core", r))
                granted.setdefault((g, r), set()).update(rule.get("verbs", []))
    check(set(granted) == set(client),
          "ClusterRole: exactly the client's resources %s" % sorted(
              "%s/%s" % (g or "core", r) for g, r in granted))
    for key, verbs in sorted(granted.items()):
        name = "%s/%s" % (key[0] or "core", key[1])
        check(verbs == READ_VERBS, "ClusterRole: %s: exactly get, list, watch (%s)" % (
            name, sorted(verbs)))
        check(client[key] <= verbs, "ClusterRole: %s covers what the client does (%s)" % (
            name, sorted(client[key])))
        check(verbs - client[key] <= {"get"},
              "ClusterRole: %s grants nothing beyond the client's verbs but read-only get" % name)

    sa = one(docs, "ServiceAccount")
    binding = one(docs, "ClusterRoleBinding")
    ns = ds["metadata"].get("namespace", "default")
    check(binding["roleRef"]["kind"] == "ClusterRole" and
          binding["roleRef"]["name"] == role["metadata"]["name"],
          "ClusterRoleBinding: binds ClusterRole %s" % role["metadata"]["name"])
    check({"kind": "ServiceAccount", "name": sa["metadata"]["name"], "namespace": ns} in [
        {k: s.get(k) for k in ("kind", "name", "namespace")} for s in binding["subjects"]],
        "ClusterRoleBinding: to ServiceAccount %s/%s" % (ns, sa["metadata"]["name"]))
    check(ds["spec"]["template"]["spec"].get("serviceAccountName") == sa["metadata"]["name"] and
          sa["metadata"].get("namespace", "default") == ns,
          "DaemonSet: runs as ServiceAccount %s in its namespace" % sa["metadata"]["name"])


# ---- The ConfigMap's config, through the start script ----------------------------------------

def run_start_script(c, tmp, template, node, extra_env=None):
    """Run the DaemonSet's own start script with --check-config on @template."""
    cmd = c["command"]
    out = os.path.join(tmp, "podwall.yaml")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PODWALL": PODWALL,
           "PODWALL_TEMPLATE": template, "PODWALL_CONFIG": out}
    if node is not None:
        env["NODE_NAME"] = node
    env.update(extra_env or {})
    r = subprocess.run(cmd + ["--check-config"], env=env, capture_output=True, text=True,
                       timeout=60)
    return r, out


def hugepages_free_mb():
    try:
        with open("/proc/mounts") as f:
            if not any(line.split()[2] == "hugetlbfs" for line in f if len(line.split()) > 2):
                return 0
        info = {}
        with open("/proc/meminfo") as f:
            for line in f:
                k, v = line.split(":", 1)
                info[k] = int(v.split()[0])
        return info.get("HugePages_Free", 0) * info.get("Hugepagesize", 0) // 1024
    except (OSError, ValueError):
        return 0


def check_config(docs, c):
    cm = one(docs, "ConfigMap")
    text = cm["data"]["podwall.yaml"]
    cfg = yaml.safe_load(text)
    pol = cfg.get("policy", {})
    check(pol.get("source") == "kubernetes", "ConfigMap: policy.source: kubernetes")
    k8s = pol.get("kubernetes") or {}
    check(not k8s.get("server") and not k8s.get("kubeconfig"),
          "ConfigMap: in-cluster API access (no server, no kubeconfig)")
    check(cfg.get("node_name") == "@NODE_NAME@",
          "ConfigMap: node_name is the @NODE_NAME@ placeholder")
    check(any(p.get("role") == "uplink" and (p["device"].startswith("net_af_xdp") or
                                             re.match(r"[0-9a-f]{4}:", p["device"]))
              for p in cfg.get("ports", [])),
          "ConfigMap: an af_xdp or PCI (vfio) uplink port")

    tmp = tempfile.mkdtemp(prefix="pw-deploy-")
    try:
        template = os.path.join(tmp, "template.yaml")
        with open(template, "w") as f:
            f.write(text)
        r = subprocess.run([PODWALL, "-c", template, "--check-config"], capture_output=True,
                           text=True, timeout=60)
        check(r.returncode != 0 and "node_name" in r.stderr,
              "the template itself does not load (the placeholder is no node name): %s" %
              r.stderr.strip())

        node = "ip-10-0-3-17.eu-west-1.compute.internal"
        r, out = run_start_script(c, tmp, template, node)
        if (r.returncode != 0 and "dpdk.hugepages is on but" in r.stderr and
                hugepages_free_mb() < int(cfg.get("dpdk", {}).get("memory_mb", 512))):
            # This machine has no hugepages reserved (the node would): the rest must load.
            log("note: no hugepages here (%s); checking with dpdk.hugepages: auto" %
                r.stderr.strip())
            with open(template, "w") as f:
                f.write(re.sub(r"(?m)^(\s*hugepages:\s*)on\b", r"\1auto", text))
            r, out = run_start_script(c, tmp, template, node)
        check(r.returncode == 0 and "ok" in r.stdout,
              "ConfigMap's podwall.yaml, node name substituted by the start script, passes "
              "podwall --check-config: %s%s" % (r.stdout.strip(), r.stderr.strip()))
        with open(out) as f:
            gen = yaml.safe_load(f)
        check(gen["node_name"] == node, "the generated config names the node (%s)" % node)

        r, _ = run_start_script(c, tmp, template, None)
        check(r.returncode != 0 and "NODE_NAME" in r.stderr,
              "without NODE_NAME the start script stops before podwall: %s" % r.stderr.strip())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return cfg


# ---- The probes against a real daemon --------------------------------------------------------

def probe(argv, sock):
    """Run a probe command with podwallctl = PW_PODWALLCTL and the socket path = @sock."""
    def sub(s):
        s = s.replace("/run/podwall/podwall.sock", sock)
        return re.sub(r"(?<![\w/.-])podwallctl(?![\w-])", shlex.quote(PODWALLCTL), s)
    if argv[0] == "podwallctl":
        argv = [PODWALLCTL] + [a.replace("/run/podwall/podwall.sock", sock) for a in argv[1:]]
    else:  # a shell pipeline
        argv = [sub(a) for a in argv]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30).returncode


def check_probes(c):
    import fake_apiserver as fa

    tmp = tempfile.mkdtemp(prefix="pw-deploy-probe-")
    api, up = None, False
    try:
        certs = fa.make_certs(tmp)
        token_file = os.path.join(tmp, "token")
        with open(token_file, "w") as f:
            f.write("deploy-token\n")
        api = fa.FakeApiServer(certs=certs, tokens=("deploy-token",)).start()
        api.add("namespaces", {"metadata": {"name": "shop"}})
        api.stop()  # down at first (its port is kept): the daemon cannot sync
        with Podwall("deploy") as pw:
            empty = pw.path("empty.pcap")
            with open(empty, "wb") as f:
                f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            pw.configure(mode="wire", node="node-1", before_sync="fail-closed",
                         kubernetes={"server": api.url, "token_file": token_file,
                                     "ca_file": certs["ca.crt"]},
                         ports=[("a", "net_pcap0,rx_pcap=%s,tx_pcap=/dev/null" % empty),
                                ("b", "net_pcap1,rx_pcap=%s,tx_pcap=/dev/null" % empty)])
            pw.start()
            check(probe(probe_argv(c["livenessProbe"]), pw.sock) == 0,
                  "liveness probe passes while the API server is down")
            if "startupProbe" in c:
                check(probe(probe_argv(c["startupProbe"]), pw.sock) == 0,
                      "startup probe passes once the socket answers")
            check(probe(probe_argv(c["readinessProbe"]), pw.sock) != 0,
                  "readiness probe fails before the first sync")
            api.start()  # same port
            up = True
            deadline = time.time() + 60
            ready = False
            while time.time() < deadline and not ready:
                ready = probe(probe_argv(c["readinessProbe"]), pw.sock) == 0
                if not ready:
                    time.sleep(0.2)
            check(ready, "readiness probe passes after the first sync")
            pw.stop()
        check(probe(probe_argv(c["livenessProbe"]), pw.sock) != 0,
              "liveness probe fails when podwall is gone")
    finally:
        if up:
            api.stop()
        shutil.rmtree(tmp, ignore_errors=True)


# ---- Dockerfile ------------------------------------------------------------------------------

def dockerfile_instructions(path):
    """[(INSTRUCTION, args)] with continuation lines joined and comments dropped."""
    out, cur = [], ""
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not cur and (line.strip().startswith("#") or not line.strip()):
                continue
            if cur and line.strip().startswith("#"):
                continue  # a comment inside a continued instruction
            if line.endswith("\\"):
                cur += line[:-1] + " "
                continue
            cur += line
            inst, _, args = cur.strip().partition(" ")
            out.append((inst.upper(), args.strip()))
            cur = ""
    return out


def apt_packages(run_args, argvars):
    """Packages named by every `apt-get install` in a RUN line, ARG variables expanded."""
    expanded = re.sub(r"\$\{(\w+)(?::?-[^}]*)?\}|\$(\w+)",
                      lambda m: argvars.get(m.group(1) or m.group(2), ""), run_args)
    pkgs = []
    for part in re.split(r"&&|;|\|\|", expanded):
        words = part.split()
        if len(words) >= 2 and words[0] in ("apt-get", "apt") and "install" in words:
            for w in words[words.index("install") + 1:]:
                if not w.startswith("-"):
                    pkgs.append(w)
    return pkgs


def check_dockerfile():
    path = os.path.join(DOCKER, "Dockerfile")
    insts = dockerfile_instructions(path)
    stages, global_args = [], {}
    for inst, args in insts:
        if inst == "FROM":
            words = args.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else str(len(stages))
            stages.append({"image": words[0], "name": name, "insts": [], "args": dict(global_args)})
        elif not stages:
            if inst == "ARG":
                k, _, v = args.partition("=")
                global_args[k] = v.strip('"')
        else:
            stages[-1]["insts"].append((inst, args))
            if inst == "ARG":
                k, _, v = args.partition("=")
                stages[-1]["args"][k] = v.strip('"')
    check(len(stages) >= 2, "Dockerfile: multi-stage (%d stages: %s)" % (
        len(stages), [s["name"] for s in stages]))
    check(all(re.fullmatch(r"debian:12(\.\d+)?(-slim)?(@sha256:[0-9a-f]{64})?", s["image"])
              for s in stages),
          "Dockerfile: every stage is FROM debian:12* (%s)" % [s["image"] for s in stages])

    build, runtime = stages[0], stages[-1]
    build_runs = " ".join(a for i, a in build["insts"] if i == "RUN")
    check("meson setup" in build_runs and "buildtype=release" in build_runs and
          "-Dintegration=false" in build_runs,
          "Dockerfile: build stage: meson setup --buildtype=release -Dintegration=false")
    check("meson install" in build_runs or "ninja install" in build_runs,
          "Dockerfile: build stage installs podwall and podwallctl (meson install)")

    copies = [a for i, a in runtime["insts"] if i == "COPY" and "--from=" in a]
    from_build = [a for a in copies if re.search(r"--from=(%s)\b" % re.escape(build["name"]), a)]
    for prog in ("podwall", "podwallctl"):
        check(any(re.search(r"/%s(\s|$)" % prog, a) for a in from_build),
              "Dockerfile: runtime stage copies %s from the %s stage" % (prog, build["name"]))

    runtime_pkgs = []
    for i, a in runtime["insts"]:
        if i == "RUN":
            runtime_pkgs += apt_packages(a, runtime["args"])
    build_pkgs = []
    for i, a in build["insts"]:
        if i == "RUN":
            build_pkgs += apt_packages(a, build["args"])
    log("runtime packages: %s" % " ".join(runtime_pkgs))
    dev = [p for p in runtime_pkgs if p.endswith("-dev") or p.endswith("-dbg")]
    check(not dev, "Dockerfile: runtime stage installs no -dev package (%s)" % dev)
    compilers = [p for p in runtime_pkgs if re.fullmatch(
        r"(build-essential|(gcc|g\+\+|cpp|clang|llvm)(-\d+)?|make|meson|ninja-build|"
        r"pkg-config|pkgconf|binutils|libc6-dev)", p)]
    check(not compilers, "Dockerfile: runtime stage installs no compiler or build tool (%s)" %
          compilers)
    runtime_text = " ".join(a for _, a in runtime["insts"])
    check(not re.search(r"\b(gcc|cc|clang|meson|ninja)\s", " ".join(
        a for i, a in runtime["insts"] if i == "RUN").replace("meson install", "")),
        "Dockerfile: runtime stage runs no compiler")
    for p in ("libcyaml1", "libyaml-0-2", "libjansson4", "libcurl4", "libpcap0.8",
              "ca-certificates", "librte-mempool-ring23"):
        check(p in runtime_pkgs, "Dockerfile: runtime installs %s" % p)
    check("pmds-23.0" in runtime_text, "Dockerfile: runtime checks the PMD directory pmds-23.0")

    # Every DPDK library podwall links comes from a package the runtime stage installs.
    if shutil.which("ldd") and shutil.which("dpkg"):
        r = subprocess.run(["ldd", PODWALL], capture_output=True, text=True, timeout=30)
        libs = re.findall(r"(librte_\w+\.so\.\d+) => (\S+)", r.stdout)
        check(libs, "podwall links DPDK libraries (%d)" % len(libs))
        for lib, real in libs:
            q = subprocess.run(["dpkg", "-S", os.path.realpath(real)], capture_output=True,
                               text=True, timeout=30)
            owner = q.stdout.split(":")[0].strip() if q.returncode == 0 else None
            if owner is None:
                q = subprocess.run(["dpkg", "-S", real], capture_output=True, text=True,
                                   timeout=30)
                owner = q.stdout.split(":")[0].strip() if q.returncode == 0 else None
            if owner is None:
                log("note: %s (%s) belongs to no Debian package here (a local DPDK?)" % (
                    lib, real))
                continue
            check(owner in runtime_pkgs, "Dockerfile: runtime installs %s (%s)" % (owner, lib))
    else:
        log("note: no ldd/dpkg here: linked-library coverage not checked")

    # The packages exist in Debian 12 (this machine's apt sources).
    if shutil.which("apt-cache"):
        wanted = sorted(set(runtime_pkgs + build_pkgs))
        r = subprocess.run(["apt-cache", "show", "--no-all-versions"] + wanted,
                           capture_output=True, text=True, timeout=120)
        known = set(re.findall(r"(?m)^Package: (\S+)$", r.stdout))
        missing = [p for p in wanted if p not in known]
        check(not missing, "the %d packages the Dockerfile installs exist in Debian "
              "(apt-cache show)%s" % (len(wanted), ": missing %s" % missing if missing else ""))
    else:
        log("note: no apt-cache here: package existence not checked")

    ignore = os.path.join(DOCKER, "Dockerfile.dockerignore")
    if os.path.exists(ignore):
        with open(ignore) as f:
            check("build*/" in f.read().split(), "Dockerfile.dockerignore keeps build*/ out")


def main():
    check(os.access(PODWALL, os.X_OK), "podwall binary at %s" % PODWALL)
    docs = load_manifests()
    cm = one(docs, "ConfigMap")
    cfg = yaml.safe_load(cm["data"]["podwall.yaml"])
    ds, c = check_daemonset(docs, cfg)
    check_rbac(docs, ds)
    check_config(docs, c)
    check_probes(c)
    check_dockerfile()


if __name__ == "__main__":
    main()

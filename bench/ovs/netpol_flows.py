# SPDX-License-Identifier: Apache-2.0
"""Kubernetes NetworkPolicy as OpenFlow with conntrack, the way Antrea programs OVS
(bench/ovs_dut.py), and a reference evaluator of the same policies to check the translation.

    cluster = load_manifests(DIR)        # Namespaces, Pods, NetworkPolicies (YAML or JSON)
    prog = translate(cluster, conntrack=True)
    prog.lines                           # ovs-ofctl add-flows lines
    evaluate(cluster, src, dst, "UDP", 8080)   # K8s semantics, written plainly

Semantics follow control/model/refeval.c (numbered there): policies select endpoint pods
(an IP, not hostNetwork, not Succeeded/Failed) of their namespace; a pod is isolated in a
direction when a policy selecting it has that policyType; traffic needs egress at the source
and ingress at the destination; ipBlock matches any address in cidr minus except; selector
peers match endpoint pods only; named ports resolve on the destination pod.

Tables (Antrea's names; one bridge, two ports, "wire" forwarding: in_port 1 -> 2, 2 -> 1):
   0 Classification     in_port -> reg1 (the other port: Antrea's TargetOFPortField)
  10 ConntrackZone      ip/ipv6 -> ct(table=20, zone=65520); other ethertypes -> Output
  20 ConntrackState     +inv drop; +est / +rel -> Output; the rest (+new) -> EgressRule
  30 EgressRule         one conjunction per rule: (source = selected pods, destination =
                        peers, ports); conj_id -> reg5, IngressRule
  40 EgressDefaultRule  source pod isolated for egress: drop; else IngressRule
  50 IngressRule        conjunction: (source = peers, destination = selected pods, ports);
                        conj_id -> reg6, ConntrackCommit
  60 IngressDefaultRule destination pod isolated for ingress: drop; else ConntrackCommit
  70 ConntrackCommit    +new+trk: ct(commit, zone=65520), output:reg1
  80 Output             output:reg1
Without conntrack, table 10 sends IP straight to EgressRule and allowed packets go to Output.
"""
import functools
import glob
import ipaddress
import os

import yaml

ZONE = 65520  # Antrea's conntrack zone
T_CLASSIFIER, T_CT_ZONE, T_CT_STATE = 0, 10, 20
T_EGRESS_RULE, T_EGRESS_DEFAULT, T_INGRESS_RULE, T_INGRESS_DEFAULT = 30, 40, 50, 60
T_CT_COMMIT, T_OUTPUT = 70, 80
P_CONJ = 200  # conjunction clauses and conj_id flows
P_PLAIN = 201  # a rule with a single clause: plain flows (a conjunction needs two)
P_DEFAULT_DROP = 200

PROTOS = ("TCP", "UDP", "SCTP")
OF_PROTO = {("TCP", 4): "tcp", ("UDP", 4): "udp", ("SCTP", 4): "sctp",
            ("TCP", 6): "tcp6", ("UDP", 6): "udp6", ("SCTP", 6): "sctp6"}


class Unsupported(Exception):
    """A manifest uses something this translator does not translate (or is invalid)."""


def _labels(d, where):
    if d is None:
        return {}
    if not isinstance(d, dict):
        raise Unsupported(f"{where}: labels are not a map")
    out = {}
    for k, v in d.items():
        if isinstance(v, bool):
            v = "true" if v else "false"
        out[str(k)] = "" if v is None else str(v)
    return out


def _check_keys(d, allowed, where):
    if not isinstance(d, dict):
        raise Unsupported(f"{where}: not a map")
    extra = set(d) - set(allowed)
    if extra:
        raise Unsupported(f"{where}: {', '.join(sorted(extra))} not translated")


class Selector:
    """A LabelSelector: matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist)."""

    def __init__(self, d, where):
        d = {} if d is None else d
        _check_keys(d, ("matchLabels", "matchExpressions"), where)
        self.labels = _labels(d.get("matchLabels"), where + ".matchLabels")
        self.exprs = []
        for i, e in enumerate(d.get("matchExpressions") or []):
            w = f"{where}.matchExpressions[{i}]"
            _check_keys(e, ("key", "operator", "values"), w)
            op, vals = e.get("operator"), [str(v) for v in (e.get("values") or [])]
            if op in ("In", "NotIn") and not vals:
                raise Unsupported(f"{w}: {op} needs values")
            if op in ("Exists", "DoesNotExist") and vals:
                raise Unsupported(f"{w}: {op} takes no values")
            if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
                raise Unsupported(f"{w}: operator {op!r}")
            self.exprs.append((str(e["key"]), op, frozenset(vals)))

    def matches(self, labels):
        for k, v in self.labels.items():
            if labels.get(k) != v:
                return False
        for key, op, vals in self.exprs:
            has = key in labels
            if op == "In" and not (has and labels[key] in vals):
                return False
            if op == "NotIn" and has and labels[key] in vals:
                return False
            if op == "Exists" and not has:
                return False
            if op == "DoesNotExist" and has:
                return False
        return True


class Pod:
    def __init__(self, ns, name, labels, ips, node, ports, endpoint):
        self.ns, self.name, self.labels, self.ips = ns, name, labels, ips
        self.node, self.ports, self.endpoint = node, ports, endpoint  # ports: (name, proto) -> n


class Peer:
    """A from/to entry: selectors (pod_sel / ns_sel, None when absent) or an ipBlock."""

    def __init__(self, d, where):
        _check_keys(d, ("podSelector", "namespaceSelector", "ipBlock"), where)
        self.pod_sel = self.ns_sel = self.nets = self.cidr = None
        self.excepts = []
        if "ipBlock" in d:
            if len(d) != 1:
                raise Unsupported(f"{where}: ipBlock with a selector")
            b = d["ipBlock"]
            _check_keys(b, ("cidr", "except"), where + ".ipBlock")
            try:
                cidr = ipaddress.ip_network(b["cidr"], strict=False)
                nets = [cidr]
                for e in b.get("except") or []:
                    ex = ipaddress.ip_network(e, strict=False)
                    if ex.version != cidr.version or not ex.subnet_of(cidr) or ex == cidr:
                        raise Unsupported(f"{where}.ipBlock: except {e} not inside {cidr}")
                    rest = []
                    for n in nets:  # prefixes overlap only when one holds the other
                        if not n.overlaps(ex):
                            rest.append(n)
                        elif not n.subnet_of(ex):
                            rest.extend(n.address_exclude(ex))
                    nets = rest
                    self.excepts.append(ex)
                self.cidr = cidr
            except (KeyError, ValueError) as err:
                raise Unsupported(f"{where}.ipBlock: {err}") from err
            self.nets = sorted(nets, key=lambda n: (n.version, n))
            return
        if not d:
            raise Unsupported(f"{where}: empty peer")
        if "podSelector" in d:
            self.pod_sel = Selector(d["podSelector"], where + ".podSelector")
        if "namespaceSelector" in d:
            self.ns_sel = Selector(d["namespaceSelector"], where + ".namespaceSelector")


class PortSpec:
    """A ports entry: proto, and port None (all), an int range (port, end) or a name."""

    def __init__(self, d, where):
        _check_keys(d, ("protocol", "port", "endPort"), where)
        self.proto = d.get("protocol") or "TCP"
        if self.proto not in PROTOS:
            raise Unsupported(f"{where}: protocol {self.proto!r}")
        port, end = d.get("port"), d.get("endPort")
        self.name = self.lo = self.hi = None
        if isinstance(port, str) and not port.isdigit():
            if end is not None:
                raise Unsupported(f"{where}: endPort with a named port")
            self.name = port
        elif port is not None:
            self.lo = int(port)
            self.hi = int(end) if end is not None else self.lo
            if not 1 <= self.lo <= self.hi <= 65535:
                raise Unsupported(f"{where}: port range {self.lo}..{self.hi}")
        elif end is not None:
            raise Unsupported(f"{where}: endPort without port")


class Rule:
    def __init__(self, d, peer_key, where):
        d = {} if d is None else d
        _check_keys(d, (peer_key, "ports"), where)
        self.peers = [Peer(p, f"{where}.{peer_key}[{i}]") for i, p in
                      enumerate(d.get(peer_key) or [])]
        self.ports = [PortSpec(p, f"{where}.ports[{i}]") for i, p in
                      enumerate(d.get("ports") or [])]


class Policy:
    def __init__(self, obj, where):
        md = obj.get("metadata") or {}
        self.ns, self.name = md.get("namespace") or "default", md.get("name")
        spec = obj.get("spec") or {}
        _check_keys(spec, ("podSelector", "policyTypes", "ingress", "egress"), where + ".spec")
        self.pod_sel = Selector(spec.get("podSelector"), where + ".spec.podSelector")
        self.ingress = [Rule(r, "from", f"{where}.spec.ingress[{i}]")
                        for i, r in enumerate(spec.get("ingress") or [])]
        self.egress = [Rule(r, "to", f"{where}.spec.egress[{i}]")
                       for i, r in enumerate(spec.get("egress") or [])]
        types = spec.get("policyTypes") or []
        for t in types:
            if t not in ("Ingress", "Egress"):
                raise Unsupported(f"{where}: policyType {t!r}")
        if not types:  # as kube-apiserver defaults it (len(spec.egress) != 0)
            types = ["Ingress"] + (["Egress"] if spec.get("egress") else [])
        self.isolates_ingress = "Ingress" in types
        self.isolates_egress = "Egress" in types


class Cluster:
    def __init__(self):
        self.ns_labels = {}  # namespace -> labels (kubernetes.io/metadata.name included)
        self.pods = []
        self.policies = []
        self.ignored = {}  # kind -> count

    def finish(self):
        self.endpoints = [p for p in self.pods if p.endpoint]
        self.by_ip = {}
        for p in self.endpoints:
            for ip in p.ips:
                self.by_ip[ip] = p
        # Pods grouped by (namespace, labels): selectors are evaluated once per group.
        groups = {}
        for p in self.endpoints:
            groups.setdefault((p.ns, tuple(sorted(p.labels.items()))), []).append(p)
        self.groups_by_ns = {}
        for (ns, labels), pods in groups.items():
            self.groups_by_ns.setdefault(ns, []).append((dict(labels), pods))
        for ns in self.groups_by_ns:
            self.ns_labels.setdefault(ns, {})
        for ns, lab in self.ns_labels.items():
            lab["kubernetes.io/metadata.name"] = ns  # set by the API server
        self.families = sorted({ip.version for ip in self.by_ip})
        return self

    def select(self, ns, pod_sel, ns_sel=None):
        """Endpoint pods matched by pod_sel (None: all) in ns, or in the namespaces ns_sel
        matches when ns_sel is given."""
        if ns_sel is None:
            namespaces = [ns]
        else:
            namespaces = [n for n in sorted(self.ns_labels) if ns_sel.matches(self.ns_labels[n])]
        out = []
        for n in namespaces:
            for labels, pods in self.groups_by_ns.get(n, ()):
                if pod_sel is None or pod_sel.matches(labels):
                    out.extend(pods)
        return out

    def policy_pods(self, pol):
        return self.select(pol.ns, pol.pod_sel)


def _pod(obj, where):
    md = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    ips = []
    for s in [status.get("podIP")] + [e.get("ip") for e in status.get("podIPs") or []]:
        if s:
            ip = ipaddress.ip_address(s)
            if ip not in ips:
                ips.append(ip)
    ports = {}
    for c in spec.get("containers") or []:
        for cp in c.get("ports") or []:
            if cp.get("name"):
                ports.setdefault((cp["name"], cp.get("protocol") or "TCP"),
                                 int(cp["containerPort"]))
    endpoint = bool(ips) and not spec.get("hostNetwork") and \
        status.get("phase") not in ("Succeeded", "Failed")
    return Pod(md.get("namespace") or "default", md.get("name"),
               _labels(md.get("labels"), where + ".metadata.labels"), ips,
               spec.get("nodeName"), ports, endpoint)


def load_manifests(path):
    """Read every *.yaml, *.yml and *.json under path (a directory or one file), in name
    order. Namespaces, Pods and networking.k8s.io/v1 NetworkPolicies are used; List items
    are unpacked; other kinds are counted in .ignored, except other *NetworkPolicy kinds,
    which raise Unsupported."""
    files = [path] if os.path.isfile(path) else sorted(
        f for ext in ("yaml", "yml", "json") for f in glob.glob(os.path.join(path, "*." + ext)))
    if not files:
        raise Unsupported(f"{path}: no manifests")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    c = Cluster()

    def add(obj, where):
        kind = obj.get("kind")
        if kind == "List":
            for i, it in enumerate(obj.get("items") or []):
                add(it, f"{where}.items[{i}]")
        elif kind == "Namespace":
            name = (obj.get("metadata") or {}).get("name")
            c.ns_labels[name] = _labels((obj.get("metadata") or {}).get("labels"), where)
        elif kind == "Pod":
            c.pods.append(_pod(obj, where))
        elif kind == "NetworkPolicy" and obj.get("apiVersion") == "networking.k8s.io/v1":
            c.policies.append(Policy(obj, f"{where} NetworkPolicy"))
        elif kind and "NetworkPolicy" in kind:
            raise Unsupported(f"{where}: {obj.get('apiVersion')} {kind} not translated")
        else:
            c.ignored[kind] = c.ignored.get(kind, 0) + 1

    for f in files:
        with open(f) as fh:
            for i, obj in enumerate(yaml.load_all(fh, Loader=loader)):
                if obj:
                    add(obj, f"{os.path.basename(f)}#{i}")
    return c.finish()


# --- Reference evaluator (control/model/refeval.c, all pods enforced) ---------------------

def _peer_matches(c, pol_ns, peer, remote):
    if peer.nets is not None:
        return any(remote in n for n in peer.nets)
    pod = c.by_ip.get(remote)
    if pod is None:
        return False
    if peer.ns_sel is not None:
        if not peer.ns_sel.matches(c.ns_labels.get(pod.ns, {})):
            return False
    elif pod.ns != pol_ns:
        return False
    return peer.pod_sel is None or peer.pod_sel.matches(pod.labels)


def _port_matches(c, ps, dst, proto, dport):
    if proto != ps.proto:
        return False
    if ps.name is not None:
        pod = c.by_ip.get(dst)
        return pod is not None and pod.ports.get((ps.name, proto)) == dport
    return ps.lo is None or ps.lo <= dport <= ps.hi


def _dir_allowed(c, src, dst, proto, dport, egress, node):
    local, remote = (src, dst) if egress else (dst, src)
    pod = c.by_ip.get(local)
    if pod is None or (node is not None and pod.node != node):
        return True
    isolated = False
    for pol in c.policies:
        if pol.ns != pod.ns or not pol.pod_sel.matches(pod.labels):
            continue
        if not (pol.isolates_egress if egress else pol.isolates_ingress):
            continue
        isolated = True
        for r in (pol.egress if egress else pol.ingress):
            if (not r.peers or any(_peer_matches(c, pol.ns, p, remote) for p in r.peers)) and \
                    (not r.ports or any(_port_matches(c, ps, dst, proto, dport)
                                        for ps in r.ports)):
                return True
    return not isolated


def evaluate(c, src, dst, proto, dport, node=None):
    """Whether a packet src -> dst (ipaddress objects), proto "TCP"/"UDP"/"SCTP" (or None
    for another IP protocol) to dport is allowed: egress at src and ingress at dst."""
    return _dir_allowed(c, src, dst, proto, dport, True, node) and \
        _dir_allowed(c, src, dst, proto, dport, False, node)


# --- Translation ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _ip_match(addr_or_net, field):
    """field "src" or "dst"; an address or a network."""
    v = addr_or_net.version
    proto = "ip" if v == 4 else "ipv6"
    name = ("nw_" if v == 4 else "ipv6_") + field
    if isinstance(addr_or_net, (ipaddress.IPv4Network, ipaddress.IPv6Network)) and \
            addr_or_net.prefixlen == addr_or_net.max_prefixlen:
        addr_or_net = addr_or_net.network_address
    return f"{proto},{name}={addr_or_net}"


def _range_masks(lo, hi):
    """The value/mask pairs covering lo..hi (as OVS matches tp_dst ranges)."""
    out = []
    while lo <= hi:
        size = 1
        while lo % (size * 2) == 0 and lo + size * 2 - 1 <= hi and size < 65536:
            size *= 2
        out.append((lo, 0xffff & ~(size - 1)))
        lo += size
    return out


def _port_matches_of(proto, lo, hi, families):
    out = []
    for v in families:
        p = OF_PROTO[(proto, v)]
        if lo is None:
            out.append(p)
        else:
            for val, mask in _range_masks(lo, hi):
                out.append(f"{p},tp_dst={val}" if mask == 0xffff else
                           f"{p},tp_dst=0x{val:04x}/0x{mask:04x}")
    return out


class Program:
    """The flows of one translation: .lines (ovs-ofctl add-flows), and counts."""

    def __init__(self):
        self.clauses = {}  # (table, match) -> [conjunction actions], priority P_CONJ
        self.plain = {}  # (table, priority, match) -> actions
        self.lines = []
        self.conjunctions = 0
        self.rules = 0
        self.skipped_rules = 0

    def flow(self, table, priority, match, actions):
        key = (table, priority, match)
        old = self.plain.get(key)
        if old is not None and old != actions:
            raise Unsupported(f"conflicting flows for {key}: {old} / {actions}")
        self.plain[key] = actions

    def conj(self, table, allow, clauses):
        """One rule: clauses are lists of match strings (None: any); allow: the action of
        a complete match (format with {id})."""
        clauses = [cl for cl in clauses if cl is not None]
        if any(not cl for cl in clauses):
            self.skipped_rules += 1  # some clause matches nothing: the rule never matches
            return
        self.rules += 1
        if len(clauses) == 1:
            for m in clauses[0]:
                self.flow(table, P_PLAIN, m, allow.format(id=0))
            return
        self.conjunctions += 1
        cid = self.conjunctions
        n = len(clauses)
        for k, cl in enumerate(clauses, 1):
            for m in dict.fromkeys(cl):
                self.clauses.setdefault((table, m), []).append(f"conjunction({cid},{k}/{n})")
        self.flow(table, P_CONJ, f"conj_id={cid}", allow.format(id=cid))

    def render(self):
        lines = []
        for (table, prio, match), actions in sorted(self.plain.items(),
                                                    key=lambda kv: (kv[0][0], -kv[0][1])):
            lines.append(f"table={table},priority={prio}" + (f",{match}" if match else "") +
                         f" actions={actions}")
        for (table, match), acts in sorted(self.clauses.items()):
            lines.append(f"table={table},priority={P_CONJ},{match} actions={','.join(acts)}")
        self.lines = lines
        return lines


def _peer_ips(c, pol, rule, want_pods):
    """The remote side of a rule: None for any address, else a list of networks/addresses;
    and, when want_pods (named ports), the endpoint pods among them (None: every pod)."""
    if not rule.peers:
        return None, (c.endpoints if want_pods else None)
    addrs, pods = {}, {}
    for p in rule.peers:
        if p.nets is not None:
            for n in p.nets:
                addrs[n] = None
            if want_pods:
                for pod in c.endpoints:
                    if any(ip in n for ip in pod.ips for n in p.nets):
                        pods[id(pod)] = pod
        else:
            for pod in c.select(pol.ns, p.pod_sel, p.ns_sel):
                pods[id(pod)] = pod
                for ip in pod.ips:
                    addrs[ip] = None
    return list(addrs), list(pods.values())


def _rule_conjs(c, prog, pol, rule, local_pods, egress, allow, table):
    """Add a rule's conjunctions: numeric ports in one, named ports one per resolved number
    (the name resolves on the destination pod, so the destination side is narrowed)."""
    fam = c.families
    local = [ip for p in local_pods for ip in p.ips]
    numeric = [ps for ps in rule.ports if ps.name is None]
    named = [ps for ps in rule.ports if ps.name is not None]
    remote, remote_pods = _peer_ips(c, pol, rule, bool(named) and egress)
    if egress:
        def sides(loc, rem):
            return ([_ip_match(a, "src") for a in loc],
                    None if rem is None else [_ip_match(a, "dst") for a in rem])
    else:
        def sides(loc, rem):
            return (None if rem is None else [_ip_match(a, "src") for a in rem],
                    [_ip_match(a, "dst") for a in loc])
    if not rule.ports or numeric:
        ports = None if not rule.ports else \
            [m for ps in numeric for m in _port_matches_of(ps.proto, ps.lo, ps.hi, fam)]
        s, d = sides(local, remote)
        prog.conj(table, allow, [s, d, ports])
    if not named:
        return
    dst_pods = remote_pods if egress else local_pods
    by_port = {}  # (proto, number) -> destination pods with that named port
    for ps in named:
        for pod in dst_pods:
            n = pod.ports.get((ps.name, ps.proto))
            if n is not None:
                by_port.setdefault((ps.proto, n), {})[id(pod)] = pod
    for (proto, n), pods in sorted(by_port.items()):
        ips = [ip for p in pods.values() for ip in p.ips]
        ports = _port_matches_of(proto, n, n, fam)
        if egress:
            s, d = sides(local, ips)
        else:
            s, d = sides(ips, remote)
        prog.conj(table, allow, [s, d, ports])


def translate(c, conntrack=True):
    """The OpenFlow program for cluster c (None: plain forwarding, port 1 <-> port 2)."""
    prog = Program()
    if c is None:
        prog.flow(T_CLASSIFIER, 200, "in_port=1", "output:2")
        prog.flow(T_CLASSIFIER, 200, "in_port=2", "output:1")
        prog.flow(T_CLASSIFIER, 0, "", "drop")
        prog.render()
        return prog
    ips = ("ip", "ipv6")
    prog.flow(T_CLASSIFIER, 200, "in_port=1", f"load:2->NXM_NX_REG1[],goto_table:{T_CT_ZONE}")
    prog.flow(T_CLASSIFIER, 200, "in_port=2", f"load:1->NXM_NX_REG1[],goto_table:{T_CT_ZONE}")
    prog.flow(T_CLASSIFIER, 0, "", "drop")
    for m in ips:
        prog.flow(T_CT_ZONE, 200, m, f"ct(table={T_CT_STATE},zone={ZONE})" if conntrack else
                  f"goto_table:{T_EGRESS_RULE}")
    prog.flow(T_CT_ZONE, 0, "", f"goto_table:{T_OUTPUT}")
    after_ingress = T_CT_COMMIT if conntrack else T_OUTPUT
    if conntrack:
        prog.flow(T_CT_STATE, 210, "ct_state=+inv+trk", "drop")
        prog.flow(T_CT_STATE, 200, "ct_state=+est+trk", f"goto_table:{T_OUTPUT}")
        prog.flow(T_CT_STATE, 200, "ct_state=+rel+trk", f"goto_table:{T_OUTPUT}")
        prog.flow(T_CT_STATE, 0, "", f"goto_table:{T_EGRESS_RULE}")
        for m in ips:
            prog.flow(T_CT_COMMIT, 200, f"ct_state=+new+trk,{m}",
                      f"ct(commit,zone={ZONE}),output:NXM_NX_REG1[]")
        prog.flow(T_CT_COMMIT, 0, "", f"goto_table:{T_OUTPUT}")
    prog.flow(T_OUTPUT, 200, "", "output:NXM_NX_REG1[]")
    egress_allow = "load:{id}->NXM_NX_REG5[]," + f"goto_table:{T_INGRESS_RULE}"
    ingress_allow = "load:{id}->NXM_NX_REG6[]," + f"goto_table:{after_ingress}"
    iso_in, iso_eg = {}, {}
    for pol in c.policies:
        pods = c.policy_pods(pol)
        if not pods:
            continue
        if pol.isolates_egress:
            for p in pods:
                iso_eg[id(p)] = p
            for r in pol.egress:
                _rule_conjs(c, prog, pol, r, pods, True, egress_allow, T_EGRESS_RULE)
        if pol.isolates_ingress:
            for p in pods:
                iso_in[id(p)] = p
            for r in pol.ingress:
                _rule_conjs(c, prog, pol, r, pods, False, ingress_allow, T_INGRESS_RULE)
    prog.flow(T_EGRESS_RULE, 0, "", f"goto_table:{T_EGRESS_DEFAULT}")
    prog.flow(T_INGRESS_RULE, 0, "", f"goto_table:{T_INGRESS_DEFAULT}")
    for p in iso_eg.values():
        for ip in p.ips:
            prog.flow(T_EGRESS_DEFAULT, P_DEFAULT_DROP, _ip_match(ip, "src"), "drop")
    for p in iso_in.values():
        for ip in p.ips:
            prog.flow(T_INGRESS_DEFAULT, P_DEFAULT_DROP, _ip_match(ip, "dst"), "drop")
    prog.flow(T_EGRESS_DEFAULT, 0, "", f"goto_table:{T_INGRESS_RULE}")
    prog.flow(T_INGRESS_DEFAULT, 0, "", f"goto_table:{after_ingress}")
    prog.isolated_ingress, prog.isolated_egress = len(iso_in), len(iso_eg)
    prog.render()
    return prog

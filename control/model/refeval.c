/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reference evaluator: NetworkPolicy semantics (DESIGN.md, "NetworkPolicy semantics to
 * honour") in the plainest code we could write, one flow at a time, with each rule of the
 * semantics numbered beside the code that implements it. Speed does not matter here;
 * obviousness does, because the compiled ACL path is tested against it.
 */
#include "control/model/refeval.h"

#include <string.h>

enum dir {
	DIR_EGRESS,
	DIR_INGRESS,
};

/*
 * 1. A direction is enforced only at a pod of this node: egress at the pod that sends,
 *    ingress at the pod that receives. Anything else (another node's pod, a non-pod address)
 *    is not ours to police.
 */
static const struct pw_pod *
local_pod(const struct pw_model *model, const char *node, const struct pw_ip *ip)
{
	/* 2. Only endpoint pods count: no IP, Succeeded or Failed pods are not endpoints. */
	const struct pw_pod *pod = pw_model_pod_by_ip(model, ip);

	if (pod == NULL)
		return NULL;
	if (node != NULL && (pod->node == NULL || strcmp(pod->node, node) != 0))
		return NULL;
	return pod;
}

/*
 * 3. A policy selects a pod when it is in the policy's namespace and the policy's
 *    podSelector matches the pod's labels ({} selects every pod of the namespace).
 */
static bool
policy_selects(const struct pw_policy *pol, const struct pw_pod *pod)
{
	return strcmp(pol->ns, pod->ns) == 0 &&
		pw_selector_matches(&pol->pod_selector, &pod->labels);
}

/* 4. The policy's effective policyTypes (defaulted by the decoder) include the direction. */
static bool
policy_isolates(const struct pw_policy *pol, enum dir dir)
{
	return dir == DIR_EGRESS ? pol->isolates_egress : pol->isolates_ingress;
}

/* Whether @p peer of a policy in namespace @p policy_ns matches the remote address. */
static bool
peer_matches(const struct pw_model *model, const char *policy_ns, const struct pw_peer *peer,
	const struct pw_ip *remote)
{
	const struct pw_pod *pod;
	const struct pw_labels *ns_labels;
	struct pw_labels scratch;
	struct pw_label scratch_label;

	/* 5. ipBlock: the address is in cidr and in none of the except ranges (pod IPs too). */
	if (peer->kind == PW_PEER_IPBLOCK)
		return pw_ipblock_contains(peer, remote);

	/* 6. Selector peers match endpoint pods only, never other addresses. */
	pod = pw_model_pod_by_ip(model, remote);
	if (pod == NULL)
		return false;

	if (peer->has_ns_selector) {
		/* 7. namespaceSelector: the pod's namespace labels match ({} = every namespace). */
		ns_labels = pw_model_ns_labels(model, pod->ns, &scratch, &scratch_label);
		if (!pw_selector_matches(&peer->ns_selector, ns_labels))
			return false;
	} else if (strcmp(pod->ns, policy_ns) != 0) {
		/* 8. Without a namespaceSelector, only pods of the policy's own namespace. */
		return false;
	}

	/* 9. podSelector: the pod's labels match; with a namespaceSelector both must (AND). */
	if (peer->has_pod_selector && !pw_selector_matches(&peer->pod_selector, &pod->labels))
		return false;
	return true;
}

/*
 * 10. A named port is resolved against the destination pod's container ports: the name and
 *     the protocol must both match. No destination pod, or no such port: no match.
 */
static bool
named_port_matches(
	const struct pw_model *model, const struct pw_np_port *port, const struct pw_flow *flow)
{
	const struct pw_pod *dst = pw_model_pod_by_ip(model, &flow->dst);
	unsigned int i;

	if (dst == NULL)
		return false;
	for (i = 0; i < dst->nb_ports; i++) {
		const struct pw_container_port *cp = &dst->ports[i];

		if (cp->name != NULL && strcmp(cp->name, port->name) == 0 &&
			cp->proto == port->proto && cp->port == flow->dport)
			return true;
	}
	return false;
}

static bool
port_matches(
	const struct pw_model *model, const struct pw_np_port *port, const struct pw_flow *flow)
{
	/* 11. A port entry matches only its protocol (TCP when not written). */
	if (flow->proto != port->proto)
		return false;
	switch (port->kind) {
	case PW_NP_PORT_ANY:
		/* 12. Protocol without a port: every port of that protocol. */
		return true;
	case PW_NP_PORT_NUMBER:
		/* 13. A number, or the range port..endPort, both ends included. */
		return flow->dport >= port->port && flow->dport <= port->end_port;
	case PW_NP_PORT_NAMED:
		return named_port_matches(model, port, flow);
	}
	return false;
}

static bool
rule_matches(const struct pw_model *model, const char *policy_ns, const struct pw_np_rule *rule,
	const struct pw_ip *remote, const struct pw_flow *flow)
{
	bool peer_ok = false, port_ok = false;
	unsigned int i;

	/* 14. An absent or empty from/to matches every peer; otherwise any one peer (OR). */
	if (rule->nb_peers == 0)
		peer_ok = true;
	for (i = 0; i < rule->nb_peers && !peer_ok; i++)
		peer_ok = peer_matches(model, policy_ns, &rule->peers[i], remote);

	/* 15. Absent or empty ports match every port and protocol (ICMP too); else any one. */
	if (rule->nb_ports == 0)
		port_ok = true;
	for (i = 0; i < rule->nb_ports && !port_ok; i++)
		port_ok = port_matches(model, &rule->ports[i], flow);

	/* 16. A rule matches when both its peers and its ports do; {} allows everything. */
	return peer_ok && port_ok;
}

static void
evaluate_dir(const struct pw_model *model, const char *node, const struct pw_flow *flow,
	enum dir dir, struct pw_dir_verdict *ret)
{
	const struct pw_ip *local_ip = dir == DIR_EGRESS ? &flow->src : &flow->dst;
	const struct pw_ip *remote = dir == DIR_EGRESS ? &flow->dst : &flow->src;
	const struct pw_pod *pod = local_pod(model, node, local_ip);
	bool isolated = false;
	unsigned int p, r;

	memset(ret, 0, sizeof(*ret));
	if (pod == NULL) {
		ret->allowed = true;
		ret->reason = PW_DIR_NOT_ENFORCED;
		return;
	}
	/*
	 * 17. Policies are additive: the pod is isolated if any policy selecting it isolates
	 *     this direction, and the traffic is allowed if any rule of any of them matches.
	 *     Policies are visited in model order; the first match is the one reported.
	 */
	for (p = 0; p < pw_model_nb_policies(model); p++) {
		const struct pw_policy *pol = pw_model_policy_at(model, p);
		const struct pw_np_rule *rules = dir == DIR_EGRESS ? pol->egress : pol->ingress;
		unsigned int nb_rules = dir == DIR_EGRESS ? pol->nb_egress : pol->nb_ingress;

		if (!policy_selects(pol, pod) || !policy_isolates(pol, dir))
			continue;
		isolated = true;
		for (r = 0; r < nb_rules; r++) {
			if (rule_matches(model, pol->ns, &rules[r], remote, flow)) {
				ret->allowed = true;
				ret->reason = PW_DIR_ALLOWED;
				ret->policy = pol;
				ret->rule = r;
				return;
			}
		}
	}
	/* 18. Not isolated: allowed. Isolated and no rule matched: denied. */
	ret->allowed = !isolated;
	ret->reason = isolated ? PW_DIR_NO_RULE : PW_DIR_NOT_ISOLATED;
}

void
pw_ref_evaluate(const struct pw_model *model, const char *node, const struct pw_flow *flow,
	struct pw_verdict_pair *ret)
{
	evaluate_dir(model, node, flow, DIR_EGRESS, &ret->egress);
	evaluate_dir(model, node, flow, DIR_INGRESS, &ret->ingress);
	/* 19. A connection needs both: egress at the source and ingress at the destination. */
	ret->allowed = ret->egress.allowed && ret->ingress.allowed;
}

const char *
pw_dir_reason_name(enum pw_dir_reason r)
{
	switch (r) {
	case PW_DIR_NOT_ENFORCED:
		return "not enforced";
	case PW_DIR_NOT_ISOLATED:
		return "not isolated";
	case PW_DIR_ALLOWED:
		return "allowed by rule";
	case PW_DIR_NO_RULE:
		return "isolated, no rule matched";
	}
	return "?";
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podwall replay: the real dataplane on a capture. The policies of a manifests directory are
 * compiled for one node and published exactly as the daemon does; the capture is read by a
 * net_pcap port and decided by the real worker; allowed frames leave on a pcap port that
 * writes ALLOWED, and every dropped frame (denied, malformed) is diverted to a pcap port that
 * writes DENIED, so each input frame lands in exactly one of the two files.
 *
 *   port 0  rx IN           tx (unused)
 *   port 1  rx (empty)      tx ALLOWED    wire partner of port 0
 *   port 2  rx (empty)      tx DENIED     the dataplane's drop port
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <jansson.h>

#include "control/replay.h"
#include "control/eal_args.h"
#include "control/policy.h"
#include "dataplane/pw_dp.h"
#include "podwall/pw_log.h"

#define REPLAY_TIMEOUT_S 600

struct replay_opts {
	const char *manifests;
	const char *node;
	const char *in;
	const char *allowed;
	const char *denied;
	bool json;
	bool no_conntrack;
};

static void
replay_usage(FILE *out)
{
	fprintf(out,
		"usage: podwall replay --manifests DIR --node NAME --in IN.pcap --allowed "
		"OUT.pcap\n"
		"                      --denied OUT.pcap [--json] [--no-conntrack]\n"
		"Decides every frame of IN.pcap with the policies of DIR, as node NAME would, "
		"using\n"
		"the real worker code, and writes each frame to exactly one of the two outputs.\n"
		"Stateful like the daemon (replies of allowed connections pass) unless "
		"--no-conntrack.\n");
}

static int
parse_opts(int argc, char **argv, struct replay_opts *o)
{
	static const struct option opts[] = {
		{ "manifests", required_argument, NULL, 'm' },
		{ "node", required_argument, NULL, 'n' },
		{ "in", required_argument, NULL, 'i' },
		{ "allowed", required_argument, NULL, 'a' },
		{ "denied", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "no-conntrack", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			o->manifests = optarg;
			break;
		case 'n':
			o->node = optarg;
			break;
		case 'i':
			o->in = optarg;
			break;
		case 'a':
			o->allowed = optarg;
			break;
		case 'd':
			o->denied = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'C':
			o->no_conntrack = true;
			break;
		case 'h':
			replay_usage(stdout);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	if (optind != argc || o->manifests == NULL || o->node == NULL || o->in == NULL ||
		o->allowed == NULL || o->denied == NULL)
		return -EINVAL;
	return 0;
}

/* Frames in a capture, counted with libpcap (pcap and pcapng). */
static int
count_frames(const char *path, uint64_t *ret_n, char *err, size_t err_len)
{
	char perr[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	pcap_t *p;
	uint64_t n = 0;
	int rc;

	p = pcap_open_offline(path, perr);
	if (p == NULL) {
		snprintf(err, err_len, "%s: %s", path, perr);
		return -EINVAL;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		snprintf(err, err_len, "%s: not an Ethernet capture (link type %d)", path,
			pcap_datalink(p));
		pcap_close(p);
		return -EINVAL;
	}
	while ((rc = pcap_next_ex(p, &hdr, &data)) == 1)
		n++;
	if (rc == PCAP_ERROR)
		snprintf(err, err_len, "%s: %s", path, pcap_geterr(p));
	pcap_close(p);
	*ret_n = n;
	return rc == PCAP_ERROR ? -EINVAL : 0;
}

/* An empty capture, for the ports that only transmit (net_pcap wants an rx stream). */
static int
write_empty_pcap(const char *path)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d;

	if (p == NULL)
		return -ENOMEM;
	d = pcap_dump_open(p, path);
	if (d == NULL) {
		pcap_close(p);
		return -EIO;
	}
	pcap_dump_close(d);
	pcap_close(p);
	return 0;
}

static int
start_eal(const struct replay_opts *o, const char *tmpdir, struct pw_eal_args *eal, char *err,
	size_t err_len)
{
	static const struct pw_hugepage_probe probe = { "/proc/meminfo", "/proc/mounts" };
	char buf[4096 + 64], why[256];
	char *argv[PW_EAL_MAX_ARGS + 1];
	const char *args[24];
	int n = 0, i, ret;

	args[n++] = "podwall-replay";
	/* One worker; on a one-CPU machine it shares CPU 0 with the (idle) main thread. */
	if (sysconf(_SC_NPROCESSORS_ONLN) >= 2) {
		args[n++] = "-l";
		args[n++] = "0,1";
	} else {
		args[n++] = "--lcores";
		args[n++] = "0@0,1@0";
	}
	args[n++] = "--no-pci";
	args[n++] = "--log-level=*:warning";
	args[n++] = "--no-telemetry";
	if (!pw_hugepages_available(&probe, 256, why, sizeof(why))) {
		args[n++] = "--no-huge";
		args[n++] = "-m";
		args[n++] = "512";
	}
	memset(eal, 0, sizeof(*eal));
	for (i = 0; i < n; i++)
		eal->argv[eal->argc++] = strdup(args[i]);
	snprintf(buf, sizeof(buf), "--file-prefix=podwall-replay-%d", (int)getpid());
	eal->argv[eal->argc++] = strdup(buf);
	snprintf(buf, sizeof(buf), "--vdev=net_pcap0,rx_pcap=%s,tx_pcap=%s/unused.pcap", o->in,
		tmpdir);
	eal->argv[eal->argc++] = strdup(buf);
	snprintf(buf, sizeof(buf), "--vdev=net_pcap1,rx_pcap=%s/empty.pcap,tx_pcap=%s", tmpdir,
		o->allowed);
	eal->argv[eal->argc++] = strdup(buf);
	snprintf(buf, sizeof(buf), "--vdev=net_pcap2,rx_pcap=%s/empty.pcap,tx_pcap=%s", tmpdir,
		o->denied);
	eal->argv[eal->argc++] = strdup(buf);
	for (i = 0; i < eal->argc; i++)
		if (eal->argv[i] == NULL)
			return -ENOMEM;
	memcpy(argv, eal->argv, sizeof(char *) * (size_t)(eal->argc + 1));
	ret = rte_eal_init(eal->argc, argv);
	if (ret < 0) {
		snprintf(err, err_len, "EAL: %s", rte_strerror(rte_errno));
		return -rte_errno;
	}
	return 0;
}

static void
dp_params(struct pw_dp_params *p, bool conntrack)
{
	static const char *const names[3] = { "in", "allowed", "denied" };
	static const char *const devs[3] = { "net_pcap0", "net_pcap1", "net_pcap2" };
	unsigned int i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < 3; i++) {
		p->ports[i].name = names[i];
		p->ports[i].dev_name = devs[i];
		p->ports[i].device = devs[i];
		p->ports[i].role = "pod";
	}
	p->nb_ports = 3;
	p->fwd_mode = PW_DP_FWD_WIRE;
	p->worker_lcores[0] = 1;
	p->nb_workers = 1;
	p->rx_desc = 1024;
	p->tx_desc = 1024;
	p->burst_size = 32;
	p->nb_mbufs = 8191;
	p->fail_open = false;
	p->drop_port = 2;
	/* Stateful, as the daemon: replies of allowed connections pass. The capture is read
	 * faster than any timeout, so the defaults never expire a flow mid-replay; past 256k
	 * flows the oldest idle ones are evicted rather than new ones dropped. */
	p->ct_enabled = conntrack;
	p->ct_size = 262144;
	p->ct_evict = true;
	p->ct_timeout_s[PW_DP_CT_TCP_SYN] = 30;
	p->ct_timeout_s[PW_DP_CT_TCP_ESTABLISHED] = 86400;
	p->ct_timeout_s[PW_DP_CT_TCP_FIN] = 30;
	p->ct_timeout_s[PW_DP_CT_TCP_CLOSED] = 10;
	p->ct_timeout_s[PW_DP_CT_UDP] = 60;
	p->ct_timeout_s[PW_DP_CT_SCTP] = 60;
	p->ct_timeout_s[PW_DP_CT_ICMP] = 30;
	p->ct_timeout_s[PW_DP_CT_OTHER] = 60;
}

/* Wait until port 0 has received every frame of the capture. */
static int
wait_consumed(struct pw_dp *dp, uint64_t nb_frames)
{
	struct timespec start, now, nap = { 0, 1000000 };
	struct pw_port_counters c;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		pw_dp_port_counters(dp, 0, &c);
		if (c.rx_packets >= nb_frames)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > REPLAY_TIMEOUT_S)
			return -ETIMEDOUT;
		nanosleep(&nap, NULL);
	}
}

static json_t *
summary_json(struct pw_dp *dp, const struct pw_policy_ctl *pc, uint64_t nb_frames)
{
	struct pw_port_counters in, allowed, denied;
	struct pw_dp_ct_counters ct;
	json_t *drops = json_object();
	unsigned int r;

	pw_dp_port_counters(dp, 0, &in);
	pw_dp_port_counters(dp, 1, &allowed);
	pw_dp_port_counters(dp, 2, &denied);
	for (r = 1; r < PW_DROP_MAX; r++)
		if (in.drops[r] != 0)
			json_object_set_new(drops, pw_drop_reason_name(r),
				json_integer((json_int_t)in.drops[r]));
	pw_dp_ct_counters(dp, 0, true, &ct);
	return json_pack("{s:I, s:I, s:I, s:o, s:o, s:I, s:{s:b, s:I, s:I}}", "frames",
		(json_int_t)nb_frames, "allowed", (json_int_t)allowed.tx_packets, "denied",
		(json_int_t)denied.tx_packets, "denied_by_reason", drops, "policies",
		pw_policy_ctl_hits_json(pc), "generation", (json_int_t)pw_policy_ctl_generation(pc),
		"conntrack", "enabled", pw_dp_ct_enabled(dp), "flows", (json_int_t)ct.created,
		"evicted", (json_int_t)ct.evicted);
}

/* The per-policy part of the summary: "ns/name  egress N  ingress N". */
static void
print_policies(json_t *pols)
{
	const char *key;
	json_t *v;

	if (json_object_size(pols) == 0)
		return;
	printf("decided by:\n");
	json_object_foreach (pols, key, v) {
		printf("  %-40s", key);
		if (json_is_object(v)) {
			const char *k2;
			json_t *n;

			json_object_foreach (v, k2, n)
				printf("  %s %" JSON_INTEGER_FORMAT, k2, json_integer_value(n));
		}
		printf("\n");
	}
}

static void
print_summary(json_t *s)
{
	const char *key;
	json_t *v;

	printf("frames:   %" JSON_INTEGER_FORMAT "\n",
		json_integer_value(json_object_get(s, "frames")));
	printf("allowed:  %" JSON_INTEGER_FORMAT "\n",
		json_integer_value(json_object_get(s, "allowed")));
	printf("denied:   %" JSON_INTEGER_FORMAT "\n",
		json_integer_value(json_object_get(s, "denied")));
	json_object_foreach (json_object_get(s, "denied_by_reason"), key, v)
		printf("  %-24s %" JSON_INTEGER_FORMAT "\n", key, json_integer_value(v));
	print_policies(json_object_get(s, "policies"));
}

int
pw_replay_main(int argc, char **argv)
{
	char err[512], tmpdir[] = "/tmp/podwall-replay-XXXXXX", path[4200];
	struct pw_policy_ctl_params pp;
	struct pw_dp_params dpp;
	struct pw_eal_args eal;
	struct replay_opts o;
	struct pw_policy_ctl *pc = NULL;
	struct pw_dp *dp = NULL;
	uint64_t nb_frames = 0;
	json_t *summary;
	int ret;

	if (parse_opts(argc, argv, &o) != 0) {
		replay_usage(stderr);
		return 2;
	}
	if (count_frames(o.in, &nb_frames, err, sizeof(err)) != 0) {
		fprintf(stderr, "podwall replay: %s\n", err);
		return 2;
	}
	if (mkdtemp(tmpdir) == NULL) {
		fprintf(stderr, "podwall replay: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/empty.pcap", tmpdir);
	ret = write_empty_pcap(path);
	if (ret == 0)
		ret = start_eal(&o, tmpdir, &eal, err, sizeof(err));
	if (ret != 0) {
		fprintf(stderr, "podwall replay: %s\n", ret == -ENOMEM ? "out of memory" : err);
		goto out_tmp;
	}
	dp_params(&dpp, !o.no_conntrack);
	ret = pw_dp_create(&dpp, &dp, err, sizeof(err));
	if (ret != 0) {
		fprintf(stderr, "podwall replay: %s\n", err);
		goto out_eal;
	}
	memset(&pp, 0, sizeof(pp));
	pp.node = o.node;
	pp.manifests_dir = o.manifests;
	pp.dp = dp;
	pp.nb_workers = 1;
	/* Policies before traffic: a directory that does not compile produces no outputs. */
	ret = pw_policy_ctl_create(&pp, &pc, err, sizeof(err));
	if (ret == 0)
		ret = pw_policy_ctl_sync_now(pc, err, sizeof(err));
	if (ret == 0) {
		ret = pw_dp_start(dp);
		if (ret != 0)
			snprintf(err, sizeof(err), "dataplane start: %s", strerror(-ret));
	}
	if (ret == 0)
		ret = wait_consumed(dp, nb_frames);
	if (ret != 0) {
		fprintf(stderr, "podwall replay: %s\n", ret == -ETIMEDOUT ? "timed out" : err);
		goto out_dp;
	}
	pw_dp_stop(dp);
	summary = summary_json(dp, pc, nb_frames);
	if (o.json) {
		char *s = json_dumps(summary, JSON_INDENT(2) | JSON_SORT_KEYS);

		puts(s != NULL ? s : "{}");
		free(s);
	} else {
		print_summary(summary);
	}
	json_decref(summary);
out_dp:
	/* Closing the ports flushes the output captures. */
	pw_policy_ctl_free(pc);
	pw_dp_free(dp);
out_eal:
	(void)rte_eal_cleanup();
	pw_eal_args_free(&eal);
out_tmp:
	snprintf(path, sizeof(path), "%s/empty.pcap", tmpdir);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/unused.pcap", tmpdir);
	(void)unlink(path);
	(void)rmdir(tmpdir);
	return ret == 0 ? 0 : 1;
}

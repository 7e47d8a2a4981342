/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podwall: wiring only. Load the configuration, start EAL and the dataplane, serve the
 * operator socket and the policy source from the control event loop, stop cleanly on
 * SIGINT/SIGTERM.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "config.h"
#include "ctl.h"
#include "dataplane/pw_dp.h"
#include "eal_args.h"
#include "evloop.h"
#include "podwall/pw_log.h"
#include "k8s/client.h"
#include "policy.h"
#include "replay.h"
#include "sockserv.h"

RTE_LOG_REGISTER(pw_logtype_ctl, user.podwall.ctl, INFO);

#define DEFAULT_CONFIG "/etc/podwall/podwall.yaml"
#define RECLAIM_PERIOD_MS 10

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: podwall [-c|--config FILE] [--check-config] [--version] [--help]\n"
		"       podwall replay --manifests DIR --node NAME --in IN.pcap --allowed A.pcap "
		"--denied D.pcap [--json]\n"
		"  -c, --config FILE   configuration (default " DEFAULT_CONFIG ")\n"
		"      --check-config  load and validate the configuration, then exit\n"
		"Configuration reference: config/README.md. Operators: podwallctl status|stats.\n");
}

static void
on_signal(struct pw_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;

	(void)events;
	(void)arg;
	if (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		PW_CTL_LOG(INFO, "signal %u: stopping", si.ssi_signo);
	pw_evloop_stop(loop);
}

static void
on_reclaim(struct pw_evloop *loop, void *arg)
{
	struct pw_ctl *ctl = arg;

	(void)loop;
	(void)pw_dp_reclaim(ctl->dp);
}

/* The manifests and Kubernetes sources share one policy controller. */
static int
start_policy_ctl(struct pw_ctl *ctl, struct pw_evloop *loop)
{
	const struct pw_config *cfg = ctl->cfg;
	const char *before =
		cfg->before_sync == PW_BEFORE_SYNC_FAIL_OPEN ? "fail-open" : "fail-closed";
	bool k8s = cfg->source_type == PW_SOURCE_KUBERNETES;
	struct pw_k8s_params kp = {
		.server = cfg->k8s_server,
		.kubeconfig = cfg->k8s_kubeconfig,
		.token_file = cfg->k8s_token_file,
		.ca_file = cfg->k8s_ca_file,
		.insecure_skip_tls_verify = cfg->k8s_insecure_skip_tls_verify,
	};
	struct pw_policy_ctl_params pp = {
		.node = cfg->node_name,
		.manifests_dir = cfg->manifests_dir,
		.k8s = k8s ? &kp : NULL,
		.loop = loop,
		.dp = ctl->dp,
		.nb_workers = pw_dp_nb_workers(ctl->dp),
		.published = pw_ctl_published,
		.arg = ctl,
	};
	char err[512];
	int ret;

	ret = pw_policy_ctl_create(&pp, &ctl->policy, err, sizeof(err));
	if (ret != 0) {
		PW_CTL_LOG(
			ERR, "policy source %s: %s", pw_policy_source_name(cfg->source_type), err);
		return ret;
	}
	if (k8s) {
		/* Until the first full sync the dataplane is in its before-sync state. */
		PW_CTL_LOG(INFO,
			"policy source: kubernetes API %s; node %s; %s until the first sync",
			cfg->k8s_server != NULL ? cfg->k8s_server : "(kubeconfig or in-cluster)",
			cfg->node_name, before);
		return 0;
	}
	PW_CTL_LOG(INFO, "policy source: manifests in %s, watched; node %s", cfg->manifests_dir,
		cfg->node_name);
	/* A first build that fails leaves the dataplane in its before-sync state; the watch
	 * goes on and the next good edit publishes. */
	if (pw_policy_ctl_sync_now(ctl->policy, err, sizeof(err)) != 0)
		PW_CTL_LOG(ERR, "first policy build failed (%s): %s", before, err);
	return 0;
}

static int
start_policy_source(struct pw_ctl *ctl, struct pw_evloop *loop)
{
	switch (ctl->cfg->source_type) {
	case PW_SOURCE_NONE:
		PW_CTL_LOG(INFO, "policy source: none; publishing an allow-all table");
		return pw_ctl_publish_allow_all(ctl);
	default:
		return start_policy_ctl(ctl, loop);
	}
}

/* Block the stop signals before EAL starts its threads, so that only the signalfd sees them. */
static int
signals_to_fd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* After the workers stopped the counters are final: log them, since the socket is gone. */
static void
log_final_counters(const struct pw_ctl *ctl)
{
	unsigned int i, r;

	for (i = 0; i < pw_dp_nb_ports(ctl->dp); i++) {
		struct pw_port_counters c;
		struct pw_dp_port_info pi;
		char drops[1024] = "";
		size_t off = 0;

		pw_dp_port_counters_raw(ctl->dp, i, &c);
		(void)pw_dp_port_info(ctl->dp, i, &pi);
		for (r = 1; r < PW_DROP_MAX && off < sizeof(drops); r++)
			if (c.drops[r] != 0)
				off += (size_t)snprintf(drops + off, sizeof(drops) - off,
					" %s=%llu", pw_drop_reason_name(r),
					(unsigned long long)c.drops[r]);
		PW_CTL_LOG(INFO, "final port %s: rx %llu tx %llu drops%s", pi.name,
			(unsigned long long)c.rx_packets, (unsigned long long)c.tx_packets,
			off == 0 ? " none" : drops);
	}
}

static int
run(struct pw_ctl *ctl, int sig_fd)
{
	struct pw_sockserv_params sp = {
		.path = ctl->cfg->socket_path,
		.mode = ctl->cfg->socket_mode,
		.max_clients = ctl->cfg->socket_max_clients,
	};
	struct pw_sockserv *srv = NULL;
	struct pw_evloop *loop = NULL;
	int ret;

	ret = pw_evloop_create(&loop);
	if (ret != 0)
		goto out;
	ret = pw_evloop_add_fd(loop, sig_fd, EPOLLIN, on_signal, NULL);
	if (ret == 0)
		ret = pw_evloop_add_timer(loop, RECLAIM_PERIOD_MS, on_reclaim, ctl) > 0 ? 0 :
											  -ENOMEM;
	if (ret != 0)
		goto out;
	ret = pw_sockserv_create(&sp, loop, &srv);
	if (ret != 0) {
		PW_CTL_LOG(ERR, "operator socket %s: %s", sp.path, strerror(-ret));
		goto out;
	}
	ret = pw_cmds_register(srv, ctl);
	if (ret != 0)
		goto out;
	if (pw_telemetry_register(ctl) != 0)
		PW_CTL_LOG(WARNING, "DPDK telemetry commands not registered");
	/* Policy first where it is at hand, so that no frame meets the before-sync state for
	 * want of a table that was only a file read away. */
	ret = start_policy_source(ctl, loop);
	if (ret != 0)
		goto out;
	ret = pw_dp_start(ctl->dp);
	if (ret != 0)
		goto out;
	PW_CTL_LOG(INFO,
		"podwall %s running: node %s, %u port(s), %u worker(s), %s mode, socket %s",
		PW_VERSION, ctl->cfg->node_name, pw_dp_nb_ports(ctl->dp), pw_dp_nb_workers(ctl->dp),
		pw_dp_fwd_mode_name(ctl->dp), sp.path);
	ret = pw_evloop_run(loop);
out:
	pw_telemetry_unregister();
	pw_dp_stop(ctl->dp);
	log_final_counters(ctl);
	pw_policy_ctl_free(ctl->policy);
	ctl->policy = NULL;
	pw_sockserv_free(srv);
	pw_evloop_free(loop);
	return ret;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = DEFAULT_CONFIG;
	char *eal_argv[PW_EAL_MAX_ARGS + 1];
	struct pw_dp_params dpp;
	struct pw_eal_args eal;
	struct pw_ctl ctl;
	bool check_only = false;
	char err[PW_CONFIG_ERR_LEN];
	int opt, ret, sig_fd;

	if (argc > 1 && strcmp(argv[1], "replay") == 0)
		return pw_replay_main(argc - 1, argv + 1);
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'C':
			check_only = true;
			break;
		case 'V':
			printf("podwall %s\n", PW_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	memset(&ctl, 0, sizeof(ctl));
	ret = pw_config_load(config_path, &ctl.cfg, err);
	if (ret != 0) {
		fprintf(stderr, "podwall: %s\n", err);
		return 2;
	}
	if (pw_dp_params_from_config(ctl.cfg, &dpp, err, sizeof(err)) != 0 ||
		pw_eal_args_build(ctl.cfg, argv[0], NULL, &eal, err, sizeof(err)) != 0) {
		fprintf(stderr, "podwall: %s\n", err);
		pw_config_free(ctl.cfg);
		return 2;
	}
	if (check_only) {
		printf("%s: ok\n", config_path);
		pw_eal_args_free(&eal);
		pw_config_free(ctl.cfg);
		return 0;
	}
	ctl.hugepages = eal.hugepages;
	snprintf(ctl.hugepages_why, sizeof(ctl.hugepages_why), "%s", eal.why);
	clock_gettime(CLOCK_MONOTONIC, &ctl.started);

	sig_fd = signals_to_fd();
	if (sig_fd < 0) {
		fprintf(stderr, "podwall: signalfd: %s\n", strerror(errno));
		return 1;
	}
	/* EAL permutes argv; hand it a copy of the pointers so ours stay freeable. */
	memcpy(eal_argv, eal.argv, sizeof(eal_argv));
	ret = rte_eal_init(eal.argc, eal_argv);
	if (ret < 0) {
		fprintf(stderr, "podwall: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	PW_CTL_LOG(INFO, "memory: %s (%s)", eal.hugepages ? "hugepages" : "--no-huge", eal.why);

	ret = pw_dp_create(&dpp, &ctl.dp, err, sizeof(err));
	if (ret != 0) {
		PW_CTL_LOG(ERR, "dataplane: %s", err);
		fprintf(stderr, "podwall: %s\n", err);
	} else {
		ret = run(&ctl, sig_fd);
		pw_dp_free(ctl.dp);
	}
	close(sig_fd);
	(void)rte_eal_cleanup();
	pw_eal_args_free(&eal);
	pw_config_free(ctl.cfg);
	return ret == 0 ? 0 : 1;
}

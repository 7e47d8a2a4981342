/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Configuration loader tests: every field of a full file, every default, one test per error
 * class (return code and the exact "FILE:LINE: KEY: message"), and every shipped example.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/config.h"

struct fixture {
	char dir[64];
	char path[128]; /* the file each test writes and loads */
};

/* Two ports, six lines: sections appended by the tests start at line 7. */
static const char base[] = "node_name: node-1\n"
			   "ports:\n"
			   "  - name: a\n"
			   "    device: net_ring0\n"
			   "  - name: b\n"
			   "    device: net_ring1\n";

static int
group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/pw_test_config.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/podwall.yaml", f->dir);
	*state = f;
	return 0;
}

static int
group_teardown(void **state)
{
	struct fixture *f = *state;

	(void)unlink(f->path);
	(void)rmdir(f->dir);
	free(f);
	return 0;
}

static void
write_file(const char *path, const char *text, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* Writes @p yaml to the fixture's file and loads it. */
static int
load_text(const struct fixture *f, const char *yaml, struct pw_config **ret_cfg, char *err)
{
	write_file(f->path, yaml, strlen(yaml));
	return pw_config_load(f->path, ret_cfg, err);
}

static struct pw_config *
load_ok(const struct fixture *f, const char *yaml)
{
	char err[PW_CONFIG_ERR_LEN] = "";
	struct pw_config *cfg = NULL;
	int ret = load_text(f, yaml, &cfg, err);

	if (ret != 0)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(ret, 0);
	assert_non_null(cfg);
	return cfg;
}

/* Loads @p yaml, expects -EINVAL and the message "<file>:<where>" exactly. */
static void
expect_error(const struct fixture *f, const char *yaml, const char *where)
{
	char err[PW_CONFIG_ERR_LEN] = "", want[PW_CONFIG_ERR_LEN];
	struct pw_config *cfg = NULL;
	int ret = load_text(f, yaml, &cfg, err);

	assert_int_equal(ret, -EINVAL);
	assert_null(cfg);
	snprintf(want, sizeof(want), "%s:%s", f->path, where);
	assert_string_equal(err, want);
	assert_null(strchr(err, '\n'));
}

/* The base document plus @p extra, for the error tests. */
static void
expect_error_base(const struct fixture *f, const char *extra, const char *where)
{
	char yaml[4096];

	snprintf(yaml, sizeof(yaml), "%s%s", base, extra);
	expect_error(f, yaml, where);
}

static void
test_full_config(void **state)
{
	static const char yaml[] =
		"# every key, none at its default\n"
		"node_name: worker-7.example\n"
		"dpdk:\n"
		"  eal_args: [\"--log-level=user.podwall.*:debug\", \"--iova-mode=va\"]\n"
		"  hugepages: on\n"
		"  memory_mb: 1024\n"
		"  mbufs: 16383\n"
		"ports:\n"
		"  - name: up\n"
		"    device: \"0000:3b:00.1\"\n"
		"    role: uplink\n"
		"  - name: pod-x\n"
		"    device: net_memif0,role=server,id=0\n"
		"    role: pod\n"
		"forwarding:\n"
		"  mode: wire\n"
		"  mac_ageing_s: 60\n"
		"workers:\n"
		"  lcores: [3, 5, 7]\n"
		"  rx_queues: 3\n"
		"  rx_desc: 512\n"
		"  tx_desc: 2048\n"
		"  burst_size: 64\n"
		"policy:\n"
		"  source: kubernetes\n"
		"  manifests_dir: /srv/manifests\n"
		"  kubernetes:\n"
		"    server: https://10.0.0.1:6443\n"
		"    kubeconfig: /etc/kube/config\n"
		"    token_file: /run/token\n"
		"    ca_file: /run/ca.crt\n"
		"    insecure_skip_tls_verify: true\n"
		"  before_sync: fail-open\n"
		"socket:\n"
		"  path: /tmp/pw.sock\n"
		"  mode: 0640\n"
		"  max_clients: 4\n"
		"conntrack:\n"
		"  enabled: false\n"
		"  size: 4096\n"
		"  on_full: evict-oldest\n"
		"  timeouts:\n"
		"    tcp_syn: 1\n"
		"    tcp_established: 2\n"
		"    tcp_fin: 3\n"
		"    tcp_closed: 4\n"
		"    udp: 5\n"
		"    sctp: 6\n"
		"    icmp: 7\n"
		"    other: 604800\n";
	const struct fixture *f = *state;
	struct pw_config *cfg = load_ok(f, yaml);

	assert_string_equal(cfg->path, f->path);
	assert_string_equal(cfg->node_name, "worker-7.example");
	assert_int_equal(cfg->nb_eal_args, 2);
	assert_string_equal(cfg->eal_args[0], "--log-level=user.podwall.*:debug");
	assert_string_equal(cfg->eal_args[1], "--iova-mode=va");
	assert_int_equal(cfg->hugepages, PW_HUGEPAGES_ON);
	assert_int_equal(cfg->memory_mb, 1024);
	assert_int_equal(cfg->nb_mbufs, 16383);
	assert_int_equal(cfg->nb_ports, 2);
	assert_string_equal(cfg->ports[0].name, "up");
	assert_string_equal(cfg->ports[0].device, "0000:3b:00.1");
	assert_int_equal(cfg->ports[0].role, PW_PORT_ROLE_UPLINK);
	assert_string_equal(cfg->ports[1].name, "pod-x");
	assert_string_equal(cfg->ports[1].device, "net_memif0,role=server,id=0");
	assert_int_equal(cfg->ports[1].role, PW_PORT_ROLE_POD);
	assert_int_equal(cfg->fwd_mode, PW_FWD_WIRE);
	assert_int_equal(cfg->mac_ageing_s, 60);
	assert_int_equal(cfg->nb_worker_lcores, 3);
	assert_int_equal(cfg->worker_lcores[0], 3);
	assert_int_equal(cfg->worker_lcores[1], 5);
	assert_int_equal(cfg->worker_lcores[2], 7);
	assert_int_equal(cfg->rx_queues, 3);
	assert_int_equal(cfg->rx_desc, 512);
	assert_int_equal(cfg->tx_desc, 2048);
	assert_int_equal(cfg->burst_size, 64);
	assert_int_equal(cfg->source_type, PW_SOURCE_KUBERNETES);
	assert_string_equal(cfg->manifests_dir, "/srv/manifests");
	assert_string_equal(cfg->k8s_server, "https://10.0.0.1:6443");
	assert_string_equal(cfg->k8s_kubeconfig, "/etc/kube/config");
	assert_string_equal(cfg->k8s_token_file, "/run/token");
	assert_string_equal(cfg->k8s_ca_file, "/run/ca.crt");
	assert_true(cfg->k8s_insecure_skip_tls_verify);
	assert_int_equal(cfg->before_sync, PW_BEFORE_SYNC_FAIL_OPEN);
	assert_string_equal(cfg->socket_path, "/tmp/pw.sock");
	assert_int_equal(cfg->socket_mode, 0640);
	assert_int_equal(cfg->socket_max_clients, 4);
	assert_false(cfg->ct_enabled);
	assert_int_equal(cfg->ct_size, 4096);
	assert_int_equal(cfg->ct_on_full, PW_CT_FULL_EVICT_OLDEST);
	assert_int_equal(cfg->ct_timeouts.tcp_syn, 1);
	assert_int_equal(cfg->ct_timeouts.tcp_established, 2);
	assert_int_equal(cfg->ct_timeouts.tcp_fin, 3);
	assert_int_equal(cfg->ct_timeouts.tcp_closed, 4);
	assert_int_equal(cfg->ct_timeouts.udp, 5);
	assert_int_equal(cfg->ct_timeouts.sctp, 6);
	assert_int_equal(cfg->ct_timeouts.icmp, 7);
	assert_int_equal(cfg->ct_timeouts.other, 604800);
	pw_config_free(cfg);
}

static void
assert_defaults(const struct pw_config *cfg)
{
	assert_int_equal(cfg->nb_eal_args, 0);
	assert_null(cfg->eal_args);
	assert_int_equal(cfg->hugepages, PW_HUGEPAGES_AUTO);
	assert_int_equal(cfg->memory_mb, 512);
	assert_int_equal(cfg->nb_mbufs, 8191);
	assert_int_equal(cfg->fwd_mode, PW_FWD_BRIDGE);
	assert_int_equal(cfg->mac_ageing_s, 300);
	assert_int_equal(cfg->nb_worker_lcores, 1);
	assert_int_equal(cfg->worker_lcores[0], 1);
	assert_int_equal(cfg->rx_queues, 0);
	assert_int_equal(cfg->rx_desc, 1024);
	assert_int_equal(cfg->tx_desc, 1024);
	assert_int_equal(cfg->burst_size, 32);
	assert_int_equal(cfg->source_type, PW_SOURCE_NONE);
	assert_null(cfg->manifests_dir);
	assert_null(cfg->k8s_server);
	assert_null(cfg->k8s_kubeconfig);
	assert_null(cfg->k8s_token_file);
	assert_null(cfg->k8s_ca_file);
	assert_false(cfg->k8s_insecure_skip_tls_verify);
	assert_int_equal(cfg->before_sync, PW_BEFORE_SYNC_FAIL_CLOSED);
	assert_string_equal(cfg->socket_path, "/run/podwall/podwall.sock");
	assert_int_equal(cfg->socket_mode, 0660);
	assert_int_equal(cfg->socket_max_clients, 16);
	assert_true(cfg->ct_enabled);
	assert_int_equal(cfg->ct_size, 1048576);
	assert_int_equal(cfg->ct_on_full, PW_CT_FULL_DROP_NEW);
	assert_int_equal(cfg->ct_timeouts.tcp_syn, 30);
	assert_int_equal(cfg->ct_timeouts.tcp_established, 86400);
	assert_int_equal(cfg->ct_timeouts.tcp_fin, 30);
	assert_int_equal(cfg->ct_timeouts.tcp_closed, 10);
	assert_int_equal(cfg->ct_timeouts.udp, 60);
	assert_int_equal(cfg->ct_timeouts.sctp, 60);
	assert_int_equal(cfg->ct_timeouts.icmp, 30);
	assert_int_equal(cfg->ct_timeouts.other, 60);
}

static void
test_defaults(void **state)
{
	struct pw_config *cfg = load_ok(*state, base);

	assert_string_equal(cfg->node_name, "node-1");
	assert_int_equal(cfg->nb_ports, 2);
	assert_string_equal(cfg->ports[0].name, "a");
	assert_string_equal(cfg->ports[0].device, "net_ring0");
	assert_int_equal(cfg->ports[0].role, PW_PORT_ROLE_POD);
	assert_string_equal(cfg->ports[1].name, "b");
	assert_string_equal(cfg->ports[1].device, "net_ring1");
	assert_int_equal(cfg->ports[1].role, PW_PORT_ROLE_POD);
	assert_defaults(cfg);
	pw_config_free(cfg);
}

/* Sections present but empty (every key commented out) and empty maps mean "all defaults". */
static void
test_empty_sections_take_defaults(void **state)
{
	char yaml[1024];
	struct pw_config *cfg;

	snprintf(yaml, sizeof(yaml),
		"%sdpdk:\n  eal_args:\nforwarding: {}\nworkers:\n  lcores: ~\npolicy:\n"
		"  kubernetes:\nsocket: null\nconntrack:\n  timeouts: {}\n",
		base);
	cfg = load_ok(*state, yaml);
	assert_defaults(cfg);
	pw_config_free(cfg);
}

static void
test_err_unknown_key(void **state)
{
	const struct fixture *f = *state;

	expect_error_base(f, "forwarding:\n  mode: bridge\n  colour: red\n",
		"9: forwarding.colour: unknown key");
	expect_error_base(f, "colour: red\n", "7: colour: unknown key");
	expect_error(f,
		"node_name: n\nports:\n  - name: a\n    device: net_ring0\n    speed: 10G\n",
		"5: ports[0].speed: unknown key");
	expect_error_base(f, "conntrack:\n  timeouts:\n    tcp: 5\n",
		"9: conntrack.timeouts.tcp: unknown key");
	/* Keys are case-sensitive. */
	expect_error_base(f, "Workers: {}\n", "7: Workers: unknown key");
}

static void
test_err_wrong_type(void **state)
{
	const struct fixture *f = *state;

	expect_error_base(f, "workers:\n  burst_size: abc\n",
		"8: workers.burst_size: expected an integer, found 'abc'");
	expect_error_base(f, "workers:\n  lcores: {a: 1}\n",
		"8: workers.lcores: expected a list, found a mapping");
	expect_error_base(f, "dpdk: [1]\n", "7: dpdk: expected a mapping, found a list");
	expect_error_base(f, "dpdk: auto\n", "7: dpdk: expected a mapping, found 'auto'");
	expect_error_base(f, "dpdk:\n  memory_mb: '512'\n",
		"8: dpdk.memory_mb: expected an integer, found the string '512' (drop the quotes)");
	expect_error_base(f, "dpdk:\n  memory_mb: 1.5\n",
		"8: dpdk.memory_mb: expected an integer, found '1.5'");
	expect_error_base(f, "dpdk:\n  memory_mb:\n",
		"8: dpdk.memory_mb: expected an integer, found an empty value");
	expect_error_base(f, "policy:\n  kubernetes:\n    insecure_skip_tls_verify: yes\n",
		"9: policy.kubernetes.insecure_skip_tls_verify: expected true or false, found "
		"'yes'");
	expect_error_base(f, "conntrack:\n  enabled: off\n",
		"8: conntrack.enabled: expected true or false, found 'off'");
	expect_error_base(
		f, "socket:\n  path: [a, b]\n", "8: socket.path: expected a string, found a list");
	expect_error_base(f, "forwarding:\n  mode: {a: b}\n",
		"8: forwarding.mode: expected one of wire, bridge, found a mapping");
	expect_error(f, "node_name: n\nports:\n  - net_ring0\n",
		"3: ports[0]: expected a mapping, found 'net_ring0'");
	expect_error(f, "- node_name\n", "1: (root): expected a mapping, found a list");
	expect_error_base(f, "? [a]\n: b\n", "7: (root): keys must be strings, found a list");
}

static void
test_err_out_of_range(void **state)
{
	const struct fixture *f = *state;
	char yaml[4096];
	size_t off;
	int i;

	expect_error_base(f, "workers:\n  burst_size: 4096\n",
		"8: workers.burst_size: 4096 is out of range (1..512)");
	expect_error_base(f, "workers:\n  lcores: [1, 0]\n",
		"8: workers.lcores[1]: 0 is out of range (1..1023)");
	expect_error_base(
		f, "workers:\n  rx_desc: 1000\n", "8: workers.rx_desc: 1000 is not a power of two");
	expect_error_base(f, "workers:\n  tx_desc: 32768\n",
		"8: workers.tx_desc: 32768 is out of range (64..16384)");
	expect_error_base(
		f, "dpdk:\n  memory_mb: -1\n", "8: dpdk.memory_mb: -1 is out of range (64..65536)");
	expect_error_base(f, "dpdk:\n  mbufs: 99999999999999999999999\n",
		"8: dpdk.mbufs: 99999999999999999999999 is out of range (1023..4194303)");
	expect_error_base(f, "conntrack:\n  timeouts:\n    udp: 0\n",
		"9: conntrack.timeouts.udp: 0 is out of range (1..604800)");
	expect_error_base(
		f, "workers:\n  lcores: []\n", "8: workers.lcores: has 0 entries, 1..128 allowed");
	expect_error(f, "node_name: n\nports: []\n", "2: ports: has 0 entries, 1..32 allowed");
	off = (size_t)snprintf(yaml, sizeof(yaml), "%sdpdk:\n  eal_args:\n", base);
	for (i = 0; i <= PW_CONFIG_MAX_EAL_ARGS; i++)
		off += (size_t)snprintf(yaml + off, sizeof(yaml) - off, "    - --arg%d\n", i);
	expect_error(f, yaml, "9: dpdk.eal_args: has 65 entries, at most 64 allowed");

	/* 33 ports: one more than PW_CONFIG_MAX_PORTS. */
	off = (size_t)snprintf(yaml, sizeof(yaml), "node_name: n\nports:\n");
	for (i = 0; i <= PW_CONFIG_MAX_PORTS; i++)
		off += (size_t)snprintf(yaml + off, sizeof(yaml) - off,
			"  - {name: p%d, device: net_ring%d}\n", i, i);
	expect_error(f, yaml, "3: ports: has 33 entries, 1..32 allowed");

	/* The edges themselves are accepted; 0x hex is an integer in YAML 1.1 and 1.2. */
	snprintf(yaml, sizeof(yaml),
		"%sworkers:\n  burst_size: 512\n  rx_desc: 64\n  lcores: [1023]\n"
		"dpdk:\n  memory_mb: 0x40\n",
		base);
	{
		struct pw_config *cfg = load_ok(f, yaml);

		assert_int_equal(cfg->burst_size, 512);
		assert_int_equal(cfg->rx_desc, 64);
		assert_int_equal(cfg->worker_lcores[0], 1023);
		assert_int_equal(cfg->memory_mb, 64);
		pw_config_free(cfg);
	}
}

/* YAML 1.1 reads 010 as 8 and YAML 1.2 as 10: refuse rather than guess. */
static void
test_err_leading_zero(void **state)
{
	expect_error_base(*state, "dpdk:\n  memory_mb: 0512\n",
		"8: dpdk.memory_mb: '0512' has a leading zero (YAML 1.1 reads it as octal); write "
		"it without");
}

static void
test_err_bad_enum(void **state)
{
	const struct fixture *f = *state;

	expect_error(f,
		"node_name: n\nports:\n  - name: a\n    device: net_ring0\n    role: pods\n",
		"5: ports[0].role: 'pods' is not one of pod, uplink");
	expect_error_base(f, "forwarding:\n  mode: hub\n",
		"8: forwarding.mode: 'hub' is not one of wire, bridge");
	expect_error_base(f, "dpdk:\n  hugepages: true\n",
		"8: dpdk.hugepages: 'true' is not one of auto, on, off");
	expect_error_base(f, "policy:\n  source: k8s\n",
		"8: policy.source: 'k8s' is not one of none, manifests, kubernetes");
	expect_error_base(f, "policy:\n  before_sync: closed\n",
		"8: policy.before_sync: 'closed' is not one of fail-closed, fail-open");
	expect_error_base(f, "conntrack:\n  on_full: Drop-New\n",
		"8: conntrack.on_full: 'Drop-New' is not one of drop-new, evict-oldest");
}

static void
test_err_duplicate_port_names(void **state)
{
	expect_error(*state,
		"node_name: n\nports:\n  - name: a\n    device: net_ring0\n"
		"  - name: b\n    device: net_ring1\n  - name: a\n    device: net_ring2\n",
		"7: ports[2].name: 'a' is already the name of ports[0]");
}

/* One device per port: "3b:00.0" and "0000:3b:00.0" are one device, as are two vdevs with the
 * same name and different arguments. */
static void
test_err_duplicate_devices(void **state)
{
	const struct fixture *f = *state;

	expect_error(f,
		"node_name: n\nports:\n  - name: a\n    device: 3b:00.0\n"
		"  - name: b\n    device: 0000:3b:00.0\n",
		"6: ports[1].device: device 0000:3b:00.0 is already used by ports[0]");
	expect_error(f,
		"node_name: n\nports:\n  - name: a\n    device: net_pcap0,iface=x\n"
		"  - name: b\n    device: net_pcap0,iface=y\n",
		"6: ports[1].device: device net_pcap0 is already used by ports[0]");
}

static void
test_err_wire_odd_ports(void **state)
{
	const struct fixture *f = *state;
	struct pw_config *cfg;

	expect_error(f,
		"node_name: n\nports:\n  - {name: a, device: net_ring0}\n"
		"forwarding:\n  mac_ageing_s: 10\n  mode: wire\n",
		"6: forwarding.mode: wire mode needs an even number of ports, found 1");
	/* The same single port is fine in bridge mode. */
	cfg = load_ok(f, "node_name: n\nports:\n  - {name: a, device: net_ring0}\n");
	assert_int_equal(cfg->fwd_mode, PW_FWD_BRIDGE);
	pw_config_free(cfg);
}

static void
test_err_manifests_without_dir(void **state)
{
	expect_error_base(*state, "policy:\n  before_sync: fail-open\n  source: manifests\n",
		"9: policy.manifests_dir: required when policy.source is manifests");
}

static void
test_err_duplicate_lcores(void **state)
{
	expect_error_base(*state, "workers:\n  lcores:\n    - 2\n    - 3\n    - 2\n",
		"11: workers.lcores[2]: lcore 2 is listed twice (also workers.lcores[0])");
}

static void
test_err_missing_required(void **state)
{
	const struct fixture *f = *state;

	expect_error(f, "# no node\nports:\n  - {name: a, device: net_ring0}\n",
		"2: node_name: missing required key");
	expect_error(f, "node_name: n\nworkers: {}\n", "1: ports: missing required key");
	expect_error(f, "node_name: n\nports:\n  - name: a\n  - name: b\n    device: net_ring1\n",
		"3: ports[0].device: missing required key");
	expect_error(f, "node_name: n\nports:\n  - device: net_ring0\n",
		"3: ports[0].name: missing required key");
	expect_error(f, "node_name:\nports:\n  - {name: a, device: net_ring0}\n",
		"1: node_name: expected a string, found an empty value");
}

static void
test_err_empty_file(void **state)
{
	const struct fixture *f = *state;

	expect_error(f, "", "1: (root): empty document: node_name and ports are required");
	expect_error(f, "# only a comment\n\n",
		"1: (root): empty document: node_name and ports are required");
	expect_error(
		f, "---\n...\n", "2: (root): empty document: node_name and ports are required");
}

static void
test_err_syntax(void **state)
{
	const struct fixture *f = *state;

	expect_error_base(f, "workers:\n  lcores: [1, 2\n",
		"9: (syntax): did not find expected ',' or ']' while parsing a flow sequence");
	expect_error_base(f, "forwarding:\n  mode: a: b\n",
		"8: (syntax): mapping values are not allowed in this context");
	expect_error_base(f, "workers:\n\tburst_size: 1\n",
		"8: (syntax): found character that cannot start any token while scanning for the "
		"next token");
}

static void
test_err_missing_file(void **state)
{
	const struct fixture *f = *state;
	char err[PW_CONFIG_ERR_LEN], path[192], want[PW_CONFIG_ERR_LEN];
	struct pw_config *cfg = NULL;
	pid_t pid;
	int status;

	snprintf(path, sizeof(path), "%s/absent.yaml", f->dir);
	assert_int_equal(pw_config_load(path, &cfg, err), -ENOENT);
	assert_null(cfg);
	snprintf(want, sizeof(want), "%s: cannot read: %s", path, strerror(ENOENT));
	assert_string_equal(err, want);

	assert_int_equal(pw_config_load(f->dir, &cfg, err), -EISDIR);
	assert_null(cfg);

	/* Unreadable: root reads anything, so drop to nobody in a child to see EACCES. */
	write_file(f->path, base, strlen(base));
	assert_int_equal(chmod(f->path, 0), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int ret;

		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(2);
		ret = pw_config_load(f->path, &cfg, err);
		snprintf(want, sizeof(want), "%s: cannot read: %s", f->path, strerror(EACCES));
		_exit(ret == -EACCES && cfg == NULL && strcmp(err, want) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(chmod(f->path, 0600), 0);
}

/* YAML 1.1 reads 0660 as octal; it must load as 0660 (432), not 660. */
static void
test_socket_mode_octal(void **state)
{
	static const struct {
		const char *text;
		uint32_t mode;
	} ok[] = {
		{ "0660", 0660 },
		{ "0600", 0600 },
		{ "0o640", 0640 },
		{ "\"0440\"", 0440 },
		{ "0", 0 },
	};
	const struct fixture *f = *state;
	char yaml[1024];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct pw_config *cfg;

		snprintf(yaml, sizeof(yaml), "%ssocket:\n  mode: %s\n", base, ok[i].text);
		cfg = load_ok(f, yaml);
		assert_int_equal(cfg->socket_mode, ok[i].mode);
		pw_config_free(cfg);
	}
	assert_int_equal(0660, 432);
	expect_error_base(f, "socket:\n  mode: 0666\n",
		"8: socket.mode: 0666 allows more than 0660 (no execute bits, nothing for others)");
	expect_error_base(f, "socket:\n  mode: 0770\n",
		"8: socket.mode: 0770 allows more than 0660 (no execute bits, nothing for others)");
	expect_error_base(f, "socket:\n  mode: 04660\n",
		"8: socket.mode: 4660 allows more than 0660 (no execute bits, nothing for others)");
	expect_error_base(f, "socket:\n  mode: 660\n",
		"8: socket.mode: '660' is not an octal mode with a leading 0, such as 0660");
	expect_error_base(f, "socket:\n  mode: 0668\n",
		"8: socket.mode: '0668' is not an octal mode with a leading 0, such as 0660");
	expect_error_base(f, "socket:\n  mode: 432\n",
		"8: socket.mode: '432' is not an octal mode with a leading 0, such as 0660");
}

static void
test_err_duplicate_key(void **state)
{
	expect_error_base(*state, "workers:\n  burst_size: 8\n  burst_size: 16\n",
		"9: workers.burst_size: duplicate key (first at line 8)");
}

static void
test_err_alias_and_documents(void **state)
{
	const struct fixture *f = *state;

	expect_error_base(f, "workers:\n  rx_desc: &d 512\n  tx_desc: *d\n",
		"9: workers.tx_desc: YAML aliases (*d) are not supported");
	expect_error_base(
		f, "---\nnode_name: other\n", "7: (root): only one YAML document is allowed");
	expect_error_base(f,
		"workers: "
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
		"7: (root): nested deeper than 32 levels");
}

static void
test_err_value_format(void **state)
{
	const struct fixture *f = *state;

	expect_error(f, "node_name: Node_1\nports:\n  - {name: a, device: net_ring0}\n",
		"1: node_name: 'Node_1' is not a valid Kubernetes node name (lowercase letters, "
		"digits, '-' and '.')");
	expect_error(f, "node_name: n\nports:\n  - {name: pod a, device: net_ring0}\n",
		"3: ports[0].name: 'pod a' is not a valid port name (letters, digits, '_', '.', "
		"'-')");
	expect_error(f,
		"node_name: n\nports:\n  - name: a-name-that-is-far-too-long-for-a-port\n"
		"    device: net_ring0\n",
		"3: ports[0].name: is too long (38 bytes, at most 31)");
	expect_error(f, "node_name: n\nports:\n  - {name: a, device: eth0}\n",
		"3: ports[0].device: 'eth0' is neither a PCI address (0000:3b:00.0) nor a vdev "
		"(net_<driver><n>[,key=value...])");
	expect_error(f, "node_name: n\nports:\n  - {name: a, device: '3b:20.0'}\n",
		"3: ports[0].device: '3b:20.0' is neither a PCI address (0000:3b:00.0) nor a vdev "
		"(net_<driver><n>[,key=value...])");
	expect_error_base(f, "policy:\n  kubernetes:\n    server: 10.0.0.1:6443\n",
		"9: policy.kubernetes.server: '10.0.0.1:6443' is not an http:// or https:// URL");
	expect_error_base(
		f, "policy:\n  manifests_dir: ''\n", "8: policy.manifests_dir: must not be empty");
	expect_error(f, "node_name: \"a\\0b\"\nports:\n  - {name: a, device: net_ring0}\n",
		"1: node_name: contains a NUL character");
	expect_error(f,
		"node_name: n\nports:\n  - {name: a, device: net_ring0, role: \"pod\\0x\"}\n",
		"3: ports[0].role: contains a NUL character");
	expect_error(f, "node_name: n\n\"ports\\0\": []\n", "2: ports?: unknown key");
}

static void
test_device_forms(void **state)
{
	struct pw_config *cfg = load_ok(*state,
		"node_name: n\nports:\n"
		"  - {name: a, device: '0000:3b:00.0'}\n"
		"  - {name: b, device: '3b:00.1'}\n"
		"  - {name: c, device: 'af:1f.7,rx_vec_en=0'}\n"
		"  - {name: d, device: 'net_pcap0,rx_pcap=/tmp/in.pcap,tx_pcap=/tmp/out.pcap'}\n"
		"  - {name: e, device: net_null0}\n");

	assert_int_equal(cfg->nb_ports, 5);
	assert_string_equal(cfg->ports[2].device, "af:1f.7,rx_vec_en=0");
	pw_config_free(cfg);
}

/* Flow style, quoted keys, document markers and comments are all plain YAML. */
static void
test_yaml_forms(void **state)
{
	struct pw_config *cfg = load_ok(*state,
		"%YAML 1.1\n---\n{\"node_name\": n1, ports: [{name: a, device: net_ring0}, # c\n"
		" {name: b, device: net_ring1, role: uplink}], workers: {lcores: [2, 4]}}\n...\n");

	assert_string_equal(cfg->node_name, "n1");
	assert_int_equal(cfg->nb_ports, 2);
	assert_int_equal(cfg->ports[1].role, PW_PORT_ROLE_UPLINK);
	assert_int_equal(cfg->nb_worker_lcores, 2);
	assert_int_equal(cfg->worker_lcores[1], 4);
	pw_config_free(cfg);
}

static void
test_err_too_large(void **state)
{
	const struct fixture *f = *state;
	size_t len = 1024 * 1024 + 1;
	char *big = malloc(len + 1), err[PW_CONFIG_ERR_LEN], want[PW_CONFIG_ERR_LEN];
	struct pw_config *cfg = NULL;

	assert_non_null(big);
	memset(big, '#', len);
	memcpy(big, base, strlen(base));
	big[strlen(base)] = '#';
	big[len] = '\0';
	write_file(f->path, big, len);
	assert_int_equal(pw_config_load(f->path, &cfg, err), -EINVAL);
	assert_null(cfg);
	snprintf(want, sizeof(want), "%s:1: (root): larger than 1048576 bytes", f->path);
	assert_string_equal(err, want);
	assert_int_equal(pw_config_load_data("mem", (const uint8_t *)big, len, &cfg, err), -EINVAL);
	free(big);
}

static void
test_load_data(void **state)
{
	char err[PW_CONFIG_ERR_LEN];
	struct pw_config *cfg = NULL;

	(void)state;
	assert_int_equal(
		pw_config_load_data("inline.yaml", (const uint8_t *)base, strlen(base), &cfg, err),
		0);
	assert_non_null(cfg);
	assert_string_equal(cfg->path, "inline.yaml");
	assert_string_equal(cfg->node_name, "node-1");
	pw_config_free(cfg);
	cfg = NULL;

	/* Only the first len bytes count: here the document stops before "ports". */
	assert_int_equal(
		pw_config_load_data("cut.yaml", (const uint8_t *)base, 18, &cfg, err), -EINVAL);
	assert_null(cfg);
	assert_string_equal(err, "cut.yaml:1: ports: missing required key");
	assert_int_equal(pw_config_load_data("zero.yaml", NULL, 0, &cfg, err), -EINVAL);
	assert_string_equal(
		err, "zero.yaml:1: (root): empty document: node_name and ports are required");
	/* A NUL byte is not YAML. */
	assert_int_equal(pw_config_load_data("nul.yaml", (const uint8_t *)"a: b\n\0", 6, &cfg, err),
		-EINVAL);
	assert_string_equal(err, "nul.yaml:2: (syntax): control characters are not allowed");
}

static void
test_free_null_and_names(void **state)
{
	(void)state;
	pw_config_free(NULL);
	assert_string_equal(pw_port_role_name(PW_PORT_ROLE_POD), "pod");
	assert_string_equal(pw_port_role_name(PW_PORT_ROLE_UPLINK), "uplink");
	assert_string_equal(pw_fwd_mode_name(PW_FWD_WIRE), "wire");
	assert_string_equal(pw_fwd_mode_name(PW_FWD_BRIDGE), "bridge");
	assert_string_equal(pw_policy_source_name(PW_SOURCE_NONE), "none");
	assert_string_equal(pw_policy_source_name(PW_SOURCE_MANIFESTS), "manifests");
	assert_string_equal(pw_policy_source_name(PW_SOURCE_KUBERNETES), "kubernetes");
	assert_string_equal(pw_before_sync_name(PW_BEFORE_SYNC_FAIL_CLOSED), "fail-closed");
	assert_string_equal(pw_before_sync_name(PW_BEFORE_SYNC_FAIL_OPEN), "fail-open");
	assert_string_equal(pw_fwd_mode_name((enum pw_fwd_mode)42), "unknown");
}

/* $PW_SOURCE_ROOT, or the tree this file sits in (tests/unit/test_config.c). */
static void
source_root(char *buf, size_t size)
{
	const char *env = getenv("PW_SOURCE_ROOT");
	const char *file = __FILE__, *suffix = "tests/unit/test_config.c";
	size_t n = strlen(file), s = strlen(suffix);

	if (env != NULL && env[0] != '\0') {
		snprintf(buf, size, "%s", env);
		return;
	}
	assert_true(n >= s && strcmp(file + n - s, suffix) == 0);
	snprintf(buf, size, "%.*s.", (int)(n - s), file);
}

static unsigned int
load_dir(const char *dir)
{
	unsigned int nb = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		char path[4096], err[PW_CONFIG_ERR_LEN];
		struct pw_config *cfg = NULL;
		int ret;

		if (len < 5 || strcmp(de->d_name + len - 5, ".yaml") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		ret = pw_config_load(path, &cfg, err);
		if (strncmp(de->d_name, "bad-", 4) == 0) {
			assert_int_equal(ret, -EINVAL);
		} else {
			if (ret != 0)
				print_error("%s\n", err);
			assert_int_equal(ret, 0);
			assert_string_equal(cfg->path, path);
		}
		pw_config_free(cfg);
		nb++;
	}
	closedir(d);
	return nb;
}

static void
test_shipped_configs(void **state)
{
	char root[2048], dir[2100];
	unsigned int nb;

	(void)state;
	source_root(root, sizeof(root));
	snprintf(dir, sizeof(dir), "%s/config", root);
	nb = load_dir(dir);
	snprintf(dir, sizeof(dir), "%s/config/examples", root);
	nb += load_dir(dir);
	/* podwall.yaml and the four examples, at least: an empty glob must not pass. */
	assert_true(nb >= 5);
}

/* config/podwall.yaml documents the defaults: its values must be the loader's defaults. */
static void
test_shipped_default_matches(void **state)
{
	char root[2048], path[2100], err[PW_CONFIG_ERR_LEN];
	struct pw_config *cfg = NULL;

	(void)state;
	source_root(root, sizeof(root));
	snprintf(path, sizeof(path), "%s/config/podwall.yaml", root);
	assert_int_equal(pw_config_load(path, &cfg, err), 0);
	assert_string_equal(cfg->node_name, "node-1");
	assert_int_equal(cfg->nb_ports, 3);
	assert_string_equal(cfg->ports[0].device, "net_af_packet0,iface=pw-a,qpairs=1");
	assert_int_equal(cfg->nb_eal_args, 1);
	/* Everything else as the loader would default it. */
	free(cfg->eal_args[0]);
	free(cfg->eal_args);
	cfg->eal_args = NULL;
	cfg->nb_eal_args = 0;
	assert_string_equal(cfg->manifests_dir, "/etc/podwall/manifests");
	free(cfg->manifests_dir);
	cfg->manifests_dir = NULL;
	assert_defaults(cfg);
	pw_config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_empty_sections_take_defaults),
		cmocka_unit_test(test_err_unknown_key),
		cmocka_unit_test(test_err_wrong_type),
		cmocka_unit_test(test_err_out_of_range),
		cmocka_unit_test(test_err_leading_zero),
		cmocka_unit_test(test_err_bad_enum),
		cmocka_unit_test(test_err_duplicate_port_names),
		cmocka_unit_test(test_err_duplicate_devices),
		cmocka_unit_test(test_err_wire_odd_ports),
		cmocka_unit_test(test_err_manifests_without_dir),
		cmocka_unit_test(test_err_duplicate_lcores),
		cmocka_unit_test(test_err_missing_required),
		cmocka_unit_test(test_err_empty_file),
		cmocka_unit_test(test_err_syntax),
		cmocka_unit_test(test_err_missing_file),
		cmocka_unit_test(test_socket_mode_octal),
		cmocka_unit_test(test_err_duplicate_key),
		cmocka_unit_test(test_err_alias_and_documents),
		cmocka_unit_test(test_err_value_format),
		cmocka_unit_test(test_device_forms),
		cmocka_unit_test(test_yaml_forms),
		cmocka_unit_test(test_err_too_large),
		cmocka_unit_test(test_load_data),
		cmocka_unit_test(test_free_null_and_names),
		cmocka_unit_test(test_shipped_configs),
		cmocka_unit_test(test_shipped_default_matches),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

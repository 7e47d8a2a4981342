/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The configuration's rules beyond its libcyaml schema: integer ranges and string formats
 * (node and port names, devices, URLs, the socket mode), checked on the YAML tree so that an
 * error names its line and key.
 */
#include "control/config_rules.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Group and user may read and write; no execute bits, nothing for others. */
#define MAX_SOCKET_MODE 0660

static bool
is_hex_n(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* "DDDD:BB:DD.F" or "BB:DD.F", optionally followed by ",devargs"; returns the canonical
 * "DDDD:BB:DD.F" form so that the two spellings of one device compare equal. */
static bool
parse_pci(const char *s, char *canon, size_t size)
{
	unsigned int domain = 0, bus, dev, fn;
	size_t n = strcspn(s, ",");

	if (n == 12 && is_hex_n(s, 4) && s[4] == ':') {
		domain = (unsigned int)strtoul(s, NULL, 16);
		s += 5;
		n -= 5;
	}
	if (n != 7 || !is_hex_n(s, 2) || s[2] != ':' || !is_hex_n(s + 3, 2) || s[5] != '.' ||
		s[6] < '0' || s[6] > '7')
		return false;
	bus = (unsigned int)strtoul(s, NULL, 16);
	dev = (unsigned int)strtoul(s + 3, NULL, 16);
	fn = (unsigned int)(s[6] - '0');
	if (dev > 0x1f)
		return false;
	snprintf(canon, size, "%04x:%02x:%02x.%u", domain, bus, dev, fn);
	return true;
}

/* "net_<driver><n>" followed by optional ",key=value,..."; the identity is the vdev name. */
static bool
parse_vdev(const char *s, char *canon, size_t size)
{
	size_t n = strcspn(s, ","), i;

	if (n <= 4 || strncmp(s, "net_", 4) != 0)
		return false;
	for (i = 4; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	if (s[n] == ',' && s[n + 1] == '\0')
		return false;
	snprintf(canon, size, "%.*s", (int)n, s);
	return true;
}

bool
pw_config_device_identity(const char *s, char *canon, size_t size)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] == 0x7f)
			return false;
	return parse_pci(s, canon, size) || parse_vdev(s, canon, size);
}

/* A Kubernetes node name is an RFC 1123 subdomain: dot-separated lowercase labels. */
static bool
valid_node_name(const char *s)
{
	size_t label = 0;
	char prev = '.';

	for (; *s != '\0'; prev = *s++) {
		if (*s == '.') {
			if (prev == '.' || prev == '-')
				return false;
			label = 0;
			continue;
		}
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-'))
			return false;
		if ((*s == '-' && prev == '.') || ++label > 63)
			return false;
	}
	return prev != '.' && prev != '-';
}

static bool
valid_port_name(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '-')
			return false;
	return true;
}

int
pw_config_parse_mode(const char *s, uint32_t *ret_mode)
{
	const char *p = s;
	uint32_t v = 0;

	if (p[0] != '0')
		return -EINVAL;
	if (p[1] == 'o')
		p += 2;
	if (*p == '\0' || strlen(p) > 6)
		return -EINVAL;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '7')
			return -EINVAL;
		v = v * 8 + (uint32_t)(*p - '0');
	}
	*ret_mode = v;
	return 0;
}

static int
check_node_name(const struct pw_yaml_node *n, const struct pw_yaml_rule *r, char *msg, size_t size)
{
	char buf[PW_YAML_EXCERPT_LEN + 8];

	(void)r;
	if (valid_node_name(n->text))
		return 0;
	snprintf(msg, size,
		"%s is not a valid Kubernetes node name (lowercase letters, digits, '-' and '.')",
		pw_yaml_describe(n, buf, sizeof(buf)));
	return -EINVAL;
}

static int
check_port_name(const struct pw_yaml_node *n, const struct pw_yaml_rule *r, char *msg, size_t size)
{
	char buf[PW_YAML_EXCERPT_LEN + 8];

	(void)r;
	if (valid_port_name(n->text))
		return 0;
	snprintf(msg, size, "%s is not a valid port name (letters, digits, '_', '.', '-')",
		pw_yaml_describe(n, buf, sizeof(buf)));
	return -EINVAL;
}

static int
check_device(const struct pw_yaml_node *n, const struct pw_yaml_rule *r, char *msg, size_t size)
{
	char buf[PW_YAML_EXCERPT_LEN + 8], canon[64];

	(void)r;
	if (pw_config_device_identity(n->text, canon, sizeof(canon)))
		return 0;
	snprintf(msg, size,
		"%s is neither a PCI address (0000:3b:00.0) nor a vdev "
		"(net_<driver><n>[,key=value...])",
		pw_yaml_describe(n, buf, sizeof(buf)));
	return -EINVAL;
}

static int
check_url(const struct pw_yaml_node *n, const struct pw_yaml_rule *r, char *msg, size_t size)
{
	char buf[PW_YAML_EXCERPT_LEN + 8];

	(void)r;
	if ((strncmp(n->text, "https://", 8) == 0 && n->len > 8) ||
		(strncmp(n->text, "http://", 7) == 0 && n->len > 7))
		return 0;
	snprintf(msg, size, "%s is not an http:// or https:// URL",
		pw_yaml_describe(n, buf, sizeof(buf)));
	return -EINVAL;
}

static int
check_mode(const struct pw_yaml_node *n, const struct pw_yaml_rule *r, char *msg, size_t size)
{
	char buf[PW_YAML_EXCERPT_LEN + 8];
	uint32_t mode;

	if (pw_config_parse_mode(n->text, &mode) != 0) {
		snprintf(msg, size, "%s is not an octal mode with a leading 0, such as 0660",
			pw_yaml_describe(n, buf, sizeof(buf)));
		return -EINVAL;
	}
	if ((mode & ~(uint32_t)r->max) == 0)
		return 0;
	snprintf(msg, size, "%04o allows more than %04o (no execute bits, nothing for others)",
		mode, (unsigned int)r->max);
	return -EINVAL;
}

#define RANGE(path, min, max)               \
	{                                   \
		path, min, max, false, NULL \
	}
#define RANGE_POW2(path, min, max)         \
	{                                  \
		path, min, max, true, NULL \
	}
#define STRING(path, fn, max)           \
	{                               \
		path, 0, max, false, fn \
	}

/* Checks beyond the schema for single values, keyed by the key path without list indices. */
static const struct pw_yaml_rule rules[] = {
	STRING("node_name", check_node_name, 0),
	RANGE("dpdk.memory_mb", 64, 65536),
	RANGE("dpdk.mbufs", 1023, 4194303),
	STRING("ports.name", check_port_name, 0),
	STRING("ports.device", check_device, 0),
	RANGE("forwarding.mac_ageing_s", 1, 86400),
	/* Lcore 0 is the main lcore, which runs the control loop. */
	RANGE("workers.lcores", 1, 1023),
	RANGE("workers.rx_queues", 0, 64),
	RANGE_POW2("workers.rx_desc", 64, 16384),
	RANGE_POW2("workers.tx_desc", 64, 16384),
	RANGE("workers.burst_size", 1, 512),
	STRING("policy.kubernetes.server", check_url, 0),
	STRING("socket.mode", check_mode, MAX_SOCKET_MODE),
	RANGE("socket.max_clients", 1, 1024),
	RANGE("conntrack.size", 1024, 67108864),
	RANGE("conntrack.timeouts.tcp_syn", 1, 604800),
	RANGE("conntrack.timeouts.tcp_established", 1, 604800),
	RANGE("conntrack.timeouts.tcp_fin", 1, 604800),
	RANGE("conntrack.timeouts.tcp_closed", 1, 604800),
	RANGE("conntrack.timeouts.udp", 1, 604800),
	RANGE("conntrack.timeouts.sctp", 1, 604800),
	RANGE("conntrack.timeouts.icmp", 1, 604800),
	RANGE("conntrack.timeouts.other", 1, 604800),
};

const struct pw_yaml_rule *
pw_config_rules(size_t *ret_nb)
{
	*ret_nb = sizeof(rules) / sizeof(rules[0]);
	return rules;
}

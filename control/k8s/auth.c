/* SPDX-License-Identifier: Apache-2.0 */
/*
 * API server access: the three ways to configure it, as client-go's clientcmd and
 * rest.InClusterConfig() read them, limited to what a node agent needs (no exec plugins, no
 * proxies). The kubeconfig goes through the project's YAML tree and YAML-to-JSON converter, so
 * that its scalars follow the same rules as the manifests'.
 */
#include "control/k8s/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <jansson.h>

#include "control/yaml2json.h"
#include "control/yamltree.h"

void
pw_k8s_wipe_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	/* explicit_bzero: a memset before free() may be optimised away. */
	explicit_bzero(p, len);
	free(p);
}

static void
pem_clear(struct pw_k8s_pem *pem, bool secret)
{
	free(pem->file);
	if (secret)
		pw_k8s_wipe_free(pem->data, pem->len);
	else
		free(pem->data);
	memset(pem, 0, sizeof(*pem));
}

void
pw_k8s_auth_clear(struct pw_k8s_auth *a)
{
	free(a->server);
	free(a->source);
	if (a->token != NULL)
		pw_k8s_wipe_free(a->token, strlen(a->token));
	free(a->token_file);
	pem_clear(&a->ca, false);
	pem_clear(&a->cert, false);
	pem_clear(&a->key, true);
	memset(a, 0, sizeof(*a));
}

/* Base64 */

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
pw_k8s_base64_decode(const char *s, size_t len, uint8_t **ret, size_t *ret_len)
{
	uint8_t *out = malloc(len / 4 * 3 + 4);
	unsigned int bits = 0, nb_bits = 0, nb_pad = 0;
	size_t i, n = 0;

	if (out == NULL)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int v;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		if (c == '=') {
			nb_pad++;
			continue;
		}
		v = b64_value(c);
		/* Data after padding, or a character outside the alphabet. */
		if (v < 0 || nb_pad > 0)
			goto err_free;
		bits = (bits << 6) | (unsigned int)v;
		nb_bits += 6;
		if (nb_bits >= 8) {
			nb_bits -= 8;
			out[n++] = (uint8_t)(bits >> nb_bits);
			bits &= (1u << nb_bits) - 1;
		}
	}
	/* A lone sixth of a byte left, too much padding, or leftover bits that are not zero. */
	if (nb_bits >= 6 || nb_pad > 2 || bits != 0)
		goto err_free;
	out[n] = '\0';
	*ret = out;
	*ret_len = n;
	return 0;

err_free:
	free(out);
	return -EINVAL;
}

/* Kubeconfig */

static const char *
str_of(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The item of list @p key (clusters, contexts, users) whose name is @p name, and its @p inner. */
static json_t *
named(const json_t *root, const char *key, const char *inner, const char *name)
{
	const json_t *list = json_object_get(root, key), *it;
	size_t i;

	json_array_foreach (list, i, it) {
		const char *n = str_of(it, "name");

		if (n != NULL && strcmp(n, name) == 0) {
			const json_t *v = json_object_get(it, inner);

			/* "user: {}" may be written "user:" (null). */
			if (json_is_null(v))
				return json_object();
			return json_is_object(v) ? json_incref((json_t *)(uintptr_t)v) : NULL;
		}
	}
	return NULL;
}

static char *
path_in(const char *dir, const char *path)
{
	char *s;

	if (dir == NULL || path[0] == '/')
		return strdup(path);
	if (asprintf(&s, "%s/%s", dir, path) < 0)
		return NULL;
	return s;
}

/* Fill @p pem from "<key>" (a path) or "<key>-data" (base64 PEM); both given: the data wins. */
static int
read_pem(const json_t *obj, const char *key, const char *dir, struct pw_k8s_pem *pem,
	const char *what, char *err, size_t err_len)
{
	char data_key[64];
	const char *file, *data;
	int ret;

	snprintf(data_key, sizeof(data_key), "%s-data", key);
	file = str_of(obj, key);
	data = str_of(obj, data_key);
	if (data != NULL && data[0] != '\0') {
		ret = pw_k8s_base64_decode(data, strlen(data), &pem->data, &pem->len);
		if (ret == -EINVAL)
			snprintf(err, err_len, "kubeconfig: %s %s is not base64", what, data_key);
		else if (ret != 0)
			snprintf(err, err_len, "out of memory");
		return ret;
	}
	if (file != NULL && file[0] != '\0') {
		pem->file = path_in(dir, file);
		if (pem->file == NULL) {
			snprintf(err, err_len, "out of memory");
			return -ENOMEM;
		}
	}
	return 0;
}

static int
parse_cluster(const json_t *c, const char *name, const char *dir, struct pw_k8s_auth *ret,
	char *err, size_t err_len)
{
	const char *server = str_of(c, "server");
	const json_t *insecure = json_object_get(c, "insecure-skip-tls-verify");
	int rc;

	if (server == NULL || server[0] == '\0') {
		snprintf(err, err_len, "kubeconfig: cluster '%.64s' has no server", name);
		return -EINVAL;
	}
	ret->server = strdup(server);
	if (ret->server == NULL)
		goto err_nomem;
	rc = read_pem(c, "certificate-authority", dir, &ret->ca, "cluster", err, err_len);
	if (rc != 0)
		return rc;
	ret->insecure = json_is_true(insecure);
	return 0;

err_nomem:
	snprintf(err, err_len, "out of memory");
	return -ENOMEM;
}

static int
parse_user(const json_t *u, const char *name, const char *dir, struct pw_k8s_auth *ret, char *err,
	size_t err_len)
{
	static const char *const unsupported[] = { "exec", "auth-provider", "username",
		"password" };
	const char *token = str_of(u, "token"), *token_file = str_of(u, "tokenFile");
	size_t i;
	int rc;

	for (i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
		if (json_object_get(u, unsupported[i]) != NULL) {
			snprintf(err, err_len,
				"kubeconfig: user '%.64s': '%s' credentials are not supported (use "
				"a "
				"token, a token file or a client certificate)",
				name, unsupported[i]);
			return -EINVAL;
		}
	}
	if (token != NULL && token[0] != '\0') {
		ret->token = strdup(token);
		if (ret->token == NULL)
			goto err_nomem;
	} else if (token_file != NULL && token_file[0] != '\0') {
		ret->token_file = path_in(dir, token_file);
		if (ret->token_file == NULL)
			goto err_nomem;
	}
	rc = read_pem(u, "client-certificate", dir, &ret->cert, "user", err, err_len);
	if (rc == 0)
		rc = read_pem(u, "client-key", dir, &ret->key, "user", err, err_len);
	if (rc != 0)
		return rc;
	if ((ret->cert.file != NULL || ret->cert.data != NULL) !=
		(ret->key.file != NULL || ret->key.data != NULL)) {
		snprintf(err, err_len,
			"kubeconfig: user '%.64s': a client certificate needs a client key and "
			"back",
			name);
		return -EINVAL;
	}
	return 0;

err_nomem:
	snprintf(err, err_len, "out of memory");
	return -ENOMEM;
}

static int
parse_kubeconfig_json(
	const json_t *root, const char *dir, struct pw_k8s_auth *ret, char *err, size_t err_len)
{
	const char *cur = str_of(root, "current-context"), *cluster_name, *user_name;
	json_t *ctx, *cluster = NULL, *user = NULL;
	int rc = -EINVAL;

	if (!json_is_object(root)) {
		snprintf(err, err_len, "kubeconfig: not a mapping");
		return -EINVAL;
	}
	if (cur == NULL || cur[0] == '\0') {
		snprintf(err, err_len, "kubeconfig: no current-context");
		return -EINVAL;
	}
	ctx = named(root, "contexts", "context", cur);
	if (ctx == NULL) {
		snprintf(err, err_len, "kubeconfig: current-context '%.64s' is not in contexts",
			cur);
		return -EINVAL;
	}
	cluster_name = str_of(ctx, "cluster");
	user_name = str_of(ctx, "user");
	if (cluster_name == NULL) {
		snprintf(err, err_len, "kubeconfig: context '%.64s' names no cluster", cur);
		goto out;
	}
	cluster = named(root, "clusters", "cluster", cluster_name);
	if (cluster == NULL) {
		snprintf(err, err_len, "kubeconfig: cluster '%.64s' is not in clusters",
			cluster_name);
		goto out;
	}
	rc = parse_cluster(cluster, cluster_name, dir, ret, err, err_len);
	if (rc != 0)
		goto out;
	/* A context without a user is anonymous (or uses a token file from the podwall config). */
	if (user_name != NULL && user_name[0] != '\0') {
		user = named(root, "users", "user", user_name);
		if (user == NULL) {
			snprintf(err, err_len, "kubeconfig: user '%.64s' is not in users",
				user_name);
			rc = -EINVAL;
			goto out;
		}
		rc = parse_user(user, user_name, dir, ret, err, err_len);
		if (rc != 0)
			goto out;
	}
	if (asprintf(&ret->source, "kubeconfig (context %.64s)", cur) < 0) {
		ret->source = NULL;
		snprintf(err, err_len, "out of memory");
		rc = -ENOMEM;
	}
out:
	json_decref(user);
	json_decref(cluster);
	json_decref(ctx);
	return rc;
}

int
pw_k8s_kubeconfig_parse(const uint8_t *data, size_t len, const char *dir, struct pw_k8s_auth *ret,
	char *err, size_t err_len)
{
	struct pw_yaml_params yp = { .max_size = PW_K8S_MAX_KUBECONFIG };
	struct pw_yaml_stream *stream = NULL;
	struct pw_yaml_error yerr;
	json_t *root = NULL;
	int rc;

	memset(ret, 0, sizeof(*ret));
	rc = pw_yaml_parse(data, len, &yp, &stream, &yerr);
	if (rc != 0) {
		snprintf(err, err_len, "kubeconfig: line %u: %s", yerr.line, yerr.msg);
		return rc == -ENOMEM ? -ENOMEM : -EINVAL;
	}
	if (stream->nb_docs != 1) {
		snprintf(err, err_len, "kubeconfig: empty");
		rc = -EINVAL;
		goto out;
	}
	rc = pw_yaml2json(stream->docs[0].root, &root, &yerr);
	if (rc != 0) {
		snprintf(err, err_len, "kubeconfig: line %u: %s", yerr.line, yerr.msg);
		goto out;
	}
	rc = parse_kubeconfig_json(root, dir, ret, err, err_len);
out:
	json_decref(root);
	pw_yaml_stream_free(stream);
	return rc;
}

/* Resolution */

static int
dup_into(char **dst, const char *src)
{
	char *s = strdup(src);

	if (s == NULL)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int
in_cluster(const struct pw_k8s_auth_params *p, struct pw_k8s_auth *ret, char *err, size_t err_len)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST"),
		   *port = getenv("KUBERNETES_SERVICE_PORT");
	const char *dir = p->sa_dir != NULL ? p->sa_dir : PW_K8S_SA_DIR;
	bool v6;

	if (host == NULL || host[0] == '\0' || port == NULL || port[0] == '\0') {
		snprintf(err, err_len,
			"no server and no kubeconfig configured, and not in a cluster "
			"(KUBERNETES_SERVICE_HOST/PORT unset)");
		return -ENOENT;
	}
	if (strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 ||
		strpbrk(host, "/?#@[] ") != NULL) {
		snprintf(err, err_len, "bad KUBERNETES_SERVICE_HOST/PORT");
		return -EINVAL;
	}
	v6 = strchr(host, ':') != NULL;
	if (asprintf(&ret->server, "https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port) <
		0) {
		ret->server = NULL;
		return -ENOMEM;
	}
	if (asprintf(&ret->token_file, "%s/token", dir) < 0) {
		ret->token_file = NULL;
		return -ENOMEM;
	}
	if (asprintf(&ret->ca.file, "%s/ca.crt", dir) < 0) {
		ret->ca.file = NULL;
		return -ENOMEM;
	}
	ret->source = strdup("in-cluster");
	return ret->source != NULL ? 0 : -ENOMEM;
}

static int
from_kubeconfig(const char *path, struct pw_k8s_auth *ret, char *err, size_t err_len)
{
	char *dir, *slash;
	uint8_t *buf;
	size_t len;
	int rc;

	rc = pw_yaml_read_file(path, PW_K8S_MAX_KUBECONFIG, true, &buf, &len);
	if (rc != 0) {
		snprintf(err, err_len, "kubeconfig %.200s: %s", path, strerror(-rc));
		return rc;
	}
	if (len > PW_K8S_MAX_KUBECONFIG) {
		free(buf);
		snprintf(err, err_len, "kubeconfig %.200s: larger than %d bytes", path,
			PW_K8S_MAX_KUBECONFIG);
		return -EFBIG;
	}
	dir = strdup(path);
	if (dir == NULL) {
		pw_k8s_wipe_free(buf, len);
		return -ENOMEM;
	}
	slash = strrchr(dir, '/');
	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	rc = pw_k8s_kubeconfig_parse(buf, len, dir, ret, err, err_len);
	/* The file may hold a token or a client key. */
	pw_k8s_wipe_free(buf, len);
	free(dir);
	if (rc == 0) {
		free(ret->source);
		if (asprintf(&ret->source, "kubeconfig %s", path) < 0) {
			ret->source = NULL;
			return -ENOMEM;
		}
	}
	return rc;
}

static bool
url_ok(const char *s)
{
	return (strncmp(s, "https://", 8) == 0 && s[8] != '\0') ||
		(strncmp(s, "http://", 7) == 0 && s[7] != '\0');
}

int
pw_k8s_auth_resolve(
	const struct pw_k8s_auth_params *p, struct pw_k8s_auth *ret, char *err, size_t err_len)
{
	size_t n;
	int rc;

	memset(ret, 0, sizeof(*ret));
	if (p == NULL)
		return -EINVAL;
	if (p->kubeconfig != NULL)
		rc = from_kubeconfig(p->kubeconfig, ret, err, err_len);
	else if (p->server != NULL)
		rc = (ret->source = strdup("config")) != NULL ? 0 : -ENOMEM;
	else
		rc = in_cluster(p, ret, err, err_len);
	if (rc != 0)
		goto out;
	rc = -ENOMEM;
	if (p->server != NULL && dup_into(&ret->server, p->server) != 0)
		goto out;
	if (p->token_file != NULL) {
		/* An explicit token file replaces whatever the kubeconfig's user had. */
		if (ret->token != NULL)
			pw_k8s_wipe_free(ret->token, strlen(ret->token));
		ret->token = NULL;
		if (dup_into(&ret->token_file, p->token_file) != 0)
			goto out;
	}
	if (p->ca_file != NULL) {
		pem_clear(&ret->ca, false);
		if (dup_into(&ret->ca.file, p->ca_file) != 0)
			goto out;
	}
	ret->insecure = ret->insecure || p->insecure_skip_tls_verify;
	if (!url_ok(ret->server)) {
		snprintf(err, err_len, "API server URL must start with https:// or http://");
		rc = -EINVAL;
		goto out;
	}
	n = strlen(ret->server);
	while (n > 0 && ret->server[n - 1] == '/')
		ret->server[--n] = '\0';
	return 0;
out:
	if (rc == -ENOMEM)
		snprintf(err, err_len, "out of memory");
	return rc;
}

/* Tokens */

static int
read_small_file(const char *path, char **ret, size_t *ret_len, struct stat *ret_st)
{
	size_t len = 0, cap;
	char *buf;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, ret_st) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (!S_ISREG(ret_st->st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if (ret_st->st_size > PW_K8S_MAX_CRED_FILE) {
		close(fd);
		return -EFBIG;
	}
	cap = (size_t)ret_st->st_size + 1;
	buf = malloc(cap);
	if (buf == NULL) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		/* The file grew since fstat(); the next refresh will see its new size. */
		if (len == cap - 1)
			break;
	}
	close(fd);
	if (rc != 0) {
		pw_k8s_wipe_free(buf, cap);
		return rc;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

static bool
same_file(const struct pw_k8s_token *t, const struct stat *st)
{
	return t->value != NULL && t->dev == st->st_dev && t->ino == st->st_ino &&
		t->size == st->st_size && t->mtim.tv_sec == st->st_mtim.tv_sec &&
		t->mtim.tv_nsec == st->st_mtim.tv_nsec;
}

int
pw_k8s_token_refresh(struct pw_k8s_token *t, const char *path, bool force, bool *ret_changed)
{
	struct stat st;
	size_t len = 0, start, end, i;
	char *buf = NULL, *value;
	int rc;

	if (ret_changed != NULL)
		*ret_changed = false;
	if (stat(path, &st) != 0)
		return -errno;
	if (!force && same_file(t, &st))
		return 0;
	rc = read_small_file(path, &buf, &len, &st);
	if (rc != 0)
		return rc;
	end = len;
	for (start = 0; start < end && strchr(" \t\r\n", buf[start]) != NULL; start++)
		;
	while (end > start && strchr(" \t\r\n", buf[end - 1]) != NULL)
		end--;
	for (i = start; i < end; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c < 0x20 || c == 0x7f)
			break;
	}
	if (start == end || i < end) {
		pw_k8s_wipe_free(buf, len + 1);
		return -EINVAL;
	}
	value = strndup(buf + start, end - start);
	pw_k8s_wipe_free(buf, len + 1);
	if (value == NULL)
		return -ENOMEM;
	if (t->value != NULL && strcmp(t->value, value) == 0) {
		pw_k8s_wipe_free(value, strlen(value));
	} else {
		if (ret_changed != NULL)
			*ret_changed = true;
		if (t->prev != NULL)
			pw_k8s_wipe_free(t->prev, strlen(t->prev));
		t->prev = t->value;
		t->value = value;
	}
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	t->size = st.st_size;
	t->mtim = st.st_mtim;
	return 0;
}

void
pw_k8s_token_clear(struct pw_k8s_token *t)
{
	if (t->value != NULL)
		pw_k8s_wipe_free(t->value, strlen(t->value));
	if (t->prev != NULL)
		pw_k8s_wipe_free(t->prev, strlen(t->prev));
	memset(t, 0, sizeof(*t));
}

/* Replace the @p n bytes at @p p (followed by @p rest bytes and a NUL) with the mask. */
static void
mask_at(char *p, size_t n, size_t rest)
{
	static const char mask[] = "[redacted]";
	size_t m = n < sizeof(mask) - 1 ? n : sizeof(mask) - 1;

	memcpy(p, mask, m);
	memmove(p + m, p + n, rest + 1);
}

void
pw_k8s_redact(char *msg, const char *const *secrets, unsigned int nb_secrets)
{
	unsigned int i;

	for (i = 0; i < nb_secrets; i++) {
		const char *s = secrets[i];
		size_t n = s != NULL ? strlen(s) : 0, len, trail, k;
		char *p;

		if (n == 0)
			continue;
		while ((p = strstr(msg, s)) != NULL)
			mask_at(p, n, strlen(p + n));
		len = strlen(msg);
		trail = len >= 3 && strcmp(msg + len - 3, "...") == 0 ? 3 : 0;
		for (k = n - 1 < len - trail ? n - 1 : len - trail; k >= 8; k--) {
			if (memcmp(msg + len - trail - k, s, k) == 0) {
				mask_at(msg + len - trail - k, k, trail);
				break;
			}
		}
	}
}

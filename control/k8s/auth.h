/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * Where the API server is and how to authenticate to it: from the podwall config (server,
 * token file, CA file), from a kubeconfig file (its current context), or in-cluster (the
 * KUBERNETES_SERVICE_HOST/PORT variables and the mounted service-account token and CA).
 *
 * The bearer token is a secret: it is kept in memory only as long as needed, wiped when
 * replaced or freed, and never copied into a message.
 *
 * Nothing here logs. Control thread only; no shared state.
 */
#ifndef PW_K8S_AUTH_H
#define PW_K8S_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>

/** Where the service-account token and CA are mounted in a pod. */
#define PW_K8S_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
/** Largest token, certificate or key file read. */
#define PW_K8S_MAX_CRED_FILE (1024 * 1024)
/** Largest kubeconfig read. */
#define PW_K8S_MAX_KUBECONFIG (4 * 1024 * 1024)

/** What the configuration says; NULL members are absent. */
struct pw_k8s_auth_params {
	const char *server;	/**< API server URL */
	const char *kubeconfig; /**< kubeconfig file */
	const char *token_file; /**< bearer token file; overrides the kubeconfig's user */
	const char *ca_file;	/**< CA bundle; overrides the kubeconfig's cluster */
	bool insecure_skip_tls_verify;
	const char *sa_dir; /**< in-cluster credentials directory; NULL: PW_K8S_SA_DIR */
};

/** A PEM blob, or a file to read it from, or neither. */
struct pw_k8s_pem {
	char *file;    /**< path (malloc'd), or NULL */
	uint8_t *data; /**< contents (malloc'd) when given inline, or NULL */
	size_t len;
};

/** How to reach and authenticate to the API server. */
struct pw_k8s_auth {
	char *server;	  /**< "https://host:port[/prefix]", no trailing slash */
	char *source;	  /**< for status: "config", "in-cluster", "kubeconfig PATH (context C)" */
	char *token;	  /**< inline token from a kubeconfig (secret), or NULL */
	char *token_file; /**< token file, re-read when it changes, or NULL */
	struct pw_k8s_pem ca;	/**< NULL file and data: the system's CA store */
	struct pw_k8s_pem cert; /**< client certificate, or neither */
	struct pw_k8s_pem key;	/**< its private key (secret) */
	bool insecure;		/**< TLS certificate checks off */
};

/**
 * Read the configuration into @p ret. Order: a kubeconfig if given (then the explicit server,
 * token file and CA file override its values); else an explicit server; else in-cluster.
 * Files named here are not read yet, but a kubeconfig is, and its relative paths are taken
 * from its directory.
 * @param ret
 *   Zeroed first; release with pw_k8s_auth_clear(), also after a failure.
 * @param err
 *   On failure, one line.
 * @return 0, -EINVAL (bad or incomplete configuration), -ENOENT (not in a cluster and nothing
 *         configured), -ENOMEM, or -errno reading the kubeconfig.
 */
int pw_k8s_auth_resolve(
	const struct pw_k8s_auth_params *p, struct pw_k8s_auth *ret, char *err, size_t err_len);

/**
 * Parse a kubeconfig: the current context's cluster (server, certificate-authority or
 * certificate-authority-data, insecure-skip-tls-verify) and user (token or tokenFile,
 * client-certificate(-data) and client-key(-data)). exec and auth-provider credentials, and
 * user names with passwords, are refused.
 * @param dir
 *   Directory that relative paths are relative to (the kubeconfig's); NULL: as given.
 * @param ret
 *   Zeroed first; release with pw_k8s_auth_clear(), also after a failure. Its source is
 *   "kubeconfig (context NAME)".
 * @return 0, -EINVAL (with @p err) or -ENOMEM.
 */
int pw_k8s_kubeconfig_parse(const uint8_t *data, size_t len, const char *dir,
	struct pw_k8s_auth *ret, char *err, size_t err_len);

/** Free everything, wiping secrets; @p a is zeroed and may be reused. */
void pw_k8s_auth_clear(struct pw_k8s_auth *a);

/**
 * Decode base64 (standard alphabet, "=" padding optional, whitespace ignored).
 * @param ret
 *   A malloc'd buffer (never NULL on success, NUL-terminated past @p ret_len for PEM text).
 * @return 0, -EINVAL or -ENOMEM.
 */
int pw_k8s_base64_decode(const char *s, size_t len, uint8_t **ret, size_t *ret_len);

/** A token read from a file, re-read when the file changes (a rotated token). */
struct pw_k8s_token {
	char *value; /**< the token, NULL before the first read */
	char *prev;  /**< the value it replaced, kept to redact late echoes of it, or NULL */
	dev_t dev;   /**< identity of the file read, to notice a change */
	ino_t ino;
	off_t size;
	struct timespec mtim;
};

/**
 * Re-read @p path if it changed since the last read (or if @p force). Kubernetes rotates
 * projected tokens by swapping a symlink, which changes the inode; an edited file changes
 * its times. Leading and trailing whitespace is dropped. On failure the previous token stays.
 * @param ret_changed
 *   Set to whether the token's value changed; may be NULL.
 * @return 0; -EINVAL (empty, or a control character: it could not go into a header);
 *         -EFBIG; -ENOMEM; or -errno from stat()/open()/read().
 */
int pw_k8s_token_refresh(struct pw_k8s_token *t, const char *path, bool force, bool *ret_changed);

/** Wipe and free the token; @p t is zeroed. */
void pw_k8s_token_clear(struct pw_k8s_token *t);

/**
 * Remove secrets from a message in place: every occurrence of each of @p secrets (NULL and
 * empty entries are skipped) becomes "[redacted]" (or as much of it as fits in the secret's
 * length, so the message never grows), and so does a start of a secret of 8 bytes or more
 * that ends the message, or ends it before "..." (a message cut in the middle of a secret).
 */
void pw_k8s_redact(char *msg, const char *const *secrets, unsigned int nb_secrets);

/** Overwrite a secret before freeing it; NULL is a no-op. */
void pw_k8s_wipe_free(void *p, size_t len);

#endif /* PW_K8S_AUTH_H */

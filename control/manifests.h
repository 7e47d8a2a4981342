/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The manifests policy source: Kubernetes objects read from a directory of YAML and JSON files
 * (a ConfigMap volume, a hostPath, a git checkout), watched with inotify.
 *
 * Files: every "*.yaml", "*.yml" and "*.json" directly in the directory (not recursive; names
 * are case-sensitive, as kubectl's), followed through symlinks, that is a regular file of at
 * most PW_MANIFESTS_MAX_FILE_SIZE bytes. Names starting with '.' are skipped, so are editor
 * leftovers (they do not end in one of the extensions: "x.yaml~", "x.yaml.swp", "#x.yaml#").
 * YAML files may hold several documents ("---"), each read on its own (control/yaml2json.h
 * gives the scalar rules); JSON files hold one or more JSON values. A document whose kind ends
 * in "List" and that has an "items" array (kind: List, NetworkPolicyList) stands for its items.
 * Empty documents are skipped.
 *
 * Identity: an object is kind + namespace + metadata.name. The namespace is metadata.namespace;
 * if absent it is "default" and is also written into the delivered object's metadata, so that
 * the object and a later removal agree. Cluster-scoped kinds (Namespace, Node,
 * AdminNetworkPolicy, ... see manifests.c) have the namespace "" whatever metadata says.
 *
 * Updates: a file's objects are compared with what the same file gave last time. New or changed
 * objects are delivered through object(); objects no longer in any file through removed().
 * - Several files defining one object: the most recently changed definition wins (in a full
 *   scan, files are read in name order, so the last name wins). The object is removed only
 *   when no file defines it any more; when one file drops it while others still define it,
 *   the definition of the last of them (by name) is delivered again.
 * - Within one file, a later document defining the same object wins.
 * - Fail static: if a file cannot be read, is too large, or has a document that cannot be used
 *   (YAML error, not a mapping, no kind or name), the error is reported and the file keeps every
 *   object it had before, besides delivering its good documents. Deleting the file removes them.
 *   A firewall must not open up because an editor saved half a policy.
 * - If the directory cannot be read, the error is reported and nothing changes.
 *
 * Watching (when given an event loop): events on the directory are coalesced until 5 ms pass
 * without one (at most 100 ms after the first), then the directory is listed again; files named
 * in the events, and files whose inode, size or times changed (a ConfigMap's "..data" symlink
 * swap), are re-read. Atomic renames (write a temporary file, rename it over) are seen as one
 * change. The directory itself must stay: a deleted or moved directory is reported, and the
 * last objects are kept.
 *
 * Threading: everything runs on the caller's thread (the event loop's). Callbacks must not call
 * pw_manifests_scan() or pw_manifests_free(). Nothing here logs: errors go to ops->error.
 */
#ifndef PW_MANIFESTS_H
#define PW_MANIFESTS_H

#include <jansson.h>

struct pw_evloop;
struct pw_manifests;

/** Largest file read; larger files are reported and keep their previous objects. */
#define PW_MANIFESTS_MAX_FILE_SIZE (16 * 1024 * 1024)

/** What the source tells its user. @p arg is the one given to pw_manifests_create(). */
struct pw_manifests_ops {
	/**
	 * An object was found, new or changed. @p obj is borrowed (json_incref() to keep it) and
	 * not decoded: it is the file's content, except for a default metadata.namespace.
	 * @p file is the path of the file, @p line the line where the object starts (for JSON
	 * files, where its document starts). Required.
	 */
	void (*object)(void *arg, const json_t *obj, const char *file, unsigned int line);
	/**
	 * No file defines this object any more. @p ns is "" for cluster-scoped kinds. Required.
	 */
	void (*removed)(void *arg, const char *kind, const char *ns, const char *name);
	/**
	 * A file or a document cannot be used. @p line is 0 when the whole file is concerned (or
	 * the directory: then @p file is the directory). @p msg is one line. May be NULL.
	 */
	void (*error)(void *arg, const char *file, unsigned int line, const char *msg);
	/**
	 * A consistent state has been delivered: after every pw_manifests_scan(), and after a
	 * batch of watched changes that delivered at least one object or removal. May be NULL.
	 */
	void (*synced)(void *arg);
};

/**
 * Create the source. Reads nothing yet: call pw_manifests_scan() for the first delivery. With
 * @p loop, the directory is watched from now on, so no change between this call and the
 * scan is missed.
 * @param dir
 *   The directory; copied.
 * @param ops
 *   Callbacks; copied.
 * @param loop
 *   The control event loop to watch from, or NULL for no watching. It must outlive the source.
 * @param ret
 *   The source, to free with pw_manifests_free(); untouched on failure.
 * @return 0, -EINVAL (NULL argument or missing callback), -ENOTDIR, -ENOMEM, or -errno from
 *         stat(), inotify_init1(), inotify_add_watch() or pw_evloop_add_fd().
 */
int pw_manifests_create(const char *dir, const struct pw_manifests_ops *ops, void *arg,
	struct pw_evloop *loop, struct pw_manifests **ret);

/**
 * Read the whole directory now: every file is read again, new and changed objects are
 * delivered (all of them the first time), objects gone from every file are removed, then
 * synced() is called.
 * @return 0 (even if some files had errors: see ops->error), -EBUSY from a callback, -ENOMEM,
 *         or -errno if the directory cannot be listed (reported too; nothing changes).
 */
int pw_manifests_scan(struct pw_manifests *m);

/** Stop watching and free everything; delivers nothing. NULL is a no-op. */
void pw_manifests_free(struct pw_manifests *m);

#endif /* PW_MANIFESTS_H */

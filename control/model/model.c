/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cluster model store. Each kind keeps its objects in a dense, unsorted array with an
 * open-addressing hash table (ns/name → array index) for O(1) puts, deletes and lookups.
 * Iteration wants a stable (namespace, name) order; that sorted view is rebuilt lazily, on
 * the first iteration call after a change, so that loading N objects in any order costs
 * O(N log N) and not O(N^2) memmoves. Endpoint pods are also indexed by IP (a second hash
 * table) because replay and explain look up a pod per flow.
 *
 * The model is single-threaded: even the const accessors may rebuild the sorted view.
 */
#include "control/model/model.h"

#include "control/model/ip_index.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct sorted_ent {
	const char *ns;
	const char *name;
	void *obj;
};

/* One kind's objects. */
struct store {
	enum pw_kind kind;
	void **items; /* dense, unsorted; owned */
	unsigned int nb;
	unsigned int cap;
	uint32_t *slots;	   /* hash table of item index + 1; 0 = empty */
	unsigned int nb_slots;	   /* power of two, or 0 */
	struct sorted_ent *sorted; /* items in (ns, name) order; valid when !dirty */
	unsigned int sorted_cap;
	bool dirty;
};

struct pw_model {
	/*
	 * Separately allocated so that the const accessors can refresh the sorted views
	 * without casting const away.
	 */
	struct store *stores[PW_KIND_MAX];
	struct pw_ip_index ips; /* endpoint pod IPs → pods */
	uint64_t version;
};

static const char *const kind_names[PW_KIND_MAX] = {
	[PW_KIND_NAMESPACE] = "Namespace",
	[PW_KIND_POD] = "Pod",
	[PW_KIND_POLICY] = "NetworkPolicy",
};

const char *
pw_kind_name(enum pw_kind k)
{
	if ((unsigned int)k >= PW_KIND_MAX)
		return "?";
	return kind_names[k];
}

static void
labels_clear(struct pw_labels *labels)
{
	unsigned int i;

	for (i = 0; i < labels->nb; i++) {
		free(labels->items[i].key);
		free(labels->items[i].value);
	}
	free(labels->items);
	labels->items = NULL;
	labels->nb = 0;
}

static void
selector_clear(struct pw_selector *sel)
{
	unsigned int i, j;

	for (i = 0; i < sel->nb_reqs; i++) {
		for (j = 0; j < sel->reqs[i].nb_values; j++)
			free(sel->reqs[i].values[j]);
		free(sel->reqs[i].values);
		free(sel->reqs[i].key);
	}
	free(sel->reqs);
	sel->reqs = NULL;
	sel->nb_reqs = 0;
}

static void
rules_free(struct pw_np_rule *rules, unsigned int nb)
{
	unsigned int i, j;

	for (i = 0; i < nb; i++) {
		for (j = 0; j < rules[i].nb_peers; j++) {
			selector_clear(&rules[i].peers[j].pod_selector);
			selector_clear(&rules[i].peers[j].ns_selector);
			free(rules[i].peers[j].except);
		}
		free(rules[i].peers);
		for (j = 0; j < rules[i].nb_ports; j++)
			free(rules[i].ports[j].name);
		free(rules[i].ports);
	}
	free(rules);
}

void
pw_namespace_free(struct pw_namespace *ns)
{
	if (ns == NULL)
		return;
	free(ns->name);
	labels_clear(&ns->labels);
	free(ns);
}

void
pw_pod_free(struct pw_pod *pod)
{
	unsigned int i;

	if (pod == NULL)
		return;
	free(pod->ns);
	free(pod->name);
	free(pod->node);
	labels_clear(&pod->labels);
	for (i = 0; i < pod->nb_ports; i++)
		free(pod->ports[i].name);
	free(pod->ports);
	free(pod);
}

void
pw_policy_free(struct pw_policy *pol)
{
	if (pol == NULL)
		return;
	free(pol->ns);
	free(pol->name);
	selector_clear(&pol->pod_selector);
	rules_free(pol->ingress, pol->nb_ingress);
	rules_free(pol->egress, pol->nb_egress);
	free(pol);
}

const char *
pw_labels_get(const struct pw_labels *labels, const char *key)
{
	unsigned int lo = 0, hi;

	if (labels == NULL || key == NULL)
		return NULL;
	/* Labels are sorted by key (model.h), so a binary search will do. */
	hi = labels->nb;
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		int c = strcmp(labels->items[mid].key, key);

		if (c == 0)
			return labels->items[mid].value;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Generic access to the (namespace, name) key of a stored object. Namespaces have ns "". */
static const char *
obj_ns(enum pw_kind kind, const void *obj)
{
	switch (kind) {
	case PW_KIND_POD:
		return ((const struct pw_pod *)obj)->ns;
	case PW_KIND_POLICY:
		return ((const struct pw_policy *)obj)->ns;
	default:
		return "";
	}
}

static const char *
obj_name(enum pw_kind kind, const void *obj)
{
	switch (kind) {
	case PW_KIND_NAMESPACE:
		return ((const struct pw_namespace *)obj)->name;
	case PW_KIND_POD:
		return ((const struct pw_pod *)obj)->name;
	default:
		return ((const struct pw_policy *)obj)->name;
	}
}

static void
obj_free(enum pw_kind kind, void *obj)
{
	switch (kind) {
	case PW_KIND_NAMESPACE:
		pw_namespace_free(obj);
		break;
	case PW_KIND_POD:
		pw_pod_free(obj);
		break;
	default:
		pw_policy_free(obj);
		break;
	}
}

/* FNV-1a over "ns\0name": cheap, and good enough for keys the API server made unique. */
static uint64_t
key_hash(const char *ns, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const unsigned char *p;

	for (p = (const unsigned char *)ns; *p != '\0'; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	h = (h ^ 0xff) * 0x100000001b3ULL;
	for (p = (const unsigned char *)name; *p != '\0'; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	/* Fold the high bits in: the table uses only the low ones. */
	return h ^ (h >> 29);
}

static bool
key_eq(const struct store *st, const void *obj, const char *ns, const char *name)
{
	return strcmp(obj_name(st->kind, obj), name) == 0 && strcmp(obj_ns(st->kind, obj), ns) == 0;
}

/* The slot holding @p ns/@p name, or the empty slot where it would go. */
static unsigned int
store_probe(const struct store *st, const char *ns, const char *name)
{
	unsigned int mask = st->nb_slots - 1;
	unsigned int i = (unsigned int)key_hash(ns, name) & mask;

	while (st->slots[i] != 0 && !key_eq(st, st->items[st->slots[i] - 1], ns, name))
		i = (i + 1) & mask;
	return i;
}

static int
store_rehash(struct store *st, unsigned int nb_slots)
{
	uint32_t *slots = calloc(nb_slots, sizeof(*slots));
	unsigned int i;

	if (slots == NULL)
		return -ENOMEM;
	free(st->slots);
	st->slots = slots;
	st->nb_slots = nb_slots;
	for (i = 0; i < st->nb; i++) {
		unsigned int s = store_probe(
			st, obj_ns(st->kind, st->items[i]), obj_name(st->kind, st->items[i]));

		st->slots[s] = i + 1;
	}
	return 0;
}

static void *
store_find(const struct store *st, const char *ns, const char *name)
{
	unsigned int s;

	if (st->nb == 0 || name == NULL)
		return NULL;
	s = store_probe(st, ns == NULL ? "" : ns, name);
	return st->slots[s] == 0 ? NULL : st->items[st->slots[s] - 1];
}

/* Make room for one more object: array and table (load factor at most 1/2). */
static int
store_reserve(struct store *st)
{
	if (st->nb == st->cap) {
		unsigned int cap = st->cap == 0 ? 16 : st->cap * 2;
		void **items = realloc(st->items, (size_t)cap * sizeof(*items));

		if (items == NULL)
			return -ENOMEM;
		st->items = items;
		st->cap = cap;
	}
	if ((st->nb + 1) * 2 > st->nb_slots)
		return store_rehash(st, st->nb_slots == 0 ? 32 : st->nb_slots * 2);
	return 0;
}

/*
 * Insert or replace @p obj. On success *ret_old is the replaced object (the caller frees it)
 * or NULL. Call store_reserve() first: this cannot fail.
 */
static void
store_put(struct store *st, void *obj, void **ret_old)
{
	unsigned int s = store_probe(st, obj_ns(st->kind, obj), obj_name(st->kind, obj));

	*ret_old = NULL;
	if (st->slots[s] != 0) {
		*ret_old = st->items[st->slots[s] - 1];
		st->items[st->slots[s] - 1] = obj;
	} else {
		st->items[st->nb] = obj;
		st->slots[s] = ++st->nb;
	}
	st->dirty = true;
}

/* Remove slot @p s and shift later members of its probe run back (no tombstones). */
static void
store_unslot(struct store *st, unsigned int s)
{
	unsigned int mask = st->nb_slots - 1;
	unsigned int i = s, j = s;

	for (;;) {
		unsigned int home;

		st->slots[i] = 0;
		for (;;) {
			j = (j + 1) & mask;
			if (st->slots[j] == 0)
				return;
			home = (unsigned int)key_hash(obj_ns(st->kind, st->items[st->slots[j] - 1]),
				       obj_name(st->kind, st->items[st->slots[j] - 1])) &
				mask;
			/* Move j back to i unless its home lies cyclically in (i, j]. */
			if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
				continue;
			break;
		}
		st->slots[i] = st->slots[j];
		i = j;
	}
}

/* Remove @p ns/@p name and return the object (the caller frees it), or NULL. */
static void *
store_remove(struct store *st, const char *ns, const char *name)
{
	unsigned int s, idx, last;
	void *obj;

	if (st->nb == 0)
		return NULL;
	s = store_probe(st, ns, name);
	if (st->slots[s] == 0)
		return NULL;
	idx = st->slots[s] - 1;
	obj = st->items[idx];
	store_unslot(st, s);
	/* Keep the array dense: the last object takes the hole, and its slot follows it. */
	last = st->nb - 1;
	if (idx != last) {
		unsigned int ls = store_probe(
			st, obj_ns(st->kind, st->items[last]), obj_name(st->kind, st->items[last]));

		st->items[idx] = st->items[last];
		st->slots[ls] = idx + 1;
	}
	st->nb--;
	st->dirty = true;
	return obj;
}

static int
cmp_ent(const void *a, const void *b)
{
	const struct sorted_ent *ea = a, *eb = b;
	int c = strcmp(ea->ns, eb->ns);

	return c != 0 ? c : strcmp(ea->name, eb->name);
}

/* The sorted view, rebuilt if a change made it stale; NULL only when out of memory. */
static const struct sorted_ent *
store_sorted(struct store *st)
{
	unsigned int i;

	if (!st->dirty)
		return st->sorted;
	if (st->nb > st->sorted_cap) {
		struct sorted_ent *sorted = realloc(st->sorted, (size_t)st->cap * sizeof(*sorted));

		if (sorted == NULL)
			return NULL;
		st->sorted = sorted;
		st->sorted_cap = st->cap;
	}
	for (i = 0; i < st->nb; i++) {
		st->sorted[i].ns = obj_ns(st->kind, st->items[i]);
		st->sorted[i].name = obj_name(st->kind, st->items[i]);
		st->sorted[i].obj = st->items[i];
	}
	if (st->nb > 1)
		qsort(st->sorted, st->nb, sizeof(*st->sorted), cmp_ent);
	st->dirty = false;
	return st->sorted;
}

static const void *
store_at(struct store *st, unsigned int i)
{
	const struct sorted_ent *sorted;

	if (i >= st->nb)
		return NULL;
	sorted = store_sorted(st);
	return sorted == NULL ? NULL : sorted[i].obj;
}

static void
store_clear(struct store *st)
{
	unsigned int i;

	for (i = 0; i < st->nb; i++)
		obj_free(st->kind, st->items[i]);
	st->nb = 0;
	if (st->slots != NULL)
		memset(st->slots, 0, (size_t)st->nb_slots * sizeof(*st->slots));
	st->dirty = true;
}

int
pw_model_create(struct pw_model **ret_model)
{
	struct pw_model *m = calloc(1, sizeof(*m));
	unsigned int k;

	if (m == NULL)
		return -ENOMEM;
	for (k = 0; k < PW_KIND_MAX; k++) {
		m->stores[k] = calloc(1, sizeof(*m->stores[k]));
		if (m->stores[k] == NULL) {
			pw_model_free(m);
			return -ENOMEM;
		}
		m->stores[k]->kind = (enum pw_kind)k;
	}
	*ret_model = m;
	return 0;
}

void
pw_model_free(struct pw_model *model)
{
	unsigned int k;

	if (model == NULL)
		return;
	for (k = 0; k < PW_KIND_MAX; k++) {
		struct store *st = model->stores[k];

		if (st == NULL)
			continue;
		store_clear(st);
		free(st->items);
		free(st->slots);
		free(st->sorted);
		free(st);
	}
	pw_ip_index_free(&model->ips);
	free(model);
}

static int
put(struct pw_model *model, enum pw_kind kind, void *obj)
{
	struct store *st = model->stores[kind];
	void *old;
	int ret;

	ret = store_reserve(st);
	if (ret != 0) {
		obj_free(kind, obj);
		return ret;
	}
	store_put(st, obj, &old);
	obj_free(kind, old);
	model->version++;
	return 0;
}

int
pw_model_put_namespace(struct pw_model *model, struct pw_namespace *ns)
{
	if (ns == NULL || ns->name == NULL) {
		pw_namespace_free(ns);
		return -EINVAL;
	}
	return put(model, PW_KIND_NAMESPACE, ns);
}

int
pw_model_put_pod(struct pw_model *model, struct pw_pod *pod)
{
	struct store *st = model->stores[PW_KIND_POD];
	const struct pw_pod *holder;
	struct pw_pod *old;
	void *prev;
	unsigned int i;
	int ret;

	if (pod == NULL || pod->ns == NULL || pod->name == NULL || pod->nb_ips > 2) {
		pw_pod_free(pod);
		return -EINVAL;
	}
	/*
	 * An IP belongs to one endpoint pod at a time: a second claimant is refused rather than
	 * silently stealing the address, since either answer could be wrong and the first one
	 * at least keeps the model unchanged. The pod being replaced may keep its own IPs.
	 */
	if (pod->endpoint) {
		for (i = 0; i < pod->nb_ips; i++) {
			holder = pw_ip_index_find(&model->ips, &pod->ips[i]);
			if (holder != NULL &&
				(strcmp(holder->ns, pod->ns) != 0 ||
					strcmp(holder->name, pod->name) != 0)) {
				pw_pod_free(pod);
				return -EINVAL;
			}
		}
	}
	ret = store_reserve(st);
	if (ret == 0)
		ret = pw_ip_index_reserve(&model->ips, pod->endpoint ? pod->nb_ips : 0);
	if (ret != 0) {
		pw_pod_free(pod);
		return ret;
	}
	old = store_find(st, pod->ns, pod->name);
	if (old != NULL)
		pw_ip_index_pod(&model->ips, old, false);
	store_put(st, pod, &prev);
	pw_ip_index_pod(&model->ips, pod, true);
	pw_pod_free(prev);
	model->version++;
	return 0;
}

int
pw_model_put_policy(struct pw_model *model, struct pw_policy *pol)
{
	if (pol == NULL || pol->ns == NULL || pol->name == NULL) {
		pw_policy_free(pol);
		return -EINVAL;
	}
	return put(model, PW_KIND_POLICY, pol);
}

int
pw_model_delete(struct pw_model *model, enum pw_kind kind, const char *ns, const char *name)
{
	void *obj;

	if ((unsigned int)kind >= PW_KIND_MAX || name == NULL)
		return -ENOENT;
	if (kind == PW_KIND_NAMESPACE || ns == NULL)
		ns = "";
	obj = store_remove(model->stores[kind], ns, name);
	if (obj == NULL)
		return -ENOENT;
	if (kind == PW_KIND_POD)
		pw_ip_index_pod(&model->ips, obj, false);
	obj_free(kind, obj);
	model->version++;
	return 0;
}

void
pw_model_clear(struct pw_model *model)
{
	unsigned int k;

	for (k = 0; k < PW_KIND_MAX; k++)
		store_clear(model->stores[k]);
	pw_ip_index_clear(&model->ips);
	model->version++;
}

uint64_t
pw_model_version(const struct pw_model *model)
{
	return model->version;
}

unsigned int
pw_model_nb_namespaces(const struct pw_model *model)
{
	return model->stores[PW_KIND_NAMESPACE]->nb;
}

const struct pw_namespace *
pw_model_namespace_at(const struct pw_model *model, unsigned int i)
{
	return store_at(model->stores[PW_KIND_NAMESPACE], i);
}

unsigned int
pw_model_nb_pods(const struct pw_model *model)
{
	return model->stores[PW_KIND_POD]->nb;
}

const struct pw_pod *
pw_model_pod_at(const struct pw_model *model, unsigned int i)
{
	return store_at(model->stores[PW_KIND_POD], i);
}

unsigned int
pw_model_nb_policies(const struct pw_model *model)
{
	return model->stores[PW_KIND_POLICY]->nb;
}

const struct pw_policy *
pw_model_policy_at(const struct pw_model *model, unsigned int i)
{
	return store_at(model->stores[PW_KIND_POLICY], i);
}

const struct pw_namespace *
pw_model_find_namespace(const struct pw_model *model, const char *name)
{
	return store_find(model->stores[PW_KIND_NAMESPACE], "", name);
}

const struct pw_pod *
pw_model_find_pod(const struct pw_model *model, const char *ns, const char *name)
{
	return store_find(model->stores[PW_KIND_POD], ns, name);
}

const struct pw_policy *
pw_model_find_policy(const struct pw_model *model, const char *ns, const char *name)
{
	return store_find(model->stores[PW_KIND_POLICY], ns, name);
}

const struct pw_pod *
pw_model_pod_by_ip(const struct pw_model *model, const struct pw_ip *ip)
{
	if (ip == NULL)
		return NULL;
	return pw_ip_index_find(&model->ips, ip);
}

/* The fallback label shares the caller's string; nobody writes through these pointers. */
static char *
unconst(const char *s)
{
	return (char *)(uintptr_t)s;
}

const struct pw_labels *
pw_model_ns_labels(const struct pw_model *model, const char *ns, struct pw_labels *scratch,
	struct pw_label *scratch_label)
{
	const struct pw_namespace *n = pw_model_find_namespace(model, ns);

	if (n != NULL)
		return &n->labels;
	/* What the API server puts on every namespace (Kubernetes >= 1.22). */
	scratch_label->key = unconst(PW_NS_NAME_LABEL);
	scratch_label->value = unconst(ns);
	scratch->items = scratch_label;
	scratch->nb = 1;
	return scratch;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gdl_cuda_ledger.c - which charge each pointer or handle holds
 *
 * One balanced tree (glibc's tsearch, a red-black tree) keyed by
 * (kind, key) under one mutex: allocations are rare next to the driver's
 * own cost, so a lock is cheaper to trust than anything cleverer.
 */
#include <pthread.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include "gdl_cuda.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static void *root;

static int cmp(const void *a, const void *b)
{
	const struct gdl_entry *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

void gdl_ledger_put(int kind, uint64_t key, uint64_t alloc_id, uint64_t aux,
		    uint64_t size)
{
	struct gdl_entry *e = malloc(sizeof(*e)), **slot;
	uint64_t stale = 0;

	if (!e) {
		/* Cannot remember it: give the charge back rather than leak it. */
		gdl_backend_free(alloc_id);
		return;
	}
	*e = (struct gdl_entry){ .kind = kind, .key = key, .alloc_id = alloc_id,
				 .aux = aux, .size = size, .refs = 1 };
	pthread_mutex_lock(&lock);
	slot = tsearch(e, &root, cmp);
	if (slot && *slot != e) {
		/* The driver reused a key we still hold: its free went unseen. */
		stale = (*slot)->alloc_id;
		free(*slot);
		*slot = e;
	}
	pthread_mutex_unlock(&lock);
	if (!slot) {
		free(e);
		gdl_backend_free(alloc_id);
	}
	if (stale)
		gdl_backend_free(stale);
}

int gdl_ledger_take(int kind, uint64_t key, struct gdl_entry *out)
{
	struct gdl_entry want = { .kind = kind, .key = key }, **slot, *e = NULL;

	pthread_mutex_lock(&lock);
	slot = tfind(&want, &root, cmp);
	if (slot) {
		e = *slot;
		tdelete(&want, &root, cmp);
	}
	pthread_mutex_unlock(&lock);
	if (!e)
		return 0;
	*out = *e;
	free(e);
	return 1;
}

int gdl_ledger_ref(int kind, uint64_t key, long delta, uint64_t *freed_id)
{
	struct gdl_entry want = { .kind = kind, .key = key }, **slot, *e = NULL;
	int found = 0;

	*freed_id = 0;
	pthread_mutex_lock(&lock);
	slot = tfind(&want, &root, cmp);
	if (slot) {
		found = 1;
		(*slot)->refs += delta;
		if ((*slot)->refs <= 0) {
			e = *slot;
			tdelete(&want, &root, cmp);
		}
	}
	pthread_mutex_unlock(&lock);
	if (e) {
		*freed_id = e->alloc_id;
		free(e);
	}
	return found;
}

/* twalk_r closure: collect matching entries (removed after the walk). */
struct collect {
	int kind, by_range;
	uint64_t lo, hi;
	struct gdl_entry **hits;
	unsigned int n, max;
};

static void visit(const void *nodep, VISIT which, void *closure)
{
	const struct gdl_entry *e = *(struct gdl_entry *const *)nodep;
	struct collect *c = closure;

	if (which != postorder && which != leaf)
		return;
	if (e->kind != c->kind || c->n >= c->max)
		return;
	if (c->by_range ? (e->key >= c->lo && e->key < c->hi) : e->aux == c->lo)
		c->hits[c->n++] = (struct gdl_entry *)e;
}

unsigned int gdl_ledger_take_all(int kind, int by_range, uint64_t lo,
				 uint64_t hi, struct gdl_entry *out,
				 unsigned int max)
{
	struct gdl_entry **hits = calloc(max ? max : 1, sizeof(*hits));
	struct collect c = { kind, by_range, lo, hi, hits, 0, max };

	if (!hits)
		return 0;
	pthread_mutex_lock(&lock);
	twalk_r(root, visit, &c);
	for (unsigned int i = 0; i < c.n; i++) {
		out[i] = *hits[i];
		tdelete(hits[i], &root, cmp);
		free(hits[i]);
	}
	pthread_mutex_unlock(&lock);
	free(hits);
	return c.n;
}

static void drop(void *e)
{
	free(e);
}

/*
 * A forked child holds none of its parent's charges (they belong to the
 * parent's open file or connection): forget them without freeing.
 */
void gdl_ledger_after_fork(void)
{
	pthread_mutex_init(&lock, NULL);
	tdestroy(root, drop);
	root = NULL;
}

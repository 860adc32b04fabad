// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gdl_cuda_ledger.c - which charge each pointer or handle holds
 *
 * Every cuMemAlloc/cuMemFree pair does one put and one take, so this sits
 * on the measured path (the interposer's benchmark).  Hence:
 *  - one open-addressing hash table keyed by (kind, key), the entries in
 *    the table itself: no malloc per entry, one cache line in the common
 *    case; linear probing with backward-shift deletion, so no tombstones
 *    and a long-lived process never degrades; grows at half full, and a
 *    failed growth is survived while any slot is free;
 *  - one test-and-set lock, held for a few dozen instructions (a pthread
 *    mutex costs about a hundred per pair uncontended); a waiter yields its
 *    CPU rather than spin against a preempted holder.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include "gdl_cuda.h"

#define MIN_SLOTS 64u

static int locked;
static struct gdl_entry *slots;	/* kind == 0: empty */
static size_t nslots, used;	/* nslots: 0 or a power of two */

static __attribute__((noinline)) void lock_contended(void)
{
	do
		while (__atomic_load_n(&locked, __ATOMIC_RELAXED))
			sched_yield();
	while (__atomic_exchange_n(&locked, 1, __ATOMIC_ACQUIRE));
}

/* Out of line only when contended, so the callers' fast paths save no registers. */
static inline void lock(void)
{
	if (__builtin_expect(__atomic_exchange_n(&locked, 1, __ATOMIC_ACQUIRE), 0))
		lock_contended();
}

static void unlock(void)
{
	__atomic_store_n(&locked, 0, __ATOMIC_RELEASE);
}

GDL_HOT size_t home(int kind, uint64_t key)
{
	/* Device pointers are aligned: mix the high bits down (Fibonacci). */
	uint64_t h = (key ^ (uint64_t)kind << 56) * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 32) & (nslots - 1);
}

/* The slot holding (kind, key), or the empty slot where it would go. */
GDL_HOT size_t find(int kind, uint64_t key)
{
	size_t i = home(kind, key);

	while (slots[i].kind && (slots[i].kind != kind || slots[i].key != key))
		i = (i + 1) & (nslots - 1);
	return i;
}

static int grow(void)
{
	size_t n = nslots ? nslots * 2 : MIN_SLOTS, old_n = nslots;
	struct gdl_entry *old = slots, *fresh = calloc(n, sizeof(*fresh));

	if (!fresh)
		return -1;
	slots = fresh;
	nslots = n;
	for (size_t i = 0; i < old_n; i++)
		if (old[i].kind)
			slots[find(old[i].kind, old[i].key)] = old[i];
	free(old);
	return 0;
}

/* Empties slot @i and shifts later members of its run back (no tombstones). */
GDL_HOT void remove_at(size_t i)
{
	size_t j = i;

	for (;;) {
		j = (j + 1) & (nslots - 1);
		if (!slots[j].kind)
			break;
		size_t h = home(slots[j].kind, slots[j].key);
		/* Move j into the hole i unless its home lies cyclically in (i, j]. */
		if (i <= j ? (h <= i || h > j) : (h <= i && h > j)) {
			slots[i] = slots[j];
			i = j;
		}
	}
	slots[i].kind = 0;
	used--;
}

GDL_HOT void store(size_t i, int kind, uint64_t key, uint64_t alloc_id,
		   uint64_t aux, uint64_t size)
{
	slots[i] = (struct gdl_entry){ .kind = kind, .key = key, .alloc_id = alloc_id,
				       .aux = aux, .size = size, .refs = 1 };
}

/*
 * gdl_ledger_put's rare cases, entered with the lock held: the table must
 * grow, or @key is held already.  Unlocks.
 */
static __attribute__((noinline)) void put_slow(int kind, uint64_t key, uint64_t alloc_id,
					       uint64_t aux, uint64_t size)
{
	uint64_t stale = 0, refused = 0;
	size_t i;

	if ((used + 1) * 2 > nslots && grow() && used + 1 >= nslots) {
		/* Cannot remember it: give the charge back rather than leak it. */
		refused = alloc_id;
	} else {
		i = find(kind, key);
		if (slots[i].kind)
			/* The driver reused a key we still hold: its free went unseen. */
			stale = slots[i].alloc_id;
		else
			used++;
		store(i, kind, key, alloc_id, aux, size);
	}
	unlock();
	gdl_backend_free(refused);
	gdl_backend_free(stale);
}

void gdl_ledger_put(int kind, uint64_t key, uint64_t alloc_id, uint64_t aux,
		    uint64_t size)
{
	size_t i;

	/* The common case, free of calls: no growth, an empty slot. */
	lock();
	if (__builtin_expect((used + 1) * 2 <= nslots, 1)) {
		i = find(kind, key);
		if (__builtin_expect(!slots[i].kind, 1)) {
			used++;
			store(i, kind, key, alloc_id, aux, size);
			unlock();
			return;
		}
	}
	put_slow(kind, key, alloc_id, aux, size);
}

int gdl_ledger_take(int kind, uint64_t key, struct gdl_entry *out)
{
	int found = 0;

	lock();
	if (used) {
		size_t i = find(kind, key);

		if (slots[i].kind) {
			*out = slots[i];
			remove_at(i);
			found = 1;
		}
	}
	unlock();
	return found;
}

int gdl_ledger_ref(int kind, uint64_t key, long delta, struct gdl_entry *gone)
{
	int found = 0;

	gone->kind = 0;
	gone->alloc_id = 0;
	lock();
	if (used) {
		size_t i = find(kind, key);

		if (slots[i].kind) {
			found = 1;
			slots[i].refs += delta;
			if (slots[i].refs <= 0) {
				*gone = slots[i];
				remove_at(i);
			}
		}
	}
	unlock();
	return found;
}

static int wanted(const struct gdl_entry *e, int kind, int by_range,
		  uint64_t lo, uint64_t hi)
{
	if (e->kind != kind)
		return 0;
	return by_range ? e->key >= lo && e->key < hi : e->aux == lo;
}

unsigned int gdl_ledger_take_all(int kind, int by_range, uint64_t lo,
				 uint64_t hi, struct gdl_entry *out,
				 unsigned int max)
{
	unsigned int n = 0;

	lock();
	for (size_t i = 0; i < nslots && n < max;) {
		if (slots[i].kind && wanted(&slots[i], kind, by_range, lo, hi)) {
			out[n++] = slots[i];
			/* Shifting may move an unvisited entry into slot i: look again. */
			remove_at(i);
			continue;
		}
		i++;
	}
	unlock();
	return n;
}

/*
 * A forked child holds none of its parent's charges (they belong to the
 * parent's open file or connection): forget them without freeing.
 */
void gdl_ledger_after_fork(void)
{
	/* Only the forking thread lives on: whoever held the lock is gone. */
	locked = 0;
	free(slots);
	slots = NULL;
	nslots = used = 0;
}

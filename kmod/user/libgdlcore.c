// SPDX-License-Identifier: GPL-2.0
/*
 * libgdlcore.c - gdl_core.h as a userspace library (see libgdlcore.h)
 *
 * A handle is one core instance, one owner for its allocations, and an
 * optional ring of decision records in the kernel's BPF record format, so
 * the agent decodes embedded and kernel events with the same code.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "libgdlcore.h"
#include "uapi/gdl_events.h"

/* Every decision kind, 1..GDL_DEC_KIND_MAX. */
#define GDLU_ALL_KINDS	(((1u << (GDL_DEC_KIND_MAX + 1)) - 1) & ~1u)

/**
 * struct gdlu - one handle
 * @env:     what the core's gdl_trace() reaches (must stay first)
 * @core:    the instance
 * @owner:   owns every non-persistent allocation made through the handle
 * @ev_lock: protects the ring; decisions arrive from any thread
 * @ring:    @cap records, oldest at @head, @count of them valid
 * @lost:    records dropped because the ring was full
 */
struct gdlu {
	struct gdl_user_env env;
	struct gdl_core *core;
	struct gdl_owner owner;
	pthread_mutex_t ev_lock;
	struct gdl_ev_decision *ring;
	u32 cap;
	u32 head;
	u32 count;
	u64 lost;
};

static char gdlu_comm[GDL_COMM_LEN];
static pthread_once_t gdlu_once = PTHREAD_ONCE_INIT;

/*
 * The process's id and each recording thread's, read once (0: not yet; no
 * id is 0): a system call per event for each was a fifth of the agent's CPU
 * per allocation over its socket, on a VM where one costs a microsecond.
 * A forked child reads its own (the thread that forked is its only one).
 */
static u32 gdlu_pid;
static __thread u32 gdlu_tid;

static void gdlu_forked(void)
{
	gdlu_pid = 0;
	gdlu_tid = 0;
}

/* Once per process: its comm, and forgetting cached ids in a forked child. */
static void gdlu_init_once(void)
{
	FILE *f = fopen("/proc/self/comm", "re");
	size_t n = 0;

	if (f) {
		n = fread(gdlu_comm, 1, sizeof(gdlu_comm) - 1, f);
		fclose(f);
	}
	while (n && (gdlu_comm[n - 1] == '\n' || gdlu_comm[n - 1] == '\0'))
		n--;
	memset(gdlu_comm + n, 0, sizeof(gdlu_comm) - n);
	pthread_atfork(NULL, NULL, gdlu_forked);
}

static u32 gdlu_self_pid(void)
{
	if (!gdlu_pid)
		gdlu_pid = (u32)getpid();
	return gdlu_pid;
}

static u32 gdlu_self_tid(void)
{
	if (!gdlu_tid)
		gdlu_tid = (u32)gettid();
	return gdlu_tid;
}

static void gdlu_trace(struct gdl_user_env *env, const struct gdl_decision *d)
{
	struct gdlu *h = container_of(env, struct gdlu, env);
	struct gdl_ev_decision *ev;
	struct timespec ts;
	int cpu;

	pthread_mutex_lock(&h->ev_lock);
	if (!h->ring)
		goto out;
	if (h->count == h->cap) {
		h->lost++;
		goto out;
	}
	ev = &h->ring[(h->head + h->count) % h->cap];
	memset(ev, 0, sizeof(*ev));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	cpu = sched_getcpu();
	ev->hdr.kind = GDL_EV_DECISION;
	ev->hdr.size = sizeof(*ev);
	ev->hdr.cpu = cpu < 0 ? 0 : (u32)cpu;
	ev->hdr.ts_ns = (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
	ev->d = *d;
	ev->tid = gdlu_self_tid();
	ev->pid = gdlu_self_pid();
	memcpy(ev->comm, gdlu_comm, sizeof(ev->comm));
	h->count++;
out:
	pthread_mutex_unlock(&h->ev_lock);
}

GDLU_EXPORT struct gdlu *gdlu_create(uint64_t default_quota,
				     uint32_t max_agents)
{
	struct gdl_core_params p = {
		.default_quota = default_quota,
		.max_agents = max_agents,
	};
	struct gdlu *h;

	pthread_once(&gdlu_once, gdlu_init_once);
	h = gdl_zalloc(sizeof(*h));
	if (!h)
		return NULL;
	h->env.trace = gdlu_trace;
	p.env = &h->env;
	h->core = gdl_core_create(&p);
	if (!h->core) {
		gdl_zfree(h);
		return NULL;
	}
	pthread_mutex_init(&h->ev_lock, NULL);
	h->owner.pid = (u32)getpid();
	memcpy(h->owner.comm, gdlu_comm, sizeof(h->owner.comm));
	gdl_owner_init(h->core, &h->owner);
	return h;
}

GDLU_EXPORT void gdlu_destroy(struct gdlu *h)
{
	if (!h)
		return;
	gdl_owner_release(h->core, &h->owner);
	gdl_core_destroy(h->core);
	pthread_mutex_destroy(&h->ev_lock);
	free(h->ring);
	gdl_zfree(h);
}

GDLU_EXPORT int gdlu_add_device(struct gdlu *h, uint64_t capacity,
				const char *name)
{
	struct gdl_device_desc d = { .capacity = capacity,
				     .kind = GDL_DEVICE_FAKE };

	if (name)
		snprintf(d.name, sizeof(d.name), "%s", name);
	else
		snprintf(d.name, sizeof(d.name), "fake%u",
			 gdl_core_num_devices(h->core));
	return gdl_core_add_device(h->core, &d);
}

GDLU_EXPORT uint32_t gdlu_num_devices(struct gdlu *h)
{
	return gdl_core_num_devices(h->core);
}

GDLU_EXPORT int gdlu_device_info(struct gdlu *h, uint32_t index,
				 struct gdl_device_info *out)
{
	return gdl_core_device_info(h->core, index, out);
}

GDLU_EXPORT int gdlu_set_agent(struct gdlu *h, uint64_t agent_id,
			       uint64_t quota, uint64_t device_mask)
{
	return gdl_agent_set(h->core, agent_id, quota, device_mask);
}

GDLU_EXPORT int gdlu_get_agent(struct gdlu *h, uint64_t agent_id,
			       struct gdl_agent_info *out)
{
	return gdl_agent_get(h->core, agent_id, out);
}

GDLU_EXPORT int gdlu_remove_agent(struct gdlu *h, uint64_t agent_id)
{
	return gdl_agent_remove(h->core, agent_id);
}

GDLU_EXPORT int gdlu_alloc(struct gdlu *h, uint64_t agent_id, uint64_t size,
			   uint32_t device, uint32_t flags,
			   uint64_t *alloc_id)
{
	return gdl_alloc(h->core, &h->owner, agent_id, size, device, flags,
			 alloc_id);
}

GDLU_EXPORT int gdlu_free(struct gdlu *h, uint64_t alloc_id)
{
	return gdl_free(h->core, alloc_id, 0);
}

GDLU_EXPORT int gdlu_grant(struct gdlu *h, uint64_t agent_id,
			   uint32_t device, uint64_t start, uint64_t length,
			   uint32_t mode)
{
	return gdl_grant(h->core, agent_id, device, start, length, mode);
}

GDLU_EXPORT int gdlu_revoke(struct gdlu *h, uint64_t agent_id,
			    uint32_t device, uint64_t start, uint64_t length,
			    uint32_t mode)
{
	return gdl_revoke(h->core, agent_id, device, start, length, mode);
}

GDLU_EXPORT int gdlu_check(struct gdlu *h, uint64_t agent_id,
			   uint32_t device, uint64_t addr, uint64_t length,
			   uint32_t mode)
{
	return gdl_check(h->core, agent_id, device, addr, length, mode);
}

GDLU_EXPORT int gdlu_check_many(struct gdlu *h, uint64_t agent_id,
				struct gdl_check_entry *entries,
				uint32_t count, uint32_t *allowed)
{
	return gdl_check_many(h->core, agent_id, entries, count, allowed);
}

GDLU_EXPORT void gdlu_stats(struct gdlu *h, struct gdl_stats *out)
{
	gdl_stats_read(h->core, out);
}

GDLU_EXPORT void gdlu_reset_stats(struct gdlu *h)
{
	gdl_stats_reset(h->core);
}

GDLU_EXPORT int gdlu_list_agents(struct gdlu *h, struct gdl_cursor *cur,
				 struct gdl_agent_view *out, uint32_t max)
{
	return gdl_list_agents(h->core, cur, out, max);
}

GDLU_EXPORT int gdlu_list_allocs(struct gdlu *h, uint64_t agent_id,
				 struct gdl_cursor *cur,
				 struct gdl_alloc_view *out, uint32_t max)
{
	return gdl_list_allocs(h->core, agent_id, cur, out, max);
}

GDLU_EXPORT int gdlu_list_grants(struct gdlu *h, uint64_t agent_id,
				 struct gdl_cursor *cur,
				 struct gdl_grant_view *out, uint32_t max)
{
	return gdl_list_grants(h->core, agent_id, cur, out, max);
}

GDLU_EXPORT int gdlu_events_enable(struct gdlu *h, uint32_t capacity)
{
	struct gdl_ev_decision *ring = NULL, *old;

	if (capacity) {
		ring = calloc(capacity, sizeof(*ring));
		if (!ring)
			return -ENOMEM;
	}
	pthread_mutex_lock(&h->ev_lock);
	old = h->ring;
	h->ring = ring;
	h->cap = capacity;
	h->head = 0;
	h->count = 0;
	WRITE_ONCE(h->env.trace_mask, capacity ? GDLU_ALL_KINDS : 0);
	pthread_mutex_unlock(&h->ev_lock);
	free(old);
	return 0;
}

GDLU_EXPORT uint32_t gdlu_events_read(struct gdlu *h, void *buf,
				      uint32_t buf_size)
{
	u32 n = 0, max = buf_size / sizeof(struct gdl_ev_decision);
	char *p = buf;

	pthread_mutex_lock(&h->ev_lock);
	while (n < max && h->count) {
		memcpy(p + (size_t)n * sizeof(struct gdl_ev_decision),
		       &h->ring[h->head], sizeof(struct gdl_ev_decision));
		h->head = (h->head + 1) % h->cap;
		h->count--;
		n++;
	}
	pthread_mutex_unlock(&h->ev_lock);
	return n * (u32)sizeof(struct gdl_ev_decision);
}

GDLU_EXPORT uint64_t gdlu_events_lost(struct gdlu *h)
{
	u64 lost;

	pthread_mutex_lock(&h->ev_lock);
	lost = h->lost;
	pthread_mutex_unlock(&h->ev_lock);
	return lost;
}

/* Owners beyond the handle's own: see libgdlcore.h. */
struct gdlu_owner {
	struct gdl_owner owner;
};

GDLU_EXPORT struct gdlu_owner *gdlu_owner_open(struct gdlu *h, uint32_t pid,
					       const char *comm,
					       uint64_t bound_agent)
{
	struct gdlu_owner *o = gdl_zalloc(sizeof(*o));

	if (!o)
		return NULL;
	o->owner.pid = pid;
	o->owner.bound_agent = bound_agent;
	if (comm)
		snprintf(o->owner.comm, sizeof(o->owner.comm), "%s", comm);
	gdl_owner_init(h->core, &o->owner);
	return o;
}

GDLU_EXPORT void gdlu_owner_close(struct gdlu *h, struct gdlu_owner *o)
{
	if (!o)
		return;
	gdl_owner_release(h->core, &o->owner);
	gdl_zfree(o);
}

GDLU_EXPORT int gdlu_alloc_owned(struct gdlu *h, struct gdlu_owner *o,
				 uint64_t agent_id, uint64_t size,
				 uint32_t device, uint32_t flags,
				 uint64_t *alloc_id)
{
	/* A NULL owner can only hold persistent allocations, as in the core. */
	return gdl_alloc(h->core, o ? &o->owner : NULL, agent_id, size, device,
			 flags, alloc_id);
}

GDLU_EXPORT int gdlu_free_as(struct gdlu *h, uint64_t alloc_id,
			     uint64_t only_agent)
{
	return gdl_free(h->core, alloc_id, only_agent);
}

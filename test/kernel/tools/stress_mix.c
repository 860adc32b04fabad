// SPDX-License-Identifier: GPL-2.0
/*
 * stress_mix - many threads mixing every operation, then exact accounting
 *
 *   stress_mix [-t THREADS] [-s SECONDS] [-a SHARED_AGENTS]
 *
 * Needs the module loaded with at least two devices (fake_gpus=2), fresh
 * (counters at zero).  Each thread has its own open file and, for ten
 * seconds or so, picks at random:
 *  - allocate (sometimes persistent) / free on shared agents, racing the
 *    other threads for the same quotas and devices (-EDQUOT and -ENOSPC are
 *    expected answers, nothing else is);
 *  - grant / revoke / check / check_batch on its own private agent, whose
 *    permissions it models exactly, so every single answer is verified even
 *    while other threads change other agents;
 *  - grant / revoke / check on the shared agents (unmodelled: contention).
 * Then, with every thread stopped and its allocations still live, the
 * kernel's accounting must match the threads' own books to the byte: per
 * agent (GET_AGENT, /proc quotas, /proc allocations), per device, and the
 * module-wide counters.  Finally every file is closed and persistent
 * allocations freed, and everything must read zero.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "vm_tool.h"

#define SHARED_AGENT0	100
#define PRIVATE_AGENT0	1000
#define NDEVICES	2
#define MAX_HELD	64		/* per thread: keeps quotas contended, not exhausted */
#define NSLOTS		32		/* modelled permission ranges per private agent */
#define SLOT_STRIDE	(1ull << 20)
#define BATCH		16
#define SHARED_QUOTA	(8ull << 20)

struct held {
	uint64_t id, agent, size;
	uint32_t device;
	int persistent;
};

struct thread {
	pthread_t tid;
	int index, fd;
	uint64_t rng;
	uint64_t private_agent;
	uint32_t slot_mode[NSLOTS];	/* model: mode bits over the whole slot */
	struct held held[MAX_HELD];
	int nheld;
	/* what this thread saw, summed into the expected counters */
	uint64_t allocs, edquot, enospc, frees, checks, denied, grants, revokes;
	uint64_t wrong;			/* answers that contradict the model */
	uint64_t errors;		/* unexpected errnos */
	char first_problem[160];
};

static int nthreads = 8, seconds = 10, nshared = 4;
static atomic_int stop;

static uint64_t rnd(struct thread *t)
{
	/* xorshift64*: fast, reproducible per thread */
	t->rng ^= t->rng >> 12;
	t->rng ^= t->rng << 25;
	t->rng ^= t->rng >> 27;
	return t->rng * 2685821657736338717ull;
}

static void problem(struct thread *t, uint64_t *counter, const char *fmt, ...)
{
	va_list ap;

	if (!t->wrong && !t->errors) {
		va_start(ap, fmt);
		vsnprintf(t->first_problem, sizeof(t->first_problem), fmt, ap);
		va_end(ap);
	}
	(*counter)++;
}

static uint64_t slot_start(struct thread *t, int k)
{
	return ((uint64_t)(t->index + 1) << 32) + k * SLOT_STRIDE;
}

static uint64_t slot_len(int k)
{
	return 4096ull * (1 + k % 8);
}

static uint32_t slot_device(int k)
{
	return k % NDEVICES;
}

static void op_alloc(struct thread *t)
{
	uint64_t agent = SHARED_AGENT0 + rnd(t) % nshared, size = 4096 * (1 + rnd(t) % 64), id;
	uint32_t device = rnd(t) % NDEVICES;
	int persistent = rnd(t) % 4 == 0;
	int err;

	if (t->nheld == MAX_HELD)
		return;
	err = ioc_alloc(t->fd, agent, size, device, persistent ? GDL_ALLOC_PERSISTENT : 0, &id);
	if (err == -EDQUOT) {
		t->edquot++;
	} else if (err == -ENOSPC) {
		t->enospc++;
	} else if (err) {
		problem(t, &t->errors, "alloc agent %llu: %s", (unsigned long long)agent, strerror(-err));
	} else {
		t->held[t->nheld++] = (struct held){ id, agent, size, device, persistent };
		t->allocs++;
	}
}

static void op_free(struct thread *t)
{
	int i, err;

	if (!t->nheld)
		return;
	i = rnd(t) % t->nheld;
	err = ioc_free(t->fd, t->held[i].id);
	if (err) {
		problem(t, &t->errors, "free %llu: %s", (unsigned long long)t->held[i].id, strerror(-err));
		return;
	}
	t->held[i] = t->held[--t->nheld];
	t->frees++;
}

static void op_grant_revoke(struct thread *t, int grant)
{
	int k = rnd(t) % NSLOTS, err;
	uint32_t mode = 1 + rnd(t) % 3;

	err = ioc_grant_op(t->fd, grant ? GDL_IOC_GRANT : GDL_IOC_REVOKE, t->private_agent,
			   slot_device(k), slot_start(t, k), slot_len(k), mode);
	if (err) {
		problem(t, &t->errors, "%s slot %d: %s", grant ? "grant" : "revoke", k, strerror(-err));
		return;
	}
	if (grant) {
		t->slot_mode[k] |= mode;
		t->grants++;
	} else {
		t->slot_mode[k] &= ~mode;
		t->revokes++;
	}
}

/* A random range around slot k, and what the model says about it. */
static void pick_check(struct thread *t, struct gdl_check_entry *e, int *expect)
{
	int k = rnd(t) % NSLOTS;
	uint64_t len = slot_len(k), off = rnd(t) % len, n = 1 + rnd(t) % (len - off);

	e->device = slot_device(k);
	e->mode = 1 + rnd(t) % 3;
	e->addr = slot_start(t, k) + off;
	e->length = n;
	e->flags = 0;
	*expect = (t->slot_mode[k] & e->mode) == e->mode;
	switch (rnd(t) % 8) {
	case 0:	/* one byte past the end: into the gap, never granted */
		e->length = len - off + 1;
		*expect = 0;
		break;
	case 1:	/* the other device: nothing there */
		e->device = (e->device + 1) % NDEVICES;
		*expect = 0;
		break;
	}
}

static void op_check(struct thread *t)
{
	struct gdl_check_entry e;
	int expect, got;

	pick_check(t, &e, &expect);
	got = ioc_check(t->fd, t->private_agent, e.device, e.addr, e.length, e.mode);
	if (got < 0) {
		problem(t, &t->errors, "check: %s", strerror(-got));
		return;
	}
	t->checks++;
	t->denied += got == GDL_CHECK_DENIED;
	if (got != expect)
		problem(t, &t->wrong, "check dev %u [%#llx, +%llu) mode %u: got %d, model says %d",
			e.device, (unsigned long long)e.addr, (unsigned long long)e.length, e.mode,
			got, expect);
}

static void op_check_batch(struct thread *t)
{
	struct gdl_check_entry e[BATCH];
	int expect[BATCH], i, err;
	unsigned int want_allowed = 0;
	struct gdl_check_batch b = { .agent_id = t->private_agent, .entries = (uintptr_t)e,
				     .count = BATCH };

	for (i = 0; i < BATCH; i++) {
		pick_check(t, &e[i], &expect[i]);
		e[i].result = 0xdead;
		want_allowed += expect[i];
	}
	err = ioc(t->fd, GDL_IOC_CHECK_BATCH, &b);
	if (err) {
		problem(t, &t->errors, "check_batch: %s", strerror(-err));
		return;
	}
	t->checks += BATCH;
	for (i = 0; i < BATCH; i++) {
		t->denied += e[i].result == GDL_CHECK_DENIED;
		if (e[i].result != (uint32_t)expect[i])
			problem(t, &t->wrong, "batch entry %d: got %u, model says %d", i,
				e[i].result, expect[i]);
	}
	if (b.allowed != want_allowed)
		problem(t, &t->wrong, "batch allowed %u, model says %u", b.allowed, want_allowed);
}

/* Contention on the shared agents' permission trees; answers unmodelled. */
static void op_shared_dma(struct thread *t)
{
	uint64_t agent = SHARED_AGENT0 + rnd(t) % nshared;
	uint64_t start = (rnd(t) % 256) * 4096, len = 4096 * (1 + rnd(t) % 8);
	uint32_t device = rnd(t) % NDEVICES, mode = 1 + rnd(t) % 3;
	int r;

	switch (rnd(t) % 3) {
	case 0:
		r = ioc_grant_op(t->fd, GDL_IOC_GRANT, agent, device, start, len, mode);
		t->grants += r == 0;
		break;
	case 1:
		r = ioc_grant_op(t->fd, GDL_IOC_REVOKE, agent, device, start, len, mode);
		t->revokes += r == 0;
		break;
	default:
		r = ioc_check(t->fd, agent, device, start, len, mode);
		if (r >= 0) {
			t->checks++;
			t->denied += r == GDL_CHECK_DENIED;
		}
		break;
	}
	if (r < 0)
		problem(t, &t->errors, "shared dma op agent %llu: %s", (unsigned long long)agent,
			strerror(-r));
}

static void *worker(void *arg)
{
	struct thread *t = arg;
	unsigned int op;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		op = rnd(t) % 100;
		if (op < 30)
			op_alloc(t);
		else if (op < 55)
			op_free(t);
		else if (op < 63)
			op_grant_revoke(t, 1);
		else if (op < 70)
			op_grant_revoke(t, 0);
		else if (op < 82)
			op_check(t);
		else if (op < 90)
			op_check_batch(t);
		else
			op_shared_dma(t);
	}
	return NULL;
}

/* Everything the threads hold, per agent, against what the kernel says. */
static void verify_live(int fd, struct thread *th)
{
	uint64_t want_used[64] = { 0 }, want_n[64] = { 0 }, dev_used[NDEVICES] = { 0 };
	uint64_t total_bytes = 0, total_n = 0, proc_used, proc_n, mismatched = 0;
	struct proc_alloc *listed;
	size_t nlisted, i;
	struct gdl_stats s;
	int a, ti, h;
	char what[96];

	for (ti = 0; ti < nthreads; ti++)
		for (h = 0; h < th[ti].nheld; h++) {
			struct held *x = &th[ti].held[h];

			want_used[x->agent - SHARED_AGENT0] += x->size;
			want_n[x->agent - SHARED_AGENT0]++;
			dev_used[x->device] += x->size;
			total_bytes += x->size;
			total_n++;
		}
	nlisted = proc_read_allocations(&listed);

	for (a = 0; a < nshared; a++) {
		uint64_t agent = SHARED_AGENT0 + a;
		struct gdl_agent_info info;
		struct proc_quota q;

		if (ioc_get_agent(fd, agent, &info)) {
			tap_not_ok("GET_AGENT", "agent %llu: %s", (unsigned long long)agent, strerror(errno));
			continue;
		}
		snprintf(what, sizeof(what), "agent %llu: GET_AGENT used == threads' books", (unsigned long long)agent);
		tap_eq(what, want_used[a], info.used);
		snprintf(what, sizeof(what), "agent %llu: GET_AGENT allocations == threads' books", (unsigned long long)agent);
		tap_eq(what, want_n[a], info.allocations);
		if (!proc_find_quota(agent, &q)) {
			tap_not_ok("quotas lists the agent", "agent %llu missing", (unsigned long long)agent);
		} else {
			snprintf(what, sizeof(what), "agent %llu: /proc quotas used == threads' books", (unsigned long long)agent);
			tap_eq(what, want_used[a], q.used);
		}
		proc_used = proc_n = 0;
		for (i = 0; i < nlisted; i++)
			if (listed[i].agent == agent)
				proc_used += listed[i].size, proc_n++;
		snprintf(what, sizeof(what), "agent %llu: sum of /proc allocations == used", (unsigned long long)agent);
		tap_eq(what, want_used[a], proc_used);
	}

	/* Exactly the same allocations, id by id. */
	tap_eq("/proc allocations lists every live allocation", total_n, nlisted);
	for (ti = 0; ti < nthreads; ti++)
		for (h = 0; h < th[ti].nheld; h++) {
			struct held *x = &th[ti].held[h];

			for (i = 0; i < nlisted && listed[i].id != x->id; i++)
				;
			if (i == nlisted || listed[i].size != x->size || listed[i].agent != x->agent ||
			    listed[i].device != x->device)
				mismatched++;
		}
	tap_eq("every held allocation is listed with its agent, device and size", 0, mismatched);
	free(listed);

	for (a = 0; a < NDEVICES; a++) {
		struct gdl_device_info d;

		if (ioc_get_device(fd, a, &d)) {
			tap_not_ok("GET_DEVICE", "device %d: %s", a, strerror(errno));
			continue;
		}
		snprintf(what, sizeof(what), "device %d: used == threads' books", a);
		tap_eq(what, dev_used[a], d.used);
	}

	if (ioc_get_stats(fd, &s))
		die("GET_STATS: %s", strerror(errno));
	tap_eq("stats: live_allocations == held", total_n, s.live_allocations);
	tap_eq("stats: allocs - frees == live_allocations", s.live_allocations, s.allocs - s.frees);
	tap_eq("stats: used_bytes == held bytes", total_bytes, s.used_bytes);
	tap_eq("stats: bytes_allocated - bytes_freed == used_bytes", s.used_bytes,
	       s.bytes_allocated - s.bytes_freed);
}

/* The module-wide counters against what every thread saw. */
static void verify_counters(int fd, struct thread *th)
{
	uint64_t allocs = 0, frees = 0, edquot = 0, enospc = 0, checks = 0, denied = 0;
	uint64_t grants = 0, revokes = 0;
	struct gdl_stats s;
	int i;

	for (i = 0; i < nthreads; i++) {
		allocs += th[i].allocs, frees += th[i].frees;
		edquot += th[i].edquot, enospc += th[i].enospc;
		checks += th[i].checks, denied += th[i].denied;
		grants += th[i].grants, revokes += th[i].revokes;
	}
	printf("# ops: %llu allocs (%llu EDQUOT, %llu ENOSPC), %llu frees, %llu checks (%llu denied), "
	       "%llu grants, %llu revokes\n", (unsigned long long)allocs, (unsigned long long)edquot,
	       (unsigned long long)enospc, (unsigned long long)frees, (unsigned long long)checks,
	       (unsigned long long)denied, (unsigned long long)grants, (unsigned long long)revokes);
	if (ioc_get_stats(fd, &s))
		die("GET_STATS: %s", strerror(errno));
	tap_eq("stats.allocs == successful allocations", allocs, s.allocs);
	tap_eq("stats.frees == frees", frees, s.frees);
	tap_eq("stats.quota_violations == EDQUOT answers", edquot, s.quota_violations);
	tap_eq("stats.alloc_failures == EDQUOT + ENOSPC answers", edquot + enospc, s.alloc_failures);
	tap_eq("stats.checks == checks answered", checks, s.checks);
	tap_eq("stats.checks_denied == denials seen", denied, s.checks_denied);
	tap_eq("stats.grants == grants applied", grants, s.grants);
	tap_eq("stats.revokes == revokes applied", revokes, s.revokes);
	/* The operator's view must be the same counters, read the same way. */
	{
		const struct { const char *name; uint64_t v; } f[] = {
			{ "allocs", s.allocs }, { "frees", s.frees }, { "checks", s.checks },
			{ "checks_denied", s.checks_denied }, { "grants", s.grants },
			{ "revokes", s.revokes }, { "quota_violations", s.quota_violations },
			{ "live_allocations", s.live_allocations }, { "used_bytes", s.used_bytes },
		};
		char *buf = slurp(GDL_PROC_DIR "/stats", NULL), *line, *save = NULL;
		size_t k, matched = 0;

		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char name[64];
			unsigned long long v;

			if (sscanf(line, "%63s %llu", name, &v) != 2)
				continue;
			for (k = 0; k < sizeof(f) / sizeof(f[0]); k++)
				if (!strcmp(name, f[k].name) && v == f[k].v)
					matched++;
		}
		free(buf);
		tap_eq("/proc stats agrees with GET_STATS on every counter", sizeof(f) / sizeof(f[0]),
		       matched);
	}
	if (allocs && edquot)
		tap_ok("the mix exercised both success and quota refusal");
	else
		tap_not_ok("the mix exercised both success and quota refusal",
			   "%llu allocs, %llu EDQUOT", (unsigned long long)allocs, (unsigned long long)edquot);
}

/* The private agents' permissions against the threads' models. */
static void verify_grants(int fd, struct thread *th)
{
	uint64_t wrong_count = 0;
	struct gdl_agent_info info;
	int i, k, want;

	for (i = 0; i < nthreads; i++) {
		for (want = 0, k = 0; k < NSLOTS; k++)
			want += th[i].slot_mode[k] != 0;
		if (ioc_get_agent(fd, th[i].private_agent, &info) || info.grants != (uint64_t)want)
			wrong_count++;
	}
	tap_eq("private agents: GET_AGENT grants == modelled ranges", 0, wrong_count);
}

int main(int argc, char **argv)
{
	struct thread *th;
	uint64_t t0, elapsed;
	struct gdl_stats s;
	int opt, i, a, fd, err;

	while ((opt = getopt(argc, argv, "t:s:a:")) != -1) {
		switch (opt) {
		case 't': nthreads = atoi(optarg); break;
		case 's': seconds = atoi(optarg); break;
		case 'a': nshared = atoi(optarg); break;
		default: die("usage: %s [-t THREADS] [-s SECONDS] [-a SHARED_AGENTS]", argv[0]);
		}
	}
	if (nthreads < 1 || nshared < 1 || nshared > 64 || seconds < 1)
		die("bad arguments");

	fd = gdl_open();
	for (a = 0; a < nshared; a++)
		if ((err = ioc_set_agent(fd, SHARED_AGENT0 + a, SHARED_QUOTA, 0x3)))
			die("set_agent %d: %s", SHARED_AGENT0 + a, strerror(-err));
	th = calloc(nthreads, sizeof(*th));
	if (!th)
		die("out of memory");
	for (i = 0; i < nthreads; i++) {
		th[i].index = i;
		th[i].fd = gdl_open();
		th[i].rng = 0x9e3779b97f4a7c15ull * (i + 1);
		th[i].private_agent = PRIVATE_AGENT0 + i;
		if ((err = ioc_set_agent(fd, th[i].private_agent, 0, 0x3)))
			die("set_agent %llu: %s", (unsigned long long)th[i].private_agent, strerror(-err));
	}

	t0 = now_ns();
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&th[i].tid, NULL, worker, &th[i]))
			die("pthread_create failed");
	sleep(seconds);
	atomic_store(&stop, 1);
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i].tid, NULL);
	elapsed = now_ns() - t0;

	for (i = 0; i < nthreads; i++) {
		if (th[i].errors || th[i].wrong)
			tap_not_ok("thread answers", "thread %d: %llu unexpected errors, %llu wrong answers; first: %s",
				   i, (unsigned long long)th[i].errors, (unsigned long long)th[i].wrong,
				   th[i].first_problem);
	}
	if (!tap_failures)
		tap_ok("%d threads, %.1f s: no unexpected error, every modelled answer right", nthreads,
		       elapsed / 1e9);

	verify_counters(fd, th);
	verify_live(fd, th);
	verify_grants(fd, th);

	/* Closing a thread's file frees its ordinary allocations; then the rest. */
	for (i = 0; i < nthreads; i++) {
		close(th[i].fd);
		for (a = 0; a < th[i].nheld; a++)
			if (th[i].held[a].persistent && (err = ioc_free(fd, th[i].held[a].id)))
				tap_not_ok("free persistent after close", "%llu: %s",
					   (unsigned long long)th[i].held[a].id, strerror(-err));
	}
	if (ioc_get_stats(fd, &s))
		die("GET_STATS: %s", strerror(errno));
	tap_eq("after close: live_allocations", 0, s.live_allocations);
	tap_eq("after close: used_bytes", 0, s.used_bytes);
	tap_eq("after close: bytes_allocated == bytes_freed", s.bytes_allocated, s.bytes_freed);
	tap_eq("after close: allocs == frees", s.allocs, s.frees);
	for (a = 0; a < nshared; a++) {
		struct gdl_agent_info info;
		char what[64];

		ioc_get_agent(fd, SHARED_AGENT0 + a, &info);
		snprintf(what, sizeof(what), "after close: agent %d used", SHARED_AGENT0 + a);
		tap_eq(what, 0, info.used);
	}
	close(fd);
	free(th);
	return tap_exit();
}

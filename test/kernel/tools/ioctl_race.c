// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_race.c - the glue under concurrency: binding, owners, /proc
 *
 *   ioctl_race [SECONDS]     (default 4)
 *
 * For SECONDS, at once:
 *   - 4 workers, each looping: open a file, bind it to its agent, allocate
 *     (some persistent), check, grant and revoke, free some, close the file
 *     with allocations still held (the release path frees them);
 *   - 2 threads allocating and freeing with agent_id 0 on one shared file
 *     that a third thread keeps rebinding between the four agents;
 *   - a reader walking every /proc/swarm/gpu listing;
 *   - an operator changing quotas and resetting stats through control;
 *   - 2 threads sending CHECK_BATCHes of 100 through one shared file, each
 *     its own entries: the file keeps one copy buffer, which one batch at a
 *     time may use (the other allocates its own), and each thread must get
 *     exactly its own answers.
 * Then every persistent allocation is freed and the books must be empty:
 * no live allocation, no byte used by any agent or device, and every agent
 * removable.  (test/kernel/cases/19-ioctl-race.sh; fake_gpus=2.)
 */
#include "vm_tool.h"

#include <pthread.h>

#define AGENTS		4
#define MAX_PERSIST	100000
#define BATCH_AGENT	(AGENTS + 1)	/* one fixed grant, never changed */
#define BATCH_BASE	0x100000ull
#define BATCH_N		100

static volatile int stop;
static int shared_fd;
static pthread_mutex_t persist_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t persist[MAX_PERSIST];
static size_t npersist;
static unsigned long errors;
static int batch_fd;
static unsigned long batches, batch_wrong;

static void remember(uint64_t id)
{
	pthread_mutex_lock(&persist_lock);
	if (npersist < MAX_PERSIST)
		persist[npersist++] = id;
	pthread_mutex_unlock(&persist_lock);
}

/* Errors the races can legitimately cause are fine; others are counted. */
static void expect(int err, const char *what)
{
	if (err && err != -EDQUOT && err != -ENOSPC && err != -ENOENT &&
	    err != -EPERM) {
		__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);
		fprintf(stderr, "%s: %s\n", what, strerror(-err));
	}
}

static void *worker(void *arg)
{
	uint64_t agent = (uintptr_t)arg;
	uint64_t ids[16];
	unsigned int loop = 0;

	while (!stop) {
		int fd = gdl_open();
		struct gdl_bind b = { .agent_id = agent };
		int i, n = 0;

		expect(ioc(fd, GDL_IOC_BIND, &b), "BIND");
		for (i = 0; i < 16; i++) {
			uint32_t flags = (loop + i) % 8 ? 0 : GDL_ALLOC_PERSISTENT;
			uint64_t id;
			int err = ioc_alloc(fd, 0, 4096 * (1 + i % 4), i % 2,
					    flags, &id);

			expect(err, "ALLOC");
			if (err)
				continue;
			if (flags)
				remember(id);
			else
				ids[n++] = id;
		}
		ioc_check(fd, 0, 0, 0x1000 * agent, 0x100, GDL_DMA_READ);
		expect(ioc_grant_op(fd, GDL_IOC_GRANT, agent, 0,
				    0x100000 * agent + (loop % 16) * 0x1000,
				    0x1000, GDL_DMA_RW), "GRANT");
		expect(ioc_grant_op(fd, GDL_IOC_REVOKE, agent, 0,
				    0x100000 * agent + ((loop + 8) % 16) * 0x1000,
				    0x1000, GDL_DMA_WRITE), "REVOKE");
		/* Free half; closing the file releases the rest. */
		for (i = 0; i < n; i += 2)
			expect(ioc_free(fd, ids[i]), "FREE");
		close(fd);
		loop++;
	}
	return NULL;
}

static void *shared_user(void *arg)
{
	while (!stop) {
		uint64_t id;

		if (!ioc_alloc(shared_fd, 0, 8192, 0, 0, &id))
			expect(ioc_free(shared_fd, id), "FREE shared");
	}
	return NULL;
}

static void *rebinder(void *arg)
{
	unsigned int i = 0;

	while (!stop) {
		struct gdl_bind b = { .agent_id = 1 + i++ % AGENTS };

		expect(ioc(shared_fd, GDL_IOC_BIND, &b), "rebind");
	}
	return NULL;
}

static void *reader(void *arg)
{
	static const char *const files[] = {
		"allocations", "quotas", "contexts", "dma_permissions", "stats",
		"devices",
	};
	char path[128];
	unsigned int i = 0;

	while (!stop) {
		snprintf(path, sizeof(path), GDL_PROC_DIR "/%s", files[i++ % 6]);
		free(slurp(path, NULL));
	}
	return NULL;
}

/* Thread @arg (0 or 1): entries i with i % 2 == arg inside the grant. */
static void *batcher(void *arg)
{
	uintptr_t k = (uintptr_t)arg;
	struct gdl_check_entry e[BATCH_N];
	struct gdl_check_batch b = { .agent_id = BATCH_AGENT,
				     .entries = (uintptr_t)e, .count = BATCH_N };
	unsigned long done = 0, wrong = 0;
	int i;

	while (!stop) {
		for (i = 0; i < BATCH_N; i++)
			e[i] = (struct gdl_check_entry){
				.addr = (i % 2 == (int)k ? BATCH_BASE : 0x10000000ull) +
					(uint64_t)i * 64,
				.length = 64, .mode = GDL_DMA_READ };
		if (ioc(batch_fd, GDL_IOC_CHECK_BATCH, &b) || b.allowed != BATCH_N / 2) {
			wrong++;
			continue;
		}
		for (i = 0; i < BATCH_N; i++)
			wrong += e[i].result != (i % 2 == (int)k ? GDL_CHECK_ALLOWED :
						 GDL_CHECK_DENIED);
		done++;
	}
	__atomic_fetch_add(&batches, done, __ATOMIC_RELAXED);
	__atomic_fetch_add(&batch_wrong, wrong, __ATOMIC_RELAXED);
	return NULL;
}

static void control(const char *line)
{
	expect(vm_control("%s", line), line);
}

static void *operator(void *arg)
{
	unsigned int i = 0;
	char line[64];

	while (!stop) {
		snprintf(line, sizeof(line), "set_quota %u %u\n", 1 + i % AGENTS,
			 i % 3 ? 1 << 24 : 1 << 14);
		control(line);
		if (i++ % 16 == 0)
			control("reset_stats\n");
		usleep(1000);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 4;
	pthread_t t[AGENTS + 7];
	struct gdl_stats s;
	uint64_t a;
	size_t i;
	int fd, nt = 0;

	fd = gdl_open();
	for (a = 1; a <= AGENTS; a++)
		if (ioc_set_agent(fd, a, 1 << 24, 0x3))
			die("SET_AGENT: %s", strerror(errno));
	shared_fd = gdl_open();
	batch_fd = gdl_open();
	if (ioc_set_agent(fd, BATCH_AGENT, 0, 0x1) ||
	    ioc_grant_op(fd, GDL_IOC_GRANT, BATCH_AGENT, 0, BATCH_BASE, 0x100000,
			 GDL_DMA_RW))
		die("setting up agent %d: %s", BATCH_AGENT, strerror(errno));

	for (a = 1; a <= AGENTS; a++)
		pthread_create(&t[nt++], NULL, worker, (void *)(uintptr_t)a);
	pthread_create(&t[nt++], NULL, shared_user, NULL);
	pthread_create(&t[nt++], NULL, shared_user, NULL);
	pthread_create(&t[nt++], NULL, rebinder, NULL);
	pthread_create(&t[nt++], NULL, reader, NULL);
	pthread_create(&t[nt++], NULL, operator, NULL);
	pthread_create(&t[nt++], NULL, batcher, (void *)0);
	pthread_create(&t[nt++], NULL, batcher, (void *)1);
	sleep(seconds);
	stop = 1;
	while (nt)
		pthread_join(t[--nt], NULL);
	tap_eq("no unexpected errors", 0, errors);
	tap_eq("concurrent batches on one file: every answer its own", 0, batch_wrong);
	if (batches > 0)
		tap_ok("%lu batches of %d answered", batches, BATCH_N);
	else
		tap_not_ok("batches answered", "no batch completed");
	close(batch_fd);

	close(shared_fd);
	for (i = 0; i < npersist; i++)
		if (ioc_free(fd, persist[i]))
			tap_not_ok("FREE persistent", "id %llu: %s",
				   (unsigned long long)persist[i], strerror(errno));
	tap_ok("freed %zu persistent allocations", npersist);

	ioc_get_stats(fd, &s);
	tap_eq("no live allocation left", 0, s.live_allocations);
	tap_eq("no byte left in use", 0, s.used_bytes);
	for (a = 0; a < 2; a++) {
		struct gdl_device_info d;

		ioc_get_device(fd, a, &d);
		if (d.used)
			tap_not_ok("device usage", "device %llu still uses %llu",
				   (unsigned long long)a,
				   (unsigned long long)d.used);
	}
	for (a = 1; a <= BATCH_AGENT; a++) {
		struct gdl_agent_info ai;
		struct gdl_agent_ref r = { .agent_id = a };

		ioc_get_agent(fd, a, &ai);
		if (ai.used || ai.allocations)
			tap_not_ok("agent usage", "agent %llu: %llu bytes",
				   (unsigned long long)a,
				   (unsigned long long)ai.used);
		if (ioctl(fd, GDL_IOC_REMOVE_AGENT, &r))
			tap_not_ok("REMOVE_AGENT", "agent %llu: %s",
				   (unsigned long long)a, strerror(errno));
	}
	ioc_get_stats(fd, &s);
	tap_eq("every agent removed", 0, s.agents);
	close(fd);
	return tap_exit();
}

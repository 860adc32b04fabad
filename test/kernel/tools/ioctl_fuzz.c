// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_fuzz.c - random ioctls must not hurt the kernel or the books
 *
 *   ioctl_fuzz [ITERATIONS] [SEED]     (default 20000, time-based seed)
 *
 * As root, throws random commands (every known one, its wrong-size and
 * wrong-direction variants, unknown numbers) at the device, with argument
 * structs that are random bytes biased towards plausible values (small
 * agent ids, devices 0..2, modes 0..4, mostly-zero flags) and sometimes a
 * bad pointer.  Half the calls go through a file that gets rebound at
 * random.  Afterwards the books must balance:
 *
 *   - the allocations listing adds up to stats used_bytes and
 *     live_allocations, and to each agent's used/allocations in quotas;
 *   - closing the files and freeing what is left (listing ids) brings
 *     used_bytes and live_allocations to 0;
 *   - removing every agent brings agents to 0.
 *
 * The kernel log is checked by the runner (no WARN/BUG/oops).  Expects
 * fake_gpus=2 fake_gpu_mem=1048576 default_quota=65536 max_agents=8
 * (test/kernel/cases/18-ioctl-fuzz.sh).
 */
#include "vm_tool.h"

#include <sys/mman.h>

static const unsigned long known[] = {
	GDL_IOC_NOOP, GDL_IOC_INFO, GDL_IOC_BIND, GDL_IOC_SET_AGENT,
	GDL_IOC_GET_AGENT, GDL_IOC_REMOVE_AGENT, GDL_IOC_ALLOC, GDL_IOC_FREE,
	GDL_IOC_GRANT, GDL_IOC_REVOKE, GDL_IOC_CHECK, GDL_IOC_CHECK_BATCH,
	GDL_IOC_GET_STATS, GDL_IOC_GET_DEVICE, SWARM_GPU_ALLOC, SWARM_GPU_FREE,
	SWARM_GPU_QUERY, SWARM_GPU_SET_QUOTA, SWARM_DMA_CHECK_PERM,
	SWARM_DMA_GRANT_PERM,
};
#define NKNOWN	(sizeof(known) / sizeof(known[0]))

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from the printed seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* A plausible u64: mostly small, sometimes huge or random. */
static uint64_t plausible(void)
{
	switch (rnd() % 8) {
	case 0:
		return 0;
	case 1:
		return rnd();
	case 2:
		return UINT64_MAX - rnd() % 4096;
	case 3:
		return 1ull << (rnd() % 64);
	default:
		return rnd() % 5;
	}
}

/* Random words, most of them plausible, a few pure noise. */
static void fill(uint64_t *w, size_t nwords, struct gdl_check_entry *entries)
{
	size_t i;

	for (i = 0; i < nwords; i++)
		w[i] = rnd() % 10 ? plausible() | plausible() << 32 : rnd();
	/* Some structs carry a pointer: make it point at real entries. */
	if (rnd() % 2)
		w[1] = (uintptr_t)entries;
	/* Keep sizes small and flags clear often, so calls get deep. */
	if (rnd() % 2)
		w[1] = rnd() % 8192;
	if (rnd() % 2)
		w[2] &= 0xffffffffull * (rnd() % 2);
	if (rnd() % 3 == 0)
		w[3] = 0;
	if (rnd() % 3 == 0)
		w[4] = 0;
}

static unsigned long mutate(unsigned long cmd)
{
	switch (rnd() % 16) {
	case 0:	/* another size */
		return (cmd & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
		       ((rnd() % 512) << _IOC_SIZESHIFT);
	case 1:	/* another direction */
		return (cmd & ~(_IOC_DIRMASK << _IOC_DIRSHIFT)) |
		       ((rnd() % 4) << _IOC_DIRSHIFT);
	case 2:	/* another number */
		return _IOC(rnd() % 4, GDL_IOC_MAGIC, rnd() % 256, rnd() % 128);
	default:
		return cmd;
	}
}

static void *bad_pointer(void *buf)
{
	switch (rnd() % 4) {
	case 0:
		return NULL;
	case 1:
		return (void *)0xffff888000000000ull;	/* kernel memory */
	case 2:
		return (char *)buf - 4096 * 1024;	/* unmapped, probably */
	default:
		return (void *)(uintptr_t)rnd();
	}
}

static uint64_t sum_field(const char *path, int field, int key_field,
			  uint64_t key, uint64_t *lines)
{
	char *text = slurp(path, NULL), *save = NULL, *line;
	uint64_t sum = 0;

	*lines = 0;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long v[8] = { 0 };

		if (line[0] == '#')
			continue;
		if (sscanf(line, "%llu %llu %llu %llu %llu %llu", &v[0], &v[1],
			   &v[2], &v[3], &v[4], &v[5]) < field + 1)
			continue;
		if (key_field >= 0 && v[key_field] != key)
			continue;
		sum += v[field];
		(*lines)++;
	}
	free(text);
	return sum;
}

static void check_books(int fd, const char *when)
{
	struct gdl_stats s;
	uint64_t n, bytes, agent_used, agent_allocs, a;
	int bad = 0;

	ioc_get_stats(fd, &s);
	bytes = sum_field(GDL_PROC_DIR "/allocations", 3, -1, 0, &n);
	if (bytes != s.used_bytes || n != s.live_allocations) {
		tap_not_ok("books balance", "%s: listing %llu bytes in %llu, stats %llu in %llu",
			   when, (unsigned long long)bytes, (unsigned long long)n,
			   (unsigned long long)s.used_bytes,
			   (unsigned long long)s.live_allocations);
		return;
	}
	for (a = 1; a < 8; a++) {
		struct gdl_agent_info ai;

		if (ioc_get_agent(fd, a, &ai))
			continue;
		agent_used = sum_field(GDL_PROC_DIR "/allocations", 3, 1, a, &n);
		agent_allocs = n;
		if (ai.used != agent_used || ai.allocations != agent_allocs)
			bad++;
	}
	if (bad)
		tap_not_ok("books balance", "%s: %d agents disagree with the listing",
			   when, bad);
	else
		tap_ok("books balance %s (%llu bytes in %llu allocations)", when,
		       (unsigned long long)s.used_bytes,
		       (unsigned long long)s.live_allocations);
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 20000;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : (uint64_t)now_ns();
	struct gdl_check_entry *entries;
	struct gdl_stats s;
	uint64_t buf[64], n, a;
	int fds[2], ok_calls = 0;
	char *text, *save = NULL, *line;
	long i;

	rng_state = seed | 1;
	printf("# seed %llu, %ld iterations\n", (unsigned long long)seed, iters);
	entries = calloc(64, sizeof(*entries));
	if (!entries)
		die("out of memory");
	fds[0] = gdl_open();
	fds[1] = gdl_open();

	for (i = 0; i < iters; i++) {
		unsigned long cmd = mutate(known[rnd() % NKNOWN]);
		int fd = fds[rnd() % 2];
		void *arg = buf;
		size_t e;

		fill(buf, 64, entries);
		for (e = 0; e < 64; e++) {
			entries[e].addr = plausible();
			entries[e].length = plausible();
			entries[e].device = rnd() % 3;
			entries[e].mode = rnd() % 5;
			entries[e].flags = rnd() % 8 ? 0 : rnd();
		}
		if (rnd() % 16 == 0)
			arg = bad_pointer(buf);
		if (cmd == SWARM_GPU_FREE)
			arg = (void *)(uintptr_t)(rnd() % 64);
		if (!ioctl(fd, cmd, arg))
			ok_calls++;
		if (i % 5000 == 4999)
			check_books(fds[0], "while fuzzing");
	}
	tap_ok("survived %ld random ioctls (%d succeeded)", iters, ok_calls);
	check_books(fds[0], "after fuzzing");

	close(fds[1]);
	close(fds[0]);
	fds[0] = gdl_open();
	check_books(fds[0], "after closing the files");

	/* What is left is persistent: free it by the listing's ids. */
	text = slurp(GDL_PROC_DIR "/allocations", NULL);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long id;

		if (line[0] != '#' && sscanf(line, "%llu", &id) == 1)
			ioc_free(fds[0], id);
	}
	free(text);
	ioc_get_stats(fds[0], &s);
	tap_eq("every allocation released", 0, s.live_allocations);
	tap_eq("no bytes in use", 0, s.used_bytes);
	sum_field(GDL_PROC_DIR "/allocations", 0, -1, 0, &n);
	tap_eq("allocations listing empty", 0, n);

	text = slurp(GDL_PROC_DIR "/quotas", NULL);
	save = NULL;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long id;
		struct gdl_agent_ref r = { 0 };

		if (line[0] == '#' || sscanf(line, "%llu", &id) != 1)
			continue;
		r.agent_id = id;
		if (ioctl(fds[0], GDL_IOC_REMOVE_AGENT, &r))
			tap_not_ok("remove agent", "%llu: %s", id, strerror(errno));
	}
	free(text);
	ioc_get_stats(fds[0], &s);
	tap_eq("every agent removed", 0, s.agents);
	for (a = 0; a < 3; a++) {
		struct gdl_device_info d;

		if (!ioc_get_device(fds[0], a, &d) && d.used)
			tap_not_ok("device usage", "device %llu still uses %llu",
				   (unsigned long long)a, (unsigned long long)d.used);
	}
	close(fds[0]);
	free(entries);
	return tap_exit();
}

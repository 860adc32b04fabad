// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_fuzz.c - random ioctls must not hurt the kernel or the books
 *
 *   ioctl_fuzz [CALLS] [SEED]     (default 20000, time-based seed)
 *
 * As root, throws random commands (every known one, its wrong-size and
 * wrong-direction variants, unknown numbers) at the device, with argument
 * structs that are random bytes biased towards plausible values (small
 * agent ids, devices 0..2, modes 0..4, mostly-zero flags) and sometimes a
 * bad pointer.  The calls go through a table of up to NSLOTS descriptors
 * that the fuzzer also opens, dup()s, close()s and hands to fork()ed
 * children, often right after giving the descriptor a live allocation: the
 * module's per-file release path (an allocation outliving one of two
 * descriptors, the last close freeing it, a child exiting while holding it)
 * runs thousands of times.  Afterwards the books must balance:
 *
 *   - the allocations listing adds up to stats used_bytes and
 *     live_allocations, and to each agent's used/allocations in quotas;
 *   - closing the files and freeing what is left (listing ids) brings
 *     used_bytes and live_allocations to 0;
 *   - removing every agent brings agents to 0.
 *
 * Prints "# fuzzed calls: N", every ioctl made (children included), for the
 * test report.  The kernel log is checked by the runner (no WARN/BUG/oops,
 * no slab or list corruption).  Expects fake_gpus=2 fake_gpu_mem=1048576
 * default_quota=65536 max_agents=8 (test/kernel/cases/18-ioctl-fuzz.sh).
 */
#include "vm_tool.h"

#include <sys/mman.h>
#include <sys/wait.h>

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

/*
 * The descriptor table.  Slot i is -1 (closed) or an open file, possibly a
 * dup of another slot (then both share one struct file and its allocations).
 */
#define NSLOTS	8
static int slots[NSLOTS];
/* Every ioctl made, children included (a shared page). */
static volatile uint64_t *calls;
static struct {
	long dups, closes, closes_live, reopens, forks, child_calls;
} ops;

static int any_slot(void)
{
	int i, start = rnd() % NSLOTS;

	for (i = 0; i < NSLOTS; i++)
		if (slots[(start + i) % NSLOTS] >= 0)
			return (start + i) % NSLOTS;
	slots[start] = gdl_open();
	return start;
}

static int free_slot(void)
{
	int i;

	for (i = 0; i < NSLOTS; i++)
		if (slots[i] < 0)
			return i;
	return -1;
}

/* One random ioctl on @fd; 1 if it succeeded. */
static int fuzz_one(int fd, uint64_t *buf, struct gdl_check_entry *entries)
{
	unsigned long cmd = mutate(known[rnd() % NKNOWN]);
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
	__atomic_add_fetch(calls, 1, __ATOMIC_RELAXED);
	return !ioctl(fd, cmd, arg);
}

/* Frees every allocation the listing shows (root may free any); returns how many. */
static long free_listed(int fd)
{
	char *text = slurp(GDL_PROC_DIR "/allocations", NULL), *save = NULL, *line;
	long n = 0;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long id;

		if (line[0] != '#' && sscanf(line, "%llu", &id) == 1 && !ioc_free(fd, id))
			n++;
	}
	free(text);
	return n;
}

/* Removes every agent the quotas listing shows; returns how many could not go. */
static long remove_listed(int fd)
{
	char *text = slurp(GDL_PROC_DIR "/quotas", NULL), *save = NULL, *line;
	long failed = 0;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long id;
		struct gdl_agent_ref r = { 0 };

		if (line[0] == '#' || sscanf(line, "%llu", &id) != 1)
			continue;
		r.agent_id = id;
		if (ioctl(fd, GDL_IOC_REMOVE_AGENT, &r))
			failed++;
	}
	free(text);
	return failed;
}

/*
 * A live, per-file allocation on @fd.  Agents 1..7 come into being with the
 * default quota, but random calls fill the agent table, zero quotas, narrow
 * masks and fill the small devices with persistent allocations: when the
 * first try fails, agent 1 is (re)configured generously and tried again, and
 * if even that fails the room is cleared (every listed allocation freed, every
 * agent removed), so descriptors really do die holding memory.
 */
static int give_allocation(int fd)
{
	uint64_t id, size = 1 + rnd() % 512;
	int tries;

	__atomic_add_fetch(calls, 1, __ATOMIC_RELAXED);
	if (!ioc_alloc(fd, 1 + rnd() % 7, size, rnd() % 2, 0, &id))
		return 1;
	for (tries = 0; tries < 2; tries++) {
		__atomic_add_fetch(calls, 2, __ATOMIC_RELAXED);
		ioc_set_agent(fd, 1, 1ull << 20, 0x3);
		if (!ioc_alloc(fd, 1, size, 0, 0, &id))
			return 1;
		free_listed(fd);
		remove_listed(fd);
	}
	return 0;
}

/*
 * The descriptor events, each about once in @every calls: dup a slot, close
 * one (often right after an allocation on it), reopen, fork a child that
 * fuzzes the inherited descriptors, closes some and exits (or is killed).
 */
static void fd_event(uint64_t *buf, struct gdl_check_entry *entries)
{
	int i = any_slot(), j, live;
	pid_t pid;

	switch (rnd() % 4) {
	case 0:	/* dup: the copy shares the file and its allocations */
		j = free_slot();
		if (j < 0)
			break;
		if (rnd() % 2)
			give_allocation(slots[i]);
		slots[j] = fcntl(slots[i], F_DUPFD_CLOEXEC, 0);
		if (slots[j] < 0)
			die("dup: %s", strerror(errno));
		ops.dups++;
		break;
	case 1:	/* close, with a live allocation half of the time */
		live = rnd() % 2 && give_allocation(slots[i]);
		close(slots[i]);
		slots[i] = -1;
		ops.closes++;
		ops.closes_live += live;
		break;
	case 2:	/* a fresh file */
		j = free_slot();
		if (j < 0)
			break;
		slots[j] = gdl_open();
		ops.reopens++;
		break;
	default:	/* fork: the child holds every slot too */
		give_allocation(slots[i]);
		fflush(stdout);
		pid = fork();
		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (pid == 0) {
			int n = 50 + rnd() % 200, k;

			rng_state ^= (uint64_t)getpid() << 17 | 1;
			for (k = 0; k < n; k++) {
				j = any_slot();
				fuzz_one(slots[j], buf, entries);
				if (rnd() % 32 == 0) {
					give_allocation(slots[j]);
					close(slots[j]);
					slots[j] = -1;
				}
			}
			_exit(0);	/* the kernel closes the rest */
		}
		/* Sometimes the parent kills it mid-call. */
		if (rnd() % 4 == 0)
			kill(pid, SIGKILL);
		if (waitpid(pid, NULL, 0) != pid)
			die("waitpid: %s", strerror(errno));
		ops.forks++;
		break;
	}
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 20000;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : (uint64_t)now_ns();
	/* Books checked about 20 times a run; a descriptor event per 500 calls. */
	long check_every = iters / 20 > 5000 ? iters / 20 : 5000, event_every = 500;
	struct gdl_check_entry *entries;
	struct gdl_stats s;
	uint64_t buf[64], n, a;
	long ok_calls = 0, i;
	int fds[1];

	rng_state = seed | 1;
	printf("# seed %llu, %ld calls\n", (unsigned long long)seed, iters);
	entries = calloc(64, sizeof(*entries));
	calls = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!entries || calls == MAP_FAILED)
		die("out of memory");
	for (i = 0; i < NSLOTS; i++)
		slots[i] = i < 2 ? gdl_open() : -1;

	/* The device is not seekable (and must say so without .llseek on 6.12). */
	if (lseek(slots[0], 0, SEEK_SET) == -1 && errno == ESPIPE)
		tap_ok("lseek on the device fails with ESPIPE");
	else
		tap_not_ok("lseek on the device fails with ESPIPE", "%s", strerror(errno));

	for (i = 0; i < iters; i++) {
		if (rnd() % event_every == 0)
			fd_event(buf, entries);
		ok_calls += fuzz_one(slots[any_slot()], buf, entries);
		if (i % check_every == check_every - 1)
			check_books(slots[any_slot()], "while fuzzing");
	}
	printf("# fuzzed calls: %llu\n", (unsigned long long)*calls);
	printf("# descriptors: %ld dups, %ld closes (%ld with a live allocation), %ld opens, %ld forks\n",
	       ops.dups, ops.closes, ops.closes_live, ops.reopens, ops.forks);
	if (iters >= 100000 && (!ops.dups || !ops.closes_live || !ops.forks))
		tap_not_ok("descriptor events happened", "dups %ld, live closes %ld, forks %ld",
			   ops.dups, ops.closes_live, ops.forks);
	tap_ok("survived %llu random ioctls (%ld of the parent's succeeded)",
	       (unsigned long long)*calls, ok_calls);
	check_books(slots[any_slot()], "after fuzzing");

	for (i = 0; i < NSLOTS; i++)
		if (slots[i] >= 0)
			close(slots[i]);
	fds[0] = gdl_open();
	check_books(fds[0], "after closing the files");

	/* What is left is persistent: free it by the listing's ids. */
	free_listed(fds[0]);
	ioc_get_stats(fds[0], &s);
	tap_eq("every allocation released", 0, s.live_allocations);
	tap_eq("no bytes in use", 0, s.used_bytes);
	sum_field(GDL_PROC_DIR "/allocations", 0, -1, 0, &n);
	tap_eq("allocations listing empty", 0, n);

	n = remove_listed(fds[0]);
	if (n)
		tap_not_ok("remove agent", "%llu agents could not be removed", (unsigned long long)n);
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

// SPDX-License-Identifier: GPL-2.0
/*
 * bench_ioctl - what each operation of /dev/gpu_dma_lock costs, in the guest
 *
 *   bench_ioctl [-r ROUNDS] [-i] [-k /sys/kernel/debug/gdl_bench/check]
 *   bench_ioctl -T
 *
 * -i: the guest runs on qemu's instruction clock (-icount shift=0, as
 * test/vm/run.sh --bench boots it), where 1 ns of guest time is exactly one
 * guest instruction: every "ns" below is then an instruction count and the
 * table says "instr/op".  Interrupts only ever add instructions, and the
 * timer ticks every 4 M instructions (HZ=250), so with -i each round is a
 * tenth of the usual length (about 2 M instructions) and a row reports its
 * minimum over rounds: a round no interrupt hit, the same count on every run.
 *
 * Rows, each many back-to-back calls timed with clock_gettime (the rows and
 * their targets, as ratios to the no-op, are the table rows[] below: the one
 * place they are kept; scripts/bench.sh --check compares against them):
 *   noop                GDL_IOC_NOOP on a bound file: syscall and dispatch alone
 *   check_N             GDL_IOC_CHECK, allowed, agent with N = 1, 1000, 100000
 *                       disjoint grants, root naming the agent on an unbound
 *                       file (each call pays the CAP_SYS_ADMIN check)
 *   check_bound_N       the same on a file bound to the agent (agent_id 0):
 *                       the workload's path, with no capability check
 *   check_denied_N      the same, for an address between two grants
 *   check_cgroup_1      CHECK on an unbound file by a caller whose cgroup is
 *                       bound to the agent: resolution by cgroup (the file's
 *                       cached answer, docs/identity.md)
 *   check_legacy_1      SWARM_DMA_CHECK_PERM (the prototype's ABI), root
 *                       naming the agent
 *   alloc_free          GDL_IOC_ALLOC + GDL_IOC_FREE, one pair, root naming
 *                       the agent
 *   alloc_free_bound    the same on a bound file (FREE still checks the
 *                       capability: root may free any agent's allocation)
 *   alloc_free_cgroup   the same on an unbound file, as the agent of the
 *                       caller's cgroup (like check_cgroup_1)
 *   check_batch_64_N    GDL_IOC_CHECK_BATCH of 64, per check
 *   proc_stats_pread    pread at offset 0 of /proc/swarm/gpu/stats, kept open
 *   proc_stats_read     open + read + close of /proc/swarm/gpu/stats
 *   kernel_check_N      gpu_dma_lock_check() called inside the kernel by
 *                       gdl_bench.ko (-k), per call, timed there
 * With many grants a lookup's cost is mostly cache and (under TCG, very
 * costly) TLB misses, so rows with N grants spread their addresses: over
 * 4096 random ranges from userspace, a scattered walk over all in the kernel.
 *
 * Under TCG absolute times mean little and the host is shared, so speed
 * drifts during a run.  Rounds are therefore interleaved: each round times
 * every row once, the no-op first; a row's ratio in that round is against
 * that round's no-op, and the table shows medians over rounds, next to the
 * project's targets.  One "BENCH {json}" line per row.  Timings are never
 * asserted; only the answers are.
 *
 * -T: for scripts/kernel-trace.sh, which single-steps the guest through
 * gdb: after setup and a warm-up, each traced row runs once between two
 * markers (getpgid of TRACE_MARK + row, TRACE_MARK - 1 after it), on
 * descriptors numbered from TRACE_FD, so the tracer follows those ioctls
 * and nothing else.  No timing, no table.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include "trace_marks.h"
#include "vm_tool.h"

#define AGENT_GRANTS0	500	/* agent 500 + i has grant_counts[i] grants */
#define AGENT_ALLOC	600
#define GRANT_STRIDE	8192ull	/* grant i is [i * stride, + GRANT_LEN) */
#define GRANT_LEN	4096ull
#define CYCLE		4096	/* distinct addresses a check row cycles over */
#define BATCH		64
#define MAX_ROUNDS	63

static const unsigned long grant_counts[] = { 1, 1000, 100000 };
#define NGRANTSETS (sizeof(grant_counts) / sizeof(grant_counts[0]))

static int fd;
static int bound_fd[NGRANTSETS], alloc_bound_fd;	/* bound to the row's agent */
static const char *kernel_file;
static int icount;		/* -i: ns are instructions */
static int stats_fd = -1;	/* /proc/swarm/gpu/stats, kept open */
static uint64_t addr_cycle[NGRANTSETS][CYCLE];
static struct gdl_check_entry batch[NGRANTSETS][BATCH];
static uint64_t answer_errors;

struct row;
/* Runs @iters operations of @r; returns ns per operation. */
typedef double (*bench_fn)(const struct row *r, unsigned long iters);

struct row {
	const char *name;
	bench_fn fn;
	int set;		/* index into grant_counts, where it applies */
	unsigned long iters;	/* per round */
	double target;		/* ratio to noop to aim for; 0: none */
	double ns[MAX_ROUNDS], ratio[MAX_ROUNDS];
};

static double since(uint64_t t0, unsigned long ops)
{
	return (double)(now_ns() - t0) / ops;
}

static double b_noop(const struct row *r, unsigned long iters)
{
	uint64_t t0 = now_ns();

	/* The bound file of the check rows: the same descriptor's baseline. */
	for (unsigned long i = 0; i < iters; i++)
		if (ioctl(bound_fd[0], GDL_IOC_NOOP, 0))
			answer_errors++;
	return since(t0, iters);
}

static double b_check(const struct row *r, unsigned long iters)
{
	uint64_t t0 = now_ns();

	for (unsigned long i = 0; i < iters; i++)
		if (ioc_check(fd, AGENT_GRANTS0 + r->set, 0, addr_cycle[r->set][i % CYCLE], 64,
			      GDL_DMA_READ) != GDL_CHECK_ALLOWED)
			answer_errors++;
	return since(t0, iters);
}

static double b_check_bound(const struct row *r, unsigned long iters)
{
	uint64_t t0 = now_ns();

	for (unsigned long i = 0; i < iters; i++)
		if (ioc_check(bound_fd[r->set], 0, 0, addr_cycle[r->set][i % CYCLE], 64,
			      GDL_DMA_READ) != GDL_CHECK_ALLOWED)
			answer_errors++;
	return since(t0, iters);
}

/*
 * CHECK on an unbound file by a caller whose cgroup is bound to the row's
 * agent: the identity walk on every request.  The tool moves itself into a
 * cgroup of its own for the timed loop only, and unbinds it afterwards, so
 * no other row pays for (or benefits from) a binding.
 */
#define BENCH_CGROUP "/gdl-bench"

static void cgroup_enter(const char *path)
{
	char file[128], pid[32];
	int f;

	snprintf(file, sizeof(file), "/sys/fs/cgroup%s/cgroup.procs", path);
	snprintf(pid, sizeof(pid), "%d", getpid());
	f = open(file, O_WRONLY);
	if (f < 0 || write(f, pid, strlen(pid)) < 0)
		die("move into %s: %s", file, strerror(errno));
	close(f);
}

/* Binds BENCH_CGROUP to @agent and moves the tool into it. */
static void bench_cgroup_enter(uint64_t agent)
{
	struct gdl_cgroup_binding b = { .path = (uintptr_t)BENCH_CGROUP, .agent_id = agent };

	if (mkdir("/sys/fs/cgroup" BENCH_CGROUP, 0755) && errno != EEXIST)
		die("mkdir cgroup: %s", strerror(errno));
	if (ioctl(fd, GDL_IOC_BIND_CGROUP, &b))
		die("bind %s: %s", BENCH_CGROUP, strerror(errno));
	cgroup_enter(BENCH_CGROUP);
}

/* Back to the root cgroup, and BENCH_CGROUP unbound. */
static void bench_cgroup_leave(void)
{
	struct gdl_cgroup_binding b = { .path = (uintptr_t)BENCH_CGROUP };

	cgroup_enter("");
	if (ioctl(fd, GDL_IOC_UNBIND_CGROUP, &b))
		die("unbind %s: %s", BENCH_CGROUP, strerror(errno));
}

/*
 * -T: a cgroup row binds, opens and unbinds around its calls, so it marks
 * its own traced call (the last, after the others warmed the same path), on
 * descriptor TRACE_FD + 9.  -1 when not tracing.
 */
static int cgroup_trace_row = -1;

static int cgroup_row_open(void)
{
	int f = gdl_open();

	if (cgroup_trace_row >= 0 && dup2(f, TRACE_FD + 9) == TRACE_FD + 9) {
		close(f);
		f = TRACE_FD + 9;
	}
	return f;
}

/*
 * Runs a cgroup row's calls [0, @iters) through @calls: all of them in one
 * loop (the timed path, with nothing of the tracer's in it), or under -T
 * the last one alone between the markers.
 */
static void cgroup_row_run(void (*calls)(int, const struct row *, unsigned long, unsigned long),
			   int plain, const struct row *r, unsigned long iters)
{
	if (cgroup_trace_row < 0) {
		calls(plain, r, 0, iters);
		return;
	}
	calls(plain, r, 0, iters - 1);
	syscall(SYS_getpgid, TRACE_MARK + cgroup_trace_row);
	calls(plain, r, iters - 1, iters);
	syscall(SYS_getpgid, TRACE_MARK - 1);
}

static void check_cgroup_calls(int plain, const struct row *r, unsigned long from,
			       unsigned long to)
{
	for (unsigned long i = from; i < to; i++)
		if (ioc_check(plain, 0, 0, addr_cycle[r->set][i % CYCLE], 64,
			      GDL_DMA_READ) != GDL_CHECK_ALLOWED)
			answer_errors++;
}

static double b_check_cgroup(const struct row *r, unsigned long iters)
{
	int plain = cgroup_row_open();
	uint64_t t0;
	double ns;

	bench_cgroup_enter(AGENT_GRANTS0 + r->set);
	t0 = now_ns();
	cgroup_row_run(check_cgroup_calls, plain, r, iters);
	ns = since(t0, iters);
	bench_cgroup_leave();
	close(plain);
	return ns;
}

static double b_check_legacy(const struct row *r, unsigned long iters)
{
	struct swarm_dma_check c = { .agent_id = AGENT_GRANTS0 + r->set, .size = 64,
				     .access_type = SWARM_ACCESS_READ };
	uint64_t t0 = now_ns();

	for (unsigned long i = 0; i < iters; i++) {
		c.dma_addr = addr_cycle[r->set][i % CYCLE];
		if (ioc(fd, SWARM_DMA_CHECK_PERM, &c) || c.allowed != 1)
			answer_errors++;
	}
	return since(t0, iters);
}

static double b_check_denied(const struct row *r, unsigned long iters)
{
	uint64_t t0 = now_ns();

	for (unsigned long i = 0; i < iters; i++)
		if (ioc_check(fd, AGENT_GRANTS0 + r->set, 0, addr_cycle[r->set][i % CYCLE] + GRANT_LEN,
			      64, GDL_DMA_READ) != GDL_CHECK_DENIED)
			answer_errors++;
	return since(t0, iters);
}

static double b_alloc_free(const struct row *r, unsigned long iters)
{
	uint64_t t0 = now_ns(), id;

	for (unsigned long i = 0; i < iters; i++)
		if (ioc_alloc(fd, AGENT_ALLOC, 4096, 0, 0, &id) || ioc_free(fd, id))
			answer_errors++;
	return since(t0, iters);
}

static double b_alloc_free_bound(const struct row *r, unsigned long iters)
{
	uint64_t t0 = now_ns(), id;

	for (unsigned long i = 0; i < iters; i++)
		if (ioc_alloc(alloc_bound_fd, 0, 4096, 0, 0, &id) || ioc_free(alloc_bound_fd, id))
			answer_errors++;
	return since(t0, iters);
}

static void alloc_free_cgroup_calls(int plain, const struct row *r, unsigned long from,
				    unsigned long to)
{
	uint64_t id;

	for (unsigned long i = from; i < to; i++)
		if (ioc_alloc(plain, 0, 4096, 0, 0, &id) || ioc_free(plain, id))
			answer_errors++;
}

/* ALLOC + FREE on an unbound file, as the agent of the caller's cgroup. */
static double b_alloc_free_cgroup(const struct row *r, unsigned long iters)
{
	int plain = cgroup_row_open();
	uint64_t t0;
	double ns;

	bench_cgroup_enter(AGENT_ALLOC);
	t0 = now_ns();
	cgroup_row_run(alloc_free_cgroup_calls, plain, r, iters);
	ns = since(t0, iters);
	bench_cgroup_leave();
	close(plain);
	return ns;
}

static double b_check_batch(const struct row *r, unsigned long iters)
{
	struct gdl_check_batch b = { .agent_id = AGENT_GRANTS0 + r->set,
				     .entries = (uintptr_t)batch[r->set], .count = BATCH };
	uint64_t t0 = now_ns();

	for (unsigned long i = 0; i < iters; i++)
		if (ioc(fd, GDL_IOC_CHECK_BATCH, &b) || b.allowed != BATCH)
			answer_errors++;
	return since(t0, iters * BATCH);
}

static double b_proc_pread(const struct row *r, unsigned long iters)
{
	uint64_t t0 = now_ns();
	char buf[8192];

	for (unsigned long i = 0; i < iters; i++)
		if (pread(stats_fd, buf, sizeof(buf), 0) <= 0)
			answer_errors++;
	return since(t0, iters);
}

static double b_proc_stats(const struct row *r, unsigned long iters)
{
	uint64_t t0 = now_ns();
	char buf[8192];

	for (unsigned long i = 0; i < iters; i++) {
		int pfd = open(GDL_PROC_DIR "/stats", O_RDONLY);

		if (pfd < 0 || read(pfd, buf, sizeof(buf)) <= 0)
			answer_errors++;
		if (pfd >= 0)
			close(pfd);
	}
	return since(t0, iters);
}

/* One request to gdl_bench.ko: checks walking all of the set's ranges. */
static double b_kernel_check(const struct row *r, unsigned long iters)
{
	unsigned long long n, total, allowed;
	char req[160], res[160];
	int kfd, last;
	ssize_t len;

	kfd = open(kernel_file, O_RDWR);
	if (kfd < 0)
		die("open %s: %s", kernel_file, strerror(errno));
	len = snprintf(req, sizeof(req), "%lu %lu 0 0 64 %u %llu %lu", iters,
		       AGENT_GRANTS0 + (unsigned long)r->set, GDL_DMA_READ, GRANT_STRIDE,
		       grant_counts[r->set]);
	if (write(kfd, req, len) != len || lseek(kfd, 0, SEEK_SET) ||
	    (len = read(kfd, res, sizeof(res) - 1)) <= 0)
		die("%s: %s", kernel_file, strerror(errno));
	close(kfd);
	res[len] = '\0';
	if (sscanf(res, "iterations %llu total_ns %llu allowed %llu result %d", &n, &total, &allowed,
		   &last) != 4 || n != iters)
		die("%s: unexpected answer '%s'", kernel_file, res);
	if (last != GDL_CHECK_ALLOWED || allowed != n)
		answer_errors++;
	return (double)total / n;
}

/*
 * The rows and their targets (ratio to the no-op; 0: no target), issue 11's
 * table.  Adding a row is one line here (and a b_* function if it measures
 * something new).
 */
#define ROW(n, f, s, i, t) { .name = n, .fn = f, .set = s, .iters = i, .target = t }
static struct row rows[] = {
	ROW("noop",                   b_noop,         0, 20000, 0),
	ROW("check_bound_1",          b_check_bound,  0, 20000, 1.25),
	ROW("check_bound_100000",     b_check_bound,  2, 20000, 1.4),
	ROW("check_cgroup_1",         b_check_cgroup, 0, 20000, 1.3),
	ROW("check_1",                b_check,        0, 20000, 1.3),
	ROW("check_legacy_1",         b_check_legacy, 0, 20000, 1.3),
	ROW("check_1000",             b_check,        1, 20000, 0),
	ROW("check_100000",           b_check,        2, 20000, 0),
	ROW("check_denied_100000",    b_check_denied, 2, 20000, 0),
	ROW("alloc_free_bound",       b_alloc_free_bound, 0, 5000, 2.5),
	ROW("alloc_free",             b_alloc_free,   0, 5000, 0),
	ROW("check_batch_64_1",       b_check_batch,  0, 300, 0.10),
	ROW("check_batch_64_100000",  b_check_batch,  2, 300, 0),
	ROW("proc_stats_pread",       b_proc_pread,   0, 300, 10),
	ROW("proc_stats_read",        b_proc_stats,   0, 300, 0),
	ROW("kernel_check_1",         b_kernel_check, 0, 200000, 0),
	ROW("kernel_check_100000",    b_kernel_check, 2, 200000, 0),
	ROW("alloc_free_cgroup",      b_alloc_free_cgroup, 0, 5000, 2.5),
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double min_of(const double *v, int n)
{
	double m = v[0];

	for (int i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

static double median(const double *v, int n)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* A file bound to @agent, as a privileged launcher hands one to a workload. */
static int open_bound(uint64_t agent)
{
	struct gdl_bind b = { .agent_id = agent };
	int bfd = gdl_open(), err;

	if ((err = ioc(bfd, GDL_IOC_BIND, &b)))
		die("bind to agent %llu: %s", (unsigned long long)agent, strerror(-err));
	return bfd;
}

static void setup(void)
{
	uint64_t rng = 0x2545f4914f6cdd1dull;
	unsigned int s;
	int err;

	for (s = 0; s < NGRANTSETS; s++) {
		uint64_t agent = AGENT_GRANTS0 + s, t0 = now_ns();

		if ((err = ioc_set_agent(fd, agent, 0, 0x1)))
			die("set_agent %llu: %s", (unsigned long long)agent, strerror(-err));
		for (unsigned long i = 0; i < grant_counts[s]; i++)
			if ((err = ioc_grant_op(fd, GDL_IOC_GRANT, agent, 0, i * GRANT_STRIDE, GRANT_LEN,
						GDL_DMA_RW)))
				die("grant %lu of agent %llu: %s", i, (unsigned long long)agent,
				    strerror(-err));
		printf("# %lu grants for agent %llu: %.2f s\n", grant_counts[s],
		       (unsigned long long)agent, (now_ns() - t0) / 1e9);
		for (int k = 0; k < CYCLE; k++) {
			rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
			addr_cycle[s][k] = (rng % grant_counts[s]) * GRANT_STRIDE + (rng >> 40) % 1024;
		}
		for (int k = 0; k < BATCH; k++)
			batch[s][k] = (struct gdl_check_entry){ .addr = addr_cycle[s][k], .length = 64,
								.device = 0, .mode = GDL_DMA_READ };
	}
	if ((err = ioc_set_agent(fd, AGENT_ALLOC, 1ull << 40, 0x1)))
		die("set_agent: %s", strerror(-err));
	for (s = 0; s < NGRANTSETS; s++)
		bound_fd[s] = open_bound(AGENT_GRANTS0 + s);
	alloc_bound_fd = open_bound(AGENT_ALLOC);
}

static int row_enabled(const struct row *r)
{
	return r->fn != b_kernel_check || kernel_file;
}

/* The row's figure: the minimum under the instruction clock, else the median. */
static double summary(const double *v, int n)
{
	return icount ? min_of(v, n) : median(v, n);
}

/* Clean row over clean no-op; else the median of each round's own ratio. */
static double row_ratio(const struct row *r, int rounds)
{
	return icount ? min_of(r->ns, rounds) / min_of(rows[0].ns, rounds) :
			median(r->ratio, rounds);
}

static void print_results(int rounds)
{
	size_t i;

	printf("\n%-24s %12s %10s %10s\n", "operation", icount ? "instr/op" : "ns/op", "x noop",
	       "target");
	for (i = 0; i < NROWS; i++) {
		struct row *r = &rows[i];
		double ratio = row_ratio(r, rounds);
		char target[24] = "";

		if (!row_enabled(r))
			continue;
		if (r->target > 0)
			snprintf(target, sizeof(target), "<= %.2gx %s", r->target,
				 ratio <= r->target ? "meets" : "misses");
		printf("%-24s %12.1f %10.3f %16s\n", r->name, summary(r->ns, rounds), ratio, target);
	}
	printf("\n");
	for (i = 0; i < NROWS; i++) {
		struct row *r = &rows[i];

		if (!row_enabled(r))
			continue;
		printf("BENCH {\"suite\":\"kernel\",\"name\":\"%s\",\"%s\":%.1f,"
		       "\"ratio_to_noop\":%.4f,", r->name, icount ? "instr_per_op" : "ns_per_op",
		       summary(r->ns, rounds), row_ratio(r, rounds));
		if (r->target > 0)
			printf("\"target_ratio\":%.2f,", r->target);
		printf("\"iterations\":%lu,\"rounds\":%d}\n", r->iters, rounds);
	}
}

/* Moves descriptor @old to @want, for the tracer's fd filter. */
static int trace_fd(int old, int want)
{
	if (dup2(old, want) != want)
		die("dup2: %s", strerror(errno));
	close(old);
	return want;
}

/*
 * -T: each row that goes through ioctls once, between markers.  The /proc
 * and in-kernel rows make none: those are left out.
 */
static int trace_rows(void)
{
	size_t i;
	int s;

	fd = trace_fd(fd, TRACE_FD);
	for (s = 0; s < (int)NGRANTSETS; s++)
		bound_fd[s] = trace_fd(bound_fd[s], TRACE_FD + 1 + s);
	alloc_bound_fd = trace_fd(alloc_bound_fd, TRACE_FD + 1 + NGRANTSETS);
	for (i = 0; i < NROWS; i++) {
		const struct row *r = &rows[i];

		if (r->fn == b_proc_pread || r->fn == b_proc_stats || r->fn == b_kernel_check)
			continue;
		if (r->fn == b_check_cgroup || r->fn == b_alloc_free_cgroup) {
			/* Its own markers, after the bind and the open. */
			cgroup_trace_row = (int)i;
			r->fn(r, 3);
			cgroup_trace_row = -1;
		} else {
			r->fn(r, 2);	/* warm: the same path as the traced call */
			syscall(SYS_getpgid, TRACE_MARK + (int)i);
			r->fn(r, 1);
		}
		syscall(SYS_getpgid, TRACE_MARK - 1);
		printf("# traced %zu %s\n", i, r->name);
	}
	tap_eq("every traced operation answered as expected", 0, answer_errors);
	return tap_exit();
}

int main(int argc, char **argv)
{
	int trace = 0;
	int opt, round, rounds = 7, produced = 0;
	size_t i;

	while ((opt = getopt(argc, argv, "r:k:iT")) != -1) {
		switch (opt) {
		case 'T': trace = 1; break;
		case 'r': rounds = atoi(optarg); break;
		case 'i': icount = 1; break;
		case 'k': kernel_file = optarg; break;
		default: die("usage: %s [-r ROUNDS] [-i] [-k DEBUGFS_FILE] | -T", argv[0]);
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS)
		die("rounds: 1..%d", MAX_ROUNDS);
	if (icount)	/* short rounds, some of them free of any interrupt */
		for (i = 0; i < NROWS; i++) {
			unsigned long d = rows[i].fn == b_kernel_check ? 100 : 10;

			rows[i].iters = rows[i].iters / d ? rows[i].iters / d : 1;
		}
	fd = gdl_open();
	setup();
	stats_fd = open(GDL_PROC_DIR "/stats", O_RDONLY);
	if (stats_fd < 0)
		die("open stats: %s", strerror(errno));
	if (trace)
		return trace_rows();

	for (i = 0; i < NROWS; i++)	/* warm-up: caches, page tables, branch history */
		if (row_enabled(&rows[i]))
			rows[i].fn(&rows[i], rows[i].iters / 10 + 1);
	for (round = 0; round < rounds; round++) {
		for (i = 0; i < NROWS; i++)
			if (row_enabled(&rows[i]))
				rows[i].ns[round] = rows[i].fn(&rows[i], rows[i].iters);
		for (i = 0; i < NROWS; i++)	/* rows[0] is the no-op of this round */
			rows[i].ratio[round] = rows[i].ns[round] / rows[0].ns[round];
	}
	print_results(rounds);

	for (i = 0; i < NROWS; i++)
		produced += row_enabled(&rows[i]);
	tap_eq("every timed operation answered as expected", 0, answer_errors);
	tap_ok("%d benchmark rows, %d interleaved rounds", produced, rounds);
	close(fd);
	return tap_exit();
}

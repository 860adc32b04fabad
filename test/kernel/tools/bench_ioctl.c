// SPDX-License-Identifier: GPL-2.0
/*
 * bench_ioctl - what each operation of /dev/gpu_dma_lock costs, in the guest
 *
 *   bench_ioctl [-r ROUNDS] [-k /sys/kernel/debug/gdl_bench/check]
 *
 * Times, with clock_gettime around many back-to-back calls, the median of
 * ROUNDS rounds (after one warm-up round):
 *   noop              GDL_IOC_NOOP: the syscall and ioctl dispatch alone
 *   check_N           GDL_IOC_CHECK, allowed, agent with N = 1, 1000, 100000
 *                     disjoint grants (addresses cycle over 4096 of them)
 *   check_denied_N    the same, for an address between two grants
 *   alloc_free        GDL_IOC_ALLOC + GDL_IOC_FREE, one pair
 *   check_batch_256   GDL_IOC_CHECK_BATCH of 256, per check
 *   proc_stats_read   open + read + close of /proc/swarm/gpu/stats
 *   kernel_check_N    gpu_dma_lock_check() called inside the kernel by
 *                     gdl_bench.ko (-k), per call, one fixed range
 * Under TCG absolute times mean little, so every row is also given as a
 * ratio to the no-op ioctl of the same run, next to the project's targets.
 * Prints a table and one "BENCH {json}" line per row.  Timings are never
 * asserted; only the answers are (TAP lines).
 */
#include <sys/stat.h>

#include "vm_tool.h"

#define AGENT_GRANTS0	500	/* agent 500 + i has grant_counts[i] grants */
#define AGENT_ALLOC	600
#define GRANT_STRIDE	8192ull	/* each grant is [i * stride, + 4096) */
#define GRANT_LEN	4096ull
#define CYCLE		4096	/* distinct addresses a check row cycles over */
#define BATCH		256

static const unsigned long grant_counts[] = { 1, 1000, 100000 };
#define NGRANTSETS (sizeof(grant_counts) / sizeof(grant_counts[0]))

static int rounds = 7, fd;
static uint64_t addr_cycle[NGRANTSETS][CYCLE];
static uint64_t answer_errors;

struct row {
	const char *name;
	double ns;		/* median ns per operation */
	double target;		/* ratio to noop to aim for; 0: none */
	unsigned long iters;
};

static struct row rows[32];
static int nrows;

typedef void (*bench_fn)(unsigned long iters, int set);

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median over rounds of ns per op; ops = iters * per_iter. */
static double measure(bench_fn fn, int set, unsigned long iters, unsigned long per_iter)
{
	double v[64];
	int r;

	fn(iters / 10 + 1, set);	/* warm-up: caches, page tables, branch history */
	for (r = 0; r < rounds; r++) {
		uint64_t t0 = now_ns();

		fn(iters, set);
		v[r] = (double)(now_ns() - t0) / (iters * per_iter);
	}
	qsort(v, rounds, sizeof(v[0]), cmp_double);
	return v[rounds / 2];
}

static void add_row(const char *name, double ns, double target, unsigned long iters)
{
	rows[nrows++] = (struct row){ name, ns, target, iters };
}

static void b_noop(unsigned long iters, int set)
{
	for (unsigned long i = 0; i < iters; i++)
		if (ioctl(fd, GDL_IOC_NOOP, 0))
			answer_errors++;
}

static void b_check(unsigned long iters, int set)
{
	for (unsigned long i = 0; i < iters; i++)
		if (ioc_check(fd, AGENT_GRANTS0 + set, 0, addr_cycle[set][i % CYCLE], 64,
			      GDL_DMA_READ) != GDL_CHECK_ALLOWED)
			answer_errors++;
}

static void b_check_denied(unsigned long iters, int set)
{
	for (unsigned long i = 0; i < iters; i++)
		if (ioc_check(fd, AGENT_GRANTS0 + set, 0, addr_cycle[set][i % CYCLE] + GRANT_LEN, 64,
			      GDL_DMA_READ) != GDL_CHECK_DENIED)
			answer_errors++;
}

static void b_alloc_free(unsigned long iters, int set)
{
	uint64_t id;

	for (unsigned long i = 0; i < iters; i++)
		if (ioc_alloc(fd, AGENT_ALLOC, 4096, 0, 0, &id) || ioc_free(fd, id))
			answer_errors++;
}

static struct gdl_check_entry batch[BATCH];

static void b_check_batch(unsigned long iters, int set)
{
	struct gdl_check_batch b = { .agent_id = AGENT_GRANTS0 + set,
				     .entries = (uintptr_t)batch, .count = BATCH };

	for (unsigned long i = 0; i < iters; i++)
		if (ioc(fd, GDL_IOC_CHECK_BATCH, &b) || b.allowed != BATCH)
			answer_errors++;
}

static void b_proc_stats(unsigned long iters, int set)
{
	char buf[8192];

	for (unsigned long i = 0; i < iters; i++) {
		int pfd = open(GDL_PROC_DIR "/stats", O_RDONLY);

		if (pfd < 0 || read(pfd, buf, sizeof(buf)) <= 0)
			answer_errors++;
		if (pfd >= 0)
			close(pfd);
	}
}

/* Runs one request through gdl_bench.ko; ns per in-kernel call, or < 0. */
static double kernel_check(const char *path, unsigned long iters, int set, uint64_t addr,
			   int want)
{
	char req[160], res[160];
	unsigned long long n, total, allowed;
	double v[64];
	int r, kfd, last;
	ssize_t len;

	for (r = -1; r < rounds; r++) {	/* r == -1: warm-up */
		kfd = open(path, O_RDWR);
		if (kfd < 0)
			return -1;
		len = snprintf(req, sizeof(req), "%lu %d 0 %llu 64 %u", r < 0 ? iters / 10 + 1 : iters,
			       AGENT_GRANTS0 + set, (unsigned long long)addr, GDL_DMA_READ);
		if (write(kfd, req, len) != len || lseek(kfd, 0, SEEK_SET) ||
		    (len = read(kfd, res, sizeof(res) - 1)) <= 0) {
			close(kfd);
			return -1;
		}
		close(kfd);
		res[len] = '\0';
		if (sscanf(res, "iterations %llu total_ns %llu allowed %llu result %d", &n, &total,
			   &allowed, &last) != 4)
			return -1;
		if (last != want || allowed != (want ? n : 0))
			answer_errors++;
		if (r >= 0)
			v[r] = (double)total / n;
	}
	qsort(v, rounds, sizeof(v[0]), cmp_double);
	return v[rounds / 2];
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
	}
	if ((err = ioc_set_agent(fd, AGENT_ALLOC, 1ull << 40, 0x1)))
		die("set_agent: %s", strerror(-err));
	for (int k = 0; k < BATCH; k++)
		batch[k] = (struct gdl_check_entry){ .addr = addr_cycle[2][k], .length = 64,
						     .device = 0, .mode = GDL_DMA_READ };
}

static void print_table(double noop)
{
	printf("\n%-22s %12s %10s %10s  %s\n", "operation", "ns/op", "x noop", "target", "");
	for (int i = 0; i < nrows; i++) {
		double ratio = rows[i].ns / noop;
		char target[16] = "";

		if (rows[i].target > 0)
			snprintf(target, sizeof(target), "<= %.2gx", rows[i].target);
		printf("%-22s %12.1f %10.3f %10s  %s\n", rows[i].name, rows[i].ns, ratio, target,
		       rows[i].target <= 0 ? "" : ratio <= rows[i].target ? "meets" : "misses");
	}
	printf("\n");
	for (int i = 0; i < nrows; i++) {
		printf("BENCH {\"suite\":\"kernel\",\"name\":\"%s\",\"ns_per_op\":%.1f,"
		       "\"ratio_to_noop\":%.4f,", rows[i].name, rows[i].ns, rows[i].ns / noop);
		if (rows[i].target > 0)
			printf("\"target_ratio\":%.2f,", rows[i].target);
		printf("\"iterations\":%lu,\"rounds\":%d}\n", rows[i].iters, rounds);
	}
}

int main(int argc, char **argv)
{
	const char *kfile = NULL;
	static char names[NGRANTSETS * 3][40];
	double noop, ns;
	unsigned int s;
	int opt;

	while ((opt = getopt(argc, argv, "r:k:")) != -1) {
		switch (opt) {
		case 'r': rounds = atoi(optarg); break;
		case 'k': kfile = optarg; break;
		default: die("usage: %s [-r ROUNDS] [-k DEBUGFS_FILE]", argv[0]);
		}
	}
	if (rounds < 1 || rounds > 63)
		die("rounds: 1..63");
	fd = gdl_open();
	setup();

	noop = measure(b_noop, 0, 20000, 1);
	add_row("noop", noop, 0, 20000);
	for (s = 0; s < NGRANTSETS; s++) {
		snprintf(names[s], sizeof(names[s]), "check_%lu", grant_counts[s]);
		add_row(names[s], measure(b_check, s, 20000, 1), 1.5, 20000);
	}
	snprintf(names[NGRANTSETS], sizeof(names[0]), "check_denied_%lu", grant_counts[2]);
	add_row(names[NGRANTSETS], measure(b_check_denied, 2, 20000, 1), 1.5, 20000);
	add_row("alloc_free", measure(b_alloc_free, 0, 5000, 1), 3, 5000);
	add_row("check_batch_256", measure(b_check_batch, 2, 100, BATCH), 0.1, 100 * BATCH);
	add_row("proc_stats_read", measure(b_proc_stats, 0, 300, 1), 0, 300);
	if (kfile) {
		for (s = 0; s < NGRANTSETS; s += 2) {	/* 1 and 100000 grants */
			ns = kernel_check(kfile, 200000, s, grant_counts[s] / 2 * GRANT_STRIDE, 1);
			snprintf(names[NGRANTSETS + 1 + s], sizeof(names[0]), "kernel_check_%lu",
				 grant_counts[s]);
			if (ns < 0)
				tap_not_ok("gdl_bench.ko answers", "%s: %s", kfile, strerror(errno));
			else
				add_row(names[NGRANTSETS + 1 + s], ns, 0, 200000);
		}
	}
	print_table(noop);
	tap_eq("every timed operation answered as expected", 0, answer_errors);
	tap_eq("benchmark rows produced", kfile ? 10 : 8, nrows);
	close(fd);
	return tap_exit();
}

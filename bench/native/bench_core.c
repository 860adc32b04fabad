// SPDX-License-Identifier: GPL-2.0
/*
 * bench_core.c - cost of the core's hot operations on this CPU
 *
 * Pure logic, no syscalls: the module adds ioctl entry and copies on top.
 * Each figure is the median of RUNS timed runs.  Output: a table, then one
 * "BENCH {json}" line per case for scripts.
 *
 * Time is this process's CPU time (all its threads, so the RCU callback
 * thread's frees count too), not wall time: the build machines are shared,
 * and time spent descheduled is not the code's cost.  Cache pollution from
 * other processes still shows; run on a quiet machine for clean figures.
 *
 *   bench_core [runs]
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include "gdl_core.h"

#define RUNS_DEFAULT	7
#define CHECKS		(1 << 20)
#define NADDR		4096		/* precomputed random addresses */
#define GRANT_STRIDE	8192ull		/* one 4 KiB grant per 8 KiB */

static u64 rng = 0x853c49e6748fea9bull;

static u64 rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* Issue 11's native targets (ns per operation), by row name. */
static const struct {
	const char *name;
	double ns;
} targets[] = {
	{ "check, 100000 grants", 70 },
	{ "check_many per entry, 100000 grants", 30 },
	{ "grant insert, 100000-range tree", 3000 },
};

static void report(const char *name, double ns, long ops)
{
	double target = 0;
	size_t i;

	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		if (!strcmp(targets[i].name, name))
			target = targets[i].ns;
	printf("%-34s %10.1f ns/op %12ld ops\n", name, ns, ops);
	printf("BENCH {\"suite\":\"native\",\"name\":\"%s\",\"ns_per_op\":%.1f,\"ops\":%ld",
	       name, ns, ops);
	if (target > 0)
		printf(",\"target_ns\":%.0f", target);
	printf("}\n");
}

static struct gdl_core *bench_core(void)
{
	struct gdl_core_params p = { .max_agents = 64 };
	struct gdl_device_desc d = { .capacity = 1ull << 40,
				     .kind = GDL_DEVICE_FAKE };
	struct gdl_core *c = gdl_core_create(&p);

	if (!c || gdl_core_add_device(c, &d) < 0 ||
	    gdl_agent_set(c, 1, 1ull << 40, 1)) {
		fprintf(stderr, "bench: setup failed\n");
		exit(1);
	}
	return c;
}

/* @n grants of 4 KiB, 8 KiB apart, inserted in random order. */
static void grant_n(struct gdl_core *c, long n)
{
	long i, *order = malloc(sizeof(*order) * (size_t)n);

	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n - 1; i > 0; i--) {
		long j = (long)(rnd() % (u64)(i + 1)), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < n; i++)
		if (gdl_grant(c, 1, 0, (u64)order[i] * GRANT_STRIDE, 4096,
			      GDL_DMA_RW)) {
			fprintf(stderr, "bench: grant failed\n");
			exit(1);
		}
	free(order);
}

static void bench_check(int runs, long ngrants)
{
	struct gdl_core *c = bench_core();
	static u64 addr[NADDR];
	double t[32];
	char name[64];
	long i, allowed = 0;
	int r;

	grant_n(c, ngrants);
	for (i = 0; i < NADDR; i++)
		addr[i] = (rnd() % (u64)ngrants) * GRANT_STRIDE + rnd() % 4000;
	for (r = 0; r < runs; r++) {
		double t0 = now_ns();

		for (i = 0; i < CHECKS; i++)
			allowed += gdl_check(c, 1, 0, addr[i & (NADDR - 1)],
					     64, GDL_DMA_READ);
		t[r] = (now_ns() - t0) / CHECKS;
	}
	if (allowed != (long)runs * CHECKS)
		fprintf(stderr, "bench: a check was denied\n");
	snprintf(name, sizeof(name), "check, %ld grants", ngrants);
	report(name, median(t, runs), CHECKS);
	gdl_core_destroy(c);
}

static void bench_check_many(int runs)
{
	struct gdl_core *c = bench_core();
	static struct gdl_check_entry e[256];
	const long ngrants = 100000, batches = CHECKS / 256;
	double t[32];
	u32 allowed;
	long b;
	int r, i;

	grant_n(c, ngrants);
	for (i = 0; i < 256; i++) {
		e[i].addr = (rnd() % (u64)ngrants) * GRANT_STRIDE + rnd() % 4000;
		e[i].length = 64;
		e[i].mode = GDL_DMA_READ;
	}
	for (r = 0; r < runs; r++) {
		double t0 = now_ns();

		for (b = 0; b < batches; b++)
			gdl_check_many(c, 1, e, 256, &allowed);
		t[r] = (now_ns() - t0) / (batches * 256);
	}
	report("check_many per entry, 100000 grants", median(t, runs),
	       batches * 256);
	gdl_core_destroy(c);
}

static void bench_alloc_free(int runs)
{
	struct gdl_core *c = bench_core();
	const long n = 1 << 18;
	double t[32];
	long i;
	int r;
	u64 id;

	for (r = 0; r < runs; r++) {
		double t0 = now_ns();

		for (i = 0; i < n; i++) {
			gdl_alloc(c, NULL, 1, 4096, 0, GDL_ALLOC_PERSISTENT,
				  &id);
			gdl_free(c, id, 0);
		}
		t[r] = (now_ns() - t0) / n;
	}
	report("alloc+free pair", median(t, runs), n);
	gdl_core_destroy(c);
}

static void bench_grant_insert(int runs)
{
	const long base = 100000, n = 20000;
	double t[32];
	long i;
	int r;

	for (r = 0; r < runs; r++) {
		struct gdl_core *c = bench_core();
		double t0;

		grant_n(c, base);
		t0 = now_ns();
		/* Into the gaps: each a new disjoint range of the tree. */
		for (i = 0; i < n; i++)
			gdl_grant(c, 1, 0,
				  (rnd() % (u64)base) * GRANT_STRIDE + 5000 +
				  (u64)(i % 8) * 64, 32, GDL_DMA_READ);
		t[r] = (now_ns() - t0) / n;
		gdl_core_destroy(c);
	}
	report("grant insert, 100000-range tree", median(t, runs), n);
}

static void bench_build(int runs)
{
	const long n = 100000;
	double t[32];
	int r;

	for (r = 0; r < runs; r++) {
		struct gdl_core *c = bench_core();
		double t0 = now_ns();

		grant_n(c, n);
		t[r] = (now_ns() - t0) / n;
		gdl_core_destroy(c);
	}
	report("build 100000 grants, per grant", median(t, runs), n);
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : RUNS_DEFAULT;

	if (runs < 1 || runs > 32)
		runs = RUNS_DEFAULT;
	printf("%-34s %16s %16s   (median of %d runs)\n", "case", "cost",
	       "ops/run", runs);
	bench_check(runs, 1);
	bench_check(runs, 1000);
	bench_check(runs, 100000);
	bench_check_many(runs);
	bench_alloc_free(runs);
	bench_grant_insert(runs < 3 ? runs : 3);
	bench_build(runs < 3 ? runs : 3);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_overhead.c - what a decisions' object's programs (gdl_batch.bpf.o, the
 * module's batches; gdl_module.bpf.o, one per decision kind) add to a GDL_IOC_CHECK
 * ioctl, measured so that load on a shared, emulated machine cancels out:
 * one process, pinned to one CPU, alternating short timed blocks of checks
 * with the programs detached and attached (same object, loaded once), and
 * the median of each.  The ring is drained between blocks (untimed), so
 * every attached check really emits a record.
 *
 *   bpf_overhead OBJ ROUNDS CHECKS_PER_BLOCK [SAMPLE_EVERY]
 *
 * SAMPLE_EVERY > 1 samples allowed checks where the agent does: in the
 * module (its trace_check_every parameter, set for the run and put back to
 * 1 after), so a skipped check never reaches BPF at all.
 *
 * Prints one JSON line: {"base_ns":B,"attached_ns":A,"overhead":A/B-1,
 *   "events":N,"lost":L,"rounds":R,"checks":C,"sample_every":S}
 *
 *   bpf_overhead -T OBJ KALLSYMS_OUT
 *
 * For scripts/kernel-trace.sh: one CHECK with the programs detached and
 * one attached, each between bench_ioctl -T's markers (getpgid of
 * TRACE_MARK + row, TRACE_MARK - 1 after it) on descriptor TRACE_FD, after
 * a warm-up on the same path; the JIT-compiled programs' symbols (they are
 * not in the kallsyms saved before the run) are written to KALLSYMS_OUT.
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "uapi/gdl_events.h"
#include "trace_marks.h"

#define AGENT 0x0b5eull
#define MAX_ROUNDS 64
/* -T: rows from 200, after bench_ioctl's own. */
#define TRACE_ROW	200
#define CHECK_EVERY "/sys/module/gpu_dma_lock/parameters/trace_check_every"

static int set_check_every(unsigned n)
{
	FILE *f = fopen(CHECK_EVERY, "w");
	int bad = !f || fprintf(f, "%u\n", n) < 0;

	if (f && fclose(f))
		bad = 1;
	if (bad)
		perror(CHECK_EVERY);
	return bad;
}

/* On every exit, early ones included: the parameter is node-wide. */
static void check_every_back(void)
{
	set_check_every(1);
}

static int fd;

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static double block(long n)
{
	unsigned long long t0 = now_ns();

	for (long i = 0; i < n; i++) {
		struct gdl_check c = { .agent_id = AGENT, .addr = (i * 64) & 0xfffff,
				       .length = 64, .mode = GDL_DMA_READ };

		if (ioctl(fd, GDL_IOC_CHECK, &c) || c.result != GDL_CHECK_ALLOWED) {
			fprintf(stderr, "bpf_overhead: check failed\n");
			exit(1);
		}
	}
	return (double)(now_ns() - t0) / n;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A batch record (gdl_batch.bpf.o) counts its decisions. */
static int count_event(void *ctx, void *data, size_t len)
{
	const struct gdl_ev_batch *b = data;

	*(unsigned long long *)ctx += b->hdr.kind == GDL_EV_BATCH ? b->count : 1;
	return 0;
}

/* The device open, the agent made and granted what the checks ask. */
static int setup(void)
{
	struct gdl_agent_cfg cfg = { .agent_id = AGENT, .quota = 1 << 20, .device_mask = 1 };
	struct gdl_grant g = { .agent_id = AGENT, .length = 1 << 20, .mode = GDL_DMA_RW };

	fd = open("/dev/" GDL_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("open");
		return 1;
	}
	if (ioctl(fd, GDL_IOC_SET_AGENT, &cfg) || ioctl(fd, GDL_IOC_GRANT, &g)) {
		perror("setup");
		return 1;
	}
	return 0;
}

/* Every program of @obj attached; returns how many links, -1 on failure. */
static int attach_all(struct bpf_object *obj, struct bpf_link **links, int max)
{
	struct bpf_program *prog;
	int n = 0;

	bpf_object__for_each_program(prog, obj)
		if (n < max && !(links[n++] = bpf_program__attach(prog)))
			return -1;
	return n;
}

static void detach_all(struct bpf_link **links, int n)
{
	while (n)
		bpf_link__destroy(links[--n]);
}

static void trace_row(int row, const char *name)
{
	block(2);	/* warm: the same path as the traced call */
	syscall(SYS_getpgid, TRACE_MARK + row);
	block(1);
	syscall(SYS_getpgid, TRACE_MARK - 1);
	printf("# traced %d %s\n", row, name);
}

/* The loaded programs' lines of /proc/kallsyms, for the trace's report. */
static int save_prog_symbols(const char *path)
{
	FILE *in = fopen("/proc/kallsyms", "r"), *out = fopen(path, "w");
	char line[512];

	if (!in || !out)
		return -1;
	while (fgets(line, sizeof(line), in))
		if (strstr(line, " bpf_prog_") || strstr(line, "[bpf]"))
			fputs(line, out);
	fclose(in);
	return fclose(out);
}

static int trace_main(const char *path, const char *syms)
{
	struct bpf_link *links[16];
	struct bpf_object *obj;
	int nlinks;

	if (setup())
		return 1;
	if (dup2(fd, TRACE_FD) != TRACE_FD)
		return 1;
	close(fd);
	fd = TRACE_FD;
	obj = bpf_object__open_file(path, NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "bpf_overhead: cannot load %s\n", path);
		return 1;
	}
	trace_row(TRACE_ROW, "check_bpf_detached");
	nlinks = attach_all(obj, links, 16);
	if (nlinks < 0)
		return 1;
	trace_row(TRACE_ROW + 1, "check_bpf_attached");
	if (save_prog_symbols(syms)) {
		perror(syms);
		return 1;
	}
	detach_all(links, nlinks);
	bpf_object__close(obj);
	return 0;
}

int main(int argc, char **argv)
{
	double base[MAX_ROUNDS], attached[MAX_ROUNDS], b, a;
	struct bpf_link *links[16];
	unsigned long long events = 0, lost = 0;
	struct bpf_object *obj;
	struct ring_buffer *rb;
	int rounds, nlinks, ncpu;
	unsigned sample;
	long checks;
	cpu_set_t cpu;

	if (argc == 4 && !strcmp(argv[1], "-T"))
		return trace_main(argv[2], argv[3]);
	if (argc < 4) {
		fprintf(stderr, "usage: bpf_overhead OBJ ROUNDS CHECKS_PER_BLOCK [SAMPLE_EVERY] | -T OBJ KALLSYMS_OUT\n");
		return 2;
	}
	rounds = atoi(argv[2]);
	checks = atol(argv[3]);
	sample = argc > 4 ? strtoul(argv[4], NULL, 0) : 1;
	if (rounds < 1 || rounds > MAX_ROUNDS || checks < 1)
		return 2;

	CPU_ZERO(&cpu);
	CPU_SET(0, &cpu);
	sched_setaffinity(0, sizeof(cpu), &cpu);

	if (setup())
		return 1;

	if (sample > 1 && (atexit(check_every_back) || set_check_every(sample)))
		return 1;
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj ||
	    bpf_map__set_max_entries(bpf_object__find_map_by_name(obj, "events"), 16 << 20) ||
	    bpf_object__load(obj)) {
		fprintf(stderr, "bpf_overhead: cannot load %s\n", argv[1]);
		return 1;
	}
	rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "events")),
			      count_event, &events, NULL);
	if (!rb)
		return 1;

	block(checks);	/* warm caches and the agent's tree */
	for (int r = 0; r < rounds; r++) {
		base[r] = block(checks);
		nlinks = attach_all(obj, links, 16);
		if (nlinks < 0)
			return 1;
		attached[r] = block(checks);
		detach_all(links, nlinks);
		ring_buffer__consume(rb);
	}

	ncpu = libbpf_num_possible_cpus();
	{
		unsigned long long *v = calloc(ncpu, sizeof(*v));
		__u32 key = GDL_CTR_LOST;

		if (v && !bpf_map_lookup_elem(bpf_map__fd(bpf_object__find_map_by_name(obj, "counters")), &key, v))
			for (int i = 0; i < ncpu; i++)
				lost += v[i];
		free(v);
	}
	b = median(base, rounds);
	a = median(attached, rounds);
	printf("{\"base_ns\":%.1f,\"attached_ns\":%.1f,\"overhead\":%.3f,\"events\":%llu,"
	       "\"lost\":%llu,\"rounds\":%d,\"checks\":%ld,\"sample_every\":%u}\n",
	       b, a, a / b - 1, events, lost, rounds, checks, sample);
	ring_buffer__free(rb);
	bpf_object__close(obj);
	return 0;
}

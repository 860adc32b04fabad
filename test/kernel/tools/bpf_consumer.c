// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpf_consumer.c - the C baseline for the Node consumer's throughput: load
 * gdl_module.bpf.o with libbpf, attach its eight programs, run a command
 * that produces events, and consume the ring with ring_buffer__poll() /
 * ring_buffer__consume(), copying each record out as a decoder would.
 *
 *   bpf_consumer [--live] OBJ RING_SIZE CMD [ARGS...]
 *
 * Default: nobody consumes while CMD runs, then the drain alone is timed
 * (consumer capacity).  --live: consume while CMD runs (ring_buffer__poll),
 * timed from CMD's start to the last event (the whole pipeline's rate).
 * Prints one JSON line:
 *   {"events":N,"lost":L,"drain_ns":T,"events_per_s":R,"pipeline_ns":P,
 *    "pipeline_events_per_s":Q}
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "uapi/gdl_events.h"

struct sink {
	unsigned long long events;
	unsigned long long checksum;	/* keeps the copy from being optimized out */
	struct gdl_ev_decision last;
};

static int on_record(void *ctx, void *data, size_t len)
{
	struct sink *s = ctx;
	const struct gdl_event_hdr *h = data;

	if (len < sizeof(*h) || h->kind != GDL_EV_DECISION ||
	    len < sizeof(s->last))
		return 0;
	memcpy(&s->last, data, sizeof(s->last));
	s->checksum += s->last.d.agent_id + s->last.d.addr + s->last.pid;
	s->events++;
	return 0;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static unsigned long long lost_count(int counters_fd)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long *v = calloc(ncpu, sizeof(*v)), sum = 0;
	__u32 key = GDL_CTR_LOST;

	if (v && !bpf_map_lookup_elem(counters_fd, &key, v))
		for (int i = 0; i < ncpu; i++)
			sum += v[i];
	free(v);
	return sum;
}

int main(int argc, char **argv)
{
	struct sink sink = { 0 };
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_link *links[16];
	struct ring_buffer *rb;
	unsigned long long t0, t1;
	int status, n, nlinks = 0;
	pid_t child;

	int live = argc > 1 && !strcmp(argv[1], "--live");
	unsigned long long tstart;

	argv += live;
	argc -= live;
	if (argc < 4) {
		fprintf(stderr, "usage: bpf_consumer [--live] OBJ RING_SIZE CMD [ARGS...]\n");
		return 2;
	}
	libbpf_set_print(quiet);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		perror("bpf_object__open_file");
		return 1;
	}
	if (bpf_map__set_max_entries(bpf_object__find_map_by_name(obj, "events"),
				     strtoul(argv[2], NULL, 0)) ||
	    bpf_object__load(obj)) {
		perror("load");
		return 1;
	}
	bpf_object__for_each_program(prog, obj) {
		if (nlinks == 16 || !(links[nlinks++] = bpf_program__attach(prog))) {
			perror(bpf_program__name(prog));
			return 1;
		}
	}
	rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "events")),
			      on_record, &sink, NULL);
	if (!rb) {
		perror("ring_buffer__new");
		return 1;
	}

	tstart = now_ns();
	child = fork();
	if (child == 0) {
		/* the producer's output is not ours to print */
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execvp(argv[3], argv + 3);
		_exit(127);
	}
	if (live) {
		while (waitpid(child, &status, WNOHANG) == 0)
			ring_buffer__poll(rb, 100);
	} else {
		waitpid(child, &status, 0);
	}

	t0 = now_ns();
	while ((n = ring_buffer__consume(rb)) > 0)
		;
	t1 = now_ns();
	printf("{\"events\":%llu,\"lost\":%llu,\"drain_ns\":%llu,\"events_per_s\":%.0f,"
	       "\"pipeline_ns\":%llu,\"pipeline_events_per_s\":%.0f,\"checksum\":%llu}\n",
	       sink.events,
	       lost_count(bpf_map__fd(bpf_object__find_map_by_name(obj, "counters"))),
	       t1 - t0, sink.events * 1e9 / (double)(t1 - t0 ? t1 - t0 : 1),
	       t1 - tstart, sink.events * 1e9 / (double)(t1 - tstart),
	       sink.checksum);
	ring_buffer__free(rb);
	while (nlinks)
		bpf_link__destroy(links[--nlinks]);
	bpf_object__close(obj);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

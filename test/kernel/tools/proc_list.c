// SPDX-License-Identifier: GPL-2.0
/*
 * proc_list.c - /proc/swarm/gpu listings stay complete at scale
 *
 *   proc_list [N]   (default 100000)
 *
 * Makes N persistent allocations for agent 9 and N/10 grants, then reads
 * /proc/swarm/gpu/allocations and dma_permissions in small read() calls
 * (so seq_file restarts between every few records) and checks that every
 * record appears exactly once, well formed, in header order; then seeks
 * back to 0 and reads again.  Frees everything at the end.
 *
 * Expects fake_gpus >= 1 with fake_gpu_mem >= N * 4096
 * (test/kernel/cases/14-proc-scale.sh).
 */
#include "vm_tool.h"

#include <inttypes.h>

#define AGENT	9

/*
 * next_line - copy the line after *@p into @line and advance *@p.
 * (sscanf on the whole listing would strlen() megabytes per line.)
 */
static int next_line(const char **p, char *line, size_t size)
{
	const char *nl;
	size_t len;

	if (!**p)
		return 0;
	nl = strchr(*p, '\n');
	len = nl ? (size_t)(nl - *p) + 1 : strlen(*p);
	if (len >= size)
		len = size - 1;
	memcpy(line, *p, len);
	line[len] = '\0';
	*p = nl ? nl + 1 : *p + len;
	return 1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Reads a whole file with reads of @chunk bytes, from offset 0. */
static char *read_chunked(int fd, size_t chunk, size_t *len)
{
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap);
	ssize_t r;

	if (!buf || lseek(fd, 0, SEEK_SET) != 0)
		die("read_chunked: %s", strerror(errno));
	for (;;) {
		if (cap - n < chunk + 1) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				die("out of memory");
		}
		r = read(fd, buf + n, chunk);
		if (r < 0)
			die("read: %s", strerror(errno));
		if (!r)
			break;
		n += r;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/*
 * Checks the allocations listing against the sorted @ids: each of agent
 * 9's records once, nothing else of agent 9.
 */
static void check_allocations(const char *text, const uint64_t *ids, size_t n,
			      const char *pass)
{
	const char *hdr = "# alloc_id agent device size flags owner_pid\n";
	uint64_t *seen = malloc(n * sizeof(*seen));
	size_t found = 0, bad = 0, i;
	const char *p = text;
	char line[256];

	if (!seen)
		die("out of memory");
	if (strncmp(text, hdr, strlen(hdr)))
		tap_not_ok("allocations header", "%s: got '%.60s'", pass, text);
	next_line(&p, line, sizeof(line));
	while (next_line(&p, line, sizeof(line))) {
		unsigned long long id, agent, size;
		unsigned int dev, flags, pid;
		char end;

		if (sscanf(line, "%llu %llu %u %llu 0x%x %u%c", &id, &agent,
			   &dev, &size, &flags, &pid, &end) != 7 || end != '\n') {
			bad++;
			continue;
		}
		if (agent != AGENT)
			continue;
		if (found < n)
			seen[found] = id;
		found++;
		if (size != 4096 || dev != 0 || flags != GDL_ALLOC_PERSISTENT ||
		    pid != 0)
			bad++;
	}
	tap_eq("malformed allocation lines", 0, bad);
	if (!tap_eq("allocations listed for agent 9", n, found) ) {
		free(seen);
		return;
	}
	qsort(seen, n, sizeof(*seen), cmp_u64);
	for (i = 0; i < n && seen[i] == ids[i]; i++)
		;
	if (i == n)
		tap_ok("%s: every allocation id exactly once", pass);
	else
		tap_not_ok("allocation ids", "%s: mismatch at %zu", pass, i);
	free(seen);
}

static void check_grants(const char *text, size_t ngrants)
{
	const char *hdr = "# agent device start end length mode\n";
	size_t found = 0, bad = 0;
	const char *p = text;
	char line[256];

	if (strncmp(text, hdr, strlen(hdr)))
		tap_not_ok("dma_permissions header", "got '%.60s'", text);
	next_line(&p, line, sizeof(line));
	while (next_line(&p, line, sizeof(line))) {
		unsigned long long agent, start, end, length;
		unsigned int dev;
		char mode[4], nl;

		if (sscanf(line, "%llu %u 0x%llx 0x%llx %llu %3s%c", &agent,
			   &dev, &start, &end, &length, mode, &nl) != 7 ||
		    nl != '\n') {
			bad++;
			continue;
		}
		if (agent != AGENT)
			continue;
		/* Grant k covers [k * 0x2000, k * 0x2000 + 0x1000), read. */
		if (start != found * 0x2000 || end != start + 0xfff ||
		    length != 0x1000 || strcmp(mode, "r"))
			bad++;
		found++;
	}
	tap_eq("dma_permissions lines well formed and in order", 0, bad);
	tap_eq("grants listed for agent 9", ngrants, found);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 100000;
	size_t ngrants = n / 10, len, i;
	struct gdl_agent_cfg cfg = { .agent_id = AGENT, .quota = UINT64_MAX,
				     .device_mask = 1 };
	struct gdl_agent_ref ref = { .agent_id = AGENT };
	uint64_t *ids = malloc(n * sizeof(*ids));
	int fd = gdl_open(), pf;
	uint64_t t0 = now_ns();
	char *text;

	if (!ids)
		die("out of memory");
	if (ioctl(fd, GDL_IOC_SET_AGENT, &cfg))
		die("SET_AGENT: %s", strerror(errno));
	for (i = 0; i < n; i++) {
		struct gdl_alloc a = { .agent_id = AGENT, .size = 4096,
				       .flags = GDL_ALLOC_PERSISTENT };

		if (ioctl(fd, GDL_IOC_ALLOC, &a))
			die("ALLOC %zu: %s", i, strerror(errno));
		ids[i] = a.alloc_id;
	}
	for (i = 0; i < ngrants; i++) {
		struct gdl_grant g = { .agent_id = AGENT, .addr = i * 0x2000,
				       .length = 0x1000, .mode = GDL_DMA_READ };

		if (ioctl(fd, GDL_IOC_GRANT, &g))
			die("GRANT %zu: %s", i, strerror(errno));
	}
	tap_ok("made %zu allocations and %zu grants", n, ngrants);
	printf("# setup took %llu ms\n", (unsigned long long)(now_ns() - t0) / 1000000);
	t0 = now_ns();
	qsort(ids, n, sizeof(*ids), cmp_u64);

	pf = open(GDL_PROC_DIR "/allocations", O_RDONLY);
	if (pf < 0)
		die("open allocations: %s", strerror(errno));
	text = read_chunked(pf, 1000, &len);
	check_allocations(text, ids, n, "1000-byte reads");
	free(text);
	printf("# first listing took %llu ms\n", (unsigned long long)(now_ns() - t0) / 1000000);
	t0 = now_ns();
	text = read_chunked(pf, 1 << 16, &len);
	check_allocations(text, ids, n, "after seeking back to 0");
	free(text);
	close(pf);

	pf = open(GDL_PROC_DIR "/dma_permissions", O_RDONLY);
	if (pf < 0)
		die("open dma_permissions: %s", strerror(errno));
	text = read_chunked(pf, 777, &len);
	check_grants(text, ngrants);
	free(text);
	close(pf);

	for (i = 0; i < n; i++) {
		struct gdl_free f = { .alloc_id = ids[i] };

		if (ioctl(fd, GDL_IOC_FREE, &f))
			die("FREE: %s", strerror(errno));
	}
	tap_eq("agent 9 removed after freeing everything", 0,
	       ioctl(fd, GDL_IOC_REMOVE_AGENT, &ref));
	free(ids);
	close(fd);
	return tap_exit();
}

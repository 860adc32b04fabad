// SPDX-License-Identifier: GPL-2.0
/*
 * scale_fill - 100 000 allocations and 10 000 grants, listed and checked
 *
 *   scale_fill [-n ALLOCATIONS] [-g GRANTS]
 *
 * Needs a fresh module with two devices (fake_gpus=2).  Makes N allocations
 * on one open file, spread over ten agents and both devices with varied
 * sizes, and G disjoint grants for one agent inserted in shuffled order.
 * Then /proc/swarm/gpu/allocations must list exactly those N ids with their
 * agent, device and size; dma_permissions exactly those G ranges; checks at
 * and around every sampled range's boundaries must be right; revoking half
 * (and splitting one) must show.  Closing the file frees all N, and every
 * gauge returns to zero.
 */
#include "vm_tool.h"

#define ALLOC_AGENT0	2000
#define ALLOC_AGENTS	10
#define GRANT_AGENT	3000
#define GRANT_STRIDE	16384ull

struct expect_alloc {
	uint64_t id, agent, size;
	uint32_t device;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_proc_alloc(const void *a, const void *b)
{
	return cmp_u64(&((const struct proc_alloc *)a)->id, &((const struct proc_alloc *)b)->id);
}

static uint64_t grant_start(unsigned long i) { return i * GRANT_STRIDE; }
static uint64_t grant_len(unsigned long i) { return 4096ull * (1 + i % 3); }
static uint32_t grant_mode(unsigned long i) { return 1 + i % 3; }

static void verify_allocations(struct expect_alloc *want, unsigned long n)
{
	struct proc_alloc *listed;
	unsigned long i, wrong = 0;
	uint64_t t0 = now_ns();
	size_t nlisted = proc_read_allocations(&listed);

	printf("# reading %zu allocation records took %.1f ms\n", nlisted, (now_ns() - t0) / 1e6);
	tap_eq("/proc allocations lists exactly N records", n, nlisted);
	/* want[] is sorted by id (main). */
	qsort(listed, nlisted, sizeof(*listed), cmp_proc_alloc);
	for (i = 0; i < n && i < nlisted; i++)
		if (listed[i].id != want[i].id || listed[i].agent != want[i].agent ||
		    listed[i].size != want[i].size || listed[i].device != want[i].device) {
			if (!wrong)
				printf("# first mismatch at %lu: listed id %llu agent %llu size %llu dev %u, "
				       "want id %llu agent %llu size %llu dev %u\n", i,
				       (unsigned long long)listed[i].id, (unsigned long long)listed[i].agent,
				       (unsigned long long)listed[i].size, listed[i].device,
				       (unsigned long long)want[i].id, (unsigned long long)want[i].agent,
				       (unsigned long long)want[i].size, want[i].device);
			wrong++;
		}
	tap_eq("every listed record has the right id, agent, device and size", 0, wrong);
	free(listed);
}

/*
 * dma_permissions: "# agent device start end length mode".  GRANT_AGENT's
 * records must be exactly the live grants (alive[i]), field by field.
 */
static void verify_permissions(const unsigned char *alive, unsigned long g, const char *when)
{
	char *buf = slurp(GDL_PROC_DIR "/dma_permissions", NULL), *line, *save = NULL;
	unsigned long records = 0, wrong = 0, want = 0, i;
	int end_inclusive = -1;
	char what[128];

	for (i = 0; i < g; i++)
		want += alive[i];
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long agent, start, end, length;
		unsigned int device;
		char mode[8];

		if (line[0] == '#')
			continue;
		if (sscanf(line, "%lli %u %lli %lli %lli %7s", &agent, &device, &start, &end, &length,
			   mode) != 6) {
			wrong++;
			continue;
		}
		if (agent != GRANT_AGENT)
			continue;
		records++;
		i = start / GRANT_STRIDE;
		/* The end column is either the last byte or one past it: but always the same. */
		if (end_inclusive < 0)
			end_inclusive = end == start + length - 1;
		if (device != 0 || start % GRANT_STRIDE || i >= g || !alive[i] || length != grant_len(i) ||
		    end != start + length - (end_inclusive ? 1 : 0) ||
		    strcmp(mode, grant_mode(i) == 1 ? "r" : grant_mode(i) == 2 ? "w" : "rw"))
			wrong++;
	}
	free(buf);
	snprintf(what, sizeof(what), "%s: dma_permissions lists exactly the live ranges", when);
	tap_eq(what, want, records);
	snprintf(what, sizeof(what), "%s: every listed range has the right start, end, length, mode", when);
	tap_eq(what, 0, wrong);
}

/* Checks at and around range i; returns how many answered wrong. */
static unsigned long probe_range(int fd, unsigned long i, int live)
{
	uint64_t s = grant_start(i), l = grant_len(i);
	uint32_t m = grant_mode(i), other = m == GDL_DMA_READ ? GDL_DMA_WRITE : GDL_DMA_READ;
	const struct { uint64_t addr, len; uint32_t mode; int want; } p[] = {
		{ s, 1, m, live },			/* first byte */
		{ s + l - 1, 1, m, live },		/* last byte */
		{ s, l, m, live },			/* exactly the range */
		{ s + l / 2, l / 4 + 1, m, live },	/* inside */
		{ s - 1, 1, m, 0 },			/* byte before (i > 0: a gap) */
		{ s + l, 1, m, 0 },			/* byte after: the gap */
		{ s, l + 1, m, 0 },			/* one byte too long */
		{ s, l, m | other, m == GDL_DMA_RW ? live : 0 }, /* more than granted */
		{ s, l, other, m == GDL_DMA_RW ? live : 0 },
	};
	unsigned long bad = 0;
	size_t k;

	for (k = 0; k < sizeof(p) / sizeof(p[0]); k++) {
		if (i == 0 && k == 4)
			continue;	/* no byte before address 0 */
		if (ioc_check(fd, GRANT_AGENT, 0, p[k].addr, p[k].len, p[k].mode) != p[k].want) {
			if (!bad)
				printf("# range %lu probe %zu: [%#llx, +%llu) mode %u should be %s\n", i, k,
				       (unsigned long long)p[k].addr, (unsigned long long)p[k].len,
				       p[k].mode, p[k].want ? "allowed" : "denied");
			bad++;
		}
	}
	return bad;
}

static void verify_checks(int fd, const unsigned char *alive, unsigned long g, const char *when)
{
	unsigned long step = g > 2000 ? g / 2000 : 1, i, bad = 0;
	char what[128];

	for (i = 0; i < g; i += step)
		bad += probe_range(fd, i, alive[i]);
	bad += probe_range(fd, g - 1, alive[g - 1]);
	snprintf(what, sizeof(what), "%s: checks inside, outside and on boundaries", when);
	tap_eq(what, 0, bad);
}

int main(int argc, char **argv)
{
	unsigned long n = 100000, g = 10000, i, j, *order;
	struct expect_alloc *want;
	unsigned char *alive;
	struct gdl_agent_info info;
	struct gdl_stats s;
	uint64_t t0, rng = 88172645463325252ull, total = 0;
	int fd, admin, err, opt, a;

	while ((opt = getopt(argc, argv, "n:g:")) != -1) {
		switch (opt) {
		case 'n': n = strtoul(optarg, NULL, 0); break;
		case 'g': g = strtoul(optarg, NULL, 0); break;
		default: die("usage: %s [-n ALLOCATIONS] [-g GRANTS]", argv[0]);
		}
	}
	if (!n || g < 2)
		die("need at least one allocation and two grants");
	want = calloc(n, sizeof(*want));
	alive = calloc(g, 1);
	order = calloc(g, sizeof(*order));
	if (!want || !alive || !order)
		die("out of memory");

	admin = gdl_open();
	fd = gdl_open();
	for (a = 0; a < ALLOC_AGENTS; a++)
		if ((err = ioc_set_agent(admin, ALLOC_AGENT0 + a, 1ull << 40, 0x3)))
			die("set_agent: %s", strerror(-err));
	if ((err = ioc_set_agent(admin, GRANT_AGENT, 0, 0x1)))
		die("set_agent: %s", strerror(-err));

	t0 = now_ns();
	for (i = 0; i < n; i++) {
		want[i].agent = ALLOC_AGENT0 + i % ALLOC_AGENTS;
		want[i].size = 4096 * (1 + i % 7);
		want[i].device = i % 2;
		err = ioc_alloc(fd, want[i].agent, want[i].size, want[i].device, 0, &want[i].id);
		if (err)
			die("allocation %lu: %s", i, strerror(-err));
		total += want[i].size;
	}
	printf("# %lu allocations took %.2f s\n", n, (now_ns() - t0) / 1e9);
	for (i = 1; i < n && want[i].id > want[i - 1].id; i++)
		;
	if (i < n) /* ids need not increase: sort by id (the first field) */
		qsort(want, n, sizeof(*want), cmp_u64);
	verify_allocations(want, n);
	if (ioc_get_stats(admin, &s))
		die("GET_STATS: %s", strerror(errno));
	tap_eq("stats: live_allocations", n, s.live_allocations);
	tap_eq("stats: used_bytes", total, s.used_bytes);

	/* Shuffled insertion: a tree that only ever sees appends proves little. */
	for (i = 0; i < g; i++)
		order[i] = i;
	for (i = g - 1; i > 0; i--) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		j = rng % (i + 1);
		unsigned long tmp = order[i];
		order[i] = order[j], order[j] = tmp;
	}
	t0 = now_ns();
	for (i = 0; i < g; i++) {
		j = order[i];
		err = ioc_grant_op(admin, GDL_IOC_GRANT, GRANT_AGENT, 0, grant_start(j), grant_len(j),
				   grant_mode(j));
		if (err)
			die("grant %lu: %s", j, strerror(-err));
		alive[j] = 1;
	}
	printf("# %lu grants took %.2f s\n", g, (now_ns() - t0) / 1e9);
	ioc_get_agent(admin, GRANT_AGENT, &info);
	tap_eq("GET_AGENT grants == G disjoint ranges", g, info.grants);
	verify_permissions(alive, g, "all granted");
	verify_checks(admin, alive, g, "all granted");

	/* Revoke every other range entirely. */
	for (i = 0; i < g; i += 2) {
		err = ioc_grant_op(admin, GDL_IOC_REVOKE, GRANT_AGENT, 0, grant_start(i), grant_len(i),
				   GDL_DMA_RW);
		if (err)
			die("revoke %lu: %s", i, strerror(-err));
		alive[i] = 0;
	}
	ioc_get_agent(admin, GRANT_AGENT, &info);
	tap_eq("half revoked: GET_AGENT grants", g / 2, info.grants);
	verify_permissions(alive, g, "half revoked");
	verify_checks(admin, alive, g, "half revoked");

	/* A hole in the middle of a live 3-page range splits it in two. */
	for (i = 1; i < g && !(alive[i] && grant_len(i) == 3 * 4096); i++)
		;
	if (i < g) {
		err = ioc_grant_op(admin, GDL_IOC_REVOKE, GRANT_AGENT, 0, grant_start(i) + 4096, 4096,
				   GDL_DMA_RW);
		ioc_get_agent(admin, GRANT_AGENT, &info);
		tap_eq("a revoke inside a range splits it", g / 2 + 1, err ? 0 : info.grants);
		tap_eq("split: first page still allowed", GDL_CHECK_ALLOWED,
		       ioc_check(admin, GRANT_AGENT, 0, grant_start(i), 4096, grant_mode(i)));
		tap_eq("split: hole denied", GDL_CHECK_DENIED,
		       ioc_check(admin, GRANT_AGENT, 0, grant_start(i) + 4095, 2, grant_mode(i)));
		tap_eq("split: last page still allowed", GDL_CHECK_ALLOWED,
		       ioc_check(admin, GRANT_AGENT, 0, grant_start(i) + 8192, 4096, grant_mode(i)));
	}

	/* One revoke over everything empties the tree. */
	err = ioc_grant_op(admin, GDL_IOC_REVOKE, GRANT_AGENT, 0, 0, g * GRANT_STRIDE, GDL_DMA_RW);
	ioc_get_agent(admin, GRANT_AGENT, &info);
	tap_eq("one revoke over everything: no grants left", 0, err ? ~0ull : info.grants);

	t0 = now_ns();
	close(fd);
	printf("# closing the file with %lu allocations took %.1f ms\n", n, (now_ns() - t0) / 1e6);
	if (ioc_get_stats(admin, &s))
		die("GET_STATS: %s", strerror(errno));
	tap_eq("after close: live_allocations", 0, s.live_allocations);
	tap_eq("after close: used_bytes", 0, s.used_bytes);
	tap_eq("after close: frees == allocs", s.allocs, s.frees);
	for (a = 0, j = 0; a < ALLOC_AGENTS; a++)
		if (ioc_get_agent(admin, ALLOC_AGENT0 + a, &info) || info.used || info.allocations)
			j++;
	tap_eq("after close: agents with anything left", 0, j);
	{
		struct proc_alloc *listed;
		size_t left = proc_read_allocations(&listed);

		free(listed);
		tap_eq("after close: /proc allocations empty", 0, left);
	}
	close(admin);
	free(want), free(alive), free(order);
	return tap_exit();
}

// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_ops.c - known sequences of gpu_dma_lock decisions, for the BPF event
 * pipeline's guest tests and benchmarks.
 *
 *   bpf_ops seq ROUNDS AGENT   8 decisions per round, one of each kind; prints
 *                              the event line each must produce, in the format
 *                              of test/kernel/bpf-probe/event-line.ts
 *   bpf_ops checks N [DENIED]  N allowed DMA checks then DENIED denied ones
 *                              (agent 0x5eed, device 0); prints "produced N"
 *   bpf_ops bench N            time N allowed checks and N no-op ioctls:
 *                              prints "check_ns X noop_ns Y" (per call)
 *
 * Needs the module loaded with fake_gpus>=2 (device 1 exists but is kept
 * out of the agent's mask, for an alloc_fail).  Exits 1 if any ioctl does
 * not answer as the uapi header says it must.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "uapi/gpu_dma_lock.h"

#define QUOTA		(1ull << 20)
#define BIG		(2ull << 20)
#define CHECK_AGENT	0x5eedull

static int fd;
static unsigned pid, tid;
static char comm[16];

static void die(const char *what, int err)
{
	fprintf(stderr, "bpf_ops: %s: %s\n", what, strerror(err));
	exit(1);
}

/* ioctl returning 0 or -errno. */
static int gdl(unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static void must(const char *what, int ret, int want)
{
	if (ret != want) {
		fprintf(stderr, "bpf_ops: %s: got %d, want %d\n", what, ret, want);
		exit(1);
	}
}

static void expect(const char *kind, uint64_t agent, unsigned device,
		   uint64_t alloc, uint64_t addr, uint64_t length,
		   unsigned mode, int result, uint64_t used, uint64_t quota)
{
	printf("decision %s agent=%llu device=%u alloc=%llu addr=0x%llx "
	       "length=%llu mode=%u result=%d used=%llu quota=%llu "
	       "pid=%u tid=%u comm=%s\n",
	       kind, (unsigned long long)agent, device,
	       (unsigned long long)alloc, (unsigned long long)addr,
	       (unsigned long long)length, mode, result,
	       (unsigned long long)used, (unsigned long long)quota,
	       pid, tid, comm);
}

static void set_agent(uint64_t agent, uint64_t quota, uint64_t mask)
{
	struct gdl_agent_cfg cfg = { .agent_id = agent, .quota = quota,
				     .device_mask = mask };

	must("SET_AGENT", gdl(GDL_IOC_SET_AGENT, &cfg), 0);
}

static int grant(unsigned long cmd, uint64_t agent, unsigned dev,
		 uint64_t addr, uint64_t len, unsigned mode)
{
	struct gdl_grant g = { .agent_id = agent, .addr = addr,
			       .length = len, .device = dev, .mode = mode };

	return gdl(cmd, &g);
}

static int check(uint64_t agent, unsigned dev, uint64_t addr, uint64_t len,
		 unsigned mode)
{
	struct gdl_check c = { .agent_id = agent, .addr = addr, .length = len,
			       .device = dev, .mode = mode };

	must("CHECK", gdl(GDL_IOC_CHECK, &c), 0);
	return c.result;
}

static void seq(int rounds, uint64_t a)
{
	set_agent(a, QUOTA, 0x1);
	for (int r = 0; r < rounds; r++) {
		uint64_t size = 4096ull * (r + 1);
		uint64_t start = 0x100000ull * (r + 1);
		struct gdl_alloc al = { .agent_id = a, .size = size };
		struct gdl_alloc big = { .agent_id = a, .size = BIG };
		struct gdl_alloc off = { .agent_id = a, .size = 4096, .device = 1 };
		struct gdl_free fr;

		must("ALLOC", gdl(GDL_IOC_ALLOC, &al), 0);
		expect("alloc", a, 0, al.alloc_id, 0, size, 0, 0, size, QUOTA);
		must("ALLOC over quota", gdl(GDL_IOC_ALLOC, &big), -EDQUOT);
		expect("quota_violation", a, 0, 0, 0, BIG, 0, -EDQUOT, size, QUOTA);
		must("ALLOC off mask", gdl(GDL_IOC_ALLOC, &off), -EPERM);
		expect("alloc_fail", a, 1, 0, 0, 4096, 0, -EPERM, size, QUOTA);
		must("GRANT", grant(GDL_IOC_GRANT, a, 0, start, 4096, GDL_DMA_RW), 0);
		expect("grant", a, 0, 0, start, 4096, GDL_DMA_RW, 0, 0, 0);
		must("CHECK allowed", check(a, 0, start + 16, 256, GDL_DMA_READ),
		     GDL_CHECK_ALLOWED);
		expect("check", a, 0, 0, start + 16, 256, GDL_DMA_READ, 0, 0, 0);
		must("CHECK denied", check(a, 0, 0xdead0000, 16, GDL_DMA_WRITE),
		     GDL_CHECK_DENIED);
		expect("deny", a, 0, 0, 0xdead0000, 16, GDL_DMA_WRITE, 0, 0, 0);
		must("REVOKE", grant(GDL_IOC_REVOKE, a, 0, start, 4096, GDL_DMA_RW), 0);
		expect("revoke", a, 0, 0, start, 4096, GDL_DMA_RW, 0, 0, 0);
		fr = (struct gdl_free){ .alloc_id = al.alloc_id };
		must("FREE", gdl(GDL_IOC_FREE, &fr), 0);
		expect("free", a, 0, al.alloc_id, 0, size, 0, 0, 0, QUOTA);
	}
}

static void setup_checks(void)
{
	set_agent(CHECK_AGENT, QUOTA, 0x1);
	must("GRANT", grant(GDL_IOC_GRANT, CHECK_AGENT, 0, 0, 1 << 20, GDL_DMA_RW), 0);
}

static void checks(long n, long denied)
{
	setup_checks();
	for (long i = 0; i < n; i++)
		must("CHECK allowed", check(CHECK_AGENT, 0, (i * 64) & 0xfffff, 64,
					    GDL_DMA_READ), GDL_CHECK_ALLOWED);
	for (long i = 0; i < denied; i++)
		must("CHECK denied", check(CHECK_AGENT, 0, 1ull << 30, 64,
					   GDL_DMA_READ), GDL_CHECK_DENIED);
	/* the grant's own event counts too */
	printf("produced %ld\n", n + denied + 1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void bench(long n)
{
	uint64_t t0, t1, t2;

	setup_checks();
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		check(CHECK_AGENT, 0, (i * 64) & 0xfffff, 64, GDL_DMA_READ);
	t1 = now_ns();
	for (long i = 0; i < n; i++)
		ioctl(fd, GDL_IOC_NOOP, 0);
	t2 = now_ns();
	printf("check_ns %.1f noop_ns %.1f\n", (double)(t1 - t0) / n,
	       (double)(t2 - t1) / n);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bpf_ops seq ROUNDS AGENT | checks N [DENIED] | bench N\n");
		return 2;
	}
	fd = open("/dev/" GDL_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open /dev/" GDL_DEVICE_NAME, errno);
	pid = getpid();
	tid = syscall(SYS_gettid);
	prctl(PR_GET_NAME, comm);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (!strcmp(argv[1], "seq") && argc >= 4)
		seq(atoi(argv[2]), strtoull(argv[3], NULL, 0));
	else if (!strcmp(argv[1], "checks"))
		checks(atol(argv[2]), argc > 3 ? atol(argv[3]) : 0);
	else if (!strcmp(argv[1], "bench"))
		bench(atol(argv[2]));
	else
		return 2;
	return 0;
}

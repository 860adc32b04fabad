// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_abi.c - every GDL_IOC_* command, as root: answers and error paths
 *
 * Expects a freshly loaded module with
 *   fake_gpus=2 fake_gpu_mem=1073741824 default_quota=0 max_agents=6
 * (test/kernel/cases/10-ioctl-abi.sh).  Prints one TAP line per assertion.
 *
 * Every struct starts as a 0xA5 pattern with only the input fields set, so
 * a field the kernel should not have touched is recognisable; after a
 * failing call the whole struct must be exactly as it was.
 */
#include "vm_tool.h"

#include <sys/mman.h>

#define GIB		(1ull << 30)
#define MIB		(1ull << 20)
#define PAT		0xa5
#define PAT64		0xa5a5a5a5a5a5a5a5ull
#define PAT32		0xa5a5a5a5u

static int fd;

static void pattern(void *p, size_t n)
{
	memset(p, PAT, n);
}

static void stats(struct gdl_stats *s)
{
	memset(s, 0, sizeof(*s));
	if (ioctl(fd, GDL_IOC_GET_STATS, s))
		die("GET_STATS: %s", strerror(errno));
}

static struct gdl_alloc mk_alloc(uint64_t agent, uint64_t size,
				 uint32_t device, uint32_t flags)
{
	struct gdl_alloc a;

	pattern(&a, sizeof(a));
	a.agent_id = agent;
	a.size = size;
	a.device = device;
	a.flags = flags;
	return a;
}

static struct gdl_grant mk_grant(uint64_t agent, uint32_t device,
				 uint64_t addr, uint64_t length, uint32_t mode)
{
	struct gdl_grant g;

	pattern(&g, sizeof(g));
	g.agent_id = agent;
	g.device = device;
	g.addr = addr;
	g.length = length;
	g.mode = mode;
	g.flags = 0;
	g.pad = 0;
	return g;
}

static struct gdl_check mk_check(uint64_t agent, uint32_t device,
				 uint64_t addr, uint64_t length, uint32_t mode)
{
	struct gdl_check c;

	pattern(&c, sizeof(c));
	c.agent_id = agent;
	c.device = device;
	c.addr = addr;
	c.length = length;
	c.mode = mode;
	c.flags = 0;
	return c;
}

/* GDL_CHECK_* for a check that must succeed, or -1 (reported). */
static int check(uint64_t agent, uint32_t device, uint64_t addr,
		 uint64_t length, uint32_t mode)
{
	struct gdl_check c = mk_check(agent, device, addr, length, mode);

	if (ioctl(fd, GDL_IOC_CHECK, &c)) {
		tap_not_ok("CHECK", "failed: %s", strerror(errno));
		return -1;
	}
	if (c.agent_id != agent || c.addr != addr || c.length != length ||
	    c.device != device || c.mode != mode || c.flags)
		tap_not_ok("CHECK input fields", "kernel changed them");
	return c.result;
}

static void test_dispatch(void)
{
	uint32_t small;

	tap_eq("NOOP returns 0", 0, ioctl(fd, GDL_IOC_NOOP, 0));
	tap_eq("NOOP ignores its argument", 0,
	       ioctl(fd, GDL_IOC_NOOP, 0xdeadbeefUL));
	errno = 0;
	tap_eq("unknown command number fails", -1,
	       ioctl(fd, _IO(GDL_IOC_MAGIC, 0x7f), 0));
	tap_eq("unknown command: ENOTTY", ENOTTY, errno);
	errno = 0;
	tap_eq("INFO with a wrong size fails", -1,
	       ioctl(fd, _IOWR(GDL_IOC_MAGIC, 0x41, uint32_t), &small));
	tap_eq("wrong size: ENOTTY", ENOTTY, errno);
	errno = 0;
	tap_eq("ALLOC with the wrong direction fails", -1,
	       ioctl(fd, _IOW(GDL_IOC_MAGIC, 0x46, struct gdl_alloc), &small));
	tap_eq("wrong direction: ENOTTY", ENOTTY, errno);
	errno = 0;
	tap_eq("other magic fails", -1,
	       ioctl(fd, _IO('T', 0x40), 0));
	tap_eq("other magic: ENOTTY", ENOTTY, errno);
}

static void test_info(void)
{
	struct gdl_info i;

	pattern(&i, sizeof(i));
	tap_ioctl_fails(fd, "INFO flags != 0", GDL_IOC_INFO, &i, sizeof(i), EINVAL);

	pattern(&i, sizeof(i));
	i.flags = 0;
	if (!tap_ioctl_succeeds(fd, "INFO", GDL_IOC_INFO, &i))
		return;
	tap_eq("INFO abi_version", GDL_ABI_VERSION, i.abi_version);
	tap_eq("INFO flags left 0", 0, i.flags);
	tap_eq("INFO num_devices (2 fake)", 2, i.num_devices);
	tap_eq("INFO unbound", 0, i.bound);
	tap_eq("INFO bound_agent 0", 0, i.bound_agent);
	tap_eq("INFO max_agents", 6, i.max_agents);
	tap_eq("INFO default_quota", 0, i.default_quota);

	errno = 0;
	tap_eq("INFO NULL fails with EFAULT", EFAULT,
	       ioctl(fd, GDL_IOC_INFO, NULL) ? errno : 0);
}

static void test_devices(void)
{
	struct gdl_device_info d;
	char what[64];
	uint32_t i;

	for (i = 0; i < 2; i++) {
		pattern(&d, sizeof(d));
		d.index = i;
		d.flags = 0;
		snprintf(what, sizeof(what), "GET_DEVICE %u", i);
		if (!tap_ioctl_succeeds(fd, what, GDL_IOC_GET_DEVICE, &d))
			continue;
		snprintf(what, sizeof(what), "fake%u", i);
		if (strcmp((char *)d.name, what))
			tap_not_ok("device name", "'%.32s' != '%s'", d.name, what);
		else
			tap_ok("device %u is named %s", i, what);
		tap_eq("device index kept", i, d.index);
		tap_eq("device kind FAKE", GDL_DEVICE_FAKE, d.kind);
		tap_eq("device capacity = fake_gpu_mem", GIB, d.capacity);
		tap_eq("device used 0", 0, d.used);
		tap_eq("fake device has no PCI id", 0,
		       d.pci_domain | d.pci_bdf | d.pci_id);
	}
	pattern(&d, sizeof(d));
	d.index = 2;
	d.flags = 0;
	tap_ioctl_fails(fd, "GET_DEVICE past the last device", GDL_IOC_GET_DEVICE, &d, sizeof(d), ENODEV);
	pattern(&d, sizeof(d));
	d.index = 0;
	tap_ioctl_fails(fd, "GET_DEVICE flags != 0", GDL_IOC_GET_DEVICE, &d, sizeof(d), EINVAL);
}

static void test_stats_struct(void)
{
	struct gdl_stats s;

	pattern(&s, sizeof(s));
	s.pad = 0;
	tap_ioctl_fails(fd, "GET_STATS flags != 0", GDL_IOC_GET_STATS, &s, sizeof(s), EINVAL);
	pattern(&s, sizeof(s));
	s.flags = 0;
	tap_ioctl_fails(fd, "GET_STATS pad != 0", GDL_IOC_GET_STATS, &s, sizeof(s), EINVAL);
	pattern(&s, sizeof(s));
	s.flags = 0;
	s.pad = 0;
	if (!tap_ioctl_succeeds(fd, "GET_STATS", GDL_IOC_GET_STATS, &s))
		return;
	tap_eq("stats capacity = 2 fake GPUs", 2 * GIB, s.capacity_bytes);
	tap_eq("stats agents 0 at load", 0, s.agents);
	tap_eq("stats live_allocations 0 at load", 0, s.live_allocations);
	tap_eq("stats flags/pad 0", 0, s.flags | s.pad);
}

static void test_agents(void)
{
	struct gdl_agent_cfg c;
	struct gdl_agent_info ai;
	struct gdl_agent_ref r;

	static const struct tap_refusal set_agent_refused[] = {
		TAP_REFUSE(struct gdl_agent_cfg, flags, PAT32, EINVAL, "SET_AGENT flags != 0"),
		TAP_REFUSE(struct gdl_agent_cfg, pad, 1, EINVAL, "SET_AGENT pad != 0"),
		TAP_REFUSE(struct gdl_agent_cfg, agent_id, 0, EINVAL, "SET_AGENT agent 0"),
	};
	static const struct tap_refusal get_agent_refused[] = {
		TAP_REFUSE(struct gdl_agent_info, agent_id, 99, ENOENT, "GET_AGENT unknown"),
		TAP_REFUSE(struct gdl_agent_info, agent_id, 0, EINVAL, "GET_AGENT 0 on an unbound file (root)"),
		TAP_REFUSE(struct gdl_agent_info, flags, 1, EINVAL, "GET_AGENT flags != 0"),
		TAP_REFUSE(struct gdl_agent_info, pad, 1, EINVAL, "GET_AGENT pad != 0"),
	};
	static const struct tap_refusal remove_agent_refused[] = {
		TAP_REFUSE(struct gdl_agent_ref, flags, PAT32, EINVAL, "REMOVE_AGENT flags != 0"),
		TAP_REFUSE(struct gdl_agent_ref, pad, 7, EINVAL, "REMOVE_AGENT pad != 0"),
		TAP_REFUSE_AS_IS(ENOENT, "REMOVE_AGENT unknown"),
		TAP_REFUSE(struct gdl_agent_ref, agent_id, 0, EINVAL, "REMOVE_AGENT agent 0"),
	};

	pattern(&c, sizeof(c));
	c.agent_id = 1;
	c.quota = MIB;
	c.device_mask = 1;
	c.flags = 0;
	c.pad = 0;
	TAP_REFUSALS(fd, GDL_IOC_SET_AGENT, c, set_agent_refused);
	tap_ioctl_succeeds(fd, "SET_AGENT 1: 1 MiB on device 0", GDL_IOC_SET_AGENT, &c);
	c.agent_id = 2;
	c.quota = 4 * GIB;
	c.device_mask = 2;
	tap_ioctl_succeeds(fd, "SET_AGENT 2: 4 GiB on device 1", GDL_IOC_SET_AGENT, &c);

	pattern(&ai, sizeof(ai));
	ai.agent_id = 1;
	ai.flags = 0;
	ai.pad = 0;
	if (tap_ioctl_succeeds(fd, "GET_AGENT 1", GDL_IOC_GET_AGENT, &ai)) {
		tap_eq("agent 1 id kept", 1, ai.agent_id);
		tap_eq("agent 1 quota", MIB, ai.quota);
		tap_eq("agent 1 used", 0, ai.used);
		tap_eq("agent 1 mask", 1, ai.device_mask);
		tap_eq("agent 1 allocations", 0, ai.allocations);
		tap_eq("agent 1 grants", 0, ai.grants);
	}
	ai.agent_id = 1;
	pattern(&ai.quota, sizeof(ai) - 8);
	ai.flags = 0;
	ai.pad = 0;
	TAP_REFUSALS(fd, GDL_IOC_GET_AGENT, ai, get_agent_refused);

	r = (struct gdl_agent_ref){ .agent_id = 42 };
	TAP_REFUSALS(fd, GDL_IOC_REMOVE_AGENT, r, remove_agent_refused);
}

static uint64_t test_alloc(void)
{
	struct gdl_stats s0, s1;
	struct gdl_alloc a;
	struct gdl_agent_info ai;
	uint64_t id;

	stats(&s0);
	a = mk_alloc(1, 4096, 0, 0);
	if (!tap_ioctl_succeeds(fd, "ALLOC 4096 bytes for agent 1", GDL_IOC_ALLOC, &a))
		return 0;
	id = a.alloc_id;
	tap_eq("alloc id is nonzero", 1, id != 0 && id != PAT64);
	tap_eq("ALLOC in fields kept", 1, a.agent_id == 1 && a.size == 4096 &&
	       a.device == 0 && a.flags == 0);

	memset(&ai, 0, sizeof(ai));
	ai.agent_id = 1;
	ioctl(fd, GDL_IOC_GET_AGENT, &ai);
	tap_eq("agent 1 used after ALLOC", 4096, ai.used);
	tap_eq("agent 1 allocations after ALLOC", 1, ai.allocations);
	stats(&s1);
	tap_eq("stats allocs +1", s0.allocs + 1, s1.allocs);
	tap_eq("stats used_bytes +4096", s0.used_bytes + 4096, s1.used_bytes);

	a = mk_alloc(1, 4096, 0, 0x2);
	tap_ioctl_fails(fd, "ALLOC unknown flag", GDL_IOC_ALLOC, &a, sizeof(a), EINVAL);
	a = mk_alloc(1, 0, 0, 0);
	tap_ioctl_fails(fd, "ALLOC size 0", GDL_IOC_ALLOC, &a, sizeof(a), EINVAL);
	a = mk_alloc(1, 4096, 1, 0);
	tap_ioctl_fails(fd, "ALLOC on a device outside the mask", GDL_IOC_ALLOC, &a, sizeof(a), EPERM);
	a = mk_alloc(1, 4096, 9, 0);
	tap_ioctl_fails(fd, "ALLOC on an unknown device", GDL_IOC_ALLOC, &a, sizeof(a), ENODEV);
	a = mk_alloc(55, 4096, 0, 0);
	tap_ioctl_fails(fd, "ALLOC for an unknown agent (default_quota 0)", GDL_IOC_ALLOC, &a, sizeof(a), ENOENT);
	a = mk_alloc(0, 4096, 0, 0);
	tap_ioctl_fails(fd, "ALLOC agent 0 on an unbound file (root)", GDL_IOC_ALLOC, &a, sizeof(a), EINVAL);

	stats(&s0);
	a = mk_alloc(1, MIB, 0, 0);
	tap_ioctl_fails(fd, "ALLOC beyond the quota", GDL_IOC_ALLOC, &a, sizeof(a), EDQUOT);
	stats(&s1);
	tap_eq("quota violation counted", s0.quota_violations + 1,
	       s1.quota_violations);
	tap_eq("refused ALLOC changed no usage", s0.used_bytes, s1.used_bytes);
	a = mk_alloc(1, UINT64_MAX, 0, 0);
	errno = 0;
	if (ioctl(fd, GDL_IOC_ALLOC, &a) == -1 &&
	    (errno == EDQUOT || errno == EINVAL))
		tap_ok("ALLOC of 2^64-1 bytes refused (%s)", strerror(errno));
	else
		tap_not_ok("ALLOC of 2^64-1 bytes", "not refused: %s",
			   strerror(errno));

	a = mk_alloc(2, 2 * GIB, 1, 0);
	tap_ioctl_fails(fd, "ALLOC beyond the device's capacity", GDL_IOC_ALLOC, &a, sizeof(a), ENOSPC);
	return id;
}

/*
 * ALLOC whose alloc_id field lies on a page not yet written: reading the
 * arguments maps the zero page there, so the module's write under its
 * allocation lock (page faults disabled) fails, and the id is written after
 * the lock instead.  The caller must see no difference.
 */
static void test_alloc_fresh_page(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct gdl_stats s0, s1;
	struct gdl_alloc *a;
	char *m;

	m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		tap_not_ok("ALLOC, id on a fresh page", "mmap: %s", strerror(errno));
		return;
	}
	a = (struct gdl_alloc *)(m + pg - offsetof(struct gdl_alloc, alloc_id));
	/* The in fields only: alloc_id, on page 2, stays unwritten. */
	a->agent_id = 1;
	a->size = 4096;
	a->device = 0;
	a->flags = 0;
	stats(&s0);
	if (tap_ioctl_succeeds(fd, "ALLOC, id on a page not yet written", GDL_IOC_ALLOC, a)) {
		stats(&s1);
		tap_eq("that id is nonzero", 1, a->alloc_id != 0);
		tap_eq("that allocation counted once", s0.allocs + 1, s1.allocs);
		tap_ioctl_succeeds(fd, "FREE of that id", GDL_IOC_FREE,
				   &(struct gdl_free){ .alloc_id = a->alloc_id });
	}
	munmap(m, 2 * pg);
}

static void test_free(uint64_t id)
{
	struct gdl_free f;
	struct gdl_stats s0, s1;

	pattern(&f, sizeof(f));
	f.alloc_id = id;
	f.pad = 0;
	tap_ioctl_fails(fd, "FREE flags != 0", GDL_IOC_FREE, &f, sizeof(f), EINVAL);
	f.flags = 0;
	f.pad = 1;
	tap_ioctl_fails(fd, "FREE pad != 0", GDL_IOC_FREE, &f, sizeof(f), EINVAL);
	f.pad = 0;
	f.alloc_id = id + 1000000;
	tap_ioctl_fails(fd, "FREE unknown id", GDL_IOC_FREE, &f, sizeof(f), ENOENT);
	f.alloc_id = id;
	stats(&s0);
	tap_ioctl_succeeds(fd, "FREE", GDL_IOC_FREE, &f);
	stats(&s1);
	tap_eq("stats frees +1", s0.frees + 1, s1.frees);
	tap_eq("stats used_bytes -4096", s0.used_bytes - 4096, s1.used_bytes);
	tap_ioctl_fails(fd, "FREE twice", GDL_IOC_FREE, &f, sizeof(f), ENOENT);
}

static void test_grants(void)
{
	struct gdl_grant g;
	struct gdl_stats s0, s1;

	g = mk_grant(1, 0, 0x10000, 0x1000, GDL_DMA_RW);
	g.flags = 1;
	tap_ioctl_fails(fd, "GRANT flags != 0", GDL_IOC_GRANT, &g, sizeof(g), EINVAL);
	g.flags = 0;
	g.pad = 1;
	tap_ioctl_fails(fd, "GRANT pad != 0", GDL_IOC_GRANT, &g, sizeof(g), EINVAL);
	g = mk_grant(0, 0, 0x10000, 0x1000, GDL_DMA_RW);
	tap_ioctl_fails(fd, "GRANT agent 0", GDL_IOC_GRANT, &g, sizeof(g), EINVAL);
	g = mk_grant(1, 0, 0x10000, 0, GDL_DMA_RW);
	tap_ioctl_fails(fd, "GRANT length 0", GDL_IOC_GRANT, &g, sizeof(g), EINVAL);
	g = mk_grant(1, 0, UINT64_MAX - 10, 100, GDL_DMA_RW);
	tap_ioctl_fails(fd, "GRANT start + length overflows", GDL_IOC_GRANT, &g, sizeof(g), EINVAL);
	g = mk_grant(1, 0, 0x10000, 0x1000, 0);
	tap_ioctl_fails(fd, "GRANT mode 0", GDL_IOC_GRANT, &g, sizeof(g), EINVAL);
	g = mk_grant(1, 0, 0x10000, 0x1000, 4);
	tap_ioctl_fails(fd, "GRANT unknown mode bit", GDL_IOC_GRANT, &g, sizeof(g), EINVAL);
	g = mk_grant(1, 9, 0x10000, 0x1000, GDL_DMA_RW);
	tap_ioctl_fails(fd, "GRANT unknown device", GDL_IOC_GRANT, &g, sizeof(g), ENODEV);
	g = mk_grant(1, 1, 0x10000, 0x1000, GDL_DMA_RW);
	tap_ioctl_fails(fd, "GRANT device outside the mask", GDL_IOC_GRANT, &g, sizeof(g), EPERM);
	g = mk_grant(77, 0, 0x10000, 0x1000, GDL_DMA_RW);
	tap_ioctl_fails(fd, "GRANT unknown agent", GDL_IOC_GRANT, &g, sizeof(g), ENOENT);

	stats(&s0);
	g = mk_grant(1, 0, 0x10000, 0x1000, GDL_DMA_RW);
	tap_ioctl_succeeds(fd, "GRANT rw [0x10000, 0x11000)", GDL_IOC_GRANT, &g);
	g = mk_grant(1, 0, 0x11000, 0x1000, GDL_DMA_RW);
	tap_ioctl_succeeds(fd, "GRANT rw [0x11000, 0x12000) (adjacent)", GDL_IOC_GRANT, &g);
	g = mk_grant(1, 0, 0x20000, 0x1000, GDL_DMA_READ);
	tap_ioctl_succeeds(fd, "GRANT r [0x20000, 0x21000)", GDL_IOC_GRANT, &g);
	stats(&s1);
	tap_eq("stats grants +3", s0.grants + 3, s1.grants);

	tap_eq("CHECK inside a grant: allowed", GDL_CHECK_ALLOWED,
	       check(1, 0, 0x10100, 0x100, GDL_DMA_RW));
	tap_eq("CHECK across adjacent grants: allowed", GDL_CHECK_ALLOWED,
	       check(1, 0, 0x10000, 0x2000, GDL_DMA_RW));
	tap_eq("CHECK past the end: denied", GDL_CHECK_DENIED,
	       check(1, 0, 0x11000, 0x1001, GDL_DMA_READ));
	tap_eq("CHECK write on a read grant: denied", GDL_CHECK_DENIED,
	       check(1, 0, 0x20000, 0x10, GDL_DMA_WRITE));
	tap_eq("CHECK read on a read grant: allowed", GDL_CHECK_ALLOWED,
	       check(1, 0, 0x20000, 0x10, GDL_DMA_READ));
	tap_eq("CHECK another device: denied", GDL_CHECK_DENIED,
	       check(1, 1, 0x10000, 0x10, GDL_DMA_READ));
	tap_eq("CHECK unknown device: denied", GDL_CHECK_DENIED,
	       check(1, 9, 0x10000, 0x10, GDL_DMA_READ));
	tap_eq("CHECK unknown agent: denied", GDL_CHECK_DENIED,
	       check(12345, 0, 0x10000, 0x10, GDL_DMA_READ));

	g = mk_grant(1, 0, 0x10800, 0x100, GDL_DMA_WRITE);
	g.flags = 2;
	tap_ioctl_fails(fd, "REVOKE flags != 0", GDL_IOC_REVOKE, &g, sizeof(g), EINVAL);
	g = mk_grant(0, 0, 0x10800, 0x100, GDL_DMA_WRITE);
	tap_ioctl_fails(fd, "REVOKE agent 0", GDL_IOC_REVOKE, &g, sizeof(g), EINVAL);
	g = mk_grant(1, 0, 0x10800, 0, GDL_DMA_WRITE);
	tap_ioctl_fails(fd, "REVOKE length 0", GDL_IOC_REVOKE, &g, sizeof(g), EINVAL);
	g = mk_grant(1, 0, 0x10800, 0x100, GDL_DMA_WRITE);
	tap_ioctl_succeeds(fd, "REVOKE w [0x10800, 0x10900)", GDL_IOC_REVOKE, &g);
	tap_eq("CHECK w in the revoked hole: denied", GDL_CHECK_DENIED,
	       check(1, 0, 0x10880, 0x10, GDL_DMA_WRITE));
	tap_eq("CHECK r in the revoked hole: allowed", GDL_CHECK_ALLOWED,
	       check(1, 0, 0x10880, 0x10, GDL_DMA_READ));
	tap_eq("CHECK w beside the hole: allowed", GDL_CHECK_ALLOWED,
	       check(1, 0, 0x10900, 0x10, GDL_DMA_WRITE));
}

/*
 * A CHECK whose argument can be read but not written: the answer cannot be
 * copied out (inline, in one user-access window), so the call fails with
 * EFAULT and the struct is unchanged.
 */
static void test_check_readonly(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct gdl_check *c;
	void *m;

	m = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		tap_not_ok("CHECK on a read-only page", "mmap: %s", strerror(errno));
		return;
	}
	c = m;
	*c = mk_check(1, 0, 0x10000, 0x10, GDL_DMA_READ);
	c->result = 7;
	if (mprotect(m, pg, PROT_READ))
		tap_not_ok("CHECK on a read-only page", "mprotect: %s", strerror(errno));
	else
		tap_ioctl_fails(fd, "CHECK on a read-only page (answer not written)",
				GDL_IOC_CHECK, c, sizeof(*c), EFAULT);
	munmap(m, pg);
}

static void test_check_errors(void)
{
	struct gdl_check c;

	c = mk_check(1, 0, 0x10000, 0x10, GDL_DMA_READ);
	c.flags = 1;
	tap_ioctl_fails(fd, "CHECK flags != 0", GDL_IOC_CHECK, &c, sizeof(c), EINVAL);
	c = mk_check(1, 0, 0x10000, 0, GDL_DMA_READ);
	tap_ioctl_fails(fd, "CHECK length 0", GDL_IOC_CHECK, &c, sizeof(c), EINVAL);
	c = mk_check(1, 0, UINT64_MAX, 2, GDL_DMA_READ);
	tap_ioctl_fails(fd, "CHECK overflow", GDL_IOC_CHECK, &c, sizeof(c), EINVAL);
	c = mk_check(1, 0, 0x10000, 0x10, 0);
	tap_ioctl_fails(fd, "CHECK mode 0", GDL_IOC_CHECK, &c, sizeof(c), EINVAL);
	c = mk_check(1, 0, 0x10000, 0x10, 8);
	tap_ioctl_fails(fd, "CHECK unknown mode bit", GDL_IOC_CHECK, &c, sizeof(c), EINVAL);
	c = mk_check(0, 0, 0x10000, 0x10, GDL_DMA_READ);
	tap_ioctl_fails(fd, "CHECK agent 0 on an unbound file (root)", GDL_IOC_CHECK, &c, sizeof(c), EINVAL);
	test_check_readonly();
}

static void test_batch(void)
{
	enum { N = 100, BIG = GDL_CHECK_BATCH_MAX };
	struct gdl_check_entry *e, before;
	struct gdl_check_batch b;
	struct gdl_stats s0, s1;
	uint32_t i, want = 0;
	int intact = 1;

	e = calloc(BIG, sizeof(*e));
	if (!e)
		die("out of memory");

	pattern(&b, sizeof(b));
	b.agent_id = 1;
	b.entries = (uintptr_t)e;
	b.count = 0;
	b.flags = 0;
	b.pad = 0;
	tap_ioctl_fails(fd, "CHECK_BATCH count 0", GDL_IOC_CHECK_BATCH, &b, sizeof(b), EINVAL);
	b.count = BIG + 1;
	tap_ioctl_fails(fd, "CHECK_BATCH count > max", GDL_IOC_CHECK_BATCH, &b, sizeof(b), EINVAL);
	b.count = 1;
	b.flags = 1;
	tap_ioctl_fails(fd, "CHECK_BATCH flags != 0", GDL_IOC_CHECK_BATCH, &b, sizeof(b), EINVAL);
	b.flags = 0;
	b.pad = 1;
	tap_ioctl_fails(fd, "CHECK_BATCH pad != 0", GDL_IOC_CHECK_BATCH, &b, sizeof(b), EINVAL);
	b.pad = 0;
	b.entries = 16;
	tap_ioctl_fails(fd, "CHECK_BATCH bad entries pointer", GDL_IOC_CHECK_BATCH, &b, sizeof(b), EFAULT);

	/* N entries: every third one outside the grants. */
	for (i = 0; i < N; i++) {
		pattern(&e[i], sizeof(e[i]));
		e[i].addr = i % 3 ? 0x10000 + i * 16 : 0x90000 + i;
		e[i].length = 16;
		e[i].device = 0;
		e[i].mode = GDL_DMA_READ;
		e[i].flags = 0;
		want += i % 3 ? 1 : 0;
	}
	b.entries = (uintptr_t)e;
	b.count = N;

	/* One malformed entry at the end: nothing is answered or counted. */
	e[N - 1].length = 0;
	stats(&s0);
	tap_ioctl_fails(fd, "CHECK_BATCH with a malformed last entry", GDL_IOC_CHECK_BATCH, &b, sizeof(b), EINVAL);
	stats(&s1);
	tap_eq("malformed batch counted no check", s0.checks, s1.checks);
	tap_eq("malformed batch wrote no result", PAT32, e[0].result);
	e[N - 1].length = 16;
	e[N - 1].flags = 1;
	tap_ioctl_fails(fd, "CHECK_BATCH entry flags != 0", GDL_IOC_CHECK_BATCH, &b, sizeof(b), EINVAL);
	e[N - 1].flags = 0;

	before = e[1];
	stats(&s0);
	if (tap_ioctl_succeeds(fd, "CHECK_BATCH of 100", GDL_IOC_CHECK_BATCH, &b)) {
		tap_eq("batch allowed count", want, b.allowed);
		for (i = 0; i < N; i++)
			if (e[i].result != (i % 3 ? GDL_CHECK_ALLOWED :
					    GDL_CHECK_DENIED))
				break;
		tap_eq("every batch result right", N, i);
		before.result = e[1].result;
		for (i = 0; i < N; i++)
			if (e[i].length != 16 || e[i].flags || e[i].mode != 1)
				intact = 0;
		tap_eq("batch entries' input fields kept", 1,
		       intact && !memcmp(&before, &e[1], sizeof(before)));
		tap_eq("batch count field kept", N, b.count);
	}
	stats(&s1);
	tap_eq("batch counted 100 checks", s0.checks + N, s1.checks);
	tap_eq("batch counted the denials", s0.checks_denied + (N - want),
	       s1.checks_denied);
	/* The file keeps the buffer that batch was copied into: a second one answers its own. */
	for (i = 0; i < N; i++)
		e[i].addr = 0x90000 + i * 16;
	if (tap_ioctl_succeeds(fd, "a second CHECK_BATCH of 100, all outside", GDL_IOC_CHECK_BATCH, &b)) {
		for (i = 0; i < N && e[i].result == GDL_CHECK_DENIED; i++)
			;
		tap_eq("second batch: nothing allowed", 0, b.allowed);
		tap_eq("second batch: every result denied", N, i);
	}

	for (i = 0; i < BIG; i++) {
		e[i].addr = 0x10000;
		e[i].length = 1;
		e[i].device = 0;
		e[i].mode = GDL_DMA_READ;
		e[i].flags = 0;
		e[i].result = PAT32;
	}
	b.count = BIG;
	if (tap_ioctl_succeeds(fd, "CHECK_BATCH of GDL_CHECK_BATCH_MAX", GDL_IOC_CHECK_BATCH, &b))
		tap_eq("max batch: all allowed", BIG, b.allowed);
	free(e);
}

static void test_remove_and_limits(uint64_t live_id)
{
	struct gdl_agent_ref r;
	struct gdl_agent_cfg c;
	struct gdl_free f;
	uint64_t a;

	pattern(&r, sizeof(r));
	r.agent_id = 1;
	r.flags = 0;
	r.pad = 0;
	tap_ioctl_fails(fd, "REMOVE_AGENT with live allocations", GDL_IOC_REMOVE_AGENT, &r, sizeof(r), EBUSY);
	memset(&f, 0, sizeof(f));
	f.alloc_id = live_id;
	tap_ioctl_succeeds(fd, "FREE agent 1's last allocation", GDL_IOC_FREE, &f);
	tap_ioctl_succeeds(fd, "REMOVE_AGENT 1", GDL_IOC_REMOVE_AGENT, &r);
	tap_eq("removed agent's grants are gone", GDL_CHECK_DENIED,
	       check(1, 0, 0x10000, 0x10, GDL_DMA_READ));

	/* max_agents=6: agent 2 exists; 3..7 make six, 8 is one too many. */
	memset(&c, 0, sizeof(c));
	c.quota = MIB;
	c.device_mask = 3;
	for (a = 3; a <= 7; a++) {
		c.agent_id = a;
		if (ioctl(fd, GDL_IOC_SET_AGENT, &c))
			tap_not_ok("SET_AGENT up to max_agents", "agent %llu: %s",
				   (unsigned long long)a, strerror(errno));
	}
	c.agent_id = 8;
	tap_ioctl_fails(fd, "SET_AGENT past max_agents", GDL_IOC_SET_AGENT, &c, sizeof(c), ENOSPC);
	c.agent_id = 7;
	c.quota = 2 * MIB;
	tap_ioctl_succeeds(fd, "SET_AGENT updates an agent at max_agents", GDL_IOC_SET_AGENT, &c);
	for (a = 2; a <= 7; a++) {
		r.agent_id = a;
		ioctl(fd, GDL_IOC_REMOVE_AGENT, &r);
	}
}

static void test_bind_and_owner(void)
{
	struct gdl_bind b;
	static const struct tap_refusal bind_refused[] = {
		TAP_REFUSE(struct gdl_bind, flags, PAT32, EINVAL, "BIND flags != 0"),
		TAP_REFUSE(struct gdl_bind, pad, 3, EINVAL, "BIND pad != 0"),
	};
	struct gdl_info i;
	struct gdl_agent_cfg c = { .agent_id = 20, .quota = MIB, .device_mask = 1 };
	struct gdl_agent_info ai;
	struct gdl_alloc a1 = mk_alloc(0, 8192, 0, GDL_ALLOC_PERSISTENT);
	struct gdl_alloc a2 = mk_alloc(0, 4096, 0, 0);
	struct gdl_free f = { 0 };
	struct gdl_agent_ref r;
	uint64_t keep = 0, gone = 0;
	int fd2, saved = fd;

	ioctl(fd, GDL_IOC_SET_AGENT, &c);
	fd2 = open(GDL_DEV_PATH, O_RDWR);
	if (fd2 < 0)
		die("open: %s", strerror(errno));
	fd = fd2;

	b = (struct gdl_bind){ .agent_id = 20 };
	TAP_REFUSALS(fd, GDL_IOC_BIND, b, bind_refused);
	tap_ioctl_succeeds(fd, "BIND to agent 20", GDL_IOC_BIND, &b);
	memset(&i, 0, sizeof(i));
	ioctl(fd, GDL_IOC_INFO, &i);
	tap_eq("INFO shows the binding", 1, i.bound == 1 && i.bound_agent == 20);

	if (tap_ioctl_succeeds(fd, "ALLOC persistent as the bound agent (agent_id 0)", GDL_IOC_ALLOC, &a1))
		keep = a1.alloc_id;
	if (tap_ioctl_succeeds(fd, "ALLOC owned by the file", GDL_IOC_ALLOC, &a2))
		gone = a2.alloc_id;
	memset(&ai, 0, sizeof(ai));
	tap_eq("GET_AGENT 0 answers for the bound agent", 0,
	       ioctl(fd, GDL_IOC_GET_AGENT, &ai));
	tap_eq("bound agent's usage", 12288, ai.used);
	tap_eq("GET_AGENT keeps agent_id 0 as written", 0, ai.agent_id);

	close(fd2);
	fd = saved;
	memset(&ai, 0, sizeof(ai));
	ai.agent_id = 20;
	ioctl(fd, GDL_IOC_GET_AGENT, &ai);
	tap_eq("closing the file freed its allocation, not the persistent one",
	       8192, ai.used);
	f.alloc_id = gone;
	tap_ioctl_fails(fd, "file-owned allocation is gone after close", GDL_IOC_FREE, &f, sizeof(f), ENOENT);
	f.alloc_id = keep;
	tap_ioctl_succeeds(fd, "FREE the persistent allocation from another file", GDL_IOC_FREE, &f);

	pattern(&b, sizeof(b));
	b.agent_id = 0;
	b.flags = 0;
	b.pad = 0;
	tap_ioctl_succeeds(fd, "BIND 0 unbinds", GDL_IOC_BIND, &b);
	memset(&i, 0, sizeof(i));
	ioctl(fd, GDL_IOC_INFO, &i);
	tap_eq("INFO shows no binding", 0, i.bound | i.bound_agent);

	memset(&r, 0, sizeof(r));
	r.agent_id = 20;
	tap_ioctl_succeeds(fd, "REMOVE_AGENT 20", GDL_IOC_REMOVE_AGENT, &r);
}

int main(void)
{
	struct gdl_alloc a;
	struct gdl_stats s;
	uint64_t id;

	fd = open(GDL_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %s", GDL_DEV_PATH, strerror(errno));

	test_dispatch();
	test_info();
	test_devices();
	test_stats_struct();
	test_agents();
	id = test_alloc();
	test_alloc_fresh_page();
	test_free(id);
	test_grants();
	test_check_errors();
	test_batch();
	/* A live allocation for REMOVE_AGENT's -EBUSY. */
	a = mk_alloc(1, 4096, 0, 0);
	if (ioctl(fd, GDL_IOC_ALLOC, &a))
		die("ALLOC: %s", strerror(errno));
	test_remove_and_limits(a.alloc_id);
	test_bind_and_owner();

	stats(&s);
	tap_eq("nothing left allocated", 0, s.live_allocations);
	tap_eq("no agent left", 0, s.agents);
	tap_eq("no bytes left in use", 0, s.used_bytes);
	close(fd);
	return tap_exit();
}

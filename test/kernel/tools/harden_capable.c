// SPDX-License-Identifier: GPL-2.0
/*
 * harden_capable.c - a bound workload's routine calls never reach capable()
 * (issue 10, defect 7)
 *
 * capable() asks the LSMs, and they audit a denial: when FREE checked
 * CAP_SYS_ADMIN before trying the caller's own agent, a confined workload
 * logged a denial on every free.  The module must check capabilities only
 * where they decide something.  This tool counts the checks: a kprobe on
 * security_capable() (where capable(), ns_capable() and the rest all end),
 * made through tracefs and filtered on one unprivileged child's pid; its
 * events in the trace are the count.
 *
 * The child (uid 65534, no capabilities) runs two windows with the probe on:
 *
 *   routine  ROUNDS times, through a file bound to agent 50 (BIND) and
 *            through an unbound file while uid 65534 is bound to agent 51
 *            (BIND_UID): ALLOC, GET_AGENT, CHECK, CHECK_BATCH, FREE, FREE of
 *            a stale id, and the prototype's SWARM_GPU_ALLOC,
 *            SWARM_DMA_CHECK_PERM and SWARM_GPU_FREE, all as its own agent.
 *            Expected: no call at all.
 *   control  GET_AGENT naming agent 52, a PERSISTENT allocation and a FREE of
 *            agent 52's allocation: capability decides each (all refused),
 *            so at least 3 calls: the probe sees what it must.
 *
 * A second child (root, an operator) then shows that a file remembers the
 * credentials that passed (gdl_file_admin()) and nothing else:
 *
 *   operator ROUNDS times, CHECK and GET_AGENT naming agent 52 through the
 *            parent's file (which remembers the parent's credentials, not
 *            this process's).  Expected: exactly 1 call (asked once).
 *   dropped  the same child after capset() clears CAP_SYS_ADMIN from its
 *            effective set (new credentials): two requests naming agent 52,
 *            both refused, each asked (at least 2 calls).
 *
 * Expects 20-harden.sh's module: fake_gpus=2 default_quota=1048576
 * max_agent_allocs=4 (each round frees what it allocates).
 */
#define _GNU_SOURCE
#include "vm_tool.h"

#include <grp.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define MIB		(1ull << 20)
#define ROUNDS		50
#define TRACEFS		"/sys/kernel/tracing"
#define PROBE_GROUP	"gdl_harden"
#define PROBE_NAME	"gdl_capable"
#define PROBE_DIR	TRACEFS "/events/" PROBE_GROUP "/" PROBE_NAME
#define ROUND_CALLS	10	/* ioctls in routine_round() */
#define CONTROL_CALLS	3

enum { AGENT_FILE = 50, AGENT_UID = 51, AGENT_OTHER = 52 };
enum { WORKLOAD_UID = 65534 };

/* Writes @text to @path (appending if @append); 0 or -errno. */
static int put(const char *path, const char *text, int append)
{
	return vm_write(path, text, append ? O_APPEND : O_TRUNC);
}

static void must_put(const char *path, const char *text, int append)
{
	int ret = put(path, text, append);

	if (ret)
		die("writing '%s' to %s: %s", text, path, strerror(-ret));
}

static void probe_create(void)
{
	/* x86-64: security_capable(cred, ns, cap, opts), cap in %dx. */
	int ret = put(TRACEFS "/kprobe_events",
		      "p:" PROBE_GROUP "/" PROBE_NAME " security_capable cap=%dx:s32", 1);

	if (ret)
		die("cannot place a kprobe on security_capable (%s): is " TRACEFS
		    " mounted and CONFIG_KPROBE_EVENTS set?", strerror(-ret));
}

static void probe_remove(void)
{
	put(PROBE_DIR "/enable", "0", 0);
	must_put(TRACEFS "/kprobe_events", "-:" PROBE_GROUP "/" PROBE_NAME, 1);
}

/* Empties the trace and arms the probe for @pid alone. */
static void probe_arm(pid_t pid)
{
	char filter[64];

	snprintf(filter, sizeof(filter), "common_pid == %d", (int)pid);
	must_put(TRACEFS "/tracing_on", "1", 0);
	must_put(TRACEFS "/trace", "", 0);
	must_put(PROBE_DIR "/filter", filter, 0);
	must_put(PROBE_DIR "/enable", "1", 0);
}

/* Disarms the probe; the number of its events in the trace. */
static int probe_count(void)
{
	unsigned long in_buffer, written;
	char *text, *p;
	int n = 0;

	must_put(PROBE_DIR "/enable", "0", 0);
	text = slurp(TRACEFS "/trace", NULL);

	for (p = text; (p = strstr(p, " " PROBE_NAME ": ")); p++)
		n++;
	/* A buffer that dropped events would make 0 prove nothing. */
	p = strstr(text, "# entries-in-buffer/entries-written: ");
	if (!p || sscanf(p, "# entries-in-buffer/entries-written: %lu/%lu", &in_buffer,
			 &written) != 2)
		die("the trace has no entries-in-buffer/entries-written header");
	if (in_buffer != written)
		die("the trace buffer dropped events (%lu of %lu kept): cannot count",
		    in_buffer, written);
	free(text);
	return n;
}

static void setup(int admin, uint64_t *other_alloc)
{
	static const uint64_t agents[] = { AGENT_FILE, AGENT_UID, AGENT_OTHER };
	struct gdl_uid_binding ub = { .uid = WORKLOAD_UID, .agent_id = AGENT_UID };
	size_t i;

	for (i = 0; i < 3; i++)
		if (ioc_set_agent(admin, agents[i], MIB, 0x3) ||
		    ioc_grant_op(admin, GDL_IOC_GRANT, agents[i], 0, 0x1000, 0x1000, GDL_DMA_RW))
			die("setting up agent %llu: %s", (unsigned long long)agents[i], strerror(errno));
	if (ioc_alloc(admin, AGENT_OTHER, 4096, 0, GDL_ALLOC_PERSISTENT, other_alloc) ||
	    ioc(admin, GDL_IOC_BIND_UID, &ub))
		die("setting up agent %d: %s", AGENT_OTHER, strerror(errno));
}

static void cleanup(int admin, uint64_t other_alloc)
{
	static const uint64_t agents[] = { AGENT_FILE, AGENT_UID, AGENT_OTHER };
	struct gdl_uid_binding ub = { .uid = WORKLOAD_UID };
	size_t i;

	if (ioc(admin, GDL_IOC_UNBIND_UID, &ub) || ioc_free(admin, other_alloc))
		die("cleaning up: %s", strerror(errno));
	for (i = 0; i < 3; i++) {
		struct gdl_agent_ref ref = { .agent_id = agents[i] };

		if (ioc(admin, GDL_IOC_REMOVE_AGENT, &ref))
			die("removing agent %llu: %s", (unsigned long long)agents[i], strerror(errno));
	}
}

/* Child side ------------------------------------------------------------- */

/*
 * The routine calls of one round through @fd, as the caller's own agent.
 * Returns how many did not answer as a workload's call should; prints
 * nothing (the window must hold the ioctls alone).
 */
static int routine_round(int fd)
{
	struct gdl_check_entry e[2] = {
		{ .addr = 0x1000, .length = 16, .mode = GDL_DMA_READ },
		{ .addr = 0x8000, .length = 16, .mode = GDL_DMA_READ },
	};
	struct gdl_check_batch cb = { .entries = (uintptr_t)e, .count = 2 };
	struct swarm_gpu_alloc sa = { .size = 4096 };
	struct swarm_dma_check sc = { .dma_addr = 0x1000, .size = 16,
				      .access_type = SWARM_ACCESS_READ };
	struct gdl_agent_info ai;
	uint64_t id = 0;
	int bad = 0;

	bad += ioc_alloc(fd, 0, 4096, 0, 0, &id) != 0;
	bad += ioc_get_agent(fd, 0, &ai) != 0;
	bad += ioc_check(fd, 0, 0, 0x1000, 16, GDL_DMA_READ) != GDL_CHECK_ALLOWED;
	bad += ioc_check(fd, 0, 0, 0x8000, 16, GDL_DMA_READ) != GDL_CHECK_DENIED;
	bad += ioc(fd, GDL_IOC_CHECK_BATCH, &cb) != 0 || cb.allowed != 1;
	bad += ioc_free(fd, id) != 0;
	/* A stale id: the workload's own mistake, answered without privilege. */
	bad += ioc_free(fd, id) != -ENOENT;
	bad += ioc(fd, SWARM_GPU_ALLOC, &sa) != 0;
	bad += ioc(fd, SWARM_DMA_CHECK_PERM, &sc) != 0 || sc.allowed != 1;
	bad += (ioctl(fd, SWARM_GPU_FREE, (unsigned long)sa.alloc_id) ? -errno : 0) != 0;
	return bad;
}

static void sync_write(int fd, char c)
{
	if (write(fd, &c, 1) != 1)
		die("sync pipe: %s", strerror(errno));
}

static char sync_read(int fd)
{
	char c;

	if (read(fd, &c, 1) != 1)
		die("sync pipe closed");
	return c;
}

static void workload(int bound_fd, int to_parent, int from_parent, uint64_t other_alloc)
{
	struct gdl_agent_info ai;
	uint64_t id;
	int fd, i, bad = 0, refused = 0;

	if (setgroups(0, NULL) || setresgid(WORKLOAD_UID, WORKLOAD_UID, WORKLOAD_UID) ||
	    setresuid(WORKLOAD_UID, WORKLOAD_UID, WORKLOAD_UID))
		die("cannot drop privileges: %s", strerror(errno));
	fd = gdl_open();	/* unbound: uid 65534's binding decides */

	sync_write(to_parent, 'r');
	sync_read(from_parent);
	for (i = 0; i < ROUNDS; i++) {
		bad += routine_round(bound_fd);
		bad += routine_round(fd);
	}
	sync_write(to_parent, 'd');

	sync_read(from_parent);
	refused += ioc_get_agent(fd, AGENT_OTHER, &ai) == -EPERM;
	refused += ioc_alloc(fd, 0, 4096, 0, GDL_ALLOC_PERSISTENT, &id) == -EPERM;
	refused += ioc_free(fd, other_alloc) == -EPERM;
	sync_write(to_parent, 'd');

	tap_eq("workload: every routine call answered as its agent's", 0, bad);
	tap_eq("workload: every call where capability decides refused", CONTROL_CALLS, refused);
	close(fd);
	fflush(stdout);
	_exit(tap_failures ? 1 : 0);
}

/* Clears @cap from the effective set: new credentials. */
static void drop_effective(int cap)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		die("capget: %s", strerror(errno));
	d[cap / 32].effective &= ~(1u << (cap % 32));
	if (syscall(SYS_capset, &h, d))
		die("capset: %s", strerror(errno));
}

static void operator(int admin, int to_parent, int from_parent, uint64_t unused)
{
	struct gdl_agent_info ai;
	int i, bad = 0, refused = 0;

	sync_write(to_parent, 'r');
	sync_read(from_parent);
	for (i = 0; i < ROUNDS; i++) {
		bad += ioc_check(admin, AGENT_OTHER, 0, 0x1000, 16, GDL_DMA_READ) !=
		       GDL_CHECK_ALLOWED;
		bad += ioc_get_agent(admin, AGENT_OTHER, &ai) != 0;
	}
	sync_write(to_parent, 'd');

	sync_read(from_parent);
	drop_effective(CAP_SYS_ADMIN);
	refused += ioc_check(admin, AGENT_OTHER, 0, 0x1000, 16, GDL_DMA_READ) == -EPERM;
	refused += ioc_get_agent(admin, AGENT_OTHER, &ai) == -EPERM;
	sync_write(to_parent, 'd');

	tap_eq("operator: every request naming agent 52 answered", 0, bad);
	tap_eq("operator without CAP_SYS_ADMIN: both requests refused", 2, refused);
	fflush(stdout);
	_exit(tap_failures ? 1 : 0);
}

/*
 * Runs @child(@fd, pipes, @arg) in a forked process and counts the
 * security_capable() calls of its two windows, in @first and @second (the
 * child says 'r' when ready and 'd' at the end of each window, and waits
 * for 'g' before each).  The child's "not ok" lines are already out.
 */
static void run_child(void (*child)(int, int, int, uint64_t), int fd,
		      uint64_t arg, int *first, int *second)
{
	int up[2], down[2], st;
	pid_t pid;

	if (pipe(up) || pipe(down))
		die("pipe: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		close(up[0]);
		close(down[1]);
		child(fd, up[1], down[0], arg);
	}
	close(up[1]);
	close(down[0]);
	sync_read(up[0]);
	probe_arm(pid);
	sync_write(down[1], 'g');
	sync_read(up[0]);
	*first = probe_count();
	probe_arm(pid);
	sync_write(down[1], 'g');
	sync_read(up[0]);
	*second = probe_count();
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) > 1)
		die("a child did not finish");
	tap_failures += WEXITSTATUS(st);
	close(up[0]);
	close(down[1]);
}

int main(void)
{
	int admin = gdl_open(), bound_fd = gdl_open(), routine, control, asked, dropped;
	struct gdl_bind b = { .agent_id = AGENT_FILE };
	uint64_t other_alloc;

	setup(admin, &other_alloc);
	if (ioc(bound_fd, GDL_IOC_BIND, &b))
		die("BIND %d: %s", AGENT_FILE, strerror(errno));
	probe_create();
	run_child(workload, bound_fd, other_alloc, &routine, &control);
	run_child(operator, admin, 0, &asked, &dropped);
	probe_remove();

	if (routine == 0)
		tap_ok("no capability check in %d routine calls of a bound workload",
		       2 * ROUNDS * ROUND_CALLS);
	else
		tap_not_ok("no capability check in routine calls",
			   "%d security_capable() calls in %d routine calls of a bound workload",
			   routine, 2 * ROUNDS * ROUND_CALLS);
	if (control >= CONTROL_CALLS)
		tap_ok("the probe counts the %d calls where capability decides (%d hits)",
		       CONTROL_CALLS, control);
	else
		tap_not_ok("probe sees capability checks",
			   "%d hits for %d calls that must each check", control, CONTROL_CALLS);
	if (asked == 1)
		tap_ok("an operator's %d requests naming an agent on one file asked once",
		       2 * ROUNDS);
	else
		tap_not_ok("credentials that passed are remembered",
			   "%d security_capable() calls in %d requests naming an agent",
			   asked, 2 * ROUNDS);
	if (dropped >= 2)
		tap_ok("after capset() the credentials are new: asked again, refused (%d hits)",
		       dropped);
	else
		tap_not_ok("new credentials are asked",
			   "%d hits for 2 requests with new credentials", dropped);

	cleanup(admin, other_alloc);
	close(bound_fd);
	close(admin);
	return tap_exit();
}

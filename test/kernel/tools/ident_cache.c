// SPDX-License-Identifier: GPL-2.0
/*
 * ident_cache.c - a file's cached cgroup/uid resolution is never stale
 *
 * Usage: ident_cache CGROUP2_MOUNT   (run as root, after ident_cgroup: no
 *                                      binding in place)
 *
 * Each open file remembers its last resolution (struct gdl_ident_cache in
 * kmod/gdl_identity.h), keyed on the caller's cgroup, uid and the bindings'
 * generation.  These cases try to make it answer with an old or another
 * caller's agent: one descriptor kept open across every change.
 *
 *   121  bound to /gdl-id/cache/x   grant at ADDR_X
 *   122  bound to /gdl-id/cache/y   grant at ADDR_Y
 *   123, 124                        uid bindings (quotas name them)
 *
 * An agent is told by a CHECK: ALLOWED at its own grant, DENIED at the
 * other's, -EPERM with no agent.  The races run a checker (uid 65534, one
 * descriptor, back-to-back CHECKs) against a changer (root: moves, rebinds,
 * unbinds) that marks each change in a shared sequence counter, odd while
 * it is under way: a CHECK with the same even count before and after it
 * began after the last change had returned, so its answer is known exactly.
 */
#define _GNU_SOURCE
#include "vm_tool.h"

#include <grp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define MIB		(1ull << 20)
#define NOBODY		65534
#define OTHER_UID	65533
#define ADDR_X		0x110000ull
#define ADDR_Y		0x120000ull
#define CHANGES		100	/* per race */
#define PINGPONG	500	/* turns of two processes on one descriptor */
#define SHARED_CHECKS	20000	/* per process, both at once on one descriptor */

static const char *mnt;
static int fd_root;

/* Helpers ------------------------------------------------------------------ */

static const char *cg_dir(const char *rel)
{
	return vm_path("%s/gdl-id/cache%s", mnt, rel);
}

static void cg_move(pid_t pid, const char *rel)
{
	vm_cg_move(cg_dir(rel), pid);
}

static void drop_to(uid_t r, uid_t e, uid_t s)
{
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) || setresuid(r, e, s))
		_exit(3);
}

/* The answer a CHECK at @addr gets as @agent (0: none). */
static int expected(uint64_t agent, uint64_t addr)
{
	if (!agent)
		return -EPERM;
	return (agent == 121 && addr == ADDR_X) || (agent == 122 && addr == ADDR_Y) ?
	       GDL_CHECK_ALLOWED : GDL_CHECK_DENIED;
}

static const char *answer(int r)
{
	return r == GDL_CHECK_ALLOWED ? "allowed" : r == GDL_CHECK_DENIED ? "denied" :
	       r < 0 ? strerror(-r) : "?";
}

/* Races: a checker against a changer ------------------------------------- */

struct shared {
	uint64_t seq;		/* changes begun + changes finished */
	uint64_t stop;
	uint64_t go;
	uint64_t pid;		/* a forked grandchild, for root to move */
	uint64_t samples[2], wrong, skipped;
	int last_wrong, last_want;
};

static uint64_t load(uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void add(uint64_t *p, uint64_t v)
{
	__atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}

/* State 0 and 1 alternate; the agent a caller in each state is. */
struct race {
	const char *name;
	uint64_t agent[2];
	void (*enter)(pid_t checker, int state);	/* make @state true */
};

static void checker(struct shared *sh, const uint64_t agent[2])
{
	int fd = gdl_open();
	uint64_t i;

	close(fd_root);
	drop_to(NOBODY, NOBODY, NOBODY);
	while (!load(&sh->go))
		;
	for (i = 0; !load(&sh->stop); i++) {
		uint64_t addr = i & 1 ? ADDR_Y : ADDR_X, s1, s2;
		int r, want;

		s1 = load(&sh->seq);
		r = ioc_check(fd, 0, 0, addr, 16, GDL_DMA_READ);
		s2 = load(&sh->seq);
		if (s1 != s2 || (s1 & 1)) {
			add(&sh->skipped, 1);
			continue;
		}
		want = expected(agent[(s1 / 2) & 1], addr);
		add(&sh->samples[(s1 / 2) & 1], 1);
		if (r != want) {
			sh->last_wrong = r;
			sh->last_want = want;
			add(&sh->wrong, 1);
		}
	}
	_exit(0);
}

static void run_race(const struct race *rc)
{
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t t0 = now_ns();
	pid_t pid;
	int k, st;

	if (sh == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	memset(sh, 0, sizeof(*sh));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid)
		checker(sh, rc->agent);
	rc->enter(pid, 0);
	add(&sh->go, 1);
	for (k = 1; k <= CHANGES; k++) {
		add(&sh->seq, 1);
		rc->enter(pid, k & 1);
		add(&sh->seq, 1);
		usleep(1000);	/* let the checker see the new state settled */
	}
	add(&sh->stop, 1);
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		tap_not_ok(rc->name, "the checker failed (status %d)", st);
	else if (sh->wrong)
		tap_not_ok(rc->name, "%llu of %llu answers stale (last: %s, want %s)",
			   (unsigned long long)sh->wrong,
			   (unsigned long long)(sh->samples[0] + sh->samples[1]),
			   answer(sh->last_wrong), answer(sh->last_want));
	else if (sh->samples[0] < CHANGES / 4 || sh->samples[1] < CHANGES / 4)
		tap_not_ok(rc->name, "too few settled answers to judge (%llu, %llu)",
			   (unsigned long long)sh->samples[0], (unsigned long long)sh->samples[1]);
	else
		tap_ok("%s: %d changes, %llu + %llu settled answers all right (%llu in flight, %.1f s)",
		       rc->name, CHANGES, (unsigned long long)sh->samples[0],
		       (unsigned long long)sh->samples[1], (unsigned long long)sh->skipped,
		       (now_ns() - t0) / 1e9);
	munmap(sh, sizeof(*sh));
}

static void enter_move(pid_t pid, int state)
{
	cg_move(pid, state ? "/y" : "/x");
}

static void enter_rebind(pid_t pid, int state)
{
	if (!state)
		cg_move(pid, "/x");	/* once; later calls only rebind */
	vm_control_or_die("bind_cgroup /gdl-id/cache/x %d", state ? 122 : 121);
}

static void enter_unbind(pid_t pid, int state)
{
	if (!state)
		cg_move(pid, "/x");
	if (state)
		vm_control_or_die("unbind_cgroup /gdl-id/cache/x");
	else
		vm_control_or_die("bind_cgroup /gdl-id/cache/x 121");
}

static void enter_uid(pid_t pid, int state)
{
	if (!state)
		cg_move(pid, "/z");
	vm_control_or_die("bind_uid %d %d", NOBODY, state ? 122 : 121);
}

static void enter_unbind_uid(pid_t pid, int state)
{
	if (!state) {
		cg_move(pid, "/z");
		vm_control_or_die("bind_uid %d 121", NOBODY);
	} else {
		vm_control_or_die("unbind_uid %d", NOBODY);
	}
}

static void enter_remove_agent(pid_t pid, int state)
{
	/*
	 * Agent 121 removed (its bindings go with it: x's, and the uid's the
	 * race before left), then made again and x bound to it again.
	 */
	if (state) {
		vm_control_or_die("remove_agent 121");
		return;
	}
	cg_move(pid, "/x");
	if (ioc_set_agent(fd_root, 121, MIB, 1) ||
	    ioc_grant_op(fd_root, GDL_IOC_GRANT, 121, 0, ADDR_X, 4096, GDL_DMA_RW))
		die("recreate 121: %s", strerror(errno));
	vm_control_or_die("bind_cgroup /gdl-id/cache/x 121");
}

/* Deterministic cases ----------------------------------------------------- */

struct pair {
	int to[2], from[2];
};

/* One CHECK at @addr on @fd each time a byte comes in; the answer goes back. */
static void turn_server(int fd, int in, int out)
{
	char c;

	while (read(in, &c, 1) == 1) {
		int r = ioc_check(fd, 0, 0, c == 'x' ? ADDR_X : ADDR_Y, 16, GDL_DMA_READ);

		if (write(out, &r, sizeof(r)) != sizeof(r))
			_exit(4);
	}
	_exit(0);
}

static int turn(int to, int from, char what)
{
	int r;

	if (write(to, &what, 1) != 1 || read(from, &r, sizeof(r)) != sizeof(r))
		die("a process sharing the descriptor stopped answering");
	return r;
}

/*
 * A parent and its forked child share one descriptor from two cgroups and
 * take turns: every request is the other's last key, so every one must miss.
 */
static void test_pingpong(void)
{
	int p_to[2], p_from[2], c_to[2], c_from[2], bad = 0, i, st;
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t parent, child;

	if (sh == MAP_FAILED || pipe(p_to) || pipe(p_from) || pipe(c_to) || pipe(c_from))
		die("pipe: %s", strerror(errno));
	memset(sh, 0, sizeof(*sh));
	parent = fork();
	if (parent < 0)
		die("fork: %s", strerror(errno));
	if (!parent) {
		int fd = gdl_open();

		/* Keep only the read end of our requests and the write end of
		 * our answers, so that root closing its end stops us. */
		close(fd_root);
		close(p_to[1]);
		close(p_from[0]);
		close(c_to[1]);
		close(c_from[0]);
		drop_to(NOBODY, NOBODY, NOBODY);
		child = fork();
		if (!child) {
			close(p_to[0]);
			close(p_from[1]);
			turn_server(fd, c_to[0], c_from[1]);
		}
		close(c_to[0]);
		close(c_from[1]);
		__atomic_store_n(&sh->pid, (uint64_t)child, __ATOMIC_SEQ_CST);
		turn_server(fd, p_to[0], p_from[1]);
	}
	close(p_to[0]);
	close(p_from[1]);
	close(c_to[0]);
	close(c_from[1]);
	while (!load(&sh->pid))
		usleep(1000);
	child = (pid_t)sh->pid;
	cg_move(parent, "/x");
	cg_move(child, "/y");
	for (i = 0; i < PINGPONG; i++) {
		char a = i & 1 ? 'x' : 'y';
		uint64_t addr = a == 'x' ? ADDR_X : ADDR_Y;
		int rp = turn(p_to[1], p_from[0], a), rc = turn(c_to[1], c_from[0], a);

		bad += rp != expected(121, addr);
		bad += rc != expected(122, addr);
	}
	tap_eq("one descriptor shared by a parent in x and its child in y, taking turns: "
	       "each answered as its own agent every time (wrong answers)", 0, bad);

	/* The child changes cgroup: its next turn is 121's. */
	cg_move(child, "/x");
	tap_eq("the child moved to x checks as agent 121 (allowed at x's grant)",
	       GDL_CHECK_ALLOWED, turn(c_to[1], c_from[0], 'x'));
	close(p_to[1]);
	close(c_to[1]);
	waitpid(parent, &st, 0);	/* the child is the parent's */
	close(p_from[0]);
	close(c_from[0]);
	munmap(sh, sizeof(*sh));
}

/* Both at once, back to back, on one descriptor: never the other's agent. */
static void test_shared_concurrent(void)
{
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t parent;
	int st;

	if (sh == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	memset(sh, 0, sizeof(*sh));
	parent = fork();
	if (!parent) {
		int fd = gdl_open(), i, me;
		pid_t child;

		close(fd_root);
		drop_to(NOBODY, NOBODY, NOBODY);
		child = fork();
		if (child < 0)
			_exit(5);
		me = child == 0;	/* 0: parent (x, 121), 1: child (y, 122) */
		if (!me)	/* tell root whom to move */
			__atomic_store_n(&sh->pid, (uint64_t)child, __ATOMIC_SEQ_CST);
		while (!load(&sh->go))
			;
		for (i = 0; i < SHARED_CHECKS; i++) {
			uint64_t addr = i & 1 ? ADDR_Y : ADDR_X;
			int r = ioc_check(fd, 0, 0, addr, 16, GDL_DMA_READ);

			add(&sh->samples[me], 1);
			if (r != expected(me ? 122 : 121, addr)) {
				sh->last_wrong = r;
				add(&sh->wrong, 1);
			}
		}
		if (me)
			_exit(0);
		waitpid(-1, NULL, 0);
		_exit(0);
	}
	if (parent < 0)
		die("fork: %s", strerror(errno));
	while (!load(&sh->pid))
		usleep(1000);
	cg_move(parent, "/x");
	cg_move((pid_t)sh->pid, "/y");
	add(&sh->go, 1);
	waitpid(parent, &st, 0);
	if (sh->samples[0] + sh->samples[1] != 2 * SHARED_CHECKS)
		tap_not_ok("two processes checking at once on one descriptor",
			   "only %llu of %d checks ran",
			   (unsigned long long)(sh->samples[0] + sh->samples[1]), 2 * SHARED_CHECKS);
	else
		tap_eq("two processes in x and y checking at once on one descriptor: "
		       "no answer as the other's agent (wrong answers)", 0, sh->wrong);
	munmap(sh, sizeof(*sh));
}

/* "who am I" by quota: 123 has 3 MiB, 124 4 MiB; -errno when refused. */
static long long whoami(int fd)
{
	struct gdl_agent_info ai;
	int r = ioc_get_agent(fd, 0, &ai);

	return r ? r : (long long)(ai.quota / MIB) + 120;
}

/*
 * A process changes its own uid while it keeps the descriptor (real uid
 * 65533, saved 65534: allowed without privilege): the cached answer was for
 * the old uid.
 */
static void test_uid_change(void)
{
	int p[2];
	pid_t pid;
	long long got[3];

	vm_control_or_die("bind_uid %d 123", OTHER_UID);
	vm_control_or_die("bind_uid %d 124", NOBODY);
	if (pipe(p))
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (!pid) {
		int fd = gdl_open();

		close(fd_root);
		drop_to(OTHER_UID, OTHER_UID, NOBODY);
		got[0] = whoami(fd);
		got[1] = setresuid(NOBODY, NOBODY, OTHER_UID) ? -1000 : whoami(fd);
		got[2] = setresuid(OTHER_UID, OTHER_UID, NOBODY) ? -1000 : whoami(fd);
		if (write(p[1], got, sizeof(got)) != sizeof(got))
			_exit(4);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], got, sizeof(got)) != sizeof(got))
		die("uid changer stopped answering");
	close(p[0]);
	waitpid(pid, NULL, 0);
	tap_eq("uid 65533 on a kept descriptor is agent 123", 123, got[0]);
	tap_eq("the same process as uid 65534: agent 124", 124, got[1]);
	tap_eq("and back to uid 65533: agent 123", 123, got[2]);
	vm_control_or_die("unbind_uid %d", OTHER_UID);
	vm_control_or_die("unbind_uid %d", NOBODY);
}

/* Setup ------------------------------------------------------------------- */

static void setup(void)
{
	static const char *const dirs[] = { "", "/x", "/y", "/z" };
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (mkdir(cg_dir(dirs[i]), 0755) && errno != EEXIST)
			die("mkdir %s: %s", cg_dir(dirs[i]), strerror(errno));
	for (i = 121; i <= 124; i++)
		if (ioc_set_agent(fd_root, i, (i - 120) * MIB, 1))
			die("SET_AGENT %zu: %s", i, strerror(errno));
	if (ioc_grant_op(fd_root, GDL_IOC_GRANT, 121, 0, ADDR_X, 4096, GDL_DMA_RW) ||
	    ioc_grant_op(fd_root, GDL_IOC_GRANT, 122, 0, ADDR_Y, 4096, GDL_DMA_RW))
		die("GRANT: %s", strerror(errno));
	/*
	 * y stays bound throughout: with at least one binding in place the
	 * static key stays on, so unbinding x is the cache's business.
	 */
	vm_control_or_die("bind_cgroup /gdl-id/cache/x 121");
	vm_control_or_die("bind_cgroup /gdl-id/cache/y 122");
}

static void teardown(void)
{
	uint64_t i;

	vm_control_or_die("unbind_cgroup /gdl-id/cache/y");
	for (i = 121; i <= 124; i++)
		vm_control_or_die("remove_agent %llu", (unsigned long long)i);
	rmdir(cg_dir("/x"));
	rmdir(cg_dir("/y"));
	rmdir(cg_dir("/z"));
	rmdir(cg_dir(""));
}

int main(int argc, char **argv)
{
	static const struct race races[] = {
		{ "moved between x and y while checking on one descriptor", { 121, 122 }, enter_move },
		{ "its cgroup rebound (121, 122) while it checks", { 121, 122 }, enter_rebind },
		{ "its cgroup unbound and bound again while it checks", { 121, 0 }, enter_unbind },
		{ "its uid rebound (121, 122) while it checks", { 121, 122 }, enter_uid },
		{ "its uid unbound and bound again while it checks", { 121, 0 }, enter_unbind_uid },
		{ "its cgroup's agent removed and made again while it checks", { 121, 0 },
		  enter_remove_agent },
	};
	size_t i;

	if (argc != 2)
		die("usage: %s CGROUP2_MOUNT", argv[0]);
	mnt = argv[1];
	signal(SIGPIPE, SIG_IGN);
	fd_root = gdl_open();
	setup();
	for (i = 0; i < sizeof(races) / sizeof(races[0]); i++)
		run_race(&races[i]);
	vm_control_or_die("bind_cgroup /gdl-id/cache/x 121");
	test_pingpong();
	test_shared_concurrent();
	test_uid_change();
	vm_control_or_die("unbind_cgroup /gdl-id/cache/x");
	teardown();
	close(fd_root);
	return tap_exit();
}

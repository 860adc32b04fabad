// SPDX-License-Identifier: GPL-2.0
/*
 * ident_cgroup.c - workload identity from cgroup and uid bindings (issue 8)
 *
 * Usage: ident_cgroup CGROUP2_MOUNT   (run as root; fake_gpus=1, default_quota=0)
 *
 * Builds a small tree under CGROUP2_MOUNT/gdl-id (a, a/a1, a/a1/deep, b) and
 * agents whose quotas tell them apart (GET_AGENT 0 answers "who am I" with
 * the caller's agent's state, so the quota names the agent):
 *
 *   101  bound to cgroup /gdl-id/a         1 MiB
 *   102  bound to cgroup /gdl-id/a/a1      2 MiB
 *   103  bound to cgroup /gdl-id/b         3 MiB
 *   104  bound to uid 65534                4 MiB
 *   105  bound to an open file             5 MiB
 *   106  never bound (root's)              6 MiB
 *
 * Workers are forked processes that drop to uid 65534 and answer requests
 * over a pipe, so root can move them between cgroups (cgroup.procs) while
 * they keep their descriptors: resolution happens at each request.
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

static const char *mnt;
static int fd_root;

/* Paths ------------------------------------------------------------------ */

static const char *cg_dir(const char *rel)
{
	return vm_path("%s%s", mnt, rel);
}

static uint64_t cg_ino(const char *rel)
{
	struct stat st;

	if (stat(cg_dir(rel), &st))
		die("stat %s: %s", cg_dir(rel), strerror(errno));
	return st.st_ino;
}

static void cg_move(pid_t pid, const char *rel)
{
	vm_cg_move(cg_dir(rel), pid);
}

static void control_ok(const char *line)
{
	int ret = vm_control("%s", line);

	if (ret)
		tap_not_ok(line, "control write failed: %s", strerror(-ret));
	else
		tap_ok("control: %s", line);
}

static void control_fails(const char *line, int want)
{
	int ret = vm_control("%s", line);

	if (ret != -want)
		tap_not_ok(line, "expected %s, got %s", strerror(want),
			   ret ? strerror(-ret) : "success");
	else
		tap_ok("control '%s' refused: %s", line, strerror(want));
}

/* Workers ---------------------------------------------------------------- */

enum op {
	W_GET_AGENT = 1,	/* a = agent; fd sel b -> ret, quota, used */
	W_ALLOC,		/* a = agent, b = size -> ret, alloc id */
	W_FREE,			/* a = id -> ret */
	W_CHECK,		/* a = agent, b = addr -> ret (result or -errno) */
	W_SET_AGENT,		/* a = agent -> ret */
	W_GRANT,		/* a = agent -> ret */
	W_REMOVE_AGENT,		/* a = agent -> ret */
	W_BIND_CGROUP,		/* -> ret */
	W_UNBIND_CGROUP,	/* -> ret */
	W_BIND_UID,		/* -> ret */
	W_CHILD_GET_AGENT,	/* forks; the child does GET_AGENT 0 + ALLOC 0 */
	W_READ_BINDINGS,	/* open /proc/swarm/gpu/bindings -> ret */
	W_EXIT,
};

struct req {
	int op;
	int fdsel;		/* 0: the worker's own file, 1: the bound one */
	uint64_t a, b;
};

struct rep {
	int ret;
	uint64_t v1, v2;
};

struct worker {
	pid_t pid;
	int to, from;
};

static int fd_bound;	/* root binds it to agent 105 before forking */

static struct rep serve(int fd_own, const struct req *q)
{
	int fd = q->fdsel ? fd_bound : fd_own;
	struct rep r = { 0 };

	switch (q->op) {
	case W_GET_AGENT: {
		struct gdl_agent_info ai;

		r.ret = ioc_get_agent(fd, q->a, &ai);
		r.v1 = ai.quota;
		r.v2 = ai.used;
		break;
	}
	case W_ALLOC:
		r.ret = ioc_alloc(fd, q->a, q->b, 0, 0, &r.v1);
		break;
	case W_FREE:
		r.ret = ioc_free(fd, q->a);
		break;
	case W_CHECK:
		r.ret = ioc_check(fd, q->a, 0, q->b, 16, GDL_DMA_READ);
		break;
	case W_SET_AGENT:
		r.ret = ioc_set_agent(fd, q->a, 64 * MIB, 1);
		break;
	case W_GRANT:
		r.ret = ioc_grant_op(fd, GDL_IOC_GRANT, q->a, 0, 0x40000, 4096, GDL_DMA_RW);
		break;
	case W_REMOVE_AGENT: {
		struct gdl_agent_ref ref = { .agent_id = q->a };

		r.ret = ioc(fd, GDL_IOC_REMOVE_AGENT, &ref);
		break;
	}
	case W_BIND_CGROUP:
	case W_UNBIND_CGROUP: {
		struct gdl_cgroup_binding cb = {
			.path = (uintptr_t)"/", .agent_id = q->op == W_BIND_CGROUP ? 106 : 0,
		};

		r.ret = ioc(fd, q->op == W_BIND_CGROUP ? GDL_IOC_BIND_CGROUP :
			    GDL_IOC_UNBIND_CGROUP, &cb);
		break;
	}
	case W_BIND_UID: {
		struct gdl_uid_binding ub = { .uid = NOBODY, .agent_id = 106 };

		r.ret = ioc(fd, GDL_IOC_BIND_UID, &ub);
		break;
	}
	case W_CHILD_GET_AGENT: {
		/* A child, forked after the worker was placed: it inherits. */
		int p[2];
		pid_t c;

		if (pipe(p))
			die("pipe: %s", strerror(errno));
		c = fork();
		if (c < 0)
			die("fork: %s", strerror(errno));
		if (!c) {
			struct rep cr = { 0 };
			struct gdl_agent_info ai;
			int cfd = gdl_open();
			uint64_t id;

			cr.ret = ioc_get_agent(cfd, 0, &ai);
			cr.v1 = ai.quota;
			if (!cr.ret)
				cr.ret = ioc_alloc(cfd, 0, 4096, 0, 0, &id);
			if (!cr.ret && !ioc_get_agent(cfd, 0, &ai))
				cr.v2 = ai.used;
			if (write(p[1], &cr, sizeof(cr)) != sizeof(cr))
				_exit(2);
			_exit(0);
		}
		close(p[1]);
		if (read(p[0], &r, sizeof(r)) != sizeof(r))
			r.ret = -EIO;
		close(p[0]);
		waitpid(c, NULL, 0);
		break;
	}
	case W_READ_BINDINGS: {
		int bfd = open(GDL_PROC_DIR "/bindings", O_RDONLY | O_CLOEXEC);

		r.ret = bfd < 0 ? -errno : 0;
		if (bfd >= 0)
			close(bfd);
		break;
	}
	default:
		r.ret = -ENOSYS;
	}
	return r;
}

static struct worker worker_start(const char *rel)
{
	int to[2], from[2];
	struct worker w;

	if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	w.pid = fork();
	if (w.pid < 0)
		die("fork: %s", strerror(errno));
	if (!w.pid) {
		struct req q;
		int fd_own;

		close(to[1]);
		close(from[0]);
		close(fd_root);
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(3);
		fd_own = gdl_open();
		while (read(to[0], &q, sizeof(q)) == sizeof(q) && q.op != W_EXIT) {
			struct rep r = serve(fd_own, &q);

			if (write(from[1], &r, sizeof(r)) != sizeof(r))
				_exit(4);
		}
		_exit(0);
	}
	close(to[0]);
	close(from[1]);
	w.to = to[1];
	w.from = from[0];
	if (rel)
		cg_move(w.pid, rel);
	return w;
}

static struct rep ask(struct worker *w, int op, int fdsel, uint64_t a, uint64_t b)
{
	struct req q = { .op = op, .fdsel = fdsel, .a = a, .b = b };
	struct rep r;

	if (write(w->to, &q, sizeof(q)) != sizeof(q) ||
	    read(w->from, &r, sizeof(r)) != sizeof(r))
		die("worker %d stopped answering", w->pid);
	return r;
}

static void worker_stop(struct worker *w)
{
	struct req q = { .op = W_EXIT };

	if (write(w->to, &q, sizeof(q)) != sizeof(q))
		die("worker gone");
	close(w->to);
	close(w->from);
	waitpid(w->pid, NULL, 0);
}

/* "who am I": the quota of the caller's agent, or -errno as a negative. */
static long long whoami(struct worker *w)
{
	struct rep r = ask(w, W_GET_AGENT, 0, 0, 0);

	return r.ret ? r.ret : (long long)(r.v1 / MIB) + 100;
}

static void expect_agent(struct worker *w, const char *what, long long want)
{
	long long got = whoami(w);

	if (got == want)
		tap_ok("%s: agent %lld", what, want);
	else if (got < 0)
		tap_not_ok(what, "expected agent %lld, got %s", want, strerror((int)-got));
	else
		tap_not_ok(what, "expected agent %lld, got agent %lld", want, got);
}

static void expect_ret(const char *what, int want, int got)
{
	if (want == got)
		tap_ok("%s: %s", what, want ? strerror(-want) : "ok");
	else
		tap_not_ok(what, "expected %s, got %s", want ? strerror(-want) : "ok",
			   got < 0 ? strerror(-got) : got ? "a positive answer" : "ok");
}

/* Listing ---------------------------------------------------------------- */

static char *bindings(void)
{
	return slurp(GDL_PROC_DIR "/bindings", NULL);
}

static int listed(const char *line)
{
	char *b = bindings(), *p = b;
	size_t n = strlen(line);
	int found = 0;

	while (p && *p) {
		if (!strncmp(p, line, n) && (p[n] == '\n' || !p[n]))
			found = 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	free(b);
	return found;
}

static long kernel_objects(void)
{
	char *s = slurp(GDL_PROC_DIR "/stats", NULL), *p = strstr(s, "kernel_objects ");
	long v = p ? strtol(p + 15, NULL, 10) : -1;

	free(s);
	return v;
}

/*
 * kernel_objects once it is @want: a removed agent is freed after an RCU
 * grace period, so its object goes a little later than the call returns.
 */
static long objects_settle(long want)
{
	long got = kernel_objects();
	int i;

	for (i = 0; i < 200 && got != want; i++) {
		usleep(50000);
		got = kernel_objects();
	}
	return got;
}

/* Cases ------------------------------------------------------------------ */

static void setup_agents(void)
{
	static const uint64_t ids[] = { 101, 102, 103, 104, 105, 106 };
	struct gdl_bind b = { .agent_id = 105 };
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (ioc_set_agent(fd_root, ids[i], (ids[i] - 100) * MIB, 1))
			die("SET_AGENT %llu: %s", (unsigned long long)ids[i], strerror(errno));
	if (ioc_grant_op(fd_root, GDL_IOC_GRANT, 102, 0, 0x10000, 0x1000, GDL_DMA_RW) ||
	    ioc_grant_op(fd_root, GDL_IOC_GRANT, 106, 0, 0x20000, 0x1000, GDL_DMA_RW))
		die("GRANT: %s", strerror(errno));
	fd_bound = gdl_open();
	if (ioctl(fd_bound, GDL_IOC_BIND, &b))
		die("BIND: %s", strerror(errno));
}

static void test_resolution_order(void)
{
	struct worker w = worker_start("/gdl-id/a/a1/deep");

	expect_agent(&w, "no binding at all: refused", -EPERM);
	expect_ret("no binding: ALLOC agent 0 refused", -EPERM, ask(&w, W_ALLOC, 0, 0, 4096).ret);
	control_ok("bind_uid 65534 104");
	expect_agent(&w, "uid binding", 104);
	control_ok("bind_cgroup /gdl-id/a 101");
	expect_agent(&w, "bound ancestor two levels up beats the uid", 101);
	control_ok("bind_cgroup /gdl-id/a/a1 102");
	expect_agent(&w, "nearest bound ancestor wins", 102);
	control_ok("bind_cgroup /gdl-id/a/a1/deep 103");
	expect_agent(&w, "own cgroup beats its ancestors", 103);
	{
		struct rep r = ask(&w, W_GET_AGENT, 1, 0, 0);

		tap_eq("a bound file beats every cgroup and uid binding (agent 105's quota)",
		       5 * MIB, r.ret ? 0 : r.v1);
	}
	control_ok("unbind_cgroup /gdl-id/a/a1/deep");
	expect_agent(&w, "unbinding takes effect at the next request", 102);
	worker_stop(&w);
}

static void test_rights(void)
{
	struct worker w = worker_start("/gdl-id/a/a1");
	uint64_t root_alloc = 0, mine = 0;
	struct rep r;

	expect_agent(&w, "worker in /gdl-id/a/a1", 102);
	r = ask(&w, W_ALLOC, 0, 0, MIB);
	expect_ret("ALLOC agent 0 within the cgroup's quota", 0, r.ret);
	mine = r.v1;
	expect_ret("ALLOC naming its own agent (102)", 0, ask(&w, W_ALLOC, 0, 102, 4096).ret);
	expect_ret("ALLOC beyond its quota", -EDQUOT, ask(&w, W_ALLOC, 0, 0, 2 * MIB).ret);
	expect_ret("ALLOC as the parent cgroup's agent 101", -EPERM, ask(&w, W_ALLOC, 0, 101, 4096).ret);
	expect_ret("ALLOC as agent 106", -EPERM, ask(&w, W_ALLOC, 0, 106, 4096).ret);
	expect_ret("ALLOC as its uid's agent 104", -EPERM, ask(&w, W_ALLOC, 0, 104, 4096).ret);
	expect_ret("GET_AGENT 106", -EPERM, ask(&w, W_GET_AGENT, 0, 106, 0).ret);
	expect_ret("CHECK inside its agent's grant", GDL_CHECK_ALLOWED,
		   ask(&w, W_CHECK, 0, 0, 0x10000).ret);
	expect_ret("CHECK inside agent 106's grant, as itself", GDL_CHECK_DENIED,
		   ask(&w, W_CHECK, 0, 0, 0x20000).ret);
	expect_ret("CHECK naming agent 106", -EPERM, ask(&w, W_CHECK, 0, 106, 0x20000).ret);
	expect_ret("SET_AGENT on its own agent", -EPERM, ask(&w, W_SET_AGENT, 0, 102, 0).ret);
	expect_ret("GRANT to its own agent", -EPERM, ask(&w, W_GRANT, 0, 102, 0).ret);
	expect_ret("REMOVE_AGENT 106", -EPERM, ask(&w, W_REMOVE_AGENT, 0, 106, 0).ret);
	expect_ret("BIND_CGROUP", -EPERM, ask(&w, W_BIND_CGROUP, 0, 0, 0).ret);
	expect_ret("UNBIND_CGROUP", -EPERM, ask(&w, W_UNBIND_CGROUP, 0, 0, 0).ret);
	expect_ret("BIND_UID", -EPERM, ask(&w, W_BIND_UID, 0, 0, 0).ret);
	expect_ret("open /proc/swarm/gpu/bindings", -EACCES, ask(&w, W_READ_BINDINGS, 0, 0, 0).ret);

	if (ioc_alloc(fd_root, 106, 4096, 0, GDL_ALLOC_PERSISTENT, &root_alloc))
		die("ALLOC 106: %s", strerror(errno));
	expect_ret("FREE of agent 106's allocation", -EPERM, ask(&w, W_FREE, 0, root_alloc, 0).ret);
	expect_ret("FREE of its own allocation", 0, ask(&w, W_FREE, 0, mine, 0).ret);
	if (ioc_free(fd_root, root_alloc))
		die("FREE 106: %s", strerror(errno));

	r = ask(&w, W_CHILD_GET_AGENT, 0, 0, 0);
	expect_ret("a child forked inside the cgroup allocates", 0, r.ret);
	tap_eq("the child is agent 102 (its quota)", 2 * MIB, r.v1);
	worker_stop(&w);
}

static void test_move(void)
{
	struct worker w = worker_start("/gdl-id/a/a1");
	struct rep r;

	uint64_t before_move;

	expect_agent(&w, "before the move", 102);
	r = ask(&w, W_ALLOC, 0, 0, 4096);
	expect_ret("ALLOC as 102 before the move", 0, r.ret);
	before_move = r.v1;
	cg_move(w.pid, "/gdl-id/b");
	control_ok("bind_cgroup /gdl-id/b 103");
	expect_agent(&w, "moved to /gdl-id/b: its next request is agent 103", 103);
	r = ask(&w, W_GET_AGENT, 0, 0, 0);
	tap_eq("agent 103 holds nothing: the file's allocation stays 102's", 0, r.v2);
	expect_ret("FREE of its allocation made as 102, now another agent's", -EPERM,
		   ask(&w, W_FREE, 0, before_move, 0).ret);
	cg_move(w.pid, "/gdl-id");
	expect_agent(&w, "moved to an unbound cgroup: its uid's agent", 104);
	cg_move(w.pid, "/gdl-id/a");
	expect_agent(&w, "moved to /gdl-id/a", 101);
	worker_stop(&w);
}

static void test_isolation(void)
{
	struct worker w1 = worker_start("/gdl-id/a/a1"), w2 = worker_start("/gdl-id/b");
	struct rep r1, r2;

	r1 = ask(&w1, W_ALLOC, 0, 0, 65536);
	expect_ret("cgroup a1's worker allocates", 0, r1.ret);
	r2 = ask(&w2, W_GET_AGENT, 0, 0, 0);
	tap_eq("cgroup b's agent does not see a1's allocation", 0, r2.ret ? 1 : r2.v2);
	expect_ret("cgroup b's worker cannot free a1's allocation", -EPERM,
		   ask(&w2, W_FREE, 0, r1.v1, 0).ret);
	expect_ret("cgroup b's worker cannot query a1's agent", -EPERM,
		   ask(&w2, W_GET_AGENT, 0, 102, 0).ret);
	r2 = ask(&w2, W_ALLOC, 0, 0, 8192);
	expect_ret("cgroup b's worker allocates", 0, r2.ret);
	r1 = ask(&w1, W_GET_AGENT, 0, 0, 0);
	tap_eq("a1's agent holds only its own 64 KiB", 65536, r1.v2);
	expect_ret("a1's worker cannot free b's allocation", -EPERM,
		   ask(&w1, W_FREE, 0, r2.v1, 0).ret);
	worker_stop(&w1);
	worker_stop(&w2);
	{
		struct gdl_agent_info ai;

		ioc_get_agent(fd_root, 102, &ai);
		tap_eq("the workers' files are closed: agent 102 holds nothing", 0, ai.used);
		ioc_get_agent(fd_root, 103, &ai);
		tap_eq("the workers' files are closed: agent 103 holds nothing", 0, ai.used);
	}
}

static void test_listing_and_removal(void)
{
	char line[600];
	long before;

	snprintf(line, sizeof(line), "cgroup /gdl-id/a/a1 %llu 102",
		 (unsigned long long)cg_ino("/gdl-id/a/a1"));
	tap_eq("bindings lists /gdl-id/a/a1 with its cgroup id", 1, listed(line));
	tap_eq("bindings lists the uid", 1, listed("uid 65534 0 104"));
	{
		char *b = bindings();

		tap_eq("bindings starts with its header", 1,
		       !strncmp(b, "# kind target cgroup_id agent\n", 30));
		free(b);
	}

	/* Removed cgroup, noticed by the listing. */
	before = kernel_objects();
	if (mkdir(cg_dir("/gdl-id/gone"), 0755))
		die("mkdir gone: %s", strerror(errno));
	control_ok("bind_cgroup /gdl-id/gone 106");
	snprintf(line, sizeof(line), "cgroup /gdl-id/gone %llu 106",
		 (unsigned long long)cg_ino("/gdl-id/gone"));
	tap_eq("the new binding is listed", 1, listed(line));
	tap_eq("a binding is one kernel object", before + 1, kernel_objects());
	if (rmdir(cg_dir("/gdl-id/gone")))
		die("rmdir gone: %s", strerror(errno));
	tap_eq("a removed cgroup's binding is not listed", 0, listed(line));
	tap_eq("a removed cgroup's binding is freed", before, kernel_objects());
	control_fails("unbind_cgroup /gdl-id/gone", ENOENT);

	/* Removed cgroup, then unbound by its path. */
	if (mkdir(cg_dir("/gdl-id/gone2"), 0755))
		die("mkdir gone2: %s", strerror(errno));
	control_ok("bind_cgroup /gdl-id/gone2 106");
	if (rmdir(cg_dir("/gdl-id/gone2")))
		die("rmdir gone2: %s", strerror(errno));
	control_fails("unbind_cgroup /gdl-id/gone2", ENOENT);
	tap_eq("unbinding a removed cgroup's path frees its binding", before, kernel_objects());

	/* A cgroup created again under the same name is a new cgroup. */
	if (mkdir(cg_dir("/gdl-id/gone"), 0755))
		die("mkdir gone: %s", strerror(errno));
	{
		struct worker w = worker_start("/gdl-id/gone");

		expect_agent(&w, "a new cgroup with a removed one's name is not bound", 104);
		worker_stop(&w);
	}
	rmdir(cg_dir("/gdl-id/gone"));
}

static void test_agent_removal(void)
{
	long before;

	if (mkdir(cg_dir("/gdl-id/c"), 0755))
		die("mkdir c: %s", strerror(errno));
	/* Agents 108 and 109 are one object each; removing them frees it. */
	before = kernel_objects();
	ioc_set_agent(fd_root, 108, MIB, 1);
	control_ok("bind_cgroup /gdl-id/c 108");
	control_ok("bind_uid 4242 108");
	control_ok("remove_agent 108");
	{
		char *b = bindings();

		tap_eq("remove_agent drops the agent's cgroup binding", 0,
		       strstr(b, "/gdl-id/c ") != NULL);
		free(b);
	}
	tap_eq("and its uid binding", 0, listed("uid 4242 0 108"));
	tap_eq("and frees them (and the agent)", before, objects_settle(before));

	ioc_set_agent(fd_root, 109, MIB, 1);
	control_ok("bind_cgroup /gdl-id/c 109");
	{
		struct gdl_agent_ref ref = { .agent_id = 109 };

		expect_ret("REMOVE_AGENT 109", 0, ioc(fd_root, GDL_IOC_REMOVE_AGENT, &ref));
	}
	tap_eq("REMOVE_AGENT drops the agent's bindings", before, objects_settle(before));
	rmdir(cg_dir("/gdl-id/c"));
}

static void test_malformed_lines(void)
{
	char *before = bindings(), *after;
	char longline[5000];

	control_fails("bind_cgroup", EINVAL);
	control_fails("bind_cgroup /gdl-id/b", EINVAL);
	control_fails("bind_cgroup /gdl-id/b 0", EINVAL);
	control_fails("bind_cgroup /gdl-id/b x", EINVAL);
	control_fails("bind_cgroup /gdl-id/b -5", EINVAL);
	control_fails("bind_cgroup /gdl-id/b 5 6", EINVAL);
	control_fails("bind_cgroup gdl-id/b 5", EINVAL);
	control_fails("bind_cgroup /gdl-id/nonexistent 5", ENOENT);
	control_fails("bind_cgroup /gdl-id/b/cgroup.procs 5", ENOENT);
	control_fails("unbind_cgroup", EINVAL);
	control_fails("unbind_cgroup /gdl-id/b extra", EINVAL);
	control_fails("unbind_cgroup /gdl-id/a/a1/deep", ENOENT);
	control_fails("unbind_cgroup /gdl-id/nonexistent", ENOENT);
	control_fails("bind_uid 1000", EINVAL);
	control_fails("bind_uid 1000 0", EINVAL);
	control_fails("bind_uid -1 5", EINVAL);
	control_fails("bind_uid 4294967295 5", EINVAL);
	control_fails("bind_uid 4294967296 5", EINVAL);
	control_fails("bind_uid 1000 5 6", EINVAL);
	control_fails("bind_uid abc 5", EINVAL);
	control_fails("unbind_uid 77", ENOENT);
	control_fails("unbind_uid", EINVAL);
	control_fails("unbind_uid 4294967295", EINVAL);
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	memcpy(longline, "bind_cgroup /", 13);
	control_fails(longline, EINVAL);
	after = bindings();
	tap_eq("malformed and refused lines changed no binding", 0, strcmp(before, after));
	free(before);
	free(after);
}

static void test_ioctl_abi(void)
{
	struct gdl_cgroup_binding cb, *ro;
	struct gdl_uid_binding ub;
	/* Against a well-formed BIND_CGROUP of /gdl-id/b to agent 103. */
	const struct tap_refusal bind_cgroup_refused[] = {
		TAP_REFUSE(struct gdl_cgroup_binding, flags, 1, EINVAL, "BIND_CGROUP flags != 0"),
		TAP_REFUSE(struct gdl_cgroup_binding, pad, 1, EINVAL, "BIND_CGROUP pad != 0"),
		TAP_REFUSE(struct gdl_cgroup_binding, agent_id, 0, EINVAL, "BIND_CGROUP agent 0"),
		TAP_REFUSE(struct gdl_cgroup_binding, path, 16, EFAULT, "BIND_CGROUP bad path pointer"),
		TAP_REFUSE(struct gdl_cgroup_binding, path, (uintptr_t)"relative/path", EINVAL,
		       "BIND_CGROUP relative path"),
		TAP_REFUSE(struct gdl_cgroup_binding, path, (uintptr_t)"/gdl-id/none", ENOENT,
		       "BIND_CGROUP unknown path"),
	};
	/* Against a well-formed BIND_UID of uid 1000 to agent 5. */
	static const struct tap_refusal bind_uid_refused[] = {
		TAP_REFUSE(struct gdl_uid_binding, flags, 1, EINVAL, "BIND_UID flags != 0"),
		TAP_REFUSE(struct gdl_uid_binding, agent_id, 0, EINVAL, "BIND_UID agent 0"),
		TAP_REFUSE(struct gdl_uid_binding, uid, (uint32_t)-1, EINVAL, "BIND_UID uid -1"),
	};
	char *before, *after, *big;
	uint64_t ino = cg_ino("/gdl-id/b");

	memset(&cb, 0, sizeof(cb));
	cb.path = (uintptr_t)"/gdl-id/b";
	cb.agent_id = 106;
	cb.cgroup_id = 0;
	if (tap_ioctl_succeeds(fd_root, "BIND_CGROUP /gdl-id/b to 106 (rebind)", GDL_IOC_BIND_CGROUP, &cb))
		tap_eq("BIND_CGROUP writes the cgroup id (the directory's inode)", ino, cb.cgroup_id);
	{
		char line[600];

		snprintf(line, sizeof(line), "cgroup /gdl-id/b %llu 106", (unsigned long long)ino);
		tap_eq("rebinding moved the cgroup to 106", 1, listed(line));
	}
	cb.agent_id = 103;
	tap_ioctl_succeeds(fd_root, "BIND_CGROUP /gdl-id/b back to 103", GDL_IOC_BIND_CGROUP, &cb);

	before = bindings();
	cb.flags = 0;
	cb.pad = 0;
	TAP_REFUSALS(fd_root, GDL_IOC_BIND_CGROUP, cb, bind_cgroup_refused);
	cb.agent_id = 5;
	tap_ioctl_fails(fd_root, "UNBIND_CGROUP with an agent", GDL_IOC_UNBIND_CGROUP, &cb, sizeof(cb), EINVAL);
	big = malloc(GDL_CGROUP_PATH_MAX + 16);
	memset(big, 'a', GDL_CGROUP_PATH_MAX + 15);
	big[0] = '/';
	big[GDL_CGROUP_PATH_MAX + 15] = '\0';
	cb.path = (uintptr_t)big;
	tap_ioctl_fails(fd_root, "BIND_CGROUP path longer than GDL_CGROUP_PATH_MAX", GDL_IOC_BIND_CGROUP,
			&cb, sizeof(cb), EINVAL);
	free(big);

	/* The out field cannot be written: nothing may change. */
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	ro->path = (uintptr_t)"/gdl-id/a/a1/deep";
	ro->agent_id = 106;
	mprotect(ro, 4096, PROT_READ);
	tap_ioctl_fails(fd_root, "BIND_CGROUP whose cgroup_id cannot be written", GDL_IOC_BIND_CGROUP,
			ro, 0, EFAULT);
	mprotect(ro, 4096, PROT_READ | PROT_WRITE);
	ro->path = (uintptr_t)"/gdl-id/a/a1";
	ro->agent_id = 0;
	mprotect(ro, 4096, PROT_READ);
	tap_ioctl_fails(fd_root, "UNBIND_CGROUP whose cgroup_id cannot be written", GDL_IOC_UNBIND_CGROUP,
			ro, 0, EFAULT);
	munmap(ro, 4096);

	ub = (struct gdl_uid_binding){ .uid = 1000, .agent_id = 5 };
	TAP_REFUSALS(fd_root, GDL_IOC_BIND_UID, ub, bind_uid_refused);
	tap_ioctl_fails(fd_root, "UNBIND_UID with an agent", GDL_IOC_UNBIND_UID, &ub, sizeof(ub), EINVAL);
	ub.agent_id = 0;
	tap_ioctl_fails(fd_root, "UNBIND_UID of an unbound uid", GDL_IOC_UNBIND_UID, &ub, sizeof(ub), ENOENT);
	after = bindings();
	tap_eq("refused ioctls changed no binding", 0, strcmp(before, after));
	free(before);
	free(after);

	ub.uid = 1000;
	ub.agent_id = 7;
	tap_ioctl_succeeds(fd_root, "BIND_UID 1000 to 7", GDL_IOC_BIND_UID, &ub);
	tap_eq("listed", 1, listed("uid 1000 0 7"));
	ub.agent_id = 0;
	tap_ioctl_succeeds(fd_root, "UNBIND_UID 1000", GDL_IOC_UNBIND_UID, &ub);
	tap_eq("gone from the listing", 0, listed("uid 1000 0 7"));
}

static void test_unbind_all(void)
{
	struct worker w = worker_start("/gdl-id/a/a1/deep");

	expect_agent(&w, "before unbinding", 102);
	control_ok("unbind_cgroup /gdl-id/a/a1");
	expect_agent(&w, "a1 unbound: the next bound ancestor", 101);
	control_ok("unbind_cgroup /gdl-id/a");
	expect_agent(&w, "a unbound: the uid", 104);
	control_ok("unbind_uid 65534");
	expect_agent(&w, "nothing bound: refused again", -EPERM);
	control_ok("unbind_cgroup /gdl-id/b");
	worker_stop(&w);
	{
		char *b = bindings();

		tap_eq("no binding left", 0, strcmp(b, "# kind target cgroup_id agent\n"));
		free(b);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2)
		die("usage: %s CGROUP2_MOUNT", argv[0]);
	mnt = argv[1];
	signal(SIGPIPE, SIG_IGN);
	fd_root = gdl_open();
	setup_agents();

	test_resolution_order();
	test_rights();
	test_move();
	test_isolation();
	test_listing_and_removal();
	test_agent_removal();
	test_malformed_lines();
	test_ioctl_abi();
	test_unbind_all();
	close(fd_bound);
	close(fd_root);
	return tap_exit();
}

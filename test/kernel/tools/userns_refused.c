// SPDX-License-Identifier: GPL-2.0
/*
 * userns_refused.c - root inside a user namespace is nobody to the module
 *
 * A process that is root in a user namespace it created holds every
 * capability there, but none in the initial namespace, which is where the
 * module's checks must look (capable(), not ns_capable()).  Root sets up
 * agents 10 and 11 (a grant each, a persistent allocation for 11), opens a
 * file bound to agent 10 and an unbound one, then forks callers that inherit
 * both and try everything an unprivileged caller is refused:
 *
 *   userns-root->65534   unshare(CLONE_NEWUSER) as uid 65534, mapped to root
 *   userns-root->0       unshare(CLONE_NEWUSER) as uid 0, mapped to root: the
 *                        same kernel uid as the real root (like a container
 *                        runtime's uid 0 without CAP_SYS_ADMIN), so any check
 *                        of "uid 0" or of a root-owned file's mode lets it in
 *
 * Each must be refused SET_AGENT, REMOVE_AGENT, GRANT, REVOKE, BIND, the
 * identity bindings, the prototype's SET_QUOTA/GRANT_PERM, naming another
 * agent (GET_AGENT, ALLOC, CHECK, CHECK_BATCH, FREE of its allocation, even
 * from the bound file), and writes to control and dma_permissions.  The
 * /proc listings must tell it no more than they tell a plain uid 65534
 * caller (same readability, same lines).  Afterwards root checks that
 * nothing changed.
 *
 * Then root binds uid 65534 to agent 12 and uid 0 to agent 13 (BIND_UID:
 * kernel uids, of the initial namespace).  Plain uid 65534 and
 * userns-root->65534 must each act as agent 12 and only as it (allocate,
 * check and free as 12; 13, 10 and 11 refused; still no configuration):
 * root in its own namespace (uid 0 there) is not uid 0 to the module.
 * userns-root->0 acts as agent 13 likewise.
 *
 * Expects fake_gpus=1 default_quota=0 (test/kernel/cases/21-userns.sh).
 */
#define _GNU_SOURCE
#include "vm_tool.h"

#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#define MIB	(1ull << 20)

static int fd_bound, fd_unbound;
static uint64_t id11;

static const char *const listings[] = {
	"quotas", "allocations", "contexts", "dma_permissions", "agents",
};
#define NLISTINGS	(sizeof(listings) / sizeof(listings[0]))

/*
 * The kernel refuses CLONE_NEWUSER to a chrooted caller (EPERM), and the test
 * guest runs every case chrooted into the host's root (test/vm/guest-init.sh).
 * Root leaves the chroot the classic way, for the guest's real root, which
 * has the same /dev (devtmpfs) and /proc: all this tool needs afterwards.
 */
static void escape_chroot(void)
{
	static const char dir[] = "/tmp/gdl-userns-chroot";
	int fd = open("/", O_RDONLY | O_DIRECTORY), i;
	struct stat st;

	if (fd < 0 || (mkdir(dir, 0700) && errno != EEXIST) || chroot(dir) || fchdir(fd))
		die("leaving the chroot: %s", strerror(errno));
	for (i = 0; i < 64; i++)
		if (chdir(".."))
			die("chdir ..: %s", strerror(errno));
	if (chroot(".") || chdir("/"))
		die("chroot to the real root: %s", strerror(errno));
	close(fd);
	/*
	 * A caller that drops to uid 65534 next must be able to walk the real
	 * root to reach /proc and /dev: a 0700 "/" (an initramfs packed from a
	 * mktemp -d directory) makes its uid_map write fail with EACCES.
	 */
	if (stat("/", &st) || (st.st_mode & 0005) != 0005)
		die("the guest's real / is mode %03o: uid 65534 cannot reach /proc from it "
		    "(test/vm/initramfs.sh must pack it 0755)", (unsigned)(st.st_mode & 0777));
}

/*
 * Become root of a new user namespace, as kernel uid @outer_uid.  The child
 * writes its own maps (allowed for a mapping of its own ids alone).
 */
static void enter_userns(uid_t outer_uid)
{
	char map[64];

	if (outer_uid && (setgroups(0, NULL) || setresgid(outer_uid, outer_uid, outer_uid) ||
			  setresuid(outer_uid, outer_uid, outer_uid)))
		die("cannot become uid %u: %s", outer_uid, strerror(errno));
	if (unshare(CLONE_NEWUSER))
		die("unshare(CLONE_NEWUSER): %s (is USER_NS off?)", strerror(errno));
	/*
	 * Changing uid, and gaining the new namespace's capabilities, made us
	 * non-dumpable, which hands our /proc/self files to root: we could not
	 * write our own setgroups and maps.
	 */
	if (prctl(PR_SET_DUMPABLE, 1))
		die("PR_SET_DUMPABLE: %s", strerror(errno));
	/* The uid map is what makes us root there; groups do not matter here. */
	snprintf(map, sizeof(map), "0 %u 1", outer_uid);
	if (vm_write("/proc/self/uid_map", map, 0))
		die("uid map '%s': %s", map, strerror(errno));
}

/* CAP_SYS_ADMIN (bit 21) in this namespace's effective set? */
static int has_ns_sys_admin(void)
{
	char *text = slurp("/proc/self/status", NULL), *p = strstr(text, "CapEff:");
	unsigned long long eff = 0;

	if (p)
		sscanf(p, "CapEff: %llx", &eff);
	free(text);
	return (eff >> 21) & 1;
}

/* An ioctl that must be refused; @also is one more accepted errno (or 0). */
static void refused(const char *who, const char *what, int fd, unsigned long req,
		    void *arg, int also)
{
	int ret = ioctl(fd, req, arg), err = errno;

	if (ret == 0)
		tap_not_ok(what, "%s: the module let it through", who);
	else if (err == EPERM || err == EACCES || (also && err == also))
		tap_ok("%s: %s refused (%s)", who, what, strerror(err));
	else
		tap_not_ok(what, "%s: failed with %s, not EPERM", who, strerror(err));
}

static void refused_write(const char *who, const char *file, const char *text)
{
	char path[128];
	int ret;

	snprintf(path, sizeof(path), GDL_PROC_DIR "/%s", file);
	ret = vm_write(path, text, 0);
	if (ret == 0)
		tap_not_ok(file, "%s: write of '%s' went through", who, text);
	else if (ret == -EPERM || ret == -EACCES)
		tap_ok("%s: write to %s refused (%s)", who, file, strerror(-ret));
	else
		tap_not_ok(file, "%s: write failed with %s, not EPERM/EACCES", who, strerror(-ret));
}

static void try_everything(const char *who)
{
	struct gdl_agent_cfg cfg = { .agent_id = 10, .quota = 1ull << 40, .device_mask = 1 };
	struct gdl_agent_ref ref = { .agent_id = 11 };
	struct gdl_grant g = { .agent_id = 10, .addr = 0x9000, .length = 0x1000,
			       .mode = GDL_DMA_RW };
	struct gdl_bind b = { .agent_id = 11 };
	struct gdl_uid_binding ub = { .uid = 0, .agent_id = 11 };
	struct gdl_cgroup_binding cb = { .path = (uintptr_t)"/", .agent_id = 11 };
	/* Unbinds name no agent: well formed, so only privilege can refuse them. */
	struct gdl_uid_binding uub = { .uid = 0 };
	struct gdl_cgroup_binding ucb = { .path = (uintptr_t)"/" };
	struct swarm_gpu_quota sq = { .agent_id = 10, .memory_limit = 1ull << 40 };
	struct swarm_dma_grant sg = { .agent_id = 10, .dma_addr = 0x9000, .size = 0x1000,
				      .permissions = SWARM_ACCESS_READ };
	struct gdl_agent_info ai = { .agent_id = 11 };
	struct gdl_alloc a = { .agent_id = 11, .size = 4096 };
	struct gdl_free f = { .alloc_id = id11 };
	struct gdl_check c = { .agent_id = 11, .addr = 0x5000, .length = 1,
			       .mode = GDL_DMA_READ };
	struct gdl_check_entry e = { .addr = 0x5000, .length = 1, .mode = GDL_DMA_READ };
	struct gdl_check_batch cbt = { .agent_id = 11, .entries = (uintptr_t)&e, .count = 1 };
	const int fds[2] = { fd_unbound, fd_bound };
	int i, own = open(GDL_DEV_PATH, O_RDWR);
	char what[96];

	for (i = 0; i < 3; i++) {
		int fd = i < 2 ? fds[i] : own;
		const char *which = i == 0 ? "unbound file" : i == 1 ? "file bound to 10" : "own file";

		if (fd < 0)
			continue;
#define REFUSE(req, arg, also) do {						\
		snprintf(what, sizeof(what), "%s, " #req, which);		\
		refused(who, what, fd, req, arg, also);				\
	} while (0)
		REFUSE(GDL_IOC_SET_AGENT, &cfg, 0);
		REFUSE(GDL_IOC_REMOVE_AGENT, &ref, 0);
		REFUSE(GDL_IOC_GRANT, &g, 0);
		g.addr = 0x1000;
		REFUSE(GDL_IOC_REVOKE, &g, 0);
		g.addr = 0x9000;
		REFUSE(GDL_IOC_BIND, &b, 0);
		REFUSE(GDL_IOC_BIND_UID, &ub, 0);
		REFUSE(GDL_IOC_UNBIND_UID, &uub, 0);
		REFUSE(GDL_IOC_BIND_CGROUP, &cb, 0);
		REFUSE(GDL_IOC_UNBIND_CGROUP, &ucb, 0);
		REFUSE(SWARM_GPU_SET_QUOTA, &sq, 0);
		REFUSE(SWARM_DMA_GRANT_PERM, &sg, 0);
		REFUSE(GDL_IOC_GET_AGENT, &ai, 0);
		REFUSE(GDL_IOC_ALLOC, &a, 0);
		REFUSE(GDL_IOC_FREE, &f, 0);
		REFUSE(GDL_IOC_CHECK, &c, 0);
		REFUSE(GDL_IOC_CHECK_BATCH, &cbt, 0);
#undef REFUSE
	}
	if (own >= 0)
		close(own);
	refused_write(who, "control", "set_quota 10 1099511627776\n");
	refused_write(who, "dma_permissions", "grant 10 0 0x9000 0x1000 rw\n");
}

/* Bound by uid ---------------------------------------------------------- */

/* What uid 65534 and uid 0 are bound to, each with a grant and a persistent allocation. */
static struct bound_agent {
	uint64_t id, quota, grant, alloc;
	uid_t uid;
} bound_agents[] = {
	{ .id = 12, .quota = 1 * MIB, .grant = 0x7000, .uid = 65534 },
	{ .id = 13, .quota = 2 * MIB, .grant = 0xb000, .uid = 0 },
};
static const struct bound_agent *me, *other;	/* for the next bound caller */

static void bind_uids(int admin)
{
	size_t i;

	for (i = 0; i < 2; i++) {
		struct bound_agent *a = &bound_agents[i];
		struct gdl_uid_binding ub = { .uid = a->uid, .agent_id = a->id };

		if (ioc_set_agent(admin, a->id, a->quota, 1) ||
		    ioc_grant_op(admin, GDL_IOC_GRANT, a->id, 0, a->grant, 0x1000, GDL_DMA_RW) ||
		    ioc_alloc(admin, a->id, 4096, 0, GDL_ALLOC_PERSISTENT, &a->alloc) ||
		    ioc(admin, GDL_IOC_BIND_UID, &ub))
			die("setting up agent %llu bound to uid %u: %s",
			    (unsigned long long)a->id, a->uid, strerror(errno));
	}
}

static void unbind_uids(int admin)
{
	size_t i;

	for (i = 0; i < 2; i++) {
		struct bound_agent *a = &bound_agents[i];
		struct gdl_uid_binding ub = { .uid = a->uid };
		struct gdl_agent_ref ref = { .agent_id = a->id };
		struct gdl_agent_info ai;

		/* The callers' own allocations went with their frees and files. */
		ioc_get_agent(admin, a->id, &ai);
		tap_eq(a->id == 12 ? "agent 12 holds only root's allocation afterwards" :
				     "agent 13 holds only root's allocation afterwards", 4096, ai.used);
		if (ioc(admin, GDL_IOC_UNBIND_UID, &ub) || ioc_free(admin, a->alloc) ||
		    ioc(admin, GDL_IOC_REMOVE_AGENT, &ref))
			die("cleaning up agent %llu: %s", (unsigned long long)a->id, strerror(errno));
	}
}

/* 0 or -errno, as expected; errors print by name. */
static void expect_ret(const char *who, const char *what, int want, int got)
{
	if (want == got)
		tap_ok("%s: %s (%s)", who, what, got ? strerror(-got) : "ok");
	else
		tap_not_ok(what, "%s: expected %s, got %s", who, want ? strerror(-want) : "ok",
			   got < 0 ? strerror(-got) : got ? "a positive value" : "ok");
}

static void expect_num(const char *who, const char *what, unsigned long long want,
		       unsigned long long got)
{
	if (want == got)
		tap_ok("%s: %s (%llu)", who, what, got);
	else
		tap_not_ok(what, "%s: expected %llu, got %llu", who, want, got);
}

/*
 * The child's half: @who's uid is bound to @me.  Through a file of its own
 * and the inherited unbound one (neither bound: the uid binding decides) it
 * acts as @me, and only as @me.
 */
static void acts_as_bound_agent(const char *who)
{
	int fd = open(GDL_DEV_PATH, O_RDWR), ret;
	struct gdl_agent_info ai;
	uint64_t id = 0, id2 = 0, unused;
	char what[96];

	if (fd < 0) {
		tap_not_ok("open", "%s: %s", who, strerror(errno));
		return;
	}
#define WHAT(...) (snprintf(what, sizeof(what), __VA_ARGS__), what)
	ret = ioc_get_agent(fd, 0, &ai);
	expect_ret(who, "GET_AGENT of its own agent (0)", 0, ret);
	if (!ret)
		expect_num(who, WHAT("its agent has agent %llu's quota", (unsigned long long)me->id),
			   me->quota, ai.quota);
	expect_ret(who, WHAT("GET_AGENT naming agent %llu (its own)", (unsigned long long)me->id),
		   0, ioc_get_agent(fd, me->id, &ai));
	expect_ret(who, WHAT("GET_AGENT naming agent %llu refused", (unsigned long long)other->id),
		   -EPERM, ioc_get_agent(fd, other->id, &ai));

	expect_ret(who, "ALLOC as its agent (0)", 0, ioc_alloc(fd, 0, 4096, 0, 0, &id));
	ioc_get_agent(fd, 0, &ai);
	expect_num(who, "the allocation is charged to its agent", 4096 + 4096, ai.used);
	expect_ret(who, WHAT("ALLOC naming agent %llu (its own)", (unsigned long long)me->id),
		   0, ioc_alloc(fd_unbound, me->id, 4096, 0, 0, &id2));
	expect_ret(who, WHAT("ALLOC naming agent %llu refused", (unsigned long long)other->id),
		   -EPERM, ioc_alloc(fd, other->id, 4096, 0, 0, &unused));
	expect_ret(who, "ALLOC naming agent 11 refused", -EPERM, ioc_alloc(fd, 11, 4096, 0, 0, &unused));
	expect_ret(who, "PERSISTENT ALLOC refused", -EPERM,
		   ioc_alloc(fd, 0, 4096, 0, GDL_ALLOC_PERSISTENT, &unused));

	expect_num(who, "CHECK inside its agent's grant allowed", GDL_CHECK_ALLOWED,
		   ioc_check(fd, 0, 0, me->grant, 16, GDL_DMA_READ));
	expect_num(who, WHAT("CHECK inside agent %llu's grant denied", (unsigned long long)other->id),
		   GDL_CHECK_DENIED, ioc_check(fd, 0, 0, other->grant, 16, GDL_DMA_READ));
	expect_ret(who, WHAT("CHECK naming agent %llu refused", (unsigned long long)other->id),
		   -EPERM, ioc_check(fd, other->id, 0, other->grant, 16, GDL_DMA_READ));

	expect_ret(who, WHAT("FREE of agent %llu's allocation refused", (unsigned long long)other->id),
		   -EPERM, ioc_free(fd, other->alloc));
	expect_ret(who, "FREE of agent 11's allocation refused", -EPERM, ioc_free(fd, id11));
	expect_ret(who, "FREE of its own allocation", 0, ioc_free(fd, id));
	expect_ret(who, "FREE of its own allocation through another of its files", 0,
		   ioc_free(fd_unbound, id2));
	expect_ret(who, WHAT("SET_AGENT of its own agent %llu refused", (unsigned long long)me->id),
		   -EPERM, ioc_set_agent(fd, me->id, 1ull << 40, 1));
	expect_ret(who, "GRANT to its own agent refused", -EPERM,
		   ioc_grant_op(fd, GDL_IOC_GRANT, me->id, 0, 0x20000, 0x1000, GDL_DMA_RW));
#undef WHAT
	close(fd);
}

/* A listing as @who sees it: its data lines, or "!errno". */
static char *listing(const char *name)
{
	char path[128], *text, *out;
	size_t len;
	int fd;

	snprintf(path, sizeof(path), GDL_PROC_DIR "/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0 || read(fd, (char[1]){ 0 }, 1) < 0) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		if (asprintf(&out, "!%s", strerror(err)) < 0)
			die("out of memory");
		return out;
	}
	close(fd);
	text = slurp(path, &len);
	return text;
}

/* Runs @fn in a child as @who; its TAP lines go to our stdout. */
static int in_child(void (*fn)(const char *), const char *who, uid_t uid, int userns,
		    int pipe_fd)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		escape_chroot();	/* every caller alike, the plain one too */
		if (userns) {
			enter_userns(uid);
			if (getuid() != 0 || !has_ns_sys_admin())
				die("%s: not root with CAP_SYS_ADMIN in its namespace", who);
			tap_ok("%s: root with CAP_SYS_ADMIN in its own user namespace", who);
		} else {
			vm_become(uid);
		}
		if (pipe_fd >= 0)
			dup2(pipe_fd, STDOUT_FILENO);
		fn(who);
		fflush(stdout);
		_exit(tap_failures ? 1 : 0);
	}
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid: %s", strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The child's half: print each listing between markers. */
static void dump_listings(const char *who)
{
	size_t i;

	for (i = 0; i < NLISTINGS; i++) {
		char *t = listing(listings[i]);

		printf("@@%s\n%s\n", listings[i], t);
		free(t);
	}
}

/* Captures what @who reads from every listing. */
static char *capture(const char *who, uid_t uid, int userns)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	int p[2];
	ssize_t n;
	char chunk[4096];

	if (pipe(p))
		die("pipe: %s", strerror(errno));
	mem = open_memstream(&buf, &len);
	fflush(stdout);
	if (fork() == 0) {
		close(p[0]);
		_exit(in_child(dump_listings, who, uid, userns, p[1]));
	}
	close(p[1]);
	while ((n = read(p[0], chunk, sizeof(chunk))) > 0)
		fwrite(chunk, 1, n, mem);
	close(p[0]);
	wait(NULL);
	fclose(mem);
	return buf;
}

/* The section of @dump for @name (up to the next "@@"). */
static char *section(const char *dump, const char *name)
{
	char marker[64];
	const char *s, *end;

	snprintf(marker, sizeof(marker), "@@%s\n", name);
	s = strstr(dump, marker);
	if (!s)
		return strdup("(missing)");
	s += strlen(marker);
	end = strstr(s, "\n@@");
	if (!end)	/* the last section: up to its closing newline */
		end = s + strlen(s) - (s[0] && s[strlen(s) - 1] == '\n');
	return strndup(s, end - s);
}

static int data_lines(const char *t)
{
	int n = 0;

	if (t[0] == '!')
		return -1;
	for (; *t; t = strchrnul(t, '\n'), t += !!*t)
		if (*t != '#' && *t != '\n')
			n++;
	return n;
}

int main(void)
{
	struct gdl_agent_info ai10, ai11, after;
	struct gdl_stats s0, s1;
	struct vm_two_agents scene;
	char *plain, *ns;
	int admin = gdl_open(), rc;
	size_t i;
	static const struct { const char *who; uid_t uid; } callers[] = {
		{ "userns-root->65534", 65534 },
		{ "userns-root->0", 0 },
	};

	vm_two_agents_setup(admin, &scene);
	fd_bound = scene.fd_bound;
	fd_unbound = scene.fd_unbound;
	id11 = scene.id11;
	ioc_get_agent(admin, 10, &ai10);
	ioc_get_agent(admin, 11, &ai11);
	ioc_get_stats(admin, &s0);

	plain = capture("uid 65534", 65534, 0);
	for (i = 0; i < sizeof(callers) / sizeof(callers[0]); i++) {
		size_t l;

		rc = in_child(try_everything, callers[i].who, callers[i].uid, 1, -1);
		if (rc > 1)
			die("%s: could not run (exit %d)", callers[i].who, rc);
		tap_failures += rc;	/* its "not ok" lines are already out */
		ns = capture(callers[i].who, callers[i].uid, 1);
		for (l = 0; l < NLISTINGS; l++) {
			char *a = section(plain, listings[l]), *b = section(ns, listings[l]);
			int na = data_lines(a), nb = data_lines(b);

			/*
			 * contexts names the reader's own process: compare line
			 * counts.  A refusal is a refusal, whichever errno says it
			 * (the file mode's EACCES or the capability check's EPERM).
			 */
			if ((na < 0 && nb < 0) ||
			    (strcmp(listings[l], "contexts") ? !strcmp(a, b) : na == nb))
				tap_ok("%s sees %s as uid 65534 does (%s)", callers[i].who, listings[l],
				       na < 0 ? a + 1 : "readable");
			else
				tap_not_ok(listings[l], "%s sees more than uid 65534: %s vs %s",
					   callers[i].who,
					   nb < 0 ? b : "readable", na < 0 ? a : "readable");
			free(a);
			free(b);
		}
		free(ns);
	}
	free(plain);

	/* Nothing the callers were refused happened. */
	ioc_get_agent(admin, 10, &after);
	tap_eq("agent 10's quota unchanged", ai10.quota, after.quota);
	tap_eq("agent 10's grants unchanged", ai10.grants, after.grants);
	tap_eq("agent 10's device mask unchanged", ai10.device_mask, after.device_mask);
	tap_eq("agent 11 still there", 0, ioc_get_agent(admin, 11, &after));
	tap_eq("agent 11's allocation still there", ai11.allocations, after.allocations);
	ioc_get_stats(admin, &s1);
	tap_eq("no allocation made", s0.live_allocations, s1.live_allocations);
	tap_eq("no agent added or removed", s0.agents, s1.agents);

	/* Bound by uid: each acts as its uid's agent, and only as it. */
	bind_uids(admin);
	for (i = 0; i < 3; i++) {
		static const struct { const char *who; uid_t uid; int userns; } bound[] = {
			{ "uid 65534 bound to 12", 65534, 0 },
			{ "userns-root->65534 bound to 12", 65534, 1 },
			{ "userns-root->0 bound to 13", 0, 1 },
		};

		me = &bound_agents[bound[i].uid ? 0 : 1];
		other = &bound_agents[bound[i].uid ? 1 : 0];
		rc = in_child(acts_as_bound_agent, bound[i].who, bound[i].uid, bound[i].userns, -1);
		if (rc > 1)
			die("%s: could not run (exit %d)", bound[i].who, rc);
		tap_failures += rc;
		/* Bound or not, configuration and other agents stay out of reach. */
		rc = in_child(try_everything, bound[i].who, bound[i].uid, bound[i].userns, -1);
		if (rc > 1)
			die("%s: could not run (exit %d)", bound[i].who, rc);
		tap_failures += rc;
	}
	unbind_uids(admin);

	ioc_free(admin, id11);
	close(fd_bound);
	close(fd_unbound);
	close(admin);
	return tap_exit();
}

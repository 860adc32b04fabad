// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gdl_cuda_backend.c - the ledger's two transports, one ABI
 *
 *   1. GDL_FD=<n>: a descriptor of /dev/gpu_dma_lock inherited from a
 *      privileged launcher that bound it (GDL_IOC_BIND); shared with the
 *      launcher and its other children on purpose.
 *   2. /dev/gpu_dma_lock (or $GDL_DEVICE) present: opened once per process;
 *      the module resolves who we are (cgroup, uid).
 *   3. else the agent's socket ($GDL_SOCKET, default
 *      /run/gpu-dma-lock/agent.sock): the same request structs, each framed
 *      by struct gdl_wire_hdr (gdl_cuda_socket.c).  One connection per
 *      process is one owner.
 *
 * Picked once, at the first request.  When none answers, GDL_NO_BACKEND:
 * the hooks then refuse (GDL_CUDA_NO_BACKEND=deny, the default) or pass
 * through uncharged (=allow), with one warning on stderr either way.
 *
 * Fork: our own descriptor and connection are close-on-exec; a child after
 * fork() drops its copy and opens its own on its next request, so it never
 * talks over its parent's connection (an inherited GDL_FD stays shared: it
 * is the launcher's binding).  The ledger forgets the parent's charges.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "gdl_cuda.h"

#define DEFAULT_DEVICE "/dev/" GDL_DEVICE_NAME
#define DEFAULT_SOCKET "/run/gpu-dma-lock/agent.sock"

enum { BK_UNKNOWN, BK_IOCTL, BK_SOCKET, BK_NONE };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int kind = BK_UNKNOWN;	/* read without the lock once set */
static int fd = -1;
int gdl_backend_ioctl_fd = -1;	/* fd, published once kind is BK_IOCTL */
static int fd_inherited;	/* GDL_FD: never closed by us */
static int allow_without = -1;

int gdl_backend_allow_without(void)
{
	if (allow_without < 0) {
		const char *v = getenv("GDL_CUDA_NO_BACKEND");

		allow_without = v && !strcmp(v, "allow");
		if (v && strcmp(v, "allow") && strcmp(v, "deny"))
			fprintf(stderr, "gdl-cuda: GDL_CUDA_NO_BACKEND=%s: not deny|allow, using deny\n", v);
	}
	return allow_without;
}

static int open_inherited(const char *v)
{
	char *end;
	long n = strtol(v, &end, 10);
	struct gdl_info info = { 0 };

	if (*v == '\0' || *end != '\0' || n < 0 || n > 1 << 20) {
		fprintf(stderr, "gdl-cuda: GDL_FD=%s is not a descriptor number\n", v);
		return -1;
	}
	if (ioctl((int)n, GDL_IOC_INFO, &info) < 0) {
		fprintf(stderr, "gdl-cuda: GDL_FD=%ld is not an open %s: %s\n", n,
			DEFAULT_DEVICE, strerror(errno));
		return -1;
	}
	fd_inherited = 1;
	return (int)n;
}

/* Publishes @k after fd is set: the ioctl fast path (gdl_cuda.h) reads gdl_backend_ioctl_fd unlocked. */
static void set_kind(int k)
{
	__atomic_store_n(&kind, k, __ATOMIC_RELEASE);
	if (k == BK_IOCTL)
		__atomic_store_n(&gdl_backend_ioctl_fd, fd, __ATOMIC_RELEASE);
}

/* Called with the lock held, kind == BK_UNKNOWN. */
static void pick(void)
{
	const char *env_fd = getenv("GDL_FD");
	const char *dev = getenv("GDL_DEVICE");
	const char *sock = getenv("GDL_SOCKET");

	if (!dev || !*dev)
		dev = DEFAULT_DEVICE;
	if (!sock || !*sock)
		sock = DEFAULT_SOCKET;
	if (env_fd && *env_fd) {
		fd = open_inherited(env_fd);
		set_kind(fd >= 0 ? BK_IOCTL : BK_NONE);
	} else if (access(dev, F_OK) == 0 &&
		   (fd = open(dev, O_RDWR | O_CLOEXEC)) >= 0) {
		set_kind(BK_IOCTL);
	} else if ((fd = gdl_sock_connect(sock)) >= 0) {
		set_kind(BK_SOCKET);
	} else {
		set_kind(BK_NONE);
	}
	if (kind == BK_NONE)
		fprintf(stderr, "gdl-cuda: no gpu-dma-lock backend (%s, %s): %s\n",
			dev, sock, gdl_backend_allow_without() ?
			"GDL_CUDA_NO_BACKEND=allow, GPU memory is NOT governed" :
			"refusing GPU allocations (GDL_CUDA_NO_BACKEND=deny)");
	gdl_trace("backend %s", kind == BK_IOCTL ? "ioctl" :
		  kind == BK_SOCKET ? "socket" : "none");
}

/*
 * Every request but the ioctl fast path (gdl_cuda.h): picks the backend on
 * first use.  @post: a FREE whose reply is read later (gdl_cuda_socket.c);
 * the ioctl is synchronous anyway.
 */
int gdl_backend_call(unsigned long cmd, void *arg, int post)
{
	int k, r;

	pthread_mutex_lock(&lock);
	if (kind == BK_UNKNOWN)
		pick();
	k = kind;
	if (k == BK_IOCTL) {
		pthread_mutex_unlock(&lock);
		return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
	}
	if (k != BK_SOCKET) {
		pthread_mutex_unlock(&lock);
		return GDL_NO_BACKEND;
	}
	r = post ? gdl_sock_post_free(fd, arg) : gdl_sock_request(fd, cmd, arg);
	if (r == -EPIPE || r == -EPROTO) {
		/*
		 * The agent went away: it released this connection's charges,
		 * so the ledger's ids are void.  Reconnecting would let memory
		 * we still hold go uncharged: stay without a backend.
		 */
		fprintf(stderr, "gdl-cuda: lost the agent's socket (%s)\n", strerror(-r));
		close(fd);
		fd = -1;
		gdl_sock_forget();
		kind = BK_NONE;
		r = GDL_NO_BACKEND;
	}
	pthread_mutex_unlock(&lock);
	return r;
}

void gdl_backend_after_fork(void)
{
	pthread_mutex_init(&lock, NULL);
	if (kind == BK_SOCKET || (kind == BK_IOCTL && !fd_inherited)) {
		close(fd);
		fd = -1;
		gdl_backend_ioctl_fd = -1;
		gdl_sock_forget();
		kind = BK_UNKNOWN;
	}
}

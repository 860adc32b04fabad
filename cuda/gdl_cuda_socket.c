// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gdl_cuda_socket.c - the agent's socket transport (docs/wire.md), used by
 * gdl_cuda_backend.c when no module is loaded.  Called with the backend's
 * lock held: one request at a time per process.
 *
 * Cost (docs/cuda.md, "Two transports"): a request is a round trip to another
 * process, and on a node the wake-ups of that round trip cost far more than
 * either side's work.  So:
 *   - a FREE does not wait for its reply.  The agent applies a connection's
 *     requests in order, so our next request is decided after it; and a
 *     refusal of another connection's ALLOC makes the agent first apply
 *     what every other connection has already sent (agent/src/socket/
 *     server.ts), so a free is effective for everyone once cuMemFree has
 *     returned.  Its reply is read, and checked, with the next one; at most
 *     MAX_PENDING wait, so neither side's buffer fills.
 *   - one send per request, and replies are read through a buffer: one
 *     recv usually brings the pending FREE replies and the awaited one.
 *   - a reply is polled for before we sleep on it: a thread that sleeps
 *     pays its wake-up on top of the agent's (on the shared test VM a bare
 *     round trip is 28 us, 20 us when the waiting side polls).  So recv
 *     polls for up to GDL_CUDA_SPIN_US microseconds (default 50, 0 never)
 *     before it blocks; never when the connecting thread may run on one
 *     CPU only (its affinity, read once), where polling only delays the
 *     agent.  That bounds what an allocation spends spinning, and a
 *     framework's caching allocator makes few of them.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "gdl_cuda.h"

#define DEFAULT_SPIN_US	50
#define MAX_SPIN_US	10000

#define MAX_PENDING	64
#define MAX_BODY	128	/* every served struct is smaller */

static unsigned int pending;	/* FREEs sent whose replies are unread */
static long spin_ns = -1;	/* how long recv polls before it blocks; -1: not read yet */
static unsigned char rx[4096];	/* received, not yet parsed: rx[rx_off, rx_len) */
static size_t rx_off, rx_len;

/* GDL_CUDA_SPIN_US, or the default; 0 on a single CPU. */
static long read_spin_ns(void)
{
	const char *v = getenv("GDL_CUDA_SPIN_US");
	cpu_set_t cpus;
	long us = DEFAULT_SPIN_US;

	if (v && *v) {
		char *end;

		us = strtol(v, &end, 10);
		if (*end || us < 0 || us > MAX_SPIN_US) {
			fprintf(stderr, "gdl-cuda: GDL_CUDA_SPIN_US=%s: not 0..%d, using %d\n",
				v, MAX_SPIN_US, DEFAULT_SPIN_US);
			us = DEFAULT_SPIN_US;
		}
	}
	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_COUNT(&cpus) < 2)
		us = 0;
	gdl_trace("socket: polls a reply for up to %ld us", us);
	return us * 1000;
}

int gdl_sock_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(s);
		return -1;
	}
	gdl_sock_forget();
	if (spin_ns < 0)
		spin_ns = read_spin_ns();
	return s;
}

/* After the connection is gone (closed, lost, or a fork's copy dropped). */
void gdl_sock_forget(void)
{
	pending = 0;
	rx_off = rx_len = 0;
}

static int send_request(int fd, unsigned long cmd, const void *arg)
{
	unsigned int size = _IOC_SIZE(cmd);
	struct {
		struct gdl_wire_hdr h;
		unsigned char body[MAX_BODY];
	} req = { .h = { .cmd = (__u32)cmd, .len = size } };
	const char *p = (const char *)&req;
	size_t len = sizeof(req.h) + size;

	if (size > sizeof(req.body))
		return -EINVAL;
	memcpy(req.body, arg, size);
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static long elapsed_ns(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000000000L + (t.tv_nsec - t0->tv_nsec);
}

/* One recv into rx: polled for up to spin_ns, then blocking. */
static ssize_t receive(int fd)
{
	void *to = rx + rx_len;
	size_t room = sizeof(rx) - rx_len;
	struct timespec t0;
	ssize_t n;

	if (spin_ns > 0) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			n = recv(fd, to, room, MSG_DONTWAIT);
			if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
				return n;
		} while (elapsed_ns(&t0) < spin_ns);
	}
	return recv(fd, to, room, 0);
}

/* Makes at least @need unparsed bytes available in rx; whatever else has arrived comes too. */
static int fill(int fd, size_t need)
{
	while (rx_len - rx_off < need) {
		ssize_t n;

		if (rx_off && rx_len + need > sizeof(rx)) {
			memmove(rx, rx + rx_off, rx_len - rx_off);
			rx_len -= rx_off;
			rx_off = 0;
		}
		n = receive(fd);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		rx_len += (size_t)n;
	}
	return 0;
}

/* Reads the next reply, which must answer @cmd, into @arg (NULL: checked, then dropped). */
static int read_reply(int fd, unsigned long cmd, void *arg)
{
	unsigned int size = _IOC_SIZE(cmd);
	struct gdl_wire_hdr rep;

	if (fill(fd, sizeof(rep)))
		return -EPIPE;
	memcpy(&rep, rx + rx_off, sizeof(rep));
	if (rep.cmd != (__u32)cmd || rep.flags ||
	    (rep.result == 0 && rep.len != size) || (rep.result && rep.len) ||
	    rep.result > 0 || size > MAX_BODY)
		return -EPROTO;
	if (fill(fd, sizeof(rep) + rep.len))
		return -EPIPE;
	if (rep.result == 0 && arg)
		memcpy(arg, rx + rx_off + sizeof(rep), size);
	rx_off += sizeof(rep) + rep.len;
	if (rx_off == rx_len)
		rx_off = rx_len = 0;
	return rep.result;
}

/* The replies of the FREEs in flight; a refused free is only traced, as before. */
static int drain(int fd)
{
	for (; pending; pending--) {
		int r = read_reply(fd, GDL_IOC_FREE, NULL);

		if (r == -EPIPE || r == -EPROTO)
			return r;
		if (r)
			gdl_trace("free: %s", strerror(-r));
	}
	return 0;
}

int gdl_sock_request(int fd, unsigned long cmd, void *arg)
{
	/* Sent first, so the agent works while we read the older replies. */
	int r = send_request(fd, cmd, arg);

	if (!r)
		r = drain(fd);
	return r ? r : read_reply(fd, cmd, arg);
}

int gdl_sock_post_free(int fd, const struct gdl_free *f)
{
	int r = pending >= MAX_PENDING ? drain(fd) : 0;

	if (!r)
		r = send_request(fd, GDL_IOC_FREE, f);
	if (!r)
		pending++;
	return r;
}

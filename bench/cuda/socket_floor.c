// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * socket_floor.c - the floor under the interposer's socket transport: one
 * round trip of an ALLOC-sized request (16-byte header + 32-byte struct) and
 * its reply over a Unix stream socket, between two processes that do nothing
 * else (a forked echo server, blocking read + write).  bench/cuda/host-socket.sh
 * prints the interposer's added cost next to it: what the agent and the
 * interposer add on top of the wake-ups that any out-of-process ledger pays.
 * Prints "rt_ns=N".  A benchmark: nothing asserted.
 *
 *   socket_floor [ROUND_TRIPS]     (default 20000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;
	char buf[64] = { 0 };
	int sv[2];
	double t0;

	if (n <= 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 1;
	switch (fork()) {
	case -1:
		return 1;
	case 0:
		close(sv[0]);
		for (;;) {
			ssize_t r = read(sv[1], buf, sizeof(buf));

			if (r <= 0 || write(sv[1], buf, (size_t)r) != r)
				_exit(0);
		}
	}
	close(sv[1]);
	for (long i = 0; i < n / 10; i++)	/* warm */
		if (write(sv[0], buf, 48) != 48 || read(sv[0], buf, sizeof(buf)) <= 0)
			return 1;
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		if (write(sv[0], buf, 48) != 48 || read(sv[0], buf, sizeof(buf)) <= 0)
			return 1;
	printf("rt_ns=%.0f\n", (now_ns() - t0) / n);
	close(sv[0]);
	wait(NULL);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * kill_busy - threads hammering one open file, to be SIGKILLed mid-ioctl
 *
 *   kill_busy AGENT THREADS
 *
 * Every thread loops on the same open /dev/gpu_dma_lock: allocate a few
 * ordinary allocations for AGENT, check, free some, allocate more.  The
 * main thread prints "ready" once each thread has allocated, then sleeps.
 * A SIGKILL lands while ioctls are in flight on other CPUs; the file is
 * released only after the last of them returns, and must then free every
 * allocation still held, whichever thread made it.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "vm_tool.h"

static int fd;
static uint64_t agent;
static atomic_int started;

static void *hammer(void *arg)
{
	uint64_t ids[32], id;
	unsigned int n = 0, i = 0, seed = (unsigned int)(uintptr_t)arg;
	int announced = 0;

	for (;;) {
		/* -EDQUOT is fine: other threads hold the quota for a while. */
		if (n < 32 && !ioc_alloc(fd, agent, 4096 * (1 + rand_r(&seed) % 16), 0, 0, &id))
			ids[n++] = id;
		if (!announced && n) {
			atomic_fetch_add(&started, 1);
			announced = 1;
		}
		ioc_check(fd, agent, 0, 0, 4096, GDL_DMA_READ);
		if (n && ++i % 3 == 0)
			ioc_free(fd, ids[--n]);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int nthreads, i;
	pthread_t t;

	if (argc != 3)
		die("usage: %s AGENT THREADS", argv[0]);
	agent = strtoull(argv[1], NULL, 0);
	nthreads = atoi(argv[2]);
	fd = gdl_open();
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&t, NULL, hammer, (void *)(uintptr_t)(i + 1)))
			die("pthread_create failed");
	while (atomic_load(&started) < nthreads)
		usleep(1000);
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}

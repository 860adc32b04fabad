// SPDX-License-Identifier: GPL-2.0
/*
 * kill_holder - hold allocations on an open /dev/gpu_dma_lock until killed
 *
 *   kill_holder [-d DEVICE] [-f] AGENT SIZE LIVE PERSISTENT
 *
 * Opens the device, makes LIVE ordinary allocations (owned by this open
 * file) and PERSISTENT ones of SIZE bytes each for AGENT, prints one line
 * per allocation ("live ID" / "persistent ID"), then "ready", and sleeps
 * until a signal ends it.  With -f it first forks a child that shares the
 * open file and sleeps too ("child PID"): the allocations belong to the file,
 * so they must outlive whichever of the two dies first.
 *
 * 40-kill SIGKILLs it and checks that the kernel, closing the file on the
 * process's behalf, released exactly the ordinary allocations.
 */
#include <signal.h>

#include "vm_tool.h"

int main(int argc, char **argv)
{
	unsigned long live, persistent, i;
	uint64_t agent, size, id;
	uint32_t device = 0;
	int fd, err, opt, share = 0;
	pid_t child;

	while ((opt = getopt(argc, argv, "d:f")) != -1) {
		switch (opt) {
		case 'd': device = strtoul(optarg, NULL, 0); break;
		case 'f': share = 1; break;
		default: die("usage: %s [-d DEVICE] [-f] AGENT SIZE LIVE PERSISTENT", argv[0]);
		}
	}
	if (argc - optind != 4)
		die("usage: %s [-d DEVICE] [-f] AGENT SIZE LIVE PERSISTENT", argv[0]);
	agent = strtoull(argv[optind], NULL, 0);
	size = strtoull(argv[optind + 1], NULL, 0);
	live = strtoul(argv[optind + 2], NULL, 0);
	persistent = strtoul(argv[optind + 3], NULL, 0);

	fd = gdl_open();
	for (i = 0; i < live + persistent; i++) {
		int pers = i >= live;

		err = ioc_alloc(fd, agent, size, device, pers ? GDL_ALLOC_PERSISTENT : 0, &id);
		if (err)
			die("allocation %lu of agent %llu: %s", i, (unsigned long long)agent,
			    strerror(-err));
		printf("%s %llu\n", pers ? "persistent" : "live", (unsigned long long)id);
	}
	if (share) {
		fflush(stdout);
		child = fork();
		if (child < 0)
			die("fork: %s", strerror(errno));
		if (child == 0) {
			/* Holds the inherited fd until killed. */
			for (;;)
				pause();
		}
		printf("child %d\n", (int)child);
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}

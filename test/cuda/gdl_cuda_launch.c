// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gdl_cuda_launch.c - the privileged launcher of the guest CUDA tests
 *
 *   gdl_cuda_launch set AGENT QUOTA        create/change the agent (all devices)
 *   gdl_cuda_launch query AGENT            print "used=N allocations=N quota=N"
 *   gdl_cuda_launch run AGENT UID CMD...   open /dev/gpu_dma_lock, bind the
 *        file to AGENT (GDL_IOC_BIND), drop to UID (and its gid), and exec CMD
 *        with the descriptor inherited and named by GDL_FD: the workload,
 *        unprivileged, can then act only as AGENT.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "../../kmod/include/uapi/gpu_dma_lock.h"

static int dev(int cloexec)
{
	int fd = open("/dev/" GDL_DEVICE_NAME, O_RDWR | (cloexec ? O_CLOEXEC : 0));

	if (fd < 0) {
		perror("open /dev/" GDL_DEVICE_NAME);
		exit(1);
	}
	return fd;
}

static void io(int fd, unsigned long cmd, void *arg, const char *what)
{
	if (ioctl(fd, cmd, arg) < 0) {
		fprintf(stderr, "gdl_cuda_launch: %s: %s\n", what, strerror(errno));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "set")) {
		struct gdl_agent_cfg c = { .agent_id = strtoull(argv[2], NULL, 0),
					   .quota = strtoull(argv[3], NULL, 0),
					   .device_mask = ~0ull };
		struct gdl_info info = { 0 };
		int fd = dev(1);

		io(fd, GDL_IOC_INFO, &info, "INFO");
		if (info.num_devices < 64)
			c.device_mask = (1ull << info.num_devices) - 1;
		io(fd, GDL_IOC_SET_AGENT, &c, "SET_AGENT");
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "query")) {
		struct gdl_agent_info a = { .agent_id = strtoull(argv[2], NULL, 0) };
		int fd = dev(1);

		io(fd, GDL_IOC_GET_AGENT, &a, "GET_AGENT");
		printf("used=%llu allocations=%llu quota=%llu\n", (unsigned long long)a.used,
		       (unsigned long long)a.allocations, (unsigned long long)a.quota);
		return 0;
	}
	if (argc >= 5 && !strcmp(argv[1], "run")) {
		struct gdl_bind b = { .agent_id = strtoull(argv[2], NULL, 0) };
		uid_t uid = (uid_t)strtoul(argv[3], NULL, 0);
		int fd = dev(0);	/* inherited across exec on purpose */
		char num[16];

		io(fd, GDL_IOC_BIND, &b, "BIND");
		snprintf(num, sizeof(num), "%d", fd);
		setenv("GDL_FD", num, 1);
		if (setgroups(0, NULL) || setgid(uid) || setuid(uid)) {
			perror("drop privileges");
			return 1;
		}
		execvp(argv[4], &argv[4]);
		perror(argv[4]);
		return 127;
	}
	fprintf(stderr, "usage: gdl_cuda_launch set AGENT QUOTA | query AGENT | run AGENT UID CMD...\n");
	return 2;
}

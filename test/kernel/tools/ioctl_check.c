// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_check.c - one GDL_IOC_CHECK from the shell
 *
 *   ioctl_check AGENT DEVICE ADDR LENGTH MODE
 *
 * Prints "allowed" or "denied" and exits 0, or prints the error and exits
 * 1.  Numbers as strtoull base 0; MODE 1 (r), 2 (w) or 3 (rw).  For cases
 * that need a check to happen (tracepoints, /proc stats).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "uapi/gpu_dma_lock.h"

int main(int argc, char **argv)
{
	struct gdl_check c = { 0 };
	int fd;

	if (argc != 6) {
		fprintf(stderr, "usage: %s AGENT DEVICE ADDR LENGTH MODE\n", argv[0]);
		return 2;
	}
	c.agent_id = strtoull(argv[1], NULL, 0);
	c.device = strtoul(argv[2], NULL, 0);
	c.addr = strtoull(argv[3], NULL, 0);
	c.length = strtoull(argv[4], NULL, 0);
	c.mode = strtoul(argv[5], NULL, 0);

	fd = open("/dev/" GDL_DEVICE_NAME, O_RDWR);
	if (fd < 0 || ioctl(fd, GDL_IOC_CHECK, &c)) {
		printf("error: %s\n", strerror(errno));
		return 1;
	}
	printf("%s\n", c.result == GDL_CHECK_ALLOWED ? "allowed" : "denied");
	close(fd);
	return 0;
}

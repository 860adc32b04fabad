// SPDX-License-Identifier: GPL-2.0
/*
 * reload_rmmod - try to remove a module once and say exactly why not
 *
 *   reload_rmmod NAME
 *
 * rmmod(8) folds every failure into one message; 90-reload needs to know
 * that removal fails with EBUSY (and not, say, EAGAIN or EPERM) while a
 * file of the module is open.  Prints "removed" (exit 0) or the errno's
 * name, e.g. "EBUSY" (exit 1).  O_NONBLOCK: never wait for users to go.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s MODULE\n", argv[0]);
		return 2;
	}
	if (syscall(SYS_delete_module, argv[1], O_NONBLOCK) == 0) {
		puts("removed");
		return 0;
	}
	puts(strerrorname_np(errno) ? strerrorname_np(errno) : strerror(errno));
	return 1;
}

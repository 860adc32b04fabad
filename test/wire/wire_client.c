// SPDX-License-Identifier: GPL-2.0
/*
 * wire_client.c - a C client of the agent socket, written from
 * docs/wire.md and the UAPI header only: what the CUDA interposer does.
 *
 *   wire_client SOCKET info
 *   wire_client SOCKET alloc SIZE [DEVICE]     alloc, then free
 *   wire_client SOCKET ladder STEP             alloc STEP bytes until refused
 *
 * Prints one "name=value" line per fact; exit 0 on success.
 * test/unit/socket-wire-c.test.ts builds and runs it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "uapi/gpu_dma_lock.h"

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, void *p, size_t n)
{
	char *c = p;

	while (n) {
		ssize_t r = read(fd, c, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One request: the struct goes out, comes back filled; returns 0 or -errno. */
static int call(int fd, __u32 cmd, void *arg, __u32 len)
{
	struct gdl_wire_hdr h = { .cmd = cmd, .len = len };

	if (write_all(fd, &h, sizeof(h)) || (len && write_all(fd, arg, len)))
		return -EPIPE;
	if (read_all(fd, &h, sizeof(h)))
		return -EPIPE;
	if (h.len > len)
		return -EPROTO;
	if (h.len && read_all(fd, arg, h.len))
		return -EPIPE;
	return h.result;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, rc;

	if (argc < 3) {
		fprintf(stderr, "usage: wire_client SOCKET info|alloc SIZE [DEV]|ladder STEP\n");
		return 2;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("connect");
		return 3;
	}
	if (!strcmp(argv[2], "info")) {
		struct gdl_info i = { 0 };
		struct gdl_device_info d = { .index = 0 };

		rc = call(fd, GDL_IOC_INFO, &i, sizeof(i));
		printf("info=%d\nbound=%u\nagent=%llu\ndevices=%u\n", rc, i.bound,
		       (unsigned long long)i.bound_agent, i.num_devices);
		rc = rc ?: call(fd, GDL_IOC_GET_DEVICE, &d, sizeof(d));
		printf("device0=%s\n", (char *)d.name);
		return rc ? 1 : 0;
	}
	if (!strcmp(argv[2], "alloc") && argc >= 4) {
		struct gdl_alloc a = { .size = strtoull(argv[3], NULL, 0),
				       .device = argc > 4 ? (__u32)atoi(argv[4]) : 0 };
		struct gdl_free f = { 0 };

		rc = call(fd, GDL_IOC_ALLOC, &a, sizeof(a));
		printf("alloc=%d\nalloc_id=%llu\n", rc, (unsigned long long)a.alloc_id);
		if (rc)
			return 1;
		f.alloc_id = a.alloc_id;
		rc = call(fd, GDL_IOC_FREE, &f, sizeof(f));
		printf("free=%d\n", rc);
		return rc ? 1 : 0;
	}
	if (!strcmp(argv[2], "ladder") && argc >= 4) {
		__u64 step = strtoull(argv[3], NULL, 0), total = 0;
		struct gdl_agent_info ai = { 0 };

		for (;;) {
			struct gdl_alloc a = { .size = step };

			rc = call(fd, GDL_IOC_ALLOC, &a, sizeof(a));
			if (rc)
				break;
			total += step;
		}
		printf("refused=%d\ntotal=%llu\n", rc, (unsigned long long)total);
		rc = call(fd, GDL_IOC_GET_AGENT, &ai, sizeof(ai));
		printf("get_agent=%d\nquota=%llu\nused=%llu\n", rc,
		       (unsigned long long)ai.quota, (unsigned long long)ai.used);
		return 0;
	}
	fprintf(stderr, "unknown request\n");
	return 2;
}

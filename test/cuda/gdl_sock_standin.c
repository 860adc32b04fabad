// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gdl_sock_standin.c - a minimal agent socket for the interposer's host tests
 *
 *   gdl_sock_standin SOCKET QUOTA [DEVICES [CAPACITY [pci]]]
 *
 * Speaks the agent's wire format (struct gdl_wire_hdr + the ioctl structs,
 * kmod/include/uapi/gpu_dma_lock.h) with the same rules the agent keeps:
 * one agent (id 1, every connection acts as it), DEVICES simulated devices
 * (default 2) of CAPACITY bytes (default 1 GiB), one connection = one owner
 * whose allocations go when it closes, and a closed connection is settled
 * before any other request is answered (so a killed process's quota is back
 * "at once").  "pci": the devices are PCI devices at the addresses the
 * stand-in driver gives its ordinals (0000:40:00.0 on), so the interposer
 * matches them by bus id, as on a real node, instead of by rank.  Just
 * enough of the agent to test the client side; the real
 * server is the agent's (`--socket PATH`).  Prints READY when listening.
 */
#define _GNU_SOURCE	/* POLLRDHUP */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "../../kmod/include/uapi/gpu_dma_lock.h"

#define MAX_CONN 64
#define MAX_ALLOCS 4096

struct alloc {
	__u64 id, size;
	__u32 device;
	int conn;
};

static struct alloc allocs[MAX_ALLOCS];
static int nallocs;
static __u64 quota, capacity, used, dev_used[GDL_MAX_DEVICES], next_id = 1;
static unsigned int ndev = 2;
static int pci;	/* the devices are PCI devices (the "pci" argument) */

static int do_alloc(int conn, struct gdl_alloc *a)
{
	if (a->flags || !a->size)
		return -EINVAL;
	if (a->agent_id && a->agent_id != 1)
		return -EPERM;
	if (a->device >= ndev)
		return -ENODEV;
	if (a->size > quota - (used < quota ? used : quota) || used >= quota)
		return -EDQUOT;
	if (a->size > capacity - dev_used[a->device])
		return -ENOSPC;
	if (nallocs == MAX_ALLOCS)
		return -ENOMEM;
	allocs[nallocs++] = (struct alloc){ next_id, a->size, a->device, conn };
	a->alloc_id = next_id++;
	used += a->size;
	dev_used[a->device] += a->size;
	return 0;
}

static void drop(int i)
{
	used -= allocs[i].size;
	dev_used[allocs[i].device] -= allocs[i].size;
	allocs[i] = allocs[--nallocs];
}

static int do_free(int conn, struct gdl_free *f)
{
	if (f->flags || f->pad)
		return -EINVAL;
	for (int i = 0; i < nallocs; i++)
		if (allocs[i].id == f->alloc_id) {
			if (allocs[i].conn != conn)
				return -EPERM;
			drop(i);
			return 0;
		}
	return -ENOENT;
}

static int answer(int conn, __u32 cmd, void *body)
{
	switch (cmd) {
	case GDL_IOC_INFO: {
		struct gdl_info *in = body;

		if (in->flags)
			return -EINVAL;
		*in = (struct gdl_info){ .abi_version = GDL_ABI_VERSION, .num_devices = ndev,
					 .bound = 1, .bound_agent = 1 };
		return 0;
	}
	case GDL_IOC_GET_DEVICE: {
		struct gdl_device_info *d = body;

		if (d->flags)
			return -EINVAL;
		if (d->index >= ndev)
			return -ENODEV;
		d->capacity = capacity;
		d->used = dev_used[d->index];
		d->kind = pci ? GDL_DEVICE_PCI : GDL_DEVICE_FAKE;
		d->pci_domain = 0;
		d->pci_bdf = pci ? (0x40 + d->index) << 8 : 0;
		snprintf((char *)d->name, sizeof(d->name), "fake%u", d->index);
		return 0;
	}
	case GDL_IOC_GET_AGENT: {
		struct gdl_agent_info *a = body;

		if (a->flags || a->pad)
			return -EINVAL;
		if (a->agent_id && a->agent_id != 1)
			return -EPERM;
		*a = (struct gdl_agent_info){ .agent_id = 1, .quota = quota, .used = used,
					      .device_mask = (1ull << ndev) - 1,
					      .allocations = (__u64)nallocs };
		return 0;
	}
	case GDL_IOC_ALLOC:
		return do_alloc(conn, body);
	case GDL_IOC_FREE:
		return do_free(conn, body);
	}
	return -ENOTTY;
}

/* One request from @fd; -1 when the connection is done (EOF or bad frame). */
static int serve(int fd, int conn)
{
	struct gdl_wire_hdr h;
	unsigned char body[256], reply[sizeof(struct gdl_wire_hdr) + 256];
	ssize_t n = recv(fd, &h, sizeof(h), MSG_WAITALL);

	if (n != sizeof(h))
		return -1;
	if (h.len > sizeof(body) || h.len != _IOC_SIZE(h.cmd) || h.flags || h.result)
		return -1;	/* a malformed frame ends the connection */
	if (recv(fd, body, h.len, MSG_WAITALL) != (ssize_t)h.len)
		return -1;
	h.result = answer(conn, h.cmd, body);
	if (h.result)
		h.len = 0;
	/* One send: the client wakes once per request. */
	memcpy(reply, &h, sizeof(h));
	memcpy(reply + sizeof(h), body, h.len);
	if (send(fd, reply, sizeof(h) + h.len, MSG_NOSIGNAL) != (ssize_t)(sizeof(h) + h.len))
		return -1;
	return 0;
}

static void close_conn(struct pollfd *p, int conn)
{
	for (int i = 0; i < nallocs;)
		if (allocs[i].conn == conn)
			drop(i);
		else
			i++;
	close(p->fd);
	p->fd = -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct pollfd fds[MAX_CONN + 1];
	int ls;

	if (argc < 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: gdl_sock_standin SOCKET QUOTA [DEVICES [CAPACITY [pci]]]\n");
		return 2;
	}
	quota = strtoull(argv[2], NULL, 0);
	ndev = argc > 3 ? (unsigned int)atoi(argv[3]) : 2;
	capacity = argc > 4 ? strtoull(argv[4], NULL, 0) : 1ull << 30;
	pci = argc > 5 && !strcmp(argv[5], "pci");
	if (!ndev || ndev > GDL_MAX_DEVICES)
		return 2;
	strcpy(sa.sun_path, argv[1]);
	unlink(argv[1]);
	ls = socket(AF_UNIX, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 16)) {
		perror(argv[1]);
		return 1;
	}
	for (int i = 0; i <= MAX_CONN; i++)
		fds[i] = (struct pollfd){ .fd = -1, .events = POLLIN | POLLRDHUP };
	fds[MAX_CONN].fd = ls;
	fds[MAX_CONN].events = POLLIN;
	printf("READY\n");
	fflush(stdout);
	for (;;) {
		if (poll(fds, MAX_CONN + 1, -1) < 0 && errno != EINTR)
			return 1;
		/* Settle every closed connection first: its quota is back
		 * before anyone else is answered. */
		for (int i = 0; i < MAX_CONN; i++)
			if (fds[i].fd >= 0 && (fds[i].revents & (POLLRDHUP | POLLHUP | POLLERR))) {
				while (serve(fds[i].fd, i) == 0)
					;
				close_conn(&fds[i], i);
			}
		for (int i = 0; i < MAX_CONN; i++)
			if (fds[i].fd >= 0 && (fds[i].revents & POLLIN) && serve(fds[i].fd, i))
				close_conn(&fds[i], i);
		if (fds[MAX_CONN].revents & POLLIN) {
			int c = accept(ls, NULL, NULL);
			int slot = -1;

			for (int i = 0; i < MAX_CONN && slot < 0; i++)
				if (fds[i].fd < 0)
					slot = i;
			if (c >= 0 && slot >= 0)
				fds[slot].fd = c;
			else if (c >= 0)
				close(c);
		}
	}
}

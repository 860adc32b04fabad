// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gdl_cuda_device.c - which module device a CUDA device is
 *
 * CUDA numbers devices by ordinal, after CUDA_VISIBLE_DEVICES and
 * CUDA_DEVICE_ORDER have reordered them; the module numbers them in its own
 * order.  The one name both agree on is the PCI address: cuDeviceGetPCIBusId
 * ("0000:65:00.0") against GDL_IOC_GET_DEVICE's pci_domain/pci_bdf.  A
 * device the module simulates (GDL_DEVICE_FAKE, no PCI address) stands for
 * the CUDA device of the same rank among the simulated ones: the ordinal-th.
 * Resolved once per ordinal and cached, once the driver can answer: a
 * bus-id lookup it refuses (before cuInit, or an ordinal it does not have)
 * is GDL_DEVICE_UNKNOWN, asked again next time.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "gdl_cuda.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
int gdl_device_cache[GDL_MAX_DEVICES];
int gdl_device_resolved[GDL_MAX_DEVICES];	/* set once */

int gdl_device_pick(const char *bus_id, int ordinal,
		    const struct gdl_device_info *devs, unsigned int n)
{
	unsigned int domain, bus, dev, fn;
	int fake_rank = 0;

	if (bus_id && sscanf(bus_id, "%x:%x:%x.%x", &domain, &bus, &dev, &fn) == 4) {
		unsigned int bdf = bus << 8 | (dev & 0x1f) << 3 | (fn & 7);

		for (unsigned int i = 0; i < n; i++)
			if (devs[i].kind == GDL_DEVICE_PCI &&
			    devs[i].pci_domain == domain && devs[i].pci_bdf == bdf)
				return (int)i;
	}
	for (unsigned int i = 0; i < n; i++)
		if (devs[i].kind == GDL_DEVICE_FAKE && fake_rank++ == ordinal)
			return (int)i;
	return -ENODEV;
}

static int resolve(int ordinal)
{
	CUresult (*bus_id_of)(char *, int, CUdevice) =
		(CUresult (*)(char *, int, CUdevice))gdl_driver_sym("cuDeviceGetPCIBusId");
	struct gdl_device_info devs[GDL_MAX_DEVICES];
	struct gdl_info info = { 0 };
	char bus_id[32] = "";
	unsigned int n;
	int r;

	r = gdl_backend_request(GDL_IOC_INFO, &info);
	if (r)
		return r;
	n = info.num_devices < GDL_MAX_DEVICES ? info.num_devices : GDL_MAX_DEVICES;
	for (unsigned int i = 0; i < n; i++) {
		memset(&devs[i], 0, sizeof(devs[i]));
		devs[i].index = i;
		r = gdl_backend_request(GDL_IOC_GET_DEVICE, &devs[i]);
		if (r)
			return r;
	}
	if (bus_id_of && bus_id_of(bus_id, sizeof(bus_id), ordinal) != CUDA_SUCCESS) {
		gdl_trace("device %d: the driver gives no bus id yet", ordinal);
		return GDL_DEVICE_UNKNOWN;
	}
	r = gdl_device_pick(bus_id[0] ? bus_id : NULL, ordinal, devs, n);
	gdl_trace("device %d (%s) -> module device %d", ordinal,
		  bus_id[0] ? bus_id : "no bus id", r);
	return r;
}

/* gdl_device_index's slow path; the lock keeps two threads from resolving one ordinal at once. */
int gdl_device_resolve(int ordinal)
{
	int r;

	if (ordinal < 0 || ordinal >= GDL_MAX_DEVICES)
		return -ENODEV;
	pthread_mutex_lock(&lock);
	if (gdl_device_resolved[ordinal]) {
		r = gdl_device_cache[ordinal];
	} else {
		r = resolve(ordinal);
		/* Neither is an answer about the device: ask again. */
		if (r != GDL_NO_BACKEND && r != GDL_DEVICE_UNKNOWN) {
			gdl_device_cache[ordinal] = r;
			__atomic_store_n(&gdl_device_resolved[ordinal], 1, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&lock);
	return r;
}

void gdl_device_after_fork(void)
{
	pthread_mutex_init(&lock, NULL);
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gdl_cuda_unit.c - the interposer's device mapping, natively (TAP)
 *
 * gdl_device_pick: a CUDA device maps to the module device with its PCI
 * address whatever the two orders are; simulated devices map by rank.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "../../cuda/gdl_cuda.h"
#include "../gdl_tap.h"

/* What gdl_cuda_device.c needs from the rest of the library: unused here. */
int gdl_backend_request(unsigned long cmd, void *arg) { (void)cmd; (void)arg; return GDL_NO_BACKEND; }
void *gdl_driver_sym(const char *name) { (void)name; return NULL; }
void gdl_trace(const char *fmt, ...) { (void)fmt; }


static struct gdl_device_info pci(unsigned int domain, unsigned int bus, unsigned int dev,
				  unsigned int fn)
{
	return (struct gdl_device_info){ .kind = GDL_DEVICE_PCI, .pci_domain = domain,
					 .pci_bdf = bus << 8 | dev << 3 | fn };
}

int main(void)
{
	struct gdl_device_info devs[4] = {
		pci(0, 0xb3, 0, 0), pci(0, 0x65, 0, 0), pci(1, 0x65, 0, 0),
		{ .kind = GDL_DEVICE_FAKE },
	};
	struct gdl_device_info fakes[3] = {
		{ .kind = GDL_DEVICE_FAKE }, { .kind = GDL_DEVICE_FAKE }, { .kind = GDL_DEVICE_FAKE },
	};

	tap_eq_signed("bus id picks the PCI device, not the ordinal", 1, gdl_device_pick("0000:65:00.0", 0, devs, 4));
	tap_eq_signed("upper-case hex and domain count", 2, gdl_device_pick("0001:65:00.0", 0, devs, 4));
	tap_eq_signed("device and function bits", -ENODEV, gdl_device_pick("0000:b3:00.1", 5, devs, 4));
	tap_eq_signed("no PCI match: the ordinal-th simulated device", 3, gdl_device_pick("0000:99:00.0", 0, devs, 4));
	tap_eq_signed("no bus id: by ordinal among simulated", 2, gdl_device_pick(NULL, 2, fakes, 3));
	tap_eq_signed("ordinal past the simulated devices", -ENODEV, gdl_device_pick(NULL, 3, fakes, 3));
	tap_eq_signed("garbage bus id", 0, gdl_device_pick("not a bus id", 0, fakes, 3));
	tap_summary();
	return tap_exit();
}

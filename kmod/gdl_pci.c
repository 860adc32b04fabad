// SPDX-License-Identifier: GPL-2.0
/*
 * gdl_pci.c - which devices the module governs
 *
 * Real GPUs first: every PCI function of base class "display controller"
 * (0x03: VGA 0x0300, XGA 0x0301, 3D controller 0x0302, other 0x0380) whose
 * vendor makes GPUs.  The vendor list is what keeps emulated or BMC video
 * (QEMU's 0x1234 "bochs" VGA, ASPEED 0x1a03, Matrox G200 0x102b on servers)
 * out: those have a framebuffer BAR but no compute memory to govern.  A
 * GPU's capacity is the size of its largest memory BAR, which is what a
 * peer can DMA to; a GPU without a memory BAR has nothing to govern and is
 * skipped.
 *
 * Then fake_gpus simulated devices (fake0, fake1, ...) of fake_gpu_mem
 * bytes each, so everything can be exercised on machines without a GPU.
 *
 * Only facts are copied: no reference to a pci_dev is kept, and the module
 * binds to no device (the GPU's own driver does).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/pci.h>

#include "gdl_module.h"

static const u16 gdl_gpu_vendors[] = {
	PCI_VENDOR_ID_NVIDIA,		/* 0x10de */
	PCI_VENDOR_ID_ATI,		/* 0x1002: AMD Radeon / Instinct */
	PCI_VENDOR_ID_INTEL,		/* 0x8086: Arc, Data Center GPU, iGPU */
};

static bool gdl_is_gpu(const struct pci_dev *pdev)
{
	unsigned int i;

	if ((pdev->class >> 16) != PCI_BASE_CLASS_DISPLAY)
		return false;
	for (i = 0; i < ARRAY_SIZE(gdl_gpu_vendors); i++)
		if (pdev->vendor == gdl_gpu_vendors[i])
			return true;
	return false;
}

static u64 gdl_largest_mem_bar(struct pci_dev *pdev)
{
	u64 largest = 0;
	int bar;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++)
		if (pci_resource_flags(pdev, bar) & IORESOURCE_MEM)
			largest = max_t(u64, largest,
					pci_resource_len(pdev, bar));
	return largest;
}

/* Returns 1 if registered, 0 if skipped, or a negative errno. */
static int gdl_add_pci(struct gdl_core *core, struct pci_dev *pdev)
{
	struct gdl_device_desc d = {
		.capacity = gdl_largest_mem_bar(pdev),
		.kind = GDL_DEVICE_PCI,
		.pci_domain = pci_domain_nr(pdev->bus),
		.pci_bdf = PCI_DEVID(pdev->bus->number, pdev->devfn),
		.pci_id = (u32)pdev->vendor << 16 | pdev->device,
	};
	int ret;

	if (!d.capacity) {
		pr_info("%s [%04x:%04x]: no memory BAR, not governed\n",
			pci_name(pdev), pdev->vendor, pdev->device);
		return 0;
	}
	strscpy(d.name, pci_name(pdev), sizeof(d.name));
	ret = gdl_core_add_device(core, &d);
	if (ret < 0)
		return ret;
	pr_info("device %d: %s [%04x:%04x] class 0x%06x, %llu bytes\n", ret,
		d.name, pdev->vendor, pdev->device, pdev->class, d.capacity);
	return 1;
}

static int gdl_add_fake(struct gdl_core *core, unsigned int n, u64 mem)
{
	struct gdl_device_desc d = {
		.capacity = mem,
		.kind = GDL_DEVICE_FAKE,
	};

	snprintf(d.name, sizeof(d.name), "fake%u", n);
	return gdl_core_add_device(core, &d);
}

/**
 * gdl_devices_register() - register real GPUs, then simulated ones
 * @core:         the core, before any other use
 * @fake_gpus:    how many simulated devices to add
 * @fake_gpu_mem: bytes of each simulated device
 * @num_pci:      out: real GPUs registered
 *
 * Return: 0, or a negative errno (-ENOSPC past GDL_MAX_DEVICES devices).
 */
int gdl_devices_register(struct gdl_core *core, unsigned int fake_gpus,
			 u64 fake_gpu_mem, unsigned int *num_pci)
{
	struct pci_dev *pdev = NULL;
	unsigned int i;
	int ret;

	*num_pci = 0;
	for_each_pci_dev(pdev) {
		if (!gdl_is_gpu(pdev))
			continue;
		ret = gdl_add_pci(core, pdev);
		if (ret < 0) {
			pci_dev_put(pdev);
			return ret;
		}
		*num_pci += ret;
	}

	for (i = 0; i < fake_gpus; i++) {
		ret = gdl_add_fake(core, i, fake_gpu_mem);
		if (ret < 0) {
			pr_err("cannot add fake%u: %d (at most %u devices)\n",
			       i, ret, GDL_MAX_DEVICES);
			return ret;
		}
	}
	return 0;
}

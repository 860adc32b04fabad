// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gdl_cuda_unit.c - the interposer's pure parts, natively (TAP)
 *
 * gdl_device_pick: a CUDA device maps to the module device with its PCI
 * address whatever the two orders are; simulated devices map by rank.
 * The ledger (a hash table with backward-shift deletion): random puts,
 * takes, reference counts and range sweeps against a plain array, through
 * growth and long probe runs; every charge it drops is given back once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "../../cuda/gdl_cuda.h"
#include "../gdl_tap.h"

/*
 * What gdl_cuda_device.c and the ledger need from the rest of the library:
 * no backend, except that the frees the ledger gives back are summed, and
 * counted when not posted (a FREE must never wait for its reply).
 */
static uint64_t given_back;	/* sum of the ids the ledger gave back */
static unsigned int frees_waited;
int gdl_backend_ioctl_fd = -1;
int gdl_backend_call(unsigned long cmd, void *arg, int post)
{
	if (cmd != GDL_IOC_FREE)
		return GDL_NO_BACKEND;
	frees_waited += !post;
	given_back += ((struct gdl_free *)arg)->alloc_id;
	return 0;
}
void *gdl_driver_sym(const char *name) { (void)name; return NULL; }
void gdl_trace(const char *fmt, ...) { (void)fmt; }


static struct gdl_device_info pci(unsigned int domain, unsigned int bus, unsigned int dev,
				  unsigned int fn)
{
	return (struct gdl_device_info){ .kind = GDL_DEVICE_PCI, .pci_domain = domain,
					 .pci_bdf = bus << 8 | dev << 3 | fn };
}

/* The model: what the ledger must hold, as a plain array. */
#define MODEL_MAX 6000
static struct gdl_entry model[MODEL_MAX];
static unsigned int model_n;

static int model_find(int kind, uint64_t key)
{
	for (unsigned int i = 0; i < model_n; i++)
		if (model[i].kind == kind && model[i].key == key)
			return (int)i;
	return -1;
}

static void model_drop(unsigned int i)
{
	model[i] = model[--model_n];
}

static uint64_t rnd_state = 42;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* Random operations; returns the number of disagreements with the model. */
static int ledger_against_model(unsigned int ops, unsigned int keys)
{
	uint64_t next_id = 1, want_back = 0;
	int bad = 0;

	for (unsigned int op = 0; op < ops; op++) {
		int kind = 1 + (int)(rnd() % 3);
		/* Page-aligned keys from a window: lots of reuse, long probe runs. */
		uint64_t key = 0x7f0000000000ull + (rnd() % keys) * 4096;
		unsigned int what = (unsigned int)(rnd() % 10);
		struct gdl_entry got, out[64];
		int m = model_find(kind, key);

		if (what < 5) {
			if (m >= 0) {
				want_back += model[m].alloc_id;	/* a reused key: stale */
				model_drop((unsigned int)m);
			}
			if (model_n < MODEL_MAX) {
				model[model_n++] = (struct gdl_entry){ kind, key, next_id, key >> 12, 1, 1 };
				gdl_ledger_put(kind, key, next_id, key >> 12, 1);
			}
			next_id++;
		} else if (what < 8) {
			int held = gdl_ledger_take(kind, key, &got);

			bad += held != (m >= 0) || (held && got.alloc_id != model[m].alloc_id);
			if (m >= 0)
				model_drop((unsigned int)m);
		} else if (what < 9) {
			struct gdl_entry gone;
			int found = gdl_ledger_ref(kind, key, -1, &gone);

			bad += found != (m >= 0) || (m >= 0 && gone.alloc_id != model[m].alloc_id);
			if (m >= 0)
				model_drop((unsigned int)m);
		} else {
			/* Sweep a range of keys of one kind, as cuMemUnmap does. */
			uint64_t lo = key, hi = key + 40 * 4096;
			unsigned int n = gdl_ledger_take_all(kind, 1, lo, hi, out, 64), want = 0;

			for (unsigned int i = 0; i < model_n;) {
				if (model[i].kind == kind && model[i].key >= lo && model[i].key < hi) {
					want++;
					model_drop(i);
				} else {
					i++;
				}
			}
			bad += n != want;
		}
	}
	/* Whatever is left must come out exactly once. */
	for (unsigned int i = 0; i < model_n; i++) {
		struct gdl_entry got;

		bad += !gdl_ledger_take(model[i].kind, model[i].key, &got) ||
		       got.alloc_id != model[i].alloc_id;
	}
	for (int kind = 1; kind <= 3; kind++) {
		struct gdl_entry got;

		bad += gdl_ledger_take_all(kind, 1, 0, UINT64_MAX, &got, 1) != 0;
	}
	bad += given_back != want_back;
	model_n = 0;
	given_back = 0;
	return bad;
}

static void ledger_tests(void)
{
	struct gdl_entry got, out[8], gone;

	tap_eq_signed("empty ledger: take finds nothing", 0, gdl_ledger_take(GDL_KEY_PTR, 0x1000, &got));
	gdl_ledger_put(GDL_KEY_PTR, 0x1000, 7, 0, 4096);
	gdl_ledger_put(GDL_KEY_HANDLE, 0x1000, 8, 0, 4096);
	tap_eq_signed("same key, other kind: separate entries", 1,
	   gdl_ledger_take(GDL_KEY_HANDLE, 0x1000, &got) && got.alloc_id == 8);
	tap_eq_signed("take returns the charge", 7,
	   gdl_ledger_take(GDL_KEY_PTR, 0x1000, &got) ? (int)got.alloc_id : -1);
	tap_eq_signed("taken once only", 0, gdl_ledger_take(GDL_KEY_PTR, 0x1000, &got));
	gdl_ledger_put(GDL_KEY_HANDLE, 0x2000, 9, 0, 1);
	gdl_ledger_ref(GDL_KEY_HANDLE, 0x2000, +1, &gone);
	gdl_ledger_ref(GDL_KEY_HANDLE, 0x2000, -1, &gone);
	tap_eq_signed("a reference held: nothing freed", 0, (int)gone.alloc_id);
	gdl_ledger_ref(GDL_KEY_HANDLE, 0x2000, -1, &gone);
	tap_eq_signed("last reference dropped: its charge freed", 9, (int)gone.alloc_id);
	tap_eq_signed("... and the whole entry handed back", 1, gone.kind == GDL_KEY_HANDLE && gone.key == 0x2000 && gone.size == 1);
	for (int i = 0; i < 5; i++)
		gdl_ledger_put(GDL_KEY_GNODE, 0x100 + i, 20 + i, i < 3 ? 0xabc : 0xdef, 1);
	tap_eq_signed("sweep by graph (aux) takes that graph's nodes", 3,
	   (int)gdl_ledger_take_all(GDL_KEY_GNODE, 0, 0xabc, 0, out, 8));
	tap_eq_signed("sweep stops at max", 1, (int)gdl_ledger_take_all(GDL_KEY_GNODE, 0, 0xdef, 0, out, 1));
	tap_eq_signed("and leaves the rest", 1, (int)gdl_ledger_take_all(GDL_KEY_GNODE, 0, 0xdef, 0, out, 8));
	given_back = 0;
	tap_eq_signed("random operations, few keys, agree with a model", 0, ledger_against_model(200000, 300));
	tap_eq_signed("random operations, many keys (growth), agree with a model", 0,
	   ledger_against_model(100000, 20000));
	gdl_ledger_put(GDL_KEY_PTR, 0x5000, 11, 0, 1);
	gdl_ledger_after_fork();
	tap_eq_signed("after fork the child holds nothing, frees nothing", 0,
	   gdl_ledger_take(GDL_KEY_PTR, 0x5000, &got) + (int)given_back);
	tap_eq_signed("every free the ledger gave back was posted, none waited for", 0,
	   (int)frees_waited);
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
	ledger_tests();
	tap_summary();
	return tap_exit();
}

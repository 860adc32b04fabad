/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * gdl_cuda.h - the interposer's inner interfaces (libgdl_cuda.so)
 *
 *   driver   loads NVIDIA's libcuda once, by path, and keeps its entries
 *   backend  the ledger's two transports: ioctls or the agent's socket
 *   device   CUDA ordinal -> module device index, by PCI bus id
 *   ledger   pointer/handle -> alloc_id, thread-safe
 *   hooks    the hooked CUDA functions (gdl_cuda_hooks.c)
 */
#ifndef GDL_CUDA_H
#define GDL_CUDA_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include "cuda_api.h"
#include "../kmod/include/uapi/gpu_dma_lock.h"

#define GDL_HOOK __attribute__((visibility("default")))
/* Inline on every allocation's path, whatever the compiler would pick. */
#define GDL_HOT static inline __attribute__((always_inline))

/* Index of every listed function: GDL_OP_cuMemAlloc_v2, ... */
enum gdl_cuda_op_idx {
#define GDL_CUDA_OP(name, how, why) GDL_OP_##name,
#include "gdl_cuda_ops.h"
#undef GDL_CUDA_OP
	GDL_OP_COUNT
};

/*
 * Every allocation and free passes through the inline functions below: each
 * is a load and a test before the real work, its slow path out of line
 * (the interposer's benchmark counts every instruction of the pair).
 */

/* driver: the real entry of every hooked function, NULL if not exported. */
extern void *gdl_real[GDL_OP_COUNT];
extern int gdl_driver_state;	/* 0 not tried, 1 ready, -1 failed */
extern CUresult (*gdl_ctx_get_device)(CUdevice *);
int gdl_driver_load(void);		/* 0, or -1 if libcuda cannot load */
void *gdl_driver_sym(const char *name);	/* a driver entry we do not hook */

/* 0 once the driver is loaded, or -1 if libcuda cannot load. */
static inline int gdl_driver_ready(void)
{
	if (__builtin_expect(__atomic_load_n(&gdl_driver_state, __ATOMIC_ACQUIRE) == 1, 1))
		return 0;
	return gdl_driver_load();
}
void *gdl_hook_for(void *real_entry);	/* the hook, or real_entry itself */
void gdl_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define REAL(fn) ((__typeof__(&fn))gdl_real[GDL_OP_##fn])

/* backend: 0, a negative errno from the ledger, or GDL_NO_BACKEND. */
#define GDL_NO_BACKEND (-10000)
/*
 * device: the driver cannot name this ordinal's device yet (not
 * initialized, or no such ordinal): not an answer, so never cached; the
 * charge waits for the driver's own call to succeed.
 */
#define GDL_DEVICE_UNKNOWN (-10001)
extern int gdl_backend_ioctl_fd;	/* >= 0 once the module is the backend */
int gdl_backend_call(unsigned long cmd, void *arg, int post);	/* any backend */

/* @post: see gdl_backend_call; only the socket reads a reply later. */
static inline int gdl_backend_send(unsigned long cmd, void *arg, int post)
{
	int fd = __atomic_load_n(&gdl_backend_ioctl_fd, __ATOMIC_ACQUIRE);

	if (__builtin_expect(fd >= 0, 1))
		return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
	return gdl_backend_call(cmd, arg, post);
}

static inline int gdl_backend_request(unsigned long cmd, void *arg)
{
	return gdl_backend_send(cmd, arg, 0);
}

static inline int gdl_backend_alloc(uint32_t device, uint64_t size, uint64_t *alloc_id)
{
	struct gdl_alloc a = { .size = size, .device = device };
	int r = gdl_backend_request(GDL_IOC_ALLOC, &a);

	*alloc_id = r ? 0 : a.alloc_id;
	return r;
}

/* Gives @alloc_id (0: nothing) back; a refusal is only traced. */
static inline void gdl_backend_free(uint64_t alloc_id)
{
	struct gdl_free f = { .alloc_id = alloc_id };
	int r;

	if (!alloc_id)
		return;
	/* Over the socket a FREE is posted: its reply is read later. */
	r = gdl_backend_send(GDL_IOC_FREE, &f, 1);
	if (r && r != GDL_NO_BACKEND)
		gdl_trace("free %llu: %s", (unsigned long long)alloc_id, strerror(-r));
}
int gdl_backend_allow_without(void);	/* GDL_CUDA_NO_BACKEND=allow */
void gdl_backend_after_fork(void);

/* socket: the agent's socket transport, called under the backend's lock */
int gdl_sock_connect(const char *path);
int gdl_sock_request(int fd, unsigned long cmd, void *arg);
int gdl_sock_post_free(int fd, const struct gdl_free *f);
void gdl_sock_forget(void);

/* device: module device index for a CUDA ordinal, or a negative errno. */
extern int gdl_device_cache[GDL_MAX_DEVICES];
extern int gdl_device_resolved[GDL_MAX_DEVICES];	/* cache[i] is the answer */
int gdl_device_resolve(int ordinal);

static inline int gdl_device_index(int ordinal)
{
	/*
	 * Asked on every allocation: a resolved ordinal's answer never
	 * changes, so it is read without a lock.
	 */
	if (__builtin_expect((unsigned int)ordinal < GDL_MAX_DEVICES, 1) &&
	    __atomic_load_n(&gdl_device_resolved[ordinal], __ATOMIC_ACQUIRE))
		return gdl_device_cache[ordinal];
	return gdl_device_resolve(ordinal);
}
int gdl_device_pick(const char *bus_id, int ordinal,
		    const struct gdl_device_info *devs, unsigned int n);
void gdl_device_after_fork(void);

/* ledger: what each pointer or handle holds. */
enum gdl_key_kind {
	GDL_KEY_PTR = 1,	/* device pointer: alloc_id */
	GDL_KEY_HANDLE,		/* VMM handle: alloc_id, refs */
	GDL_KEY_MAP,		/* mapped VA: aux = handle, size */
	GDL_KEY_ARRAY,
	GDL_KEY_MIPMAP,
	GDL_KEY_GNODE,		/* graph memory node: aux = graph */
};
struct gdl_entry {
	int kind;
	uint64_t key;
	uint64_t alloc_id;	/* 0: nothing charged (no backend, allowed) */
	uint64_t aux;
	uint64_t size;
	long refs;
};
void gdl_ledger_put(int kind, uint64_t key, uint64_t alloc_id, uint64_t aux,
		    uint64_t size);
int gdl_ledger_take(int kind, uint64_t key, struct gdl_entry *out);
/* Adds @delta to @key's references; 1 if held.  The entry that reached 0
 * is removed and copied to @gone (else gone->kind and ->alloc_id are 0):
 * its charge is the caller's to free, or to put back. */
int gdl_ledger_ref(int kind, uint64_t key, long delta, struct gdl_entry *gone);
/* Removes every entry of @kind with aux == @aux (aux_any: every key in
 * [lo, hi)); returns how many, their alloc_ids in @ids (up to @max). */
unsigned int gdl_ledger_take_all(int kind, int by_range, uint64_t lo,
				 uint64_t hi, struct gdl_entry *out,
				 unsigned int max);
void gdl_ledger_after_fork(void);

#endif /* GDL_CUDA_H */

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gdl_cuda_hooks.c - the hooked CUDA memory functions
 *
 * Every allocation is charged (GDL_IOC_ALLOC) BEFORE the driver is asked:
 * a refusal is CUDA_ERROR_OUT_OF_MEMORY and the driver never sees the call.
 * If the driver then fails, the charge is given back and the driver's own
 * error returned unchanged.  Frees give the charge back after the driver
 * freed.  The ledger (gdl_cuda_ledger.c) remembers which charge each
 * pointer or handle holds.  Zero-size requests are not charged: the driver
 * answers them with its own error.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "gdl_cuda.h"

#define CURRENT_DEVICE (-1)
#define NO_DRIVER CUDA_ERROR_SHARED_OBJECT_INIT_FAILED

/* Every hook starts here: the driver loaded, and this entry exported. */
#define ENTER(fn)                                               \
	do {                                                    \
		if (gdl_driver_ready())                         \
			return NO_DRIVER;                       \
		if (!REAL(fn))                                  \
			return CUDA_ERROR_NOT_SUPPORTED;        \
	} while (0)

struct charge {
	uint64_t id;
	uint64_t size;
	int ordinal;	/* the device the call names, or CURRENT_DEVICE */
	int later;	/* no device known yet: charge after success */
};

/*
 * The hot path of every allocation is inline, down to the ioctl; what is
 * rare (a refusal, no context, no backend) is out of line, so a plain
 * cuMemAlloc saves no registers it does not need (GDL_HOT).
 */

/* The current context's device; called after ENTER, so the driver is loaded. */
GDL_HOT int current_ordinal(int *ordinal)
{
	CUdevice d;

	if (!gdl_ctx_get_device || gdl_ctx_get_device(&d) != CUDA_SUCCESS)
		return -1;
	*ordinal = d;
	return 0;
}

/* charge_now's refusal (@r: from the ledger, or GDL_NO_BACKEND). */
static __attribute__((noinline)) CUresult charge_refused(struct charge *c, int ordinal, int r)
{
	c->id = 0;
	if (r == GDL_NO_BACKEND && gdl_backend_allow_without())
		return CUDA_SUCCESS;
	/* Before the driver's call: let it answer first (with its own error, as a rule). */
	if (r == GDL_DEVICE_UNKNOWN && !c->later) {
		c->later = 1;
		return CUDA_SUCCESS;
	}
	gdl_trace("refused %llu bytes on CUDA device %d: %s", (unsigned long long)c->size,
		  ordinal, r == GDL_NO_BACKEND ? "no backend" : strerror(-r));
	return CUDA_ERROR_OUT_OF_MEMORY;
}

GDL_HOT CUresult charge_now(struct charge *c, int ordinal)
{
	int dev = gdl_device_index(ordinal);
	int r = dev < 0 ? dev : gdl_backend_alloc((uint32_t)dev, c->size, &c->id);

	if (__builtin_expect(r == 0, 1))
		return CUDA_SUCCESS;
	return charge_refused(c, ordinal, r);
}

GDL_HOT CUresult charge_begin(struct charge *c, int ordinal, uint64_t size)
{
	*c = (struct charge){ .size = size, .ordinal = ordinal };
	if (!size)
		return CUDA_SUCCESS;
	if (ordinal == CURRENT_DEVICE && current_ordinal(&ordinal)) {
		/*
		 * No current context: the driver will fail this call with its
		 * own error.  Should it succeed anyway, charge afterwards.
		 */
		c->later = 1;
		return CUDA_SUCCESS;
	}
	return charge_now(c, ordinal);
}

/* charge_end's rare cases: the driver failed, or the charge comes after it. */
static __attribute__((noinline)) CUresult charge_end_rare(struct charge *c, CUresult r,
							  int kind, uint64_t key, uint64_t aux,
							  void (*undo)(uint64_t key))
{
	if (r != CUDA_SUCCESS) {
		gdl_backend_free(c->id);
		return r;
	}
	if (c->size) {
		int ordinal = c->ordinal;

		if (ordinal == CURRENT_DEVICE) {
			ordinal = 0;
			current_ordinal(&ordinal);
		}
		if (charge_now(c, ordinal) != CUDA_SUCCESS) {
			undo(key);
			return CUDA_ERROR_OUT_OF_MEMORY;
		}
	}
	if (c->id)
		gdl_ledger_put(kind, key, c->id, aux, c->size);
	return r;
}

/*
 * After the driver answered @r: on failure give the charge back; on success
 * remember it under (@kind, @key).  @undo frees what the driver made when a
 * late charge is refused.
 */
GDL_HOT CUresult charge_end(struct charge *c, CUresult r, int kind, uint64_t key,
			uint64_t aux, void (*undo)(uint64_t key))
{
	if (__builtin_expect(r != CUDA_SUCCESS || c->later, 0))
		return charge_end_rare(c, r, kind, key, aux, undo);
	if (c->id)
		gdl_ledger_put(kind, key, c->id, aux, c->size);
	return r;
}

/* Free side: take the charge before the driver frees (so a reused address
 * cannot be confused), put it back if the driver refuses. */
static CUresult release(int kind, uint64_t key, CUresult (*driver_free)(uint64_t),
			uint64_t arg)
{
	struct gdl_entry e;
	int held = gdl_ledger_take(kind, key, &e);
	CUresult r = driver_free(arg);

	if (held) {
		if (r == CUDA_SUCCESS)
			gdl_backend_free(e.alloc_id);
		else
			gdl_ledger_put(kind, key, e.alloc_id, e.aux, e.size);
	}
	return r;
}

/* ---- plain allocations ---- */

static void undo_ptr(uint64_t p) { REAL(cuMemFree_v2)(p); }
static void undo_ptr_v1(uint64_t p) { REAL(cuMemFree)((CUdeviceptr_v1)p); }

/*
 * The body of a hook that allocates @bytesize on the current device and
 * writes the pointer to *@dptr (its parameters' names): charge, let @call
 * ask the driver, settle.  @undo frees the pointer if a late charge fails.
 */
#define PTR_ALLOC(fn, call, undo)                                           \
	do {                                                                \
		struct charge c;                                            \
		CUresult r;                                                 \
		ENTER(fn);                                                  \
		r = charge_begin(&c, CURRENT_DEVICE, bytesize);             \
		if (r)                                                      \
			return r;                                           \
		r = call;                                                   \
		return charge_end(&c, r, GDL_KEY_PTR, r ? 0 : *dptr, 0,     \
				  undo);                                    \
	} while (0)

GDL_HOOK CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize)
{
	PTR_ALLOC(cuMemAlloc_v2, REAL(cuMemAlloc_v2)(dptr, bytesize), undo_ptr);
}

GDL_HOOK CUresult cuMemAlloc(CUdeviceptr_v1 *dptr, unsigned int bytesize)
{
	PTR_ALLOC(cuMemAlloc, REAL(cuMemAlloc)(dptr, bytesize), undo_ptr_v1);
}

/*
 * The pitch is the driver's to choose: charge the most it may pick (width
 * rounded up to 512, the largest texture pitch alignment of any GPU so
 * far), then settle to pitch x height once it answered.  Less than the
 * estimate: the exact charge first, then the estimate back, so the charge
 * is never below use (a refused exact charge keeps the estimate).  More (a
 * pitch past 512): the estimate back, then the exact charge, which must be
 * granted, or the caller frees the allocation (CUDA_ERROR_OUT_OF_MEMORY).
 */
static CUresult settle_pitch(struct charge *c, uint64_t exact)
{
	struct charge e = { .size = exact, .ordinal = c->ordinal };
	int ordinal = 0;
	uint64_t id;

	/* Charged after the driver answers (charge_end): charge the answer. */
	if (c->later)
		c->size = exact;
	if (!c->id || exact == c->size)
		return CUDA_SUCCESS;
	current_ordinal(&ordinal);
	if (exact < c->size) {
		if (charge_now(&e, ordinal) == CUDA_SUCCESS && e.id) {
			id = c->id;
			c->id = e.id;
			c->size = exact;
			gdl_backend_free(id);
		}
		return CUDA_SUCCESS;
	}
	gdl_backend_free(c->id);
	e.later = 1;	/* after the driver: an unknown device is a refusal */
	if (charge_now(&e, ordinal) != CUDA_SUCCESS) {
		c->id = 0;
		return CUDA_ERROR_OUT_OF_MEMORY;
	}
	c->id = e.id;
	c->size = exact;
	return CUDA_SUCCESS;
}

#define PITCH_ROUND(w) (((uint64_t)(w) + 511) & ~(uint64_t)511)

/* The most a pitched allocation may take; 0 on overflow (the driver refuses it). */
static uint64_t pitch_most(uint64_t width, uint64_t height)
{
	uint64_t most;

	if (__builtin_mul_overflow(PITCH_ROUND(width), height, &most))
		return 0;
	return most;
}

/* The body of both cuMemAllocPitch hooks, in their parameters' names. */
#define PITCH_ALLOC(fn, undo)                                               \
	do {                                                                \
		struct charge c;                                            \
		CUresult r;                                                 \
		ENTER(fn);                                                  \
		r = charge_begin(&c, CURRENT_DEVICE,                        \
				 pitch_most(WidthInBytes, Height));         \
		if (r)                                                      \
			return r;                                           \
		r = REAL(fn)(dptr, pPitch, WidthInBytes, Height,            \
			     ElementSizeBytes);                             \
		if (r == CUDA_SUCCESS &&                                    \
		    settle_pitch(&c, (uint64_t)*pPitch * Height)) {        \
			undo(*dptr);                                        \
			return CUDA_ERROR_OUT_OF_MEMORY;                    \
		}                                                           \
		return charge_end(&c, r, GDL_KEY_PTR, r ? 0 : *dptr, 0,     \
				  undo);                                    \
	} while (0)

GDL_HOOK CUresult cuMemAllocPitch_v2(CUdeviceptr *dptr, size_t *pPitch,
				     size_t WidthInBytes, size_t Height,
				     unsigned int ElementSizeBytes)
{
	PITCH_ALLOC(cuMemAllocPitch_v2, undo_ptr);
}

GDL_HOOK CUresult cuMemAllocPitch(CUdeviceptr_v1 *dptr, unsigned int *pPitch,
				  unsigned int WidthInBytes, unsigned int Height,
				  unsigned int ElementSizeBytes)
{
	PITCH_ALLOC(cuMemAllocPitch, undo_ptr_v1);
}

GDL_HOOK CUresult cuMemAllocManaged(CUdeviceptr *dptr, size_t bytesize,
				    unsigned int flags)
{
	PTR_ALLOC(cuMemAllocManaged, REAL(cuMemAllocManaged)(dptr, bytesize, flags),
		  undo_ptr);
}

static CUresult free_v2(uint64_t p) { return REAL(cuMemFree_v2)(p); }
static CUresult free_v1(uint64_t p) { return REAL(cuMemFree)((CUdeviceptr_v1)p); }

GDL_HOOK CUresult cuMemFree_v2(CUdeviceptr dptr)
{
	ENTER(cuMemFree_v2);
	return release(GDL_KEY_PTR, dptr, free_v2, dptr);
}

GDL_HOOK CUresult cuMemFree(CUdeviceptr_v1 dptr)
{
	ENTER(cuMemFree);
	return release(GDL_KEY_PTR, dptr, free_v1, dptr);
}

/* ---- stream-ordered allocations: charged per allocation ---- */

GDL_HOOK CUresult cuMemAllocAsync(CUdeviceptr *dptr, size_t bytesize, CUstream s)
{
	PTR_ALLOC(cuMemAllocAsync, REAL(cuMemAllocAsync)(dptr, bytesize, s), undo_ptr);
}

GDL_HOOK CUresult cuMemAllocAsync_ptsz(CUdeviceptr *dptr, size_t bytesize, CUstream s)
{
	PTR_ALLOC(cuMemAllocAsync_ptsz, REAL(cuMemAllocAsync_ptsz)(dptr, bytesize, s), undo_ptr);
}

GDL_HOOK CUresult cuMemAllocFromPoolAsync(CUdeviceptr *dptr, size_t bytesize,
					  CUmemoryPool pool, CUstream s)
{
	PTR_ALLOC(cuMemAllocFromPoolAsync,
		    REAL(cuMemAllocFromPoolAsync)(dptr, bytesize, pool, s), undo_ptr);
}

GDL_HOOK CUresult cuMemAllocFromPoolAsync_ptsz(CUdeviceptr *dptr, size_t bytesize,
					       CUmemoryPool pool, CUstream s)
{
	PTR_ALLOC(cuMemAllocFromPoolAsync_ptsz,
		    REAL(cuMemAllocFromPoolAsync_ptsz)(dptr, bytesize, pool, s), undo_ptr);
}

static __thread CUstream free_stream;
static CUresult free_async(uint64_t p) { return REAL(cuMemFreeAsync)(p, free_stream); }
static CUresult free_async_ptsz(uint64_t p) { return REAL(cuMemFreeAsync_ptsz)(p, free_stream); }

GDL_HOOK CUresult cuMemFreeAsync(CUdeviceptr dptr, CUstream s)
{
	ENTER(cuMemFreeAsync);
	free_stream = s;
	return release(GDL_KEY_PTR, dptr, free_async, dptr);
}

GDL_HOOK CUresult cuMemFreeAsync_ptsz(CUdeviceptr dptr, CUstream s)
{
	ENTER(cuMemFreeAsync_ptsz);
	free_stream = s;
	return release(GDL_KEY_PTR, dptr, free_async_ptsz, dptr);
}

/* ---- VMM: a physical handle holds its charge while referenced ---- */

static void undo_handle(uint64_t h) { REAL(cuMemRelease)(h); }

GDL_HOOK CUresult cuMemCreate(CUmemGenericAllocationHandle *handle, size_t size,
			      const CUmemAllocationProp *prop,
			      unsigned long long flags)
{
	int device_memory = prop && prop->location.type == CU_MEM_LOCATION_TYPE_DEVICE;
	struct charge c;
	CUresult r;

	ENTER(cuMemCreate);
	r = charge_begin(&c, device_memory ? prop->location.id : 0,
			 device_memory ? size : 0);
	if (r)
		return r;
	r = REAL(cuMemCreate)(handle, size, prop, flags);
	return charge_end(&c, r, GDL_KEY_HANDLE, r ? 0 : *handle, 0, undo_handle);
}

static void handle_unref(uint64_t h)
{
	struct gdl_entry gone;

	gdl_ledger_ref(GDL_KEY_HANDLE, h, -1, &gone);
	gdl_backend_free(gone.alloc_id);
}

/* A reference dropped before a driver call that then failed: back as it was. */
static void handle_reref(uint64_t h, const struct gdl_entry *gone)
{
	struct gdl_entry none;

	if (gone->kind)
		gdl_ledger_put(gone->kind, gone->key, gone->alloc_id, gone->aux, gone->size);
	else
		gdl_ledger_ref(GDL_KEY_HANDLE, h, +1, &none);
}

/*
 * The reference goes before the driver call, as release() takes a pointer's
 * charge: once the driver has released it, another thread's cuMemCreate may
 * be given the same handle value, and its new entry must not be the one
 * this drops.
 */
GDL_HOOK CUresult cuMemRelease(CUmemGenericAllocationHandle handle)
{
	struct gdl_entry gone;
	CUresult r;
	int held;

	ENTER(cuMemRelease);
	held = gdl_ledger_ref(GDL_KEY_HANDLE, handle, -1, &gone);
	r = REAL(cuMemRelease)(handle);
	if (r == CUDA_SUCCESS)
		gdl_backend_free(gone.alloc_id);
	else if (held)
		handle_reref(handle, &gone);
	return r;
}

GDL_HOOK CUresult cuMemMap(CUdeviceptr ptr, size_t size, size_t offset,
			   CUmemGenericAllocationHandle handle,
			   unsigned long long flags)
{
	struct gdl_entry none;
	CUresult r;

	ENTER(cuMemMap);
	r = REAL(cuMemMap)(ptr, size, offset, handle, flags);
	if (r == CUDA_SUCCESS && gdl_ledger_ref(GDL_KEY_HANDLE, handle, +1, &none))
		gdl_ledger_put(GDL_KEY_MAP, ptr, 0, handle, size);
	return r;
}

/*
 * Every entry of @kind that gdl_ledger_take_all() takes, in a growing heap
 * array (NULL and *@n 0 for none).  Should memory run out midway, the
 * entries taken so far are returned and the rest stay in the ledger: those
 * keep their charges after the free (a program out of memory anyway).
 */
static struct gdl_entry *take_every(int kind, int by_range, uint64_t lo, uint64_t hi,
				    unsigned int *n)
{
	struct gdl_entry *all = NULL, *more;
	unsigned int got, cap = 0;

	*n = 0;
	do {
		if (*n + 64 > cap) {
			cap = cap ? cap * 2 : 64;
			more = realloc(all, cap * sizeof(*all));
			if (!more)
				break;
			all = more;
		}
		got = gdl_ledger_take_all(kind, by_range, lo, hi, all + *n, 64);
		*n += got;
	} while (got == 64);
	return all;
}

/* Entries taken before a driver call that then failed: back as they were. */
static void put_back(const struct gdl_entry *e, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		gdl_ledger_put(e[i].kind, e[i].key, e[i].alloc_id, e[i].aux, e[i].size);
}

/*
 * The mappings, and the handle references they hold, go before the driver
 * unmaps, as release() does: once it has, another thread may map another
 * handle at the same address, or (the last mapping of a released handle
 * gone) be given the handle's value by cuMemCreate, and neither new record
 * must be the one this drops.  A failed unmap puts everything back, the
 * references in reverse order (one mapping's drop may have removed the
 * handle's record that an earlier one's only decremented).
 */
GDL_HOOK CUresult cuMemUnmap(CUdeviceptr ptr, size_t size)
{
	struct gdl_entry *maps, *gone;
	unsigned int n;
	CUresult r;

	ENTER(cuMemUnmap);
	maps = take_every(GDL_KEY_MAP, 1, ptr, ptr + size, &n);
	/* Out of memory for @gone: the references drop after the driver, as before. */
	gone = n ? calloc(n, sizeof(*gone)) : NULL;
	for (unsigned int i = 0; gone && i < n; i++)
		gdl_ledger_ref(GDL_KEY_HANDLE, maps[i].aux, -1, &gone[i]);
	r = REAL(cuMemUnmap)(ptr, size);
	if (r == CUDA_SUCCESS) {
		for (unsigned int i = 0; i < n; i++) {
			if (gone)
				gdl_backend_free(gone[i].alloc_id);
			else
				handle_unref(maps[i].aux);
		}
	} else {
		for (unsigned int i = n; gone && i-- > 0;)
			handle_reref(maps[i].aux, &gone[i]);
		put_back(maps, n);
	}
	free(gone);
	free(maps);
	return r;
}

GDL_HOOK CUresult cuMemRetainAllocationHandle(CUmemGenericAllocationHandle *handle,
					      void *addr)
{
	struct gdl_entry none;
	CUresult r;

	ENTER(cuMemRetainAllocationHandle);
	r = REAL(cuMemRetainAllocationHandle)(handle, addr);
	if (r == CUDA_SUCCESS)
		gdl_ledger_ref(GDL_KEY_HANDLE, *handle, +1, &none);
	return r;
}

GDL_HOOK CUresult cuMemImportFromShareableHandle(CUmemGenericAllocationHandle *handle,
						 void *osHandle, int type)
{
	struct gdl_entry none;
	CUresult r;

	ENTER(cuMemImportFromShareableHandle);
	r = REAL(cuMemImportFromShareableHandle)(handle, osHandle, type);
	/* Our own export imported back: one more reference to our charge.
	 * Another process's memory: charged there, nothing to track. */
	if (r == CUDA_SUCCESS)
		gdl_ledger_ref(GDL_KEY_HANDLE, *handle, +1, &none);
	return r;
}

/* ---- arrays ---- */

static uint64_t element_bytes(CUarray_format f)
{
	switch (f) {
	case CU_AD_FORMAT_UNSIGNED_INT8:
	case CU_AD_FORMAT_SIGNED_INT8:
		return 1;
	case CU_AD_FORMAT_UNSIGNED_INT16:
	case CU_AD_FORMAT_SIGNED_INT16:
	case CU_AD_FORMAT_HALF:
		return 2;
	case CU_AD_FORMAT_UNSIGNED_INT32:
	case CU_AD_FORMAT_SIGNED_INT32:
	case CU_AD_FORMAT_FLOAT:
		return 4;
	default:
		return 16;	/* newer formats: the widest element, never less */
	}
}

static uint64_t dim(uint64_t v) { return v ? v : 1; }

/* Bytes of a w x h x d array (0 on overflow: the driver refuses those). */
static uint64_t array_bytes(uint64_t w, uint64_t h, uint64_t d,
			    CUarray_format f, unsigned int channels)
{
	uint64_t b;

	if (__builtin_mul_overflow(dim(w), dim(h), &b) ||
	    __builtin_mul_overflow(b, dim(d), &b) ||
	    __builtin_mul_overflow(b, (uint64_t)channels * element_bytes(f), &b))
		return 0;
	return w ? b : 0;
}

static void undo_array(uint64_t a) { REAL(cuArrayDestroy)((CUarray)(uintptr_t)a); }

#define ARRAY_CREATE(fn, bytes)                                             \
	do {                                                                \
		struct charge c;                                            \
		CUresult r;                                                 \
		ENTER(fn);                                                  \
		r = charge_begin(&c, CURRENT_DEVICE, d ? (bytes) : 0);      \
		if (r)                                                      \
			return r;                                           \
		r = REAL(fn)(pHandle, d);                                   \
		return charge_end(&c, r, GDL_KEY_ARRAY,                     \
				  r ? 0 : (uintptr_t)*pHandle, 0, undo_array); \
	} while (0)

GDL_HOOK CUresult cuArrayCreate_v2(CUarray *pHandle, const CUDA_ARRAY_DESCRIPTOR *d)
{
	ARRAY_CREATE(cuArrayCreate_v2, array_bytes(d->Width, d->Height, 1, d->Format, d->NumChannels));
}

GDL_HOOK CUresult cuArrayCreate(CUarray *pHandle, const CUDA_ARRAY_DESCRIPTOR_v1 *d)
{
	ARRAY_CREATE(cuArrayCreate, array_bytes(d->Width, d->Height, 1, d->Format, d->NumChannels));
}

GDL_HOOK CUresult cuArray3DCreate_v2(CUarray *pHandle, const CUDA_ARRAY3D_DESCRIPTOR *d)
{
	ARRAY_CREATE(cuArray3DCreate_v2,
		     array_bytes(d->Width, d->Height, d->Depth, d->Format, d->NumChannels));
}

GDL_HOOK CUresult cuArray3DCreate(CUarray *pHandle, const CUDA_ARRAY3D_DESCRIPTOR_v1 *d)
{
	ARRAY_CREATE(cuArray3DCreate,
		     array_bytes(d->Width, d->Height, d->Depth, d->Format, d->NumChannels));
}

static CUresult array_destroy(uint64_t a) { return REAL(cuArrayDestroy)((CUarray)(uintptr_t)a); }

GDL_HOOK CUresult cuArrayDestroy(CUarray hArray)
{
	ENTER(cuArrayDestroy);
	return release(GDL_KEY_ARRAY, (uintptr_t)hArray, array_destroy, (uintptr_t)hArray);
}

/* Every level halves each dimension (a layered array keeps its layers). */
static uint64_t mipmap_bytes(const CUDA_ARRAY3D_DESCRIPTOR *d, unsigned int levels)
{
	uint64_t total = 0, w = d->Width, h = d->Height, z = d->Depth;

	for (unsigned int l = 0; l < levels && w; l++) {
		uint64_t b = array_bytes(w, h, z, d->Format, d->NumChannels);

		if (!b || __builtin_add_overflow(total, b, &total))
			return 0;
		w = w > 1 ? w / 2 : 1;
		h = h > 1 ? h / 2 : h;
		if (!(d->Flags & CUDA_ARRAY3D_LAYERED))
			z = z > 1 ? z / 2 : z;
	}
	return total;
}

static void undo_mipmap(uint64_t m)
{
	REAL(cuMipmappedArrayDestroy)((CUmipmappedArray)(uintptr_t)m);
}

GDL_HOOK CUresult cuMipmappedArrayCreate(CUmipmappedArray *pHandle,
					 const CUDA_ARRAY3D_DESCRIPTOR *d,
					 unsigned int levels)
{
	struct charge c;
	CUresult r;

	ENTER(cuMipmappedArrayCreate);
	r = charge_begin(&c, CURRENT_DEVICE, d ? mipmap_bytes(d, levels) : 0);
	if (r)
		return r;
	r = REAL(cuMipmappedArrayCreate)(pHandle, d, levels);
	return charge_end(&c, r, GDL_KEY_MIPMAP, r ? 0 : (uintptr_t)*pHandle, 0, undo_mipmap);
}

static CUresult mipmap_destroy(uint64_t m)
{
	return REAL(cuMipmappedArrayDestroy)((CUmipmappedArray)(uintptr_t)m);
}

GDL_HOOK CUresult cuMipmappedArrayDestroy(CUmipmappedArray h)
{
	ENTER(cuMipmappedArrayDestroy);
	return release(GDL_KEY_MIPMAP, (uintptr_t)h, mipmap_destroy, (uintptr_t)h);
}

/* ---- graph memory nodes: charged for the node's life ---- */

static void undo_node(uint64_t n) { REAL(cuGraphDestroyNode)((CUgraphNode)(uintptr_t)n); }

/*
 * The body of every hook that adds a memory-allocation node described by
 * @p (its parameters' names): charged bytesize on the pool's device, kept
 * for the node's life (the graph is its record's aux).
 */
#define MEM_NODE_ADD(p, call)                                               \
	do {                                                                \
		int on_device = (p) && (p)->poolProps.location.type ==      \
					       CU_MEM_LOCATION_TYPE_DEVICE;   \
		struct charge c;                                            \
		CUresult r;                                                 \
		r = charge_begin(&c, on_device ? (p)->poolProps.location.id \
					       : CURRENT_DEVICE,            \
				 (p) ? (p)->bytesize : 0);                  \
		if (r)                                                      \
			return r;                                           \
		r = call;                                                   \
		return charge_end(&c, r, GDL_KEY_GNODE,                     \
				  r ? 0 : (uintptr_t)*phGraphNode,          \
				  (uintptr_t)hGraph, undo_node);            \
	} while (0)

GDL_HOOK CUresult cuGraphAddMemAllocNode(CUgraphNode *phGraphNode, CUgraph hGraph,
					 const CUgraphNode *deps, size_t n,
					 CUDA_MEM_ALLOC_NODE_PARAMS *p)
{
	ENTER(cuGraphAddMemAllocNode);
	MEM_NODE_ADD(p, REAL(cuGraphAddMemAllocNode)(phGraphNode, hGraph, deps, n, p));
}

/*
 * The generic entry (12.2): only a memory-allocation node is ours.  Its
 * 12.3 variant with edge data, cuGraphAddNode_v2, is not hooked yet: the
 * library the tests run (535) does not have it (docs/cuda.md).
 */
#define MEM_NODE_OF(params) \
	((params) && (params)->type == CU_GRAPH_NODE_TYPE_MEM_ALLOC ? &(params)->alloc : NULL)

GDL_HOOK CUresult cuGraphAddNode(CUgraphNode *phGraphNode, CUgraph hGraph,
				 const CUgraphNode *deps, size_t n,
				 CUgraphNodeParams *params)
{
	CUDA_MEM_ALLOC_NODE_PARAMS *p = MEM_NODE_OF(params);

	ENTER(cuGraphAddNode);
	if (!p)
		return REAL(cuGraphAddNode)(phGraphNode, hGraph, deps, n, params);
	MEM_NODE_ADD(p, REAL(cuGraphAddNode)(phGraphNode, hGraph, deps, n, params));
}

static CUresult node_destroy(uint64_t n)
{
	return REAL(cuGraphDestroyNode)((CUgraphNode)(uintptr_t)n);
}

GDL_HOOK CUresult cuGraphDestroyNode(CUgraphNode hNode)
{
	ENTER(cuGraphDestroyNode);
	return release(GDL_KEY_GNODE, (uintptr_t)hNode, node_destroy, (uintptr_t)hNode);
}

/* The graph's nodes are taken first, as cuMemUnmap's mappings, for the same reason. */
GDL_HOOK CUresult cuGraphDestroy(CUgraph hGraph)
{
	struct gdl_entry *nodes;
	unsigned int n;
	CUresult r;

	ENTER(cuGraphDestroy);
	nodes = take_every(GDL_KEY_GNODE, 0, (uintptr_t)hGraph, 0, &n);
	r = REAL(cuGraphDestroy)(hGraph);
	if (r != CUDA_SUCCESS)
		put_back(nodes, n);
	else
		for (unsigned int i = 0; i < n; i++)
			gdl_backend_free(nodes[i].alloc_id);
	free(nodes);
	return r;
}

/* ---- what the program sees: the quota, never more than the real device ---- */

/* 0 and the agent's quota and use, or -1 when no backend can say. */
static int agent_budget(uint64_t *quota, uint64_t *left)
{
	struct gdl_agent_info a = { 0 };

	if (gdl_backend_request(GDL_IOC_GET_AGENT, &a))
		return -1;
	*quota = a.quota;
	*left = a.quota > a.used ? a.quota - a.used : 0;
	return 0;
}

static uint64_t min64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* The driver's free and total, never above the agent's quota and what it has left. */
static void cap_to_budget(uint64_t *free_b, uint64_t *total_b)
{
	uint64_t quota, left;

	if (agent_budget(&quota, &left))
		return;
	*total_b = min64(*total_b, quota);
	*free_b = min64(min64(*free_b, left), *total_b);
}

/*
 * The body of both cuMemGetInfo hooks, in their parameters' names: the
 * sizes are capped in 64 bits and written back at the ABI's width (never
 * above what the driver wrote, so nothing is cut).
 */
#define MEM_INFO(fn)                                                        \
	do {                                                                \
		uint64_t f, t;                                              \
		CUresult r;                                                 \
		ENTER(fn);                                                  \
		r = REAL(fn)(free_b, total_b);                              \
		if (r == CUDA_SUCCESS && free_b && total_b) {               \
			f = *free_b, t = *total_b;                          \
			cap_to_budget(&f, &t);                              \
			*free_b = (__typeof__(*free_b))f;                   \
			*total_b = (__typeof__(*total_b))t;                 \
		}                                                           \
		return r;                                                   \
	} while (0)

GDL_HOOK CUresult cuMemGetInfo_v2(size_t *free_b, size_t *total_b)
{
	MEM_INFO(cuMemGetInfo_v2);
}

/* The v1 ABI: 32-bit sizes. */
GDL_HOOK CUresult cuMemGetInfo(unsigned int *free_b, unsigned int *total_b)
{
	MEM_INFO(cuMemGetInfo);
}

GDL_HOOK CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev)
{
	uint64_t quota, left;
	CUresult r;

	ENTER(cuDeviceTotalMem_v2);
	r = REAL(cuDeviceTotalMem_v2)(bytes, dev);
	if (r == CUDA_SUCCESS && bytes && !agent_budget(&quota, &left))
		*bytes = min64(*bytes, quota);
	return r;
}

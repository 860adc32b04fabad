// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cuda_standin.c - libcuda_standin.so: a CUDA driver without a GPU
 *
 * Built with NVIDIA's SONAME (libcuda.so.1) and the real signatures, so
 * programs link against it, dlopen("libcuda.so.1") it, and look entries up
 * through cuGetProcAddress(_v2) exactly as with the real driver; the eBPF
 * uprobes attach to it as to the real one.  What it simulates:
 *
 *  - $GDL_STANDIN_DEVICES devices (default 2), each with
 *    $GDL_STANDIN_MEM bytes (default 1 GiB); device i has PCI bus id
 *    0000:(0x40 + i):00.0;
 *  - cuInit before anything (else CUDA_ERROR_NOT_INITIALIZED), a current
 *    context per thread (else CUDA_ERROR_INVALID_CONTEXT);
 *  - device memory with a capacity: every allocation kind counts until
 *    freed (CUDA_ERROR_OUT_OF_MEMORY past it); VMM handles live while a
 *    reference or a mapping is left; graph memory nodes live with the node;
 *  - the real failure codes for zero sizes, unknown pointers and handles;
 *  - cuGetProcAddress by name, version and flags: "cuMemAlloc" at version
 *    >= 3020 is cuMemAlloc_v2, below it cuMemAlloc; flag 2 (per-thread
 *    default stream) picks the _ptsz variant where one exists.
 *
 * noinline + default visibility keep each entry point a real, probe-able
 * function (-fno-ipa-icf in the Makefile keeps look-alikes apart).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cuda_standin.h"

#define EXPORT __attribute__((visibility("default"), noinline))
#define MAX_DEVICES 8
#define VMM_GRANULARITY (2ull << 20)

/* Everything alive, one table: (kind, key) -> bytes on a device. */
enum kind { K_PTR = 1, K_HOST, K_HANDLE, K_MAP, K_ARRAY, K_MIPMAP, K_NODE, K_POOL, K_GRAPH, K_VA };
struct obj {
	int kind;
	int dev;
	uint64_t key;
	uint64_t size;	/* bytes of device memory it holds (0 for views) */
	uint64_t aux;	/* K_MAP: handle; K_NODE: graph; K_PTR from a pool: pool */
	long refs;	/* K_HANDLE: references + mappings */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct obj *objs;
static size_t nobjs, cap_objs;
static int initialized, ndev;
static uint64_t capacity, used[MAX_DEVICES], host_used;
static uint64_t next_addr = 0x7f0000000000ull;
static uint64_t next_handle = 0x100000ull;
static __thread int cur_dev = -1;	/* the thread's current context */
/*
 * What a real driver may do and this one does not by default (it keeps
 * stale uses visible), for the interposer's race tests:
 * GDL_STANDIN_REUSE=1 gives cuMemCreate the last released handle's value
 * again; GDL_STANDIN_FREE_DELAY_US sleeps that long after cuMemRelease and
 * cuMemUnmap have released (outside the lock: another thread's calls go on
 * meanwhile); GDL_STANDIN_PITCH_ALIGN is the pitch alignment (512).
 */
static int reuse_handles;
static uint64_t released_handle;
static unsigned int free_delay_us;
static size_t pitch_align = 512;

static void setup(void)
{
	const char *d = getenv("GDL_STANDIN_DEVICES");
	const char *m = getenv("GDL_STANDIN_MEM");
	const char *r = getenv("GDL_STANDIN_REUSE");
	const char *w = getenv("GDL_STANDIN_FREE_DELAY_US");
	const char *a = getenv("GDL_STANDIN_PITCH_ALIGN");

	ndev = d ? atoi(d) : 2;
	if (ndev < 1 || ndev > MAX_DEVICES)
		ndev = 2;
	capacity = m ? strtoull(m, NULL, 0) : 1ull << 30;
	reuse_handles = r && !strcmp(r, "1");
	free_delay_us = w ? (unsigned int)strtoul(w, NULL, 0) : 0;
	if (a && strtoul(a, NULL, 0) >= 1)
		pitch_align = strtoul(a, NULL, 0);
}

/* After a release: let another thread in before this one goes on. */
static CUresult leave_slowly(CUresult r)
{
	pthread_mutex_unlock(&lock);
	if (r == CUDA_SUCCESS && free_delay_us)
		usleep(free_delay_us);
	return r;
}

static struct obj *find(int kind, uint64_t key)
{
	for (size_t i = 0; i < nobjs; i++)
		if (objs[i].kind == kind && objs[i].key == key)
			return &objs[i];
	return NULL;
}

static void drop(struct obj *o)
{
	if (o->kind == K_HANDLE && reuse_handles)
		released_handle = o->key;
	if (o->kind == K_HOST)
		host_used -= o->size;
	else
		used[o->dev] -= o->size;
	*o = objs[--nobjs];
}

/* Adds an object holding @size bytes of @dev; CUDA_ERROR_OUT_OF_MEMORY past capacity. */
static CUresult add(int kind, int dev, uint64_t key, uint64_t size, uint64_t aux)
{
	if (kind != K_HOST && size > capacity - used[dev])
		return CUDA_ERROR_OUT_OF_MEMORY;
	if (nobjs == cap_objs) {
		size_t n = cap_objs ? cap_objs * 2 : 256;
		struct obj *p = realloc(objs, n * sizeof(*p));

		if (!p)
			return CUDA_ERROR_OUT_OF_MEMORY;
		objs = p;
		cap_objs = n;
	}
	objs[nobjs++] = (struct obj){ kind, dev, key, size, aux, 1 };
	if (kind == K_HOST)
		host_used += size;
	else
		used[dev] += size;
	return CUDA_SUCCESS;
}

static uint64_t new_addr(uint64_t size)
{
	uint64_t a = next_addr;

	next_addr += (size + 0xfff) & ~0xfffull;	/* never reused: stale frees show */
	return a;
}

/* Checks that every call starts with; takes the lock on success. */
static CUresult enter_ctx(void)
{
	pthread_mutex_lock(&lock);
	if (!initialized) {
		pthread_mutex_unlock(&lock);
		return CUDA_ERROR_NOT_INITIALIZED;
	}
	if (cur_dev < 0) {
		pthread_mutex_unlock(&lock);
		return CUDA_ERROR_INVALID_CONTEXT;
	}
	return CUDA_SUCCESS;
}

static CUresult leave(CUresult r)
{
	pthread_mutex_unlock(&lock);
	return r;
}

/* ---- init, devices, contexts ---- */

EXPORT CUresult cuInit(unsigned int flags)
{
	if (flags)
		return CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&lock);
	if (!initialized)
		setup();
	initialized = 1;
	return leave(CUDA_SUCCESS);
}

EXPORT CUresult cuDriverGetVersion(int *v)
{
	if (!v)
		return CUDA_ERROR_INVALID_VALUE;
	*v = 12020;
	return CUDA_SUCCESS;
}

static CUresult device_ok(int dev)
{
	if (!initialized)
		return CUDA_ERROR_NOT_INITIALIZED;
	return dev >= 0 && dev < ndev ? CUDA_SUCCESS : CUDA_ERROR_INVALID_DEVICE;
}

EXPORT CUresult cuDeviceGetCount(int *count)
{
	if (!initialized)
		return CUDA_ERROR_NOT_INITIALIZED;
	if (!count)
		return CUDA_ERROR_INVALID_VALUE;
	*count = ndev;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGet(CUdevice *device, int ordinal)
{
	CUresult r = device_ok(ordinal);

	if (r)
		return r;
	if (!device)
		return CUDA_ERROR_INVALID_VALUE;
	*device = ordinal;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceGetPCIBusId(char *bus_id, int len, CUdevice dev)
{
	CUresult r = device_ok(dev);

	if (r)
		return r;
	if (!bus_id || len < 13)
		return CUDA_ERROR_INVALID_VALUE;
	snprintf(bus_id, (size_t)len, "0000:%02x:00.0", 0x40 + dev);
	return CUDA_SUCCESS;
}

EXPORT CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev)
{
	CUresult r = device_ok(dev);

	if (r)
		return r;
	if (!bytes)
		return CUDA_ERROR_INVALID_VALUE;
	*bytes = capacity;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuCtxCreate_v2(CUcontext *pctx, unsigned int flags, CUdevice dev)
{
	CUresult r = device_ok(dev);

	(void)flags;
	if (r)
		return r;
	if (!pctx)
		return CUDA_ERROR_INVALID_VALUE;
	cur_dev = dev;
	*pctx = (CUcontext)(uintptr_t)(0xc0000 + dev);
	return CUDA_SUCCESS;
}

EXPORT CUresult cuCtxDestroy_v2(CUcontext ctx)
{
	if (!ctx)
		return CUDA_ERROR_INVALID_VALUE;
	cur_dev = -1;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuCtxGetDevice(CUdevice *device)
{
	if (!initialized)
		return CUDA_ERROR_NOT_INITIALIZED;
	if (cur_dev < 0)
		return CUDA_ERROR_INVALID_CONTEXT;
	if (!device)
		return CUDA_ERROR_INVALID_VALUE;
	*device = cur_dev;
	return CUDA_SUCCESS;
}

/* ---- plain allocations ---- */

static CUresult alloc_ptr(CUdeviceptr *dptr, uint64_t size, int dev, uint64_t aux)
{
	CUresult r;
	uint64_t a;

	if (!dptr || !size)
		return CUDA_ERROR_INVALID_VALUE;
	a = new_addr(size);
	r = add(K_PTR, dev, a, size, aux);
	if (r == CUDA_SUCCESS)
		*dptr = a;
	return r;
}

static CUresult free_ptr(CUdeviceptr dptr)
{
	struct obj *o = find(K_PTR, dptr);

	if (!o)
		return CUDA_ERROR_INVALID_VALUE;
	drop(o);
	return CUDA_SUCCESS;
}

EXPORT CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize)
{
	CUresult r = enter_ctx();

	return r ? r : leave(alloc_ptr(dptr, bytesize, cur_dev, 0));
}

EXPORT CUresult cuMemAllocManaged(CUdeviceptr *dptr, size_t bytesize,
				  unsigned int flags)
{
	CUresult r = enter_ctx();

	if (r)
		return r;
	if (flags != CU_MEM_ATTACH_GLOBAL && flags != 0x2 /* HOST */)
		return leave(CUDA_ERROR_INVALID_VALUE);
	return leave(alloc_ptr(dptr, bytesize, cur_dev, 0));
}

EXPORT CUresult cuMemAllocPitch_v2(CUdeviceptr *dptr, size_t *pPitch,
				   size_t WidthInBytes, size_t Height,
				   unsigned int ElementSizeBytes)
{
	CUresult r = enter_ctx();
	size_t pitch;

	if (r)
		return r;
	if (!pPitch || !WidthInBytes || !Height ||
	    (ElementSizeBytes != 4 && ElementSizeBytes != 8 && ElementSizeBytes != 16))
		return leave(CUDA_ERROR_INVALID_VALUE);
	pitch = (WidthInBytes + pitch_align - 1) / pitch_align * pitch_align;	/* padded rows */
	r = alloc_ptr(dptr, (uint64_t)pitch * Height, cur_dev, 0);
	if (r == CUDA_SUCCESS)
		*pPitch = pitch;
	return leave(r);
}

EXPORT CUresult cuMemFree_v2(CUdeviceptr dptr)
{
	CUresult r = enter_ctx();

	return r ? r : leave(free_ptr(dptr));
}

EXPORT CUresult cuMemGetInfo_v2(size_t *free_b, size_t *total_b)
{
	CUresult r = enter_ctx();

	if (r)
		return r;
	if (!free_b || !total_b)
		return leave(CUDA_ERROR_INVALID_VALUE);
	*total_b = capacity;
	*free_b = capacity - used[cur_dev];
	return leave(CUDA_SUCCESS);
}

/* ---- stream-ordered allocator and pools (no caching: freed at once) ---- */

EXPORT CUresult cuMemAllocAsync(CUdeviceptr *dptr, size_t bytesize, CUstream s)
{
	CUresult r = enter_ctx();

	(void)s;
	return r ? r : leave(alloc_ptr(dptr, bytesize, cur_dev, 0));
}

EXPORT CUresult cuMemAllocAsync_ptsz(CUdeviceptr *dptr, size_t bytesize, CUstream s)
{
	CUresult r = enter_ctx();

	(void)s;
	return r ? r : leave(alloc_ptr(dptr, bytesize, cur_dev, 0));
}

static CUresult pool_alloc(CUdeviceptr *dptr, size_t bytesize, CUmemoryPool pool)
{
	struct obj *p = find(K_POOL, (uintptr_t)pool);

	if (!p)
		return CUDA_ERROR_INVALID_VALUE;
	return alloc_ptr(dptr, bytesize, p->dev, (uintptr_t)pool);
}

EXPORT CUresult cuMemAllocFromPoolAsync(CUdeviceptr *dptr, size_t bytesize,
					CUmemoryPool pool, CUstream s)
{
	CUresult r = enter_ctx();

	(void)s;
	return r ? r : leave(pool_alloc(dptr, bytesize, pool));
}

EXPORT CUresult cuMemAllocFromPoolAsync_ptsz(CUdeviceptr *dptr, size_t bytesize,
					     CUmemoryPool pool, CUstream s)
{
	CUresult r = enter_ctx();

	(void)s;
	return r ? r : leave(pool_alloc(dptr, bytesize, pool));
}

EXPORT CUresult cuMemFreeAsync(CUdeviceptr dptr, CUstream s)
{
	CUresult r = enter_ctx();

	(void)s;
	return r ? r : leave(free_ptr(dptr));
}

EXPORT CUresult cuMemFreeAsync_ptsz(CUdeviceptr dptr, CUstream s)
{
	CUresult r = enter_ctx();

	(void)s;
	return r ? r : leave(free_ptr(dptr));
}

EXPORT CUresult cuMemPoolCreate(CUmemoryPool *pool, const CUmemPoolProps *props)
{
	CUresult r = enter_ctx();
	uint64_t h;

	if (r)
		return r;
	if (!pool || !props || props->location.type != CU_MEM_LOCATION_TYPE_DEVICE ||
	    device_ok(props->location.id))
		return leave(CUDA_ERROR_INVALID_VALUE);
	h = next_handle++;
	r = add(K_POOL, props->location.id, h, 0, 0);
	if (r == CUDA_SUCCESS)
		*pool = (CUmemoryPool)(uintptr_t)h;
	return leave(r);
}

EXPORT CUresult cuMemPoolDestroy(CUmemoryPool pool)
{
	CUresult r = enter_ctx();
	struct obj *p;

	if (r)
		return r;
	p = find(K_POOL, (uintptr_t)pool);
	if (!p)
		return leave(CUDA_ERROR_INVALID_VALUE);
	drop(p);	/* outstanding allocations stay valid, as documented */
	return leave(CUDA_SUCCESS);
}

EXPORT CUresult cuMemPoolTrimTo(CUmemoryPool pool, size_t keep)
{
	CUresult r = enter_ctx();

	(void)keep;
	if (r)
		return r;
	return leave(find(K_POOL, (uintptr_t)pool) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE);
}

/* ---- virtual memory management ---- */

EXPORT CUresult cuMemCreate(CUmemGenericAllocationHandle *handle, size_t size,
			    const CUmemAllocationProp *prop,
			    unsigned long long flags)
{
	CUresult r = enter_ctx();
	uint64_t h;

	if (r)
		return r;
	if (!handle || !size || size % VMM_GRANULARITY || !prop || flags ||
	    prop->type != CU_MEM_ALLOCATION_TYPE_PINNED ||
	    prop->location.type != CU_MEM_LOCATION_TYPE_DEVICE || device_ok(prop->location.id))
		return leave(CUDA_ERROR_INVALID_VALUE);
	h = released_handle ? released_handle : next_handle++;
	released_handle = 0;
	r = add(K_HANDLE, prop->location.id, h, size, 0);
	if (r == CUDA_SUCCESS)
		*handle = h;
	return leave(r);
}

static void handle_unref(struct obj *h)
{
	if (--h->refs == 0)
		drop(h);
}

EXPORT CUresult cuMemRelease(CUmemGenericAllocationHandle handle)
{
	CUresult r = enter_ctx();
	struct obj *h;

	if (r)
		return r;
	h = find(K_HANDLE, handle);
	if (!h)
		return leave(CUDA_ERROR_INVALID_VALUE);
	handle_unref(h);
	return leave_slowly(CUDA_SUCCESS);
}

EXPORT CUresult cuMemAddressReserve(CUdeviceptr *ptr, size_t size, size_t alignment,
				    CUdeviceptr addr, unsigned long long flags)
{
	CUresult r = enter_ctx();

	(void)alignment;
	(void)addr;
	if (r)
		return r;
	if (!ptr || !size || flags)
		return leave(CUDA_ERROR_INVALID_VALUE);
	*ptr = new_addr(size);
	return leave(add(K_VA, 0, *ptr, 0, size));
}

EXPORT CUresult cuMemAddressFree(CUdeviceptr ptr, size_t size)
{
	CUresult r = enter_ctx();
	struct obj *o;

	(void)size;
	if (r)
		return r;
	o = find(K_VA, ptr);
	if (!o)
		return leave(CUDA_ERROR_INVALID_VALUE);
	drop(o);
	return leave(CUDA_SUCCESS);
}

EXPORT CUresult cuMemMap(CUdeviceptr ptr, size_t size, size_t offset,
			 CUmemGenericAllocationHandle handle,
			 unsigned long long flags)
{
	CUresult r = enter_ctx();
	struct obj *h;

	if (r)
		return r;
	h = find(K_HANDLE, handle);
	if (!h || !ptr || !size || offset || flags || size > h->size || find(K_MAP, ptr))
		return leave(CUDA_ERROR_INVALID_VALUE);
	h->refs++;	/* a mapping keeps the memory */
	r = add(K_MAP, h->dev, ptr, 0, handle);
	if (r)
		h->refs--;
	return leave(r);
}

EXPORT CUresult cuMemUnmap(CUdeviceptr ptr, size_t size)
{
	CUresult r = enter_ctx();
	int n = 0;

	if (r)
		return r;
	for (size_t i = 0; i < nobjs;) {
		struct obj *m = &objs[i];

		if (m->kind == K_MAP && m->key >= ptr && m->key < ptr + size) {
			uint64_t handle = m->aux;
			struct obj *h;

			drop(m);	/* moves the last object here: look again */
			h = find(K_HANDLE, handle);
			if (h)
				handle_unref(h);
			n++;
			i = 0;
			continue;
		}
		i++;
	}
	return leave_slowly(n ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE);
}

EXPORT CUresult cuMemRetainAllocationHandle(CUmemGenericAllocationHandle *handle,
					    void *addr)
{
	CUresult r = enter_ctx();
	struct obj *m, *h;

	if (r)
		return r;
	m = find(K_MAP, (uintptr_t)addr);
	h = m ? find(K_HANDLE, m->aux) : NULL;
	if (!handle || !h)
		return leave(CUDA_ERROR_INVALID_VALUE);
	h->refs++;
	*handle = h->key;
	return leave(CUDA_SUCCESS);
}

/* ---- arrays ---- */

static uint64_t elem(CUarray_format f)
{
	switch (f) {
	case CU_AD_FORMAT_UNSIGNED_INT8: case CU_AD_FORMAT_SIGNED_INT8: return 1;
	case CU_AD_FORMAT_UNSIGNED_INT16: case CU_AD_FORMAT_SIGNED_INT16: case CU_AD_FORMAT_HALF: return 2;
	case CU_AD_FORMAT_UNSIGNED_INT32: case CU_AD_FORMAT_SIGNED_INT32: case CU_AD_FORMAT_FLOAT: return 4;
	default: return 0;
	}
}

static uint64_t one(uint64_t v) { return v ? v : 1; }

static CUresult array_new(int kind, void *out, uint64_t w, uint64_t h, uint64_t d,
			  CUarray_format f, unsigned int ch, uint64_t levels, unsigned int flags)
{
	uint64_t bytes = 0, hh = h, dd = d, ww = w;
	CUresult r;
	uint64_t key;

	if (!out || !w || !elem(f) || (ch != 1 && ch != 2 && ch != 4))
		return CUDA_ERROR_INVALID_VALUE;
	for (uint64_t l = 0; l < levels && ww; l++) {
		bytes += one(ww) * one(hh) * one(dd) * ch * elem(f);
		ww = ww > 1 ? ww / 2 : 1;
		hh = hh > 1 ? hh / 2 : hh;
		if (!(flags & CUDA_ARRAY3D_LAYERED))
			dd = dd > 1 ? dd / 2 : dd;
	}
	key = next_handle++;
	r = add(kind, cur_dev, key, bytes, 0);
	if (r == CUDA_SUCCESS)
		*(uintptr_t *)out = key;
	return r;
}

EXPORT CUresult cuArrayCreate_v2(CUarray *p, const CUDA_ARRAY_DESCRIPTOR *d)
{
	CUresult r = enter_ctx();

	if (r)
		return r;
	if (!d)
		return leave(CUDA_ERROR_INVALID_VALUE);
	return leave(array_new(K_ARRAY, p, d->Width, d->Height, 0, d->Format, d->NumChannels, 1, 0));
}

EXPORT CUresult cuArray3DCreate_v2(CUarray *p, const CUDA_ARRAY3D_DESCRIPTOR *d)
{
	CUresult r = enter_ctx();

	if (r)
		return r;
	if (!d)
		return leave(CUDA_ERROR_INVALID_VALUE);
	return leave(array_new(K_ARRAY, p, d->Width, d->Height, d->Depth, d->Format,
			       d->NumChannels, 1, d->Flags));
}

EXPORT CUresult cuMipmappedArrayCreate(CUmipmappedArray *p, const CUDA_ARRAY3D_DESCRIPTOR *d,
				       unsigned int levels)
{
	CUresult r = enter_ctx();

	if (r)
		return r;
	if (!d || !levels)
		return leave(CUDA_ERROR_INVALID_VALUE);
	return leave(array_new(K_MIPMAP, p, d->Width, d->Height, d->Depth, d->Format,
			       d->NumChannels, levels, d->Flags));
}

static CUresult destroy(int kind, uint64_t key)
{
	CUresult r = enter_ctx();
	struct obj *o;

	if (r)
		return r;
	o = find(kind, key);
	if (!o)
		return leave(CUDA_ERROR_INVALID_HANDLE);
	drop(o);
	return leave(CUDA_SUCCESS);
}

EXPORT CUresult cuArrayDestroy(CUarray a)
{
	return destroy(K_ARRAY, (uintptr_t)a);
}

EXPORT CUresult cuMipmappedArrayDestroy(CUmipmappedArray m)
{
	return destroy(K_MIPMAP, (uintptr_t)m);
}

/* ---- graphs: a memory node holds its bytes for the node's life ---- */

EXPORT CUresult cuGraphCreate(CUgraph *g, unsigned int flags)
{
	CUresult r = enter_ctx();
	uint64_t key;

	if (r)
		return r;
	if (!g || flags)
		return leave(CUDA_ERROR_INVALID_VALUE);
	key = next_handle++;
	r = add(K_GRAPH, cur_dev, key, 0, 0);
	if (r == CUDA_SUCCESS)
		*g = (CUgraph)(uintptr_t)key;
	return leave(r);
}

/*
 * Shared by the three entries that add a memory node.  Static: a call
 * between exported entries would go through the interposer's hook, which a
 * real driver's internal calls never do.
 */
static CUresult add_mem_node(CUgraphNode *node, CUgraph g, CUDA_MEM_ALLOC_NODE_PARAMS *p)
{
	CUresult r = enter_ctx();
	uint64_t key;
	int dev;

	if (r)
		return r;
	if (!node || !p || !p->bytesize || !find(K_GRAPH, (uintptr_t)g) ||
	    p->poolProps.location.type != CU_MEM_LOCATION_TYPE_DEVICE ||
	    device_ok(p->poolProps.location.id))
		return leave(CUDA_ERROR_INVALID_VALUE);
	dev = p->poolProps.location.id;
	key = next_handle++;
	r = add(K_NODE, dev, key, p->bytesize, (uintptr_t)g);
	if (r == CUDA_SUCCESS) {
		*node = (CUgraphNode)(uintptr_t)key;
		p->dptr = new_addr(p->bytesize);
	}
	return leave(r);
}

EXPORT CUresult cuGraphAddMemAllocNode(CUgraphNode *node, CUgraph g, const CUgraphNode *deps,
				       size_t ndeps, CUDA_MEM_ALLOC_NODE_PARAMS *p)
{
	(void)deps;
	(void)ndeps;
	return add_mem_node(node, g, p);
}

/* The generic entry: this driver has memory-allocation nodes only. */
EXPORT CUresult cuGraphAddNode(CUgraphNode *node, CUgraph g, const CUgraphNode *deps,
			       size_t ndeps, CUgraphNodeParams *p)
{
	(void)deps;
	(void)ndeps;
	if (!p || p->type != CU_GRAPH_NODE_TYPE_MEM_ALLOC)
		return CUDA_ERROR_NOT_SUPPORTED;
	return add_mem_node(node, g, &p->alloc);
}


EXPORT CUresult cuGraphDestroyNode(CUgraphNode node)
{
	return destroy(K_NODE, (uintptr_t)node);
}

EXPORT CUresult cuGraphDestroy(CUgraph g)
{
	CUresult r = enter_ctx();
	struct obj *o;

	if (r)
		return r;
	o = find(K_GRAPH, (uintptr_t)g);
	if (!o)
		return leave(CUDA_ERROR_INVALID_VALUE);
	drop(o);
	for (size_t i = 0; i < nobjs;) {
		if (objs[i].kind == K_NODE && objs[i].aux == (uintptr_t)g)
			drop(&objs[i]);
		else
			i++;
	}
	return leave(CUDA_SUCCESS);
}

/* ---- pinned host memory ---- */

static CUresult host_alloc(void **pp, size_t size)
{
	CUresult r = enter_ctx();
	void *p;

	if (r)
		return r;
	if (!pp || !size || !(p = malloc(size)))
		return leave(!pp || !size ? CUDA_ERROR_INVALID_VALUE : CUDA_ERROR_OUT_OF_MEMORY);
	r = add(K_HOST, -1, (uintptr_t)p, size, 0);
	if (r)
		free(p);
	else
		*pp = p;
	return leave(r);
}

EXPORT CUresult cuMemAllocHost_v2(void **pp, size_t bytesize)
{
	return host_alloc(pp, bytesize);
}

EXPORT CUresult cuMemHostAlloc(void **pp, size_t bytesize, unsigned int flags)
{
	(void)flags;
	return host_alloc(pp, bytesize);
}

EXPORT CUresult cuMemFreeHost(void *p)
{
	CUresult r = destroy(K_HOST, (uintptr_t)p);

	if (r == CUDA_SUCCESS)
		free(p);
	return r == CUDA_ERROR_INVALID_HANDLE ? CUDA_ERROR_INVALID_VALUE : r;
}

/* ---- cuGetProcAddress: by name, version and flags ---- */

struct proc {
	const char *symbol;	/* the name asked for */
	int since;		/* lowest cudaVersion that gets this entry */
	int ptsz;		/* the per-thread default stream variant */
	void *fn;
};

#define P(sym, since, ptsz, fn) { sym, since, ptsz, (void *)fn }
static const struct proc procs[] = {
	P("cuInit", 2000, 0, cuInit),
	P("cuDriverGetVersion", 2020, 0, cuDriverGetVersion),
	P("cuDeviceGet", 2000, 0, cuDeviceGet),
	P("cuDeviceGetCount", 2000, 0, cuDeviceGetCount),
	P("cuDeviceGetPCIBusId", 4010, 0, cuDeviceGetPCIBusId),
	P("cuDeviceTotalMem", 3020, 0, cuDeviceTotalMem_v2),
	P("cuCtxCreate", 3020, 0, cuCtxCreate_v2),
	P("cuCtxDestroy", 4000, 0, cuCtxDestroy_v2),
	P("cuCtxGetDevice", 2000, 0, cuCtxGetDevice),
	P("cuMemAlloc", 3020, 0, cuMemAlloc_v2),
	P("cuMemAllocPitch", 3020, 0, cuMemAllocPitch_v2),
	P("cuMemAllocManaged", 6000, 0, cuMemAllocManaged),
	P("cuMemFree", 3020, 0, cuMemFree_v2),
	P("cuMemGetInfo", 3020, 0, cuMemGetInfo_v2),
	P("cuMemAllocAsync", 11020, 0, cuMemAllocAsync),
	P("cuMemAllocAsync", 11020, 1, cuMemAllocAsync_ptsz),
	P("cuMemAllocFromPoolAsync", 11020, 0, cuMemAllocFromPoolAsync),
	P("cuMemAllocFromPoolAsync", 11020, 1, cuMemAllocFromPoolAsync_ptsz),
	P("cuMemFreeAsync", 11020, 0, cuMemFreeAsync),
	P("cuMemFreeAsync", 11020, 1, cuMemFreeAsync_ptsz),
	P("cuMemPoolCreate", 11020, 0, cuMemPoolCreate),
	P("cuMemPoolDestroy", 11020, 0, cuMemPoolDestroy),
	P("cuMemPoolTrimTo", 11020, 0, cuMemPoolTrimTo),
	P("cuMemCreate", 10020, 0, cuMemCreate),
	P("cuMemRelease", 10020, 0, cuMemRelease),
	P("cuMemAddressReserve", 10020, 0, cuMemAddressReserve),
	P("cuMemAddressFree", 10020, 0, cuMemAddressFree),
	P("cuMemMap", 10020, 0, cuMemMap),
	P("cuMemUnmap", 10020, 0, cuMemUnmap),
	P("cuMemRetainAllocationHandle", 11000, 0, cuMemRetainAllocationHandle),
	P("cuArrayCreate", 3020, 0, cuArrayCreate_v2),
	P("cuArray3DCreate", 3020, 0, cuArray3DCreate_v2),
	P("cuArrayDestroy", 2000, 0, cuArrayDestroy),
	P("cuMipmappedArrayCreate", 5000, 0, cuMipmappedArrayCreate),
	P("cuMipmappedArrayDestroy", 5000, 0, cuMipmappedArrayDestroy),
	P("cuGraphCreate", 10000, 0, cuGraphCreate),
	P("cuGraphDestroy", 10000, 0, cuGraphDestroy),
	P("cuGraphDestroyNode", 10000, 0, cuGraphDestroyNode),
	P("cuGraphAddMemAllocNode", 11040, 0, cuGraphAddMemAllocNode),
	P("cuGraphAddNode", 12020, 0, cuGraphAddNode),
	P("cuMemAllocHost", 3020, 0, cuMemAllocHost_v2),
	P("cuMemHostAlloc", 2020, 0, cuMemHostAlloc),
	P("cuMemFreeHost", 2000, 0, cuMemFreeHost),
	P("cuGetProcAddress", 11030, 0, cuGetProcAddress),
	P("cuGetProcAddress", 12000, 0, cuGetProcAddress_v2),
};

static CUresult lookup(const char *symbol, void **pfn, int version, cuuint64_t flags,
		       CUdriverProcAddressQueryResult *status)
{
	const struct proc *best = NULL;
	int known = 0, want_ptsz = (flags & CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM) != 0;

	if (!symbol || !pfn || flags > 2)
		return CUDA_ERROR_INVALID_VALUE;
	*pfn = NULL;
	for (size_t i = 0; i < sizeof(procs) / sizeof(procs[0]); i++) {
		const struct proc *p = &procs[i];

		if (strcmp(p->symbol, symbol))
			continue;
		known = 1;
		if (p->since > version || (p->ptsz && !want_ptsz))
			continue;
		/* the newest entry the version allows; _ptsz over plain when asked */
		if (!best || p->since > best->since || (p->ptsz && p->since == best->since))
			best = p;
	}
	if (status)
		*status = best ? CU_GET_PROC_ADDRESS_SUCCESS :
			  known ? CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT :
				  CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
	if (!best)
		return CUDA_ERROR_NOT_FOUND;
	*pfn = best->fn;
	return CUDA_SUCCESS;
}

EXPORT CUresult cuGetProcAddress(const char *symbol, void **pfn, int version,
				 cuuint64_t flags)
{
	return lookup(symbol, pfn, version, flags, NULL);
}

EXPORT CUresult cuGetProcAddress_v2(const char *symbol, void **pfn, int version,
				    cuuint64_t flags, CUdriverProcAddressQueryResult *status)
{
	return lookup(symbol, pfn, version, flags, status);
}

EXPORT CUresult standin_live(int dev, unsigned long long *bytes, unsigned int *count)
{
	unsigned int n = 0;

	if (!bytes || !count || dev < -1 || dev >= MAX_DEVICES)
		return CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nobjs; i++)
		if (objs[i].dev == dev && objs[i].size &&
		    (dev >= 0) == (objs[i].kind != K_HOST))
			n++;
	*bytes = dev < 0 ? host_used : used[dev];
	*count = n;
	pthread_mutex_unlock(&lock);
	return CUDA_SUCCESS;
}

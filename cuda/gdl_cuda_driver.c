// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gdl_cuda_driver.c - getting in: the real driver, dlsym, cuGetProcAddress
 *
 * The real driver is loaded once, explicitly: dlopen($GDL_CUDA_DRIVER), else
 * dlopen("libcuda.so.1") (the loader's usual places).  This library does not
 * carry libcuda's SONAME, so that dlopen finds NVIDIA's library, never us;
 * a driver whose entries turn out to be ours is refused (no recursion).
 *
 * Three ways a program reaches the driver, three ways in:
 *  - linked against libcuda.so.1: LD_PRELOAD puts our exported hooks first;
 *  - dlopen("libcuda.so.1") + dlsym(): we export dlsym; it asks glibc's, and
 *    when the answer is a hooked driver entry, returns the hook instead;
 *  - cuGetProcAddress(_v2) (the CUDA runtime's way): the driver resolves the
 *    name, version and flags as always; if its answer is the entry of a
 *    hooked function (whichever variant: _v2, _ptsz, v1), we return that
 *    function's hook.  Everything else is the driver's own address: no cost
 *    on kernel launches.  Matching by address, not by name, means the
 *    driver's choice of variant is never second-guessed.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gdl_cuda.h"

void *gdl_real[GDL_OP_COUNT];

#define HOOK_CHARGE(n) (void *)&n
#define HOOK_RELEASE(n) (void *)&n
#define HOOK_TRACK(n) (void *)&n
#define HOOK_INFO(n) (void *)&n
#define HOOK_ENTRY(n) (void *)&n
#define HOOK_PASS(n) NULL
static void *const hooks[GDL_OP_COUNT] = {
#define GDL_CUDA_OP(name, how, why) [GDL_OP_##name] = HOOK_##how(name),
#include "gdl_cuda_ops.h"
#undef GDL_CUDA_OP
};
static const char *const names[GDL_OP_COUNT] = {
#define GDL_CUDA_OP(name, how, why) [GDL_OP_##name] = #name,
#include "gdl_cuda_ops.h"
#undef GDL_CUDA_OP
};

static void *(*real_dlsym)(void *, const char *);
static void *driver;
int gdl_driver_state;	/* 0 not tried, 1 ready, -1 failed */
/* Asked on every allocation (which device?): looked up once, not per call. */
CUresult (*gdl_ctx_get_device)(CUdevice *);
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int tracing = -1;

void gdl_trace(const char *fmt, ...)
{
	va_list ap;

	if (tracing < 0)
		tracing = getenv("GDL_CUDA_TRACE") && *getenv("GDL_CUDA_TRACE");
	if (!tracing)
		return;
	va_start(ap, fmt);
	flockfile(stderr);
	fputs("gdl-cuda: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
	va_end(ap);
}

/*
 * glibc's own dlsym, found by version so that ours is never called back.
 * Known limit: a sanitizer runtime preloaded AHEAD of this library (ASan)
 * calls dlsym while it starts, before this lookup can succeed; it then gets
 * NULL and stops.  Preload the interposer first, or not under ASan.
 */
static void find_real_dlsym(void)
{
	if (real_dlsym)
		return;
	real_dlsym = (void *(*)(void *, const char *))dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.34");
	if (!real_dlsym)
		real_dlsym = (void *(*)(void *, const char *))dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.2.5");
}

static void load(void)
{
	const char *path = getenv("GDL_CUDA_DRIVER");
	Dl_info self, other;

	find_real_dlsym();
	if (!path || !*path)
		path = "libcuda.so.1";
	driver = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
	if (!driver || !real_dlsym) {
		fprintf(stderr, "gdl-cuda: cannot load the CUDA driver %s: %s\n", path, dlerror());
		gdl_driver_state = -1;
		return;
	}
	if (!dladdr((void *)load, &self))
		self.dli_fbase = NULL;
	for (int i = 0; i < GDL_OP_COUNT; i++) {
		if (!hooks[i])
			continue;
		gdl_real[i] = real_dlsym(driver, names[i]);
		if (gdl_real[i] && dladdr(gdl_real[i], &other) && other.dli_fbase == self.dli_fbase) {
			fprintf(stderr, "gdl-cuda: %s resolves to this interposer, not a driver: refusing\n", path);
			memset(gdl_real, 0, sizeof(gdl_real));
			gdl_driver_state = -1;
			return;
		}
	}
	gdl_ctx_get_device = (CUresult (*)(CUdevice *))real_dlsym(driver, "cuCtxGetDevice");
	__atomic_store_n(&gdl_driver_state, 1, __ATOMIC_RELEASE);
	gdl_trace("driver %s loaded", path);
}

int gdl_driver_load(void)
{
	pthread_once(&once, load);
	return gdl_driver_state == 1 ? 0 : -1;
}

void *gdl_driver_sym(const char *name)
{
	return gdl_driver_ready() ? NULL : real_dlsym(driver, name);
}

void *gdl_hook_for(void *entry)
{
	if (!entry || gdl_driver_ready())
		return entry;
	for (int i = 0; i < GDL_OP_COUNT; i++)
		if (hooks[i] && gdl_real[i] == entry)
			return hooks[i];
	return entry;
}

static int hooked_name(const char *name)
{
	for (int i = 0; i < GDL_OP_COUNT; i++)
		if (hooks[i] && !strcmp(names[i], name))
			return 1;
	return 0;
}

/*
 * Caveat: dlsym(RTLD_NEXT, ...) is answered as if asked from this library
 * (glibc decides "next" by the caller's address).  The two differ only for
 * symbols defined by objects loaded between the caller and us.
 */
GDL_HOOK void *dlsym(void *handle, const char *name)
{
	void *p;

	find_real_dlsym();
	if (!real_dlsym)
		return NULL;	/* glibc's not found yet (see find_real_dlsym) */
	p = real_dlsym(handle, name);
	/* Only CUDA programs ever load the driver: gate on our names. */
	if (!p || name[0] != 'c' || name[1] != 'u' || !hooked_name(name))
		return p;
	return gdl_hook_for(p);
}

static void trace_lookup(const char *symbol, int version, cuuint64_t flags,
			 void *real, void *given)
{
	Dl_info di;

	if (!tracing)
		return;
	if (!real || !dladdr(real, &di) || !di.dli_sname)
		di.dli_sname = "?";
	gdl_trace("lookup %s v=%d f=%llu -> %s %s", symbol, version,
		  (unsigned long long)flags, given != real ? "hook" : "real",
		  di.dli_sname);
}

GDL_HOOK CUresult cuGetProcAddress(const char *symbol, void **pfn,
				   int cudaVersion, cuuint64_t flags)
{
	CUresult r;

	if (gdl_driver_ready() || !REAL(cuGetProcAddress))
		return CUDA_ERROR_NOT_INITIALIZED;
	r = REAL(cuGetProcAddress)(symbol, pfn, cudaVersion, flags);
	if (r == CUDA_SUCCESS && pfn) {
		void *real = *pfn;

		*pfn = gdl_hook_for(real);
		trace_lookup(symbol, cudaVersion, flags, real, *pfn);
	}
	return r;
}

GDL_HOOK CUresult cuGetProcAddress_v2(const char *symbol, void **pfn,
				      int cudaVersion, cuuint64_t flags,
				      CUdriverProcAddressQueryResult *status)
{
	CUresult r;

	if (gdl_driver_ready() || !REAL(cuGetProcAddress_v2))
		return CUDA_ERROR_NOT_INITIALIZED;
	r = REAL(cuGetProcAddress_v2)(symbol, pfn, cudaVersion, flags, status);
	if (r == CUDA_SUCCESS && pfn) {
		void *real = *pfn;

		*pfn = gdl_hook_for(real);
		trace_lookup(symbol, cudaVersion, flags, real, *pfn);
	}
	return r;
}

static void child_after_fork(void)
{
	gdl_backend_after_fork();
	gdl_device_after_fork();
	gdl_ledger_after_fork();
}

__attribute__((constructor)) static void gdl_cuda_init(void)
{
	pthread_atfork(NULL, NULL, child_after_fork);
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cuda_paths.c - allocate through every way a program reaches the driver
 *
 *   cuda_paths MODE ROOM [hold]
 *     Fills exactly ROOM bytes of device 0 through MODE, in four pieces
 *     (ROOM/2, ROOM/4, ROOM/4 - U, U; U is the mode's unit), asks for one
 *     unit more, frees the last piece and asks for it again, then prints
 *       MODE fill=R,R,R,R over=R refill=R total=T free=F live=L
 *     (R: CUresults; T, F: cuMemGetInfo_v2 after the fill; L: bytes the
 *     driver holds on device 0).  Under the interposer with ROOM = the
 *     agent's quota: fill all 0, over 2 (OUT_OF_MEMORY), refill 0, T = ROOM,
 *     F = 0.  "hold": then print HOLD and wait to be killed, memory held;
 *     else free everything and print FREED live=L.
 *   cuda_paths info
 *     prints "info total=T free=F" (cuMemGetInfo_v2), allocating nothing.
 *   cuda_paths fork ROOM
 *     allocates ROOM/2, forks; the child allocates ROOM/2 (0) and 1 byte
 *     more (2: one quota) and exits holding them; then the parent allocates
 *     ROOM/2 again (0 only if the child's charges left with the child, i.e.
 *     the child had its own connection).  Prints "fork child=R,R parent=R".
 *   cuda_paths threads ROOM
 *     8 threads, each 2000 rounds of allocate/free through a mix of modes
 *     at once, each holding at most ROOM/8; prints "threads errors=N
 *     live=L" (N: calls that failed; L must end 0) - the thread-safe ledger.
 *   cuda_paths random SEED STEPS ROOM
 *     A random mix of allocations and frees over every mode, refusals
 *     ignored, then prints "random live=L count=N" and HOLD, and waits.
 *   cuda_paths races
 *     (stand-in run with GDL_STANDIN_REUSE=1 GDL_STANDIN_FREE_DELAY_US)
 *     A thread releases a handle (or unmaps a VA) while another, in the
 *     driver's delay after the release, makes a handle that gets the same
 *     value (or maps another handle at the same VA, or gets the value of
 *     the handle whose last mapping went); prints "races release=C,L
 *     unmap=C,L unmapreuse=C,L" (C: bytes charged, from cuMemGetInfo_v2; L:
 *     bytes the driver holds): each C must equal its L.
 *   cuda_paths precuinit
 *     cuMemCreate before cuInit, then cuInit and cuMemAlloc_v2 of 1 MiB:
 *     prints "precuinit create=R alloc=R charged=C" (create: the driver's
 *     own error, 3; alloc 0 and charged 1 MiB: nothing cached from before).
 *   cuda_paths pitch WIDTH HEIGHT
 *     cuMemAllocPitch_v2; prints "pitch r=R pitch=P charged=C live=L".
 *
 * MODE: linked (cuMemAlloc_v2 called directly), dlsym (dlopen
 * "libcuda.so.1" + dlsym), procaddr (cuGetProcAddress "cuMemAlloc", found
 * itself through cuGetProcAddress), ptsz (cuGetProcAddress with the
 * per-thread-stream flag: cuMemAllocAsync_ptsz), async, pool, pool_ptsz,
 * pitch, managed, vmm (cuMemCreate + map, handle released while mapped),
 * array, array3d, mipmap, graph (memory alloc nodes), graphnode (the same
 * through cuGraphAddNode), host (pinned host
 * memory: not charged, so "over" succeeds).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cuda_standin.h"

#define MIB (1ull << 20)

typedef CUresult (*alloc_fn)(CUdeviceptr *, size_t);
typedef CUresult (*free_fn)(CUdeviceptr);
typedef CUresult (*async_fn)(CUdeviceptr *, size_t, CUstream);
typedef CUresult (*pool_fn)(CUdeviceptr *, size_t, CUmemoryPool, CUstream);
typedef CUresult (*free_async_fn)(CUdeviceptr, CUstream);
typedef CUresult (*gpa_fn)(const char *, void **, int, cuuint64_t);

struct item {
	int mode;
	uint64_t a, b;	/* pointer/handle, and a second one (VMM: the VA) */
	uint64_t size;
};

enum mode { LINKED, DLSYM, PROCADDR, PTSZ, ASYNC, POOL, POOL_PTSZ, PITCH, MANAGED,
	    VMM, ARRAY, ARRAY3D, MIPMAP, GRAPH, GRAPH_NODE, HOST, NMODES };
static const char *const mode_names[NMODES] = {
	"linked", "dlsym", "procaddr", "ptsz", "async", "pool", "pool_ptsz", "pitch",
	"managed", "vmm", "array", "array3d", "mipmap", "graph", "graphnode", "host",
};
/* The smallest size each mode can allocate exactly. */
static const uint64_t unit[NMODES] = { [PITCH] = 512, [VMM] = 2 * MIB, [ARRAY3D] = 4 };

static alloc_fn dl_alloc, pa_alloc;
static free_fn dl_free, pa_free;
static async_fn ptsz_alloc;
static pool_fn ptsz_pool_alloc;
static free_async_fn ptsz_free;
static CUmemoryPool pool;
static CUgraph graph;

static void die(const char *what, CUresult r)
{
	fprintf(stderr, "cuda_paths: %s: %d\n", what, r);
	exit(1);
}

static void *lookup(gpa_fn gpa, const char *sym, cuuint64_t flags)
{
	void *p = NULL;
	CUresult r = gpa(sym, &p, 12020, flags);

	if (r || !p)
		die(sym, r ? r : -1);
	return p;
}

static void setup(void)
{
	CUmemPoolProps pp = { .allocType = CU_MEM_ALLOCATION_TYPE_PINNED,
			      .location = { CU_MEM_LOCATION_TYPE_DEVICE, 0 } };
	void *h = dlopen("libcuda.so.1", RTLD_NOW);
	gpa_fn gpa, gpa2;
	CUcontext ctx;
	CUresult r;

	if ((r = cuInit(0)) || (r = cuCtxCreate_v2(&ctx, 0, 0)))
		die("init", r);
	if (!h)
		die(dlerror(), -1);
	dl_alloc = (alloc_fn)dlsym(h, "cuMemAlloc_v2");
	dl_free = (free_fn)dlsym(h, "cuMemFree_v2");
	/* The runtime's way: cuGetProcAddress from dlsym, then itself through itself. */
	gpa = (gpa_fn)dlsym(h, "cuGetProcAddress");
	if (!dl_alloc || !dl_free || !gpa)
		die("dlsym", -1);
	gpa2 = (gpa_fn)lookup(gpa, "cuGetProcAddress", 0);
	if (gpa2 != gpa && gpa2 != (gpa_fn)dlsym(h, "cuGetProcAddress_v2"))
		die("cuGetProcAddress through itself", -1);
	pa_alloc = (alloc_fn)lookup(gpa, "cuMemAlloc", 0);
	pa_free = (free_fn)lookup(gpa, "cuMemFree", 0);
	ptsz_alloc = (async_fn)lookup(gpa, "cuMemAllocAsync", CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM);
	ptsz_pool_alloc = (pool_fn)lookup(gpa, "cuMemAllocFromPoolAsync", CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM);
	ptsz_free = (free_async_fn)lookup(gpa, "cuMemFreeAsync", CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM);
	if ((r = cuMemPoolCreate(&pool, &pp)) || (r = cuGraphCreate(&graph, 0)))
		die("pool/graph", r);
}

static CUresult do_alloc(struct item *it, int mode, uint64_t size)
{
	CUmemAllocationProp prop = { .type = CU_MEM_ALLOCATION_TYPE_PINNED,
				     .location = { CU_MEM_LOCATION_TYPE_DEVICE, 0 } };
	CUDA_ARRAY_DESCRIPTOR ad = { .Width = size, .Format = CU_AD_FORMAT_UNSIGNED_INT8, .NumChannels = 1 };
	CUDA_ARRAY3D_DESCRIPTOR a3 = { .Width = size / 4, .Height = 1, .Depth = 1,
				       .Format = CU_AD_FORMAT_FLOAT, .NumChannels = 1 };
	CUDA_ARRAY3D_DESCRIPTOR mm = { .Width = size, .Format = CU_AD_FORMAT_UNSIGNED_INT8, .NumChannels = 1 };
	CUDA_MEM_ALLOC_NODE_PARAMS np = { .poolProps = { .allocType = CU_MEM_ALLOCATION_TYPE_PINNED,
							 .location = { CU_MEM_LOCATION_TYPE_DEVICE, 0 } },
					  .bytesize = size };
	CUgraphNodeParams gp;
	CUstream s = (CUstream)0x5;
	CUdeviceptr p = 0;
	CUmemGenericAllocationHandle h = 0, h2 = 0;
	size_t pitch;
	CUresult r;

	*it = (struct item){ .mode = mode, .size = size };
	switch (mode) {
	case LINKED: r = cuMemAlloc_v2(&p, size); break;
	case DLSYM: r = dl_alloc(&p, size); break;
	case PROCADDR: r = pa_alloc(&p, size); break;
	case PTSZ: r = ptsz_alloc(&p, size, s); break;
	case ASYNC: r = cuMemAllocAsync(&p, size, s); break;
	case POOL: r = cuMemAllocFromPoolAsync(&p, size, pool, s); break;
	case POOL_PTSZ: r = ptsz_pool_alloc(&p, size, pool, s); break;
	case PITCH: r = cuMemAllocPitch_v2(&p, &pitch, 512, size / 512, 4); break;
	case MANAGED: r = cuMemAllocManaged(&p, size, CU_MEM_ATTACH_GLOBAL); break;
	case VMM:
		r = cuMemCreate(&h, size, &prop, 0);
		if (r)
			break;
		if (cuMemAddressReserve(&p, size, 0, 0, 0) || cuMemMap(p, size, 0, h, 0))
			die("reserve/map", -1);
		/* An extra reference, dropped at once: the count must hold. */
		if (cuMemRetainAllocationHandle(&h2, (void *)(uintptr_t)p) || h2 != h ||
		    cuMemRelease(h2))
			die("retain", -1);
		/* Released while mapped: the mapping keeps the memory (and the charge). */
		if (cuMemRelease(h))
			die("release", -1);
		it->b = p;
		break;
	case ARRAY: r = cuArrayCreate_v2((CUarray *)&p, &ad); break;
	case ARRAY3D: r = cuArray3DCreate_v2((CUarray *)&p, &a3); break;
	case MIPMAP: r = cuMipmappedArrayCreate((CUmipmappedArray *)&p, &mm, 1); break;
	case GRAPH: r = cuGraphAddMemAllocNode((CUgraphNode *)&p, graph, NULL, 0, &np); break;
	case GRAPH_NODE:
		gp = (CUgraphNodeParams){ .type = CU_GRAPH_NODE_TYPE_MEM_ALLOC, .alloc = np };
		r = cuGraphAddNode((CUgraphNode *)&p, graph, NULL, 0, &gp);
		break;
	case HOST: r = cuMemAllocHost_v2((void **)&p, size); break;
	default: r = CUDA_ERROR_INVALID_VALUE;
	}
	it->a = p;
	return r;
}

static CUresult do_free(struct item *it)
{
	CUstream s = (CUstream)0x5;

	switch (it->mode) {
	case LINKED: case PITCH: case MANAGED: return cuMemFree_v2(it->a);
	case DLSYM: return dl_free(it->a);
	case PROCADDR: return pa_free(it->a);
	case PTSZ: case POOL_PTSZ: return ptsz_free(it->a, s);
	case ASYNC: case POOL: return cuMemFreeAsync(it->a, s);
	case VMM:
		if (cuMemUnmap(it->b, it->size))
			return CUDA_ERROR_INVALID_VALUE;
		return cuMemAddressFree(it->b, it->size);
	case ARRAY: case ARRAY3D: return cuArrayDestroy((CUarray)(uintptr_t)it->a);
	case MIPMAP: return cuMipmappedArrayDestroy((CUmipmappedArray)(uintptr_t)it->a);
	case GRAPH:
	case GRAPH_NODE: return cuGraphDestroyNode((CUgraphNode)(uintptr_t)it->a);
	case HOST: return cuMemFreeHost((void *)(uintptr_t)it->a);
	}
	return CUDA_ERROR_INVALID_VALUE;
}

static unsigned long long live(void)
{
	unsigned long long b = 0;
	unsigned int n = 0;

	standin_live(0, &b, &n);
	return b;
}

static void hold(void)
{
	printf("HOLD\n");
	fflush(stdout);
	for (;;)
		pause();
}

static int fill(int mode, uint64_t room, int keep)
{
	uint64_t u = unit[mode] ? unit[mode] : 1;
	uint64_t sizes[4] = { room / 2, room / 4, room / 4 - u, u };
	struct item items[4], extra;
	CUresult r[4], over, refill;
	size_t total = 0, free_b = 0;

	for (int i = 0; i < 4; i++)
		r[i] = do_alloc(&items[i], mode, sizes[i]);
	if (cuMemGetInfo_v2(&free_b, &total))
		total = free_b = 0;
	over = do_alloc(&extra, mode, u);
	if (over == CUDA_SUCCESS)
		do_free(&extra);
	if (r[3] == CUDA_SUCCESS && do_free(&items[3]))
		die("free", -1);
	refill = do_alloc(&items[3], mode, u);
	printf("%s fill=%d,%d,%d,%d over=%d refill=%d total=%zu free=%zu live=%llu\n",
	       mode_names[mode], r[0], r[1], r[2], r[3], over, refill, total, free_b, live());
	fflush(stdout);
	if (keep)
		hold();
	for (int i = 0; i < 4; i++)
		if ((i == 3 ? refill : r[i]) == CUDA_SUCCESS && do_free(&items[i]))
			die("free", -1);
	printf("FREED live=%llu\n", live());
	return 0;
}

static uint64_t thread_room;
static int thread_errors;

static void *thread_main(void *arg)
{
	static const int modes[] = { LINKED, DLSYM, PROCADDR, PTSZ, POOL, VMM, ARRAY, GRAPH };
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	CUcontext ctx;
	int errors = 0;

	if (cuCtxCreate_v2(&ctx, 0, 0))
		return (void *)1;
	for (int i = 0; i < 2000; i++) {
		int mode = modes[rand_r(&seed) % 8];
		uint64_t size = mode == VMM ? 2 * MIB : thread_room / 2 + (uint64_t)(rand_r(&seed) % 1024) * 4;
		struct item it;

		if (do_alloc(&it, mode, size) != CUDA_SUCCESS || do_free(&it) != CUDA_SUCCESS)
			errors++;
	}
	__atomic_add_fetch(&thread_errors, errors, __ATOMIC_RELAXED);
	return NULL;
}

static int threads(uint64_t room)
{
	pthread_t t[8];

	thread_room = room / 8;
	for (uintptr_t i = 0; i < 8; i++)
		if (pthread_create(&t[i], NULL, thread_main, (void *)(i + 1)))
			die("pthread_create", -1);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	printf("threads errors=%d live=%llu\n", thread_errors, live());
	return 0;
}

static int random_mix(unsigned int seed, int steps, uint64_t room)
{
	struct item *items = calloc((size_t)steps, sizeof(*items));
	int n = 0;

	if (!items)
		return 1;
	srand(seed);
	for (int s = 0; s < steps; s++) {
		if (n && rand() % 3 == 0) {
			int i = rand() % n;

			if (do_free(&items[i]))
				die("random free", -1);
			items[i] = items[--n];
			continue;
		}
		int mode = rand() % HOST;	/* every device-memory mode */
		uint64_t u = unit[mode] ? unit[mode] : 1;
		uint64_t size = mode == VMM ? (uint64_t)(1 + rand() % 3) * u :
				(1 + (uint64_t)rand() % (room / 8 / u)) * u;

		if (do_alloc(&items[n], mode, size) == CUDA_SUCCESS)
			n++;
	}
	printf("random live=%llu count=%d\n", live(), n);
	fflush(stdout);
	hold();
	return 0;
}

/* Bytes charged to the caller's agent: the quota less what cuMemGetInfo_v2 says is free. */
static unsigned long long charged(void)
{
	size_t f = 0, t = 0;

	if (cuMemGetInfo_v2(&f, &t))
		die("cuMemGetInfo_v2", -1);
	return (unsigned long long)(t - f);
}

static const CUmemAllocationProp vmm_prop = { .type = CU_MEM_ALLOCATION_TYPE_PINNED,
					      .location = { CU_MEM_LOCATION_TYPE_DEVICE, 0 } };
static CUmemGenericAllocationHandle race_handle;
static CUdeviceptr race_va;

/* The other thread: inside the driver's delay after the first one's release. */
static void *race_create(void *arg)
{
	CUcontext ctx;

	(void)arg;
	if (cuCtxCreate_v2(&ctx, 0, 0))
		die("race ctx", -1);
	usleep(20000);
	if (cuMemCreate(&race_handle, 4 * MIB, &vmm_prop, 0))
		die("race create", -1);
	return NULL;
}

static void *race_map(void *arg)
{
	CUcontext ctx;

	if (cuCtxCreate_v2(&ctx, 0, 0))
		die("race ctx", -1);
	usleep(20000);
	if (cuMemMap(race_va, 2 * MIB, 0, (CUmemGenericAllocationHandle)(uintptr_t)arg, 0))
		die("race map", -1);
	return NULL;
}

static int races(void)
{
	CUmemGenericAllocationHandle a, h1, h2;
	unsigned long long release_c, release_l, unmap_c, unmap_l;
	pthread_t t;

	/* cuMemRelease: B's new handle has A's old value. */
	if (cuMemCreate(&a, 4 * MIB, &vmm_prop, 0) || pthread_create(&t, NULL, race_create, NULL))
		die("release race setup", -1);
	if (cuMemRelease(a))
		die("release", -1);
	pthread_join(t, NULL);
	if (race_handle != a)
		die("the stand-in did not reuse the handle (GDL_STANDIN_REUSE=1?)", -1);
	release_c = charged();
	release_l = live();
	if (cuMemRelease(race_handle))
		die("release B", -1);

	/* cuMemUnmap: B maps h2 where A's h1 was, h1's last reference that mapping. */
	if (cuMemCreate(&h1, 2 * MIB, &vmm_prop, 0) || cuMemCreate(&h2, 6 * MIB, &vmm_prop, 0) ||
	    cuMemAddressReserve(&race_va, 2 * MIB, 0, 0, 0) || cuMemMap(race_va, 2 * MIB, 0, h1, 0) ||
	    cuMemRelease(h1))
		die("unmap race setup", -1);
	if (pthread_create(&t, NULL, race_map, (void *)(uintptr_t)h2))
		die("pthread_create", -1);
	if (cuMemUnmap(race_va, 2 * MIB))
		die("unmap", -1);
	pthread_join(t, NULL);
	if (cuMemRelease(h2))	/* still mapped: the memory and its charge stay */
		die("release h2", -1);
	unmap_c = charged();
	unmap_l = live();
	if (cuMemUnmap(race_va, 2 * MIB))
		die("unmap h2", -1);

	/* cuMemUnmap of a released handle's last mapping: B's new handle has its value. */
	if (cuMemCreate(&h1, 2 * MIB, &vmm_prop, 0) || cuMemMap(race_va, 2 * MIB, 0, h1, 0) ||
	    cuMemRelease(h1) || pthread_create(&t, NULL, race_create, NULL))
		die("unmap reuse setup", -1);
	if (cuMemUnmap(race_va, 2 * MIB))
		die("unmap", -1);
	pthread_join(t, NULL);
	if (race_handle != h1)
		die("the stand-in did not reuse the unmapped handle", -1);
	printf("races release=%llu,%llu unmap=%llu,%llu unmapreuse=%llu,%llu\n", release_c, release_l,
	       unmap_c, unmap_l, charged(), live());
	if (cuMemRelease(race_handle))
		die("release B", -1);
	return 0;
}

/* Before cuInit the driver can name no device: nothing about one may stick. */
static int pre_cuinit(void)
{
	CUmemGenericAllocationHandle h;
	CUdeviceptr p;
	CUcontext ctx;
	CUresult create = cuMemCreate(&h, 2 * MIB, &vmm_prop, 0), alloc;

	if (cuInit(0) || cuCtxCreate_v2(&ctx, 0, 0))
		die("init", -1);
	alloc = cuMemAlloc_v2(&p, MIB);
	printf("precuinit create=%d alloc=%d charged=%llu\n", create, alloc, charged());
	return 0;
}

static int pitch_one(size_t width, size_t height)
{
	CUdeviceptr p = 0;
	size_t pitch = 0;
	CUresult r = cuMemAllocPitch_v2(&p, &pitch, width, height, 4);

	printf("pitch r=%d pitch=%zu charged=%llu live=%llu\n", r, r ? 0 : pitch, charged(), live());
	return 0;
}

static int fork_check(uint64_t room)
{
	CUdeviceptr a, b, c;
	CUresult r0, r1, r2;
	int status;
	pid_t pid;

	if (cuMemAlloc_v2(&a, room / 2))
		die("parent alloc", -1);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		r0 = cuMemAlloc_v2(&b, room / 2);
		r1 = cuMemAlloc_v2(&c, 1);
		_exit((r0 & 0xf) << 4 | (r1 & 0xf));
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		die("fork", -1);
	r2 = cuMemAlloc_v2(&b, room / 2);
	printf("fork child=%d,%d parent=%d\n", WEXITSTATUS(status) >> 4,
	       WEXITSTATUS(status) & 0xf, r2);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "info")) {
		size_t f = 0, t = 0;

		setup();
		if (cuMemGetInfo_v2(&f, &t))
			die("cuMemGetInfo_v2", -1);
		printf("info total=%zu free=%zu\n", t, f);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "threads")) {
		setup();
		return threads(strtoull(argv[2], NULL, 0));
	}
	if (argc == 3 && !strcmp(argv[1], "fork")) {
		setup();
		return fork_check(strtoull(argv[2], NULL, 0));
	}
	if (argc == 2 && !strcmp(argv[1], "races")) {
		setup();
		return races();
	}
	if (argc == 2 && !strcmp(argv[1], "precuinit"))
		return pre_cuinit();
	if (argc == 4 && !strcmp(argv[1], "pitch")) {
		setup();
		return pitch_one(strtoull(argv[2], NULL, 0), strtoull(argv[3], NULL, 0));
	}
	if (argc >= 5 && !strcmp(argv[1], "random")) {
		setup();
		return random_mix((unsigned int)strtoul(argv[2], NULL, 0), atoi(argv[3]),
				  strtoull(argv[4], NULL, 0));
	}
	if (argc < 3) {
		fprintf(stderr, "usage: cuda_paths MODE ROOM [hold] | random SEED STEPS ROOM\n");
		return 2;
	}
	for (int m = 0; m < NMODES; m++) {
		if (strcmp(argv[1], mode_names[m]))
			continue;
		setup();
		return fill(m, strtoull(argv[2], NULL, 0), argc > 3 && !strcmp(argv[3], "hold"));
	}
	fprintf(stderr, "cuda_paths: unknown mode %s\n", argv[1]);
	return 2;
}

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * gdl_cuda_ops.h - every memory function of the CUDA driver API, once
 *
 * The one list the interposer (cuda/), the eBPF probes (bpf/gdl_cuda.bpf.c
 * through GDL_CUDA_PROBE_*), the documentation (docs/cuda.md) and the
 * real-library test (test/cuda/real-libcuda.sh) all read.  No second list is
 * kept by hand: the test checks that every memory function NVIDIA's
 * libcuda.so.1 exports appears here, and that docs/cuda.md names each one.
 *
 *   GDL_CUDA_OP(name, how, why)
 *     name  the exported symbol, exactly
 *     how   CHARGE   hooked: charged to the agent before the driver is asked
 *           RELEASE  hooked: gives a charge back after the driver freed
 *           TRACK    hooked: changes an allocation's lifetime (mappings,
 *                    extra references) without charging
 *           INFO     hooked: answers with the agent's quota (memory info)
 *           ENTRY    hooked: a way in (lookups hand out the hooks)
 *           PASS     not hooked: the driver's own entry, untouched
 *     why   one line for docs/cuda.md: what happens, or why nothing does
 *
 * A user of the list defines GDL_CUDA_OP (and the how-tokens it needs) and
 * includes this file; GDL_CUDA_IS_HOOKED(how) is 1 for every token but PASS.
 *
 *   GDL_CUDA_PROBE(name, op, layout)   (bpf/gdl_cuda.bpf.c)
 *     the listed functions the eBPF uprobes observe: @op is the enum
 *     gdl_cuda_op value the event carries, @layout where the arguments are
 *     (ALLOC, PITCH, FREE).  Each event op's own function comes from the
 *     event ABI's list (GDL_CUDA_EVENT_OPS in uapi/gdl_events.h, which the
 *     includer has included), and only the variants that report another
 *     function's op (_ptsz, pools) are listed here.  Each entry becomes one
 *     uprobe program named @name, and the loader attaches every uprobe
 *     program of the object to the function of its name
 *     (agent/src/events/kernel-source.ts): no second list.
 */
#define GDL_CUDA_HOOKED_CHARGE	1
#define GDL_CUDA_HOOKED_RELEASE	1
#define GDL_CUDA_HOOKED_TRACK	1
#define GDL_CUDA_HOOKED_INFO	1
#define GDL_CUDA_HOOKED_ENTRY	1
#define GDL_CUDA_HOOKED_PASS	0
#define GDL_CUDA_IS_HOOKED(how)	GDL_CUDA_HOOKED_##how

#ifdef GDL_CUDA_OP
/* Plain allocations (current context's device). */
GDL_CUDA_OP(cuMemAlloc_v2, CHARGE, "bytesize, on the current context's device")
GDL_CUDA_OP(cuMemAlloc, CHARGE, "legacy 32-bit entry (cudaVersion < 3020): charged like cuMemAlloc_v2")
GDL_CUDA_OP(cuMemAllocPitch_v2, CHARGE, "pitch x height: first the most the driver may pick (rows rounded up to 512), settled to its answer")
GDL_CUDA_OP(cuMemAllocPitch, CHARGE, "legacy 32-bit entry: as cuMemAllocPitch_v2")
GDL_CUDA_OP(cuMemAllocManaged, CHARGE, "bytesize, to the current device (managed memory may migrate; charged where it starts)")
GDL_CUDA_OP(cuMemFree_v2, RELEASE, "gives back the allocation's charge after the driver freed it")
GDL_CUDA_OP(cuMemFree, RELEASE, "legacy 32-bit entry: as cuMemFree_v2")
/* Stream-ordered allocator and pools: charged per allocation. */
GDL_CUDA_OP(cuMemAllocAsync, CHARGE, "bytesize, per allocation, when the call is made")
GDL_CUDA_OP(cuMemAllocAsync_ptsz, CHARGE, "per-thread default stream variant of cuMemAllocAsync")
GDL_CUDA_OP(cuMemAllocFromPoolAsync, CHARGE, "bytesize, per allocation (the pool's cached, unused memory is not charged)")
GDL_CUDA_OP(cuMemAllocFromPoolAsync_ptsz, CHARGE, "per-thread default stream variant of cuMemAllocFromPoolAsync")
GDL_CUDA_OP(cuMemFreeAsync, RELEASE, "gives the charge back when the free is enqueued")
GDL_CUDA_OP(cuMemFreeAsync_ptsz, RELEASE, "per-thread default stream variant of cuMemFreeAsync")
GDL_CUDA_OP(cuMemPoolCreate, PASS, "a pool holds no charge of its own: its allocations are charged one by one")
GDL_CUDA_OP(cuMemPoolDestroy, PASS, "outstanding allocations stay valid (and charged) until freed")
GDL_CUDA_OP(cuMemPoolTrimTo, PASS, "returns cached memory only, which was never charged")
GDL_CUDA_OP(cuMemPoolSetAttribute, PASS, "release threshold etc.: cache behaviour, not charged")
GDL_CUDA_OP(cuMemPoolGetAttribute, PASS, "reports the pool's real usage, unchanged")
GDL_CUDA_OP(cuMemPoolSetAccess, PASS, "peer access, no memory")
GDL_CUDA_OP(cuMemPoolGetAccess, PASS, "query")
GDL_CUDA_OP(cuMemPoolExportToShareableHandle, PASS, "sharing a pool allocates nothing")
GDL_CUDA_OP(cuMemPoolImportFromShareableHandle, PASS, "the exporting process's allocations carry the charge")
GDL_CUDA_OP(cuMemPoolExportPointer, PASS, "sharing allocates nothing")
GDL_CUDA_OP(cuMemPoolImportPointer, PASS, "memory of the exporting process, charged there")
GDL_CUDA_OP(cuDeviceSetMemPool, PASS, "selects the pool cuMemAllocAsync uses; allocations are charged as made")
GDL_CUDA_OP(cuDeviceGetMemPool, PASS, "query")
GDL_CUDA_OP(cuDeviceGetDefaultMemPool, PASS, "query")
/* Virtual memory management: a physical handle is charged for its life. */
GDL_CUDA_OP(cuMemCreate, CHARGE, "size, when prop->location is a device (host-located handles: reported only)")
GDL_CUDA_OP(cuMemRelease, RELEASE, "drops one reference; the charge goes when no reference or mapping is left")
GDL_CUDA_OP(cuMemMap, TRACK, "a mapping keeps the handle's memory (and charge) alive")
GDL_CUDA_OP(cuMemUnmap, TRACK, "drops the mappings in the range")
GDL_CUDA_OP(cuMemRetainAllocationHandle, TRACK, "one more reference to the handle, released by cuMemRelease")
GDL_CUDA_OP(cuMemImportFromShareableHandle, TRACK, "memory of the exporting process, charged there; references tracked, never charged here")
GDL_CUDA_OP(cuMemExportToShareableHandle, PASS, "sharing allocates nothing")
GDL_CUDA_OP(cuMemAddressReserve, PASS, "virtual address space only, no memory")
GDL_CUDA_OP(cuMemAddressFree, PASS, "virtual address space only")
GDL_CUDA_OP(cuMemSetAccess, PASS, "protection of mapped memory")
GDL_CUDA_OP(cuMemGetAccess, PASS, "query")
GDL_CUDA_OP(cuMemGetAllocationGranularity, PASS, "query")
GDL_CUDA_OP(cuMemGetAllocationPropertiesFromHandle, PASS, "query")
GDL_CUDA_OP(cuMemMapArrayAsync, PASS, "sparse array mapping of already charged handles")
GDL_CUDA_OP(cuMemMapArrayAsync_ptsz, PASS, "per-thread stream variant of cuMemMapArrayAsync")
GDL_CUDA_OP(cuMemGetHandleForAddressRange, PASS, "dma-buf export of existing memory")
/* Arrays. */
GDL_CUDA_OP(cuArrayCreate_v2, CHARGE, "width x height x channels x element size")
GDL_CUDA_OP(cuArrayCreate, CHARGE, "legacy 32-bit descriptor: as cuArrayCreate_v2")
GDL_CUDA_OP(cuArray3DCreate_v2, CHARGE, "width x height x depth x channels x element size (layered: x layers)")
GDL_CUDA_OP(cuArray3DCreate, CHARGE, "legacy 32-bit descriptor: as cuArray3DCreate_v2")
GDL_CUDA_OP(cuArrayDestroy, RELEASE, "gives the array's charge back")
GDL_CUDA_OP(cuMipmappedArrayCreate, CHARGE, "the sum of every level's size")
GDL_CUDA_OP(cuMipmappedArrayDestroy, RELEASE, "gives the mipmapped array's charge back")
GDL_CUDA_OP(cuArrayGetDescriptor_v2, PASS, "query")
GDL_CUDA_OP(cuArrayGetDescriptor, PASS, "query")
GDL_CUDA_OP(cuArray3DGetDescriptor_v2, PASS, "query")
GDL_CUDA_OP(cuArray3DGetDescriptor, PASS, "query")
GDL_CUDA_OP(cuArrayGetMemoryRequirements, PASS, "query")
GDL_CUDA_OP(cuArrayGetPlane, PASS, "a view of an existing array")
GDL_CUDA_OP(cuArrayGetSparseProperties, PASS, "query")
GDL_CUDA_OP(cuMipmappedArrayGetLevel, PASS, "a view of an existing mipmapped array")
GDL_CUDA_OP(cuMipmappedArrayGetMemoryRequirements, PASS, "query")
GDL_CUDA_OP(cuMipmappedArrayGetSparseProperties, PASS, "query")
/* Graph memory nodes: charged for the node's life. */
GDL_CUDA_OP(cuGraphAddMemAllocNode, CHARGE, "bytesize, from the node's creation until the node or its graph is destroyed")
GDL_CUDA_OP(cuGraphAddNode, CHARGE, "a memory-allocation node (CU_GRAPH_NODE_TYPE_MEM_ALLOC): as cuGraphAddMemAllocNode; any other node: the driver's call, nothing else")
GDL_CUDA_OP(cuGraphDestroyNode, RELEASE, "gives back a memory node's charge (other nodes: the driver's call, nothing else)")
GDL_CUDA_OP(cuGraphDestroy, RELEASE, "gives back the charges of the graph's memory nodes")
GDL_CUDA_OP(cuGraphAddMemFreeNode, PASS, "frees at launch what the graph's alloc node holds; the node's charge ends with the node")
GDL_CUDA_OP(cuGraphMemAllocNodeGetParams, PASS, "query")
GDL_CUDA_OP(cuGraphMemFreeNodeGetParams, PASS, "query")
GDL_CUDA_OP(cuDeviceGraphMemTrim, PASS, "returns cached graph memory, never charged")
GDL_CUDA_OP(cuDeviceGetGraphMemAttribute, PASS, "query")
GDL_CUDA_OP(cuDeviceSetGraphMemAttribute, PASS, "resets a high-water mark")
/* Pinned host memory: reported only (see docs/cuda.md). */
GDL_CUDA_OP(cuMemAllocHost_v2, PASS, "pinned host memory: host RAM, which the kernel charges to the memory cgroup; not charged here")
GDL_CUDA_OP(cuMemAllocHost, PASS, "legacy entry of cuMemAllocHost_v2: as it")
GDL_CUDA_OP(cuMemHostAlloc, PASS, "pinned host memory: as cuMemAllocHost_v2")
GDL_CUDA_OP(cuMemFreeHost, PASS, "frees pinned host memory")
GDL_CUDA_OP(cuMemHostRegister_v2, PASS, "pins existing host pages (memory cgroup and RLIMIT_MEMLOCK govern them)")
GDL_CUDA_OP(cuMemHostRegister, PASS, "legacy entry of cuMemHostRegister_v2")
GDL_CUDA_OP(cuMemHostUnregister, PASS, "unpins")
GDL_CUDA_OP(cuMemHostGetDevicePointer_v2, PASS, "a device address of pinned host memory")
GDL_CUDA_OP(cuMemHostGetDevicePointer, PASS, "legacy entry")
GDL_CUDA_OP(cuMemHostGetFlags, PASS, "query")
/* What the program sees. */
GDL_CUDA_OP(cuMemGetInfo_v2, INFO, "total = min(quota, real total), free = min(quota - used, real free)")
GDL_CUDA_OP(cuMemGetInfo, INFO, "legacy 32-bit entry: as cuMemGetInfo_v2, clamped to 32 bits")
GDL_CUDA_OP(cuDeviceTotalMem_v2, INFO, "min(quota, the device's real memory)")
GDL_CUDA_OP(cuDeviceTotalMem, PASS, "legacy 32-bit entry: cannot express a modern device's memory anyway")
/* Memory of other processes or other APIs, charged where it was made. */
GDL_CUDA_OP(cuIpcGetMemHandle, PASS, "export of an allocation already charged")
GDL_CUDA_OP(cuIpcOpenMemHandle_v2, PASS, "maps another process's allocation, charged to that process")
GDL_CUDA_OP(cuIpcOpenMemHandle, PASS, "legacy entry of cuIpcOpenMemHandle_v2")
GDL_CUDA_OP(cuIpcCloseMemHandle, PASS, "unmaps another process's allocation")
GDL_CUDA_OP(cuImportExternalMemory, PASS, "Vulkan/D3D memory, allocated and accounted by that API")
GDL_CUDA_OP(cuExternalMemoryGetMappedBuffer, PASS, "a view of imported external memory")
GDL_CUDA_OP(cuExternalMemoryGetMappedMipmappedArray, PASS, "a view of imported external memory")
GDL_CUDA_OP(cuDestroyExternalMemory, PASS, "releases imported external memory")
GDL_CUDA_OP(cuMulticastCreate, PASS, "a multicast object holds no memory until cuMulticastBindMem")
GDL_CUDA_OP(cuMulticastBindMem, PASS, "binds memory from cuMemCreate, charged there")
GDL_CUDA_OP(cuMulticastBindAddr, PASS, "binds mapped memory, charged at cuMemCreate")
GDL_CUDA_OP(cuMulticastUnbind, PASS, "unbinds")
GDL_CUDA_OP(cuMulticastAddDevice, PASS, "no memory")
GDL_CUDA_OP(cuMulticastGetGranularity, PASS, "query")
/* Queries and hints on existing memory. */
GDL_CUDA_OP(cuMemGetAddressRange_v2, PASS, "query")
GDL_CUDA_OP(cuMemGetAddressRange, PASS, "query")
GDL_CUDA_OP(cuMemGetAttribute_v2, PASS, "query")
GDL_CUDA_OP(cuMemGetAttribute, PASS, "query")
GDL_CUDA_OP(cuMemAdvise, PASS, "a hint on managed memory")
GDL_CUDA_OP(cuMemAdvise_v2, PASS, "a hint on managed memory")
GDL_CUDA_OP(cuMemPrefetchAsync, PASS, "migrates managed memory, already charged")
GDL_CUDA_OP(cuMemPrefetchAsync_ptsz, PASS, "per-thread stream variant")
GDL_CUDA_OP(cuMemPrefetchAsync_v2, PASS, "migrates managed memory, already charged")
GDL_CUDA_OP(cuMemPrefetchAsync_v2_ptsz, PASS, "per-thread stream variant")
GDL_CUDA_OP(cuMemRangeGetAttribute, PASS, "query")
GDL_CUDA_OP(cuMemRangeGetAttributes, PASS, "query")
/* Ways in. */
GDL_CUDA_OP(cuGetProcAddress, ENTRY, "hands out the hook for every hooked entry it resolves, the driver's own entry for the rest")
GDL_CUDA_OP(cuGetProcAddress_v2, ENTRY, "as cuGetProcAddress")
#endif

#ifdef GDL_CUDA_PROBE
#define GDL_CUDA_PROBE_OWN_(op, value, function, args)			\
	GDL_CUDA_PROBE(function, GDL_CUDA_##op, args)
GDL_CUDA_EVENT_OPS(GDL_CUDA_PROBE_OWN_)
#undef GDL_CUDA_PROBE_OWN_
/* Variants: each reports the op of the function it varies. */
GDL_CUDA_PROBE(cuMemAllocAsync_ptsz, GDL_CUDA_MEM_ALLOC_ASYNC, ALLOC)
GDL_CUDA_PROBE(cuMemFreeAsync_ptsz, GDL_CUDA_MEM_FREE_ASYNC, FREE)
GDL_CUDA_PROBE(cuMemAllocFromPoolAsync, GDL_CUDA_MEM_ALLOC_ASYNC, ALLOC)
GDL_CUDA_PROBE(cuMemAllocFromPoolAsync_ptsz, GDL_CUDA_MEM_ALLOC_ASYNC, ALLOC)
#endif

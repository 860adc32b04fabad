/**
 * The agent's names for kmod/include/uapi/gpu_dma_lock.h and the listing
 * structs of kmod/core/gdl_core.h. Every size, offset and number comes from
 * abi.gen.ts, which scripts/gen-abi.ts writes from what the C compiler says
 * (test/unit/abi-generated.test.ts keeps it current); nothing is restated.
 */
import { MACROS } from './abi.gen.ts';
import { defineStruct } from './struct.ts';

export const GDL_DEVICE_PATH: string = `/dev/${MACROS.GDL_DEVICE_NAME}`;
export const GDL_ABI_VERSION: number = MACROS.GDL_ABI_VERSION;
export const GDL_MAX_DEVICES: number = MACROS.GDL_MAX_DEVICES;
/** the device of a record that concerns no one device */
export const GDL_NO_DEVICE: number = MACROS.GDL_NO_DEVICE;

export const GDL_DMA_READ: number = MACROS.GDL_DMA_READ;
export const GDL_DMA_WRITE: number = MACROS.GDL_DMA_WRITE;
export const GDL_DMA_RW: number = MACROS.GDL_DMA_RW;
export const GDL_ALLOC_PERSISTENT: number = MACROS.GDL_ALLOC_PERSISTENT;
export const GDL_CHECK_ALLOWED: number = MACROS.GDL_CHECK_ALLOWED;
export const GDL_DEVICE_PCI: number = MACROS.GDL_DEVICE_PCI;
export const GDL_DEVICE_FAKE: number = MACROS.GDL_DEVICE_FAKE;
export const GDL_CGROUP_PATH_MAX: number = MACROS.GDL_CGROUP_PATH_MAX;

export const GdlInfo = defineStruct('gdl_info');
export const GdlAgentCfg = defineStruct('gdl_agent_cfg');
export const GdlAgentInfo = defineStruct('gdl_agent_info');
export const GdlAgentRef = defineStruct('gdl_agent_ref');
export const GdlAlloc = defineStruct('gdl_alloc');
export const GdlFree = defineStruct('gdl_free');
export const GdlGrant = defineStruct('gdl_grant');
export const GdlCheck = defineStruct('gdl_check');
export const GdlStats = defineStruct('gdl_stats');
export const GdlDeviceInfo = defineStruct('gdl_device_info');
/** The decision record: the tracepoints' argument and the body of an event (event-layouts.ts). */
export const GdlDecision = defineStruct('gdl_decision');
export const GdlCgroupBinding = defineStruct('gdl_cgroup_binding');
export const GdlUidBinding = defineStruct('gdl_uid_binding');
/** The agent socket's frame header (docs/wire.md). */
export const GdlWireHdr = defineStruct('gdl_wire_hdr');

/* gdl_core.h listings, used through libgdlcore.so */
export const GdlCursor = defineStruct('gdl_cursor');
export const GdlAgentView = defineStruct('gdl_agent_view');
export const GdlAllocView = defineStruct('gdl_alloc_view');
export const GdlGrantView = defineStruct('gdl_grant_view');

type Macros = typeof MACROS;
type IocName<K> = K extends `GDL_IOC_${infer N}` ? (N extends 'MAGIC' ? never : N) : never;

/** Every GDL_IOC_* request number, by the name after GDL_IOC_ (Ioc.INFO is GDL_IOC_INFO). */
export const Ioc = Object.fromEntries(Object.entries(MACROS)
  .filter(([k]) => k.startsWith('GDL_IOC_') && k !== 'GDL_IOC_MAGIC')
  .map(([k, v]) => [k.slice('GDL_IOC_'.length), v])) as { readonly [K in keyof Macros as IocName<K>]: number };

/** The payload size a command carries: _IOC_SIZE(cmd). */
export function iocSize(cmd: number): number {
  return (cmd >>> 16) & 0x3fff;
}

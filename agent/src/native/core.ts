/**
 * libgdlcore.so (kmod/user/libgdlcore.h): the module's core logic in this
 * process, for the embedded backend. One GdlCore is one gdlu handle.
 *
 * Pointers to structs are passed as Buffers (koffi hands the buffer's memory
 * to C without a copy) and decoded by the codecs of uapi.ts, so 64-bit
 * values are bigints end to end.
 */
import koffi from 'koffi';
import { existsSync } from 'node:fs';
import { check, GdlError } from '../backends/errors.ts';
import { libgdlcorePath } from '../paths.ts';
import type { StructCodec, StructValue } from './struct.ts';
import {
  GdlAgentInfo, GdlAgentView, GdlAllocView, GdlCursor, GdlDeviceInfo, GdlGrantView, GdlStats,
} from './uapi.ts';

interface CoreLib {
  create(defaultQuota: bigint, maxAgents: number): unknown;
  destroy(h: unknown): void;
  addDevice(h: unknown, capacity: bigint, name: string): number;
  numDevices(h: unknown): number;
  deviceInfo(h: unknown, index: number, out: Buffer): number;
  setAgent(h: unknown, agent: bigint, quota: bigint, mask: bigint): number;
  getAgent(h: unknown, agent: bigint, out: Buffer): number;
  removeAgent(h: unknown, agent: bigint): number;
  alloc(h: unknown, agent: bigint, size: bigint, device: number, flags: number, id: BigUint64Array): number;
  free(h: unknown, id: bigint): number;
  grant(h: unknown, agent: bigint, device: number, addr: bigint, length: bigint, mode: number): number;
  revoke(h: unknown, agent: bigint, device: number, addr: bigint, length: bigint, mode: number): number;
  check(h: unknown, agent: bigint, device: number, addr: bigint, length: bigint, mode: number): number;
  stats(h: unknown, out: Buffer): void;
  listAgents(h: unknown, cur: Buffer, out: Buffer, max: number): number;
  listAllocs(h: unknown, agent: bigint, cur: Buffer, out: Buffer, max: number): number;
  listGrants(h: unknown, agent: bigint, cur: Buffer, out: Buffer, max: number): number;
  eventsEnable(h: unknown, capacity: number): number;
  eventsRead(h: unknown, buf: Buffer, size: number): number;
  eventsLost(h: unknown): bigint | number;
  ownerOpen(h: unknown, pid: number, comm: string, boundAgent: bigint): unknown;
  ownerClose(h: unknown, o: unknown): void;
  allocOwned(h: unknown, o: unknown, agent: bigint, size: bigint, device: number, flags: number, id: BigUint64Array): number;
  freeAs(h: unknown, id: bigint, onlyAgent: bigint): number;
  checkMany(h: unknown, agent: bigint, entries: Buffer, count: number, allowed: Uint32Array): number;
}

let lib: CoreLib | undefined;

function load(): CoreLib {
  if (lib) return lib;
  const path = libgdlcorePath();
  if (!existsSync(path)) {
    throw new Error(`libgdlcore.so not found at ${path}: build it with \`make -C kmod/user lib\` or set GDL_LIBGDLCORE`);
  }
  const so = koffi.load(path);
  const handle = koffi.opaque('gdlu');
  const h = koffi.pointer(handle);
  koffi.alias('gdlu_ptr', h);
  koffi.alias('gdlu_owner_ptr', koffi.pointer(koffi.opaque('gdlu_owner')));
  lib = {
    create: so.func('gdlu_ptr gdlu_create(uint64_t, uint32_t)'),
    destroy: so.func('void gdlu_destroy(gdlu_ptr)'),
    addDevice: so.func('int gdlu_add_device(gdlu_ptr, uint64_t, const char *)'),
    numDevices: so.func('uint32_t gdlu_num_devices(gdlu_ptr)'),
    deviceInfo: so.func('int gdlu_device_info(gdlu_ptr, uint32_t, void *)'),
    setAgent: so.func('int gdlu_set_agent(gdlu_ptr, uint64_t, uint64_t, uint64_t)'),
    getAgent: so.func('int gdlu_get_agent(gdlu_ptr, uint64_t, void *)'),
    removeAgent: so.func('int gdlu_remove_agent(gdlu_ptr, uint64_t)'),
    alloc: so.func('int gdlu_alloc(gdlu_ptr, uint64_t, uint64_t, uint32_t, uint32_t, void *)'),
    free: so.func('int gdlu_free(gdlu_ptr, uint64_t)'),
    grant: so.func('int gdlu_grant(gdlu_ptr, uint64_t, uint32_t, uint64_t, uint64_t, uint32_t)'),
    revoke: so.func('int gdlu_revoke(gdlu_ptr, uint64_t, uint32_t, uint64_t, uint64_t, uint32_t)'),
    check: so.func('int gdlu_check(gdlu_ptr, uint64_t, uint32_t, uint64_t, uint64_t, uint32_t)'),
    stats: so.func('void gdlu_stats(gdlu_ptr, void *)'),
    listAgents: so.func('int gdlu_list_agents(gdlu_ptr, void *, void *, uint32_t)'),
    listAllocs: so.func('int gdlu_list_allocs(gdlu_ptr, uint64_t, void *, void *, uint32_t)'),
    listGrants: so.func('int gdlu_list_grants(gdlu_ptr, uint64_t, void *, void *, uint32_t)'),
    eventsEnable: so.func('int gdlu_events_enable(gdlu_ptr, uint32_t)'),
    eventsRead: so.func('uint32_t gdlu_events_read(gdlu_ptr, void *, uint32_t)'),
    eventsLost: so.func('uint64_t gdlu_events_lost(gdlu_ptr)'),
    ownerOpen: so.func('gdlu_owner_ptr gdlu_owner_open(gdlu_ptr, uint32_t, const char *, uint64_t)'),
    ownerClose: so.func('void gdlu_owner_close(gdlu_ptr, gdlu_owner_ptr)'),
    allocOwned: so.func('int gdlu_alloc_owned(gdlu_ptr, gdlu_owner_ptr, uint64_t, uint64_t, uint32_t, uint32_t, void *)'),
    freeAs: so.func('int gdlu_free_as(gdlu_ptr, uint64_t, uint64_t)'),
    checkMany: so.func('int gdlu_check_many(gdlu_ptr, uint64_t, void *, uint32_t, void *)'),
  } as CoreLib;
  return lib;
}

/** One page of a listing and the cursor to continue from (null at the end). */
export interface NativePage<T> {
  items: T[];
  next: Buffer | null;
}

export class GdlCore {
  private handle: unknown;
  private readonly lib: CoreLib;

  constructor(defaultQuota: bigint, maxAgents: number) {
    this.lib = load();
    this.handle = this.lib.create(defaultQuota, maxAgents);
    if (!this.handle) throw new GdlError('open', 22 /* EINVAL */, 'gdlu_create refused the parameters');
  }

  private get h(): unknown {
    if (!this.handle) throw new GdlError('open', 9 /* EBADF */, 'core destroyed');
    return this.handle;
  }

  destroy(): void {
    if (this.handle) this.lib.destroy(this.handle);
    this.handle = null;
  }

  addDevice(capacity: bigint, name: string): number {
    return check('device', this.lib.addDevice(this.h, capacity, name), name);
  }
  numDevices(): number { return this.lib.numDevices(this.h); }
  device(index: number) {
    const buf = Buffer.alloc(GdlDeviceInfo.size);
    check('device', this.lib.deviceInfo(this.h, index, buf));
    return GdlDeviceInfo.decode(buf);
  }

  setAgent(agent: bigint, quota: bigint, mask: bigint): void {
    check('set_agent', this.lib.setAgent(this.h, agent, quota, mask));
  }
  getAgent(agent: bigint) {
    const buf = Buffer.alloc(GdlAgentInfo.size);
    check('get_agent', this.lib.getAgent(this.h, agent, buf));
    return GdlAgentInfo.decode(buf);
  }
  removeAgent(agent: bigint): void { check('remove_agent', this.lib.removeAgent(this.h, agent)); }

  alloc(agent: bigint, size: bigint, device: number, flags: number): bigint {
    const id = new BigUint64Array(1);
    check('alloc', this.lib.alloc(this.h, agent, size, device, flags, id));
    return id[0]!;
  }
  free(id: bigint): void { check('free', this.lib.free(this.h, id)); }

  grant(agent: bigint, device: number, addr: bigint, length: bigint, mode: number): void {
    check('grant', this.lib.grant(this.h, agent, device, addr, length, mode));
  }
  revoke(agent: bigint, device: number, addr: bigint, length: bigint, mode: number): void {
    check('revoke', this.lib.revoke(this.h, agent, device, addr, length, mode));
  }
  check(agent: bigint, device: number, addr: bigint, length: bigint, mode: number): boolean {
    return check('check', this.lib.check(this.h, agent, device, addr, length, mode)) === 1;
  }

  stats() {
    const buf = Buffer.alloc(GdlStats.size);
    this.lib.stats(this.h, buf);
    return GdlStats.decode(buf);
  }

  private page<F extends Record<string, any>>(
    codec: StructCodec<F>, cursor: Buffer | null, max: number,
    call: (cur: Buffer, out: Buffer) => number,
  ): NativePage<StructValue<F>> {
    const cur = cursor ? Buffer.from(cursor) : Buffer.alloc(GdlCursor.size);
    const out = Buffer.alloc(codec.size * max);
    const n = check('list', call(cur, out));
    const items: StructValue<F>[] = [];
    for (let i = 0; i < n; i++) items.push(codec.decode(out, i * codec.size));
    // A short page is the end: the core copies as many as it has, up to max.
    return { items, next: n < max ? null : cur };
  }

  listAgents(cursor: Buffer | null, max: number) {
    return this.page(GdlAgentView, cursor, max, (c, o) => this.lib.listAgents(this.h, c, o, max));
  }
  listAllocs(agent: bigint, cursor: Buffer | null, max: number) {
    return this.page(GdlAllocView, cursor, max, (c, o) => this.lib.listAllocs(this.h, agent, c, o, max));
  }
  listGrants(agent: bigint, cursor: Buffer | null, max: number) {
    return this.page(GdlGrantView, cursor, max, (c, o) => this.lib.listGrants(this.h, agent, c, o, max));
  }

  eventsEnable(capacity: number): void { check('open', this.lib.eventsEnable(this.h, capacity)); }
  /** Copies whole records into @buf; returns the bytes copied. */
  eventsRead(buf: Buffer): number { return this.lib.eventsRead(this.h, buf, buf.length); }
  eventsLost(): bigint { return BigInt(this.lib.eventsLost(this.h)); }

  /* Owners (one per socket connection): see libgdlcore.h. */

  /** Opens an owner; its non-persistent allocations end with closeOwner(). */
  openOwner(pid: number, comm: string, boundAgent: bigint): CoreOwner {
    const o = this.lib.ownerOpen(this.h, pid, comm, boundAgent);
    if (!o) throw new GdlError('alloc', 12 /* ENOMEM */, 'gdlu_owner_open');
    return { ptr: o };
  }
  closeOwner(owner: CoreOwner): void {
    if (owner.ptr && this.handle) this.lib.ownerClose(this.handle, owner.ptr);
    owner.ptr = null;
  }
  /** Returns the new id, or a negative errno (no throw: the socket answers errnos). */
  allocOwned(owner: CoreOwner, agent: bigint, size: bigint, device: number, flags: number, id: BigUint64Array): number {
    return this.lib.allocOwned(this.h, owner.ptr, agent, size, device, flags, id);
  }
  /** 0 or a negative errno; @onlyAgent nonzero restricts to that agent's allocations. */
  freeAs(id: bigint, onlyAgent: bigint): number {
    return this.lib.freeAs(this.h, id, onlyAgent);
  }
  /** struct gdl_check_entry[count] in @entries, results written back; 0 or a negative errno. */
  checkMany(agent: bigint, entries: Buffer, count: number, allowed: Uint32Array): number {
    return this.lib.checkMany(this.h, agent, entries, count, allowed);
  }
}

/** An owner handle of libgdlcore (null once closed). */
export interface CoreOwner {
  ptr: unknown;
}

/**
 * The embedded backend: the module's core logic (libgdlcore.so) running in
 * the agent's process, with simulated devices. Used where there is no
 * /dev/gpu_dma_lock (development, CI) and forced with --backend embedded.
 *
 * One handle is one owner: non-persistent allocations live as long as the
 * agent process.
 */
import { GdlCore } from '../native/core.ts';
import { GDL_ABI_VERSION, GDL_ALLOC_PERSISTENT, GdlCursor } from '../native/uapi.ts';
import { EmbeddedEventSource } from '../events/embedded-source.ts';
import type { Allocation, AgentState, Backend, BackendInfo, DeviceState, Grant, Page, PageRequest, Stats } from './backend.ts';
import { toAgent, toDevice, toStats } from './convert.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { GdlError } from './errors.ts';
import { BindingTable, type BindingList, type BindingSource } from '../identity/bindings.ts';
import { cgroupId } from '../identity/cgroup.ts';
import { checkCgroupPath } from '../identity/glob.ts';

export interface EmbeddedDevice {
  name: string;
  capacity: bigint;
}

export interface EmbeddedOptions {
  devices: EmbeddedDevice[];
  defaultQuota: bigint;
  maxAgents: number;
  /** records the in-process event ring holds; 0 disables events */
  eventRing: number;
  /** the cgroup2 mount, for cgroup ids of bindings (default /sys/fs/cgroup) */
  cgroupRoot?: string;
}

const LIST_CHUNK = 256;

export class EmbeddedBackend implements Backend {
  readonly kind = 'embedded' as const;
  readonly events: EmbeddedEventSource | null;
  private readonly core: GdlCore;
  private readonly opts: EmbeddedOptions;
  /** cgroup and uid bindings: the embedded core has none, the agent keeps them */
  readonly bindings = new BindingTable();

  constructor(opts: EmbeddedOptions) {
    this.opts = opts;
    this.core = new GdlCore(opts.defaultQuota, opts.maxAgents);
    try {
      for (const d of opts.devices) this.core.addDevice(d.capacity, d.name);
      if (opts.eventRing > 0) this.core.eventsEnable(opts.eventRing);
    } catch (err) {
      this.core.destroy();
      throw err;
    }
    this.events = opts.eventRing > 0 ? new EmbeddedEventSource(this.core) : null;
  }

  info(): BackendInfo {
    return {
      kind: this.kind,
      abiVersion: GDL_ABI_VERSION,
      numDevices: this.core.numDevices(),
      maxAgents: BigInt(this.opts.maxAgents),
      defaultQuota: this.opts.defaultQuota,
    };
  }

  stats(): Stats {
    return toStats(this.core.stats());
  }

  devices(): DeviceState[] {
    const out: DeviceState[] = [];
    for (let i = 0, n = this.core.numDevices(); i < n; i++) out.push(toDevice(this.core.device(i)));
    return out;
  }

  setAgent(agent: bigint, quota: bigint, deviceMask: bigint): void {
    this.core.setAgent(agent, quota, deviceMask);
  }
  getAgent(agent: bigint): AgentState {
    return toAgent(this.core.getAgent(agent));
  }
  removeAgent(agent: bigint): void {
    this.core.removeAgent(agent);
    // As in the module: removing an agent removes its bindings.
    this.bindings.dropAgent(agent);
  }
  listAgents(): AgentState[] {
    const out: AgentState[] = [];
    let cursor: Buffer | null = null;
    do {
      const page = this.core.listAgents(cursor, LIST_CHUNK);
      for (const a of page.items) out.push(toAgent(a));
      cursor = page.next;
    } while (cursor);
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  alloc(agent: bigint, size: bigint, device: number, persistent: boolean): bigint {
    return this.core.alloc(agent, size, device, persistent ? GDL_ALLOC_PERSISTENT : 0);
  }
  free(allocId: bigint): void {
    this.core.free(allocId);
  }

  listAllocations(req: PageRequest): Page<Allocation> {
    const cursor = req.cursor === undefined ? null : decodeCursor(req.cursor, GdlCursor.size);
    const page = this.core.listAllocs(req.agent ?? 0n, cursor, req.limit);
    return {
      items: page.items.map((a) => ({
        id: a.alloc_id,
        agent: a.agent_id,
        size: a.size,
        device: a.device,
        persistent: (a.flags & GDL_ALLOC_PERSISTENT) !== 0,
        ownerPid: a.owner_pid,
      })),
      next: page.next ? encodeCursor(page.next) : null,
    };
  }

  grant(g: Grant): void {
    this.core.grant(g.agent, g.device, g.addr, g.length, g.mode);
  }
  revoke(g: Grant): void {
    this.core.revoke(g.agent, g.device, g.addr, g.length, g.mode);
  }
  listGrants(agent?: bigint): Grant[] {
    const out: Grant[] = [];
    let cursor: Buffer | null = null;
    do {
      const page = this.core.listGrants(agent ?? 0n, cursor, LIST_CHUNK);
      for (const g of page.items) {
        out.push({ agent: g.agent_id, device: g.device, addr: g.start, length: g.length, mode: g.mode });
      }
      cursor = page.next;
    } while (cursor);
    return out;
  }
  check(agent: bigint, device: number, addr: bigint, length: bigint, mode: number): boolean {
    return this.core.check(agent, device, addr, length, mode);
  }

  /** The core itself, for the socket server's per-connection owners. */
  get native(): GdlCore {
    return this.core;
  }

  bindCgroup(path: string, agent: bigint, source: BindingSource = 'api'): bigint {
    try {
      checkCgroupPath(path);
    } catch (err) {
      throw new GdlError('bind', 22 /* EINVAL */, (err as Error).message);
    }
    if (agent === 0n) throw new GdlError('bind', 22 /* EINVAL */, 'agent 0');
    const id = cgroupId(this.opts.cgroupRoot ?? '/sys/fs/cgroup', path);
    if (id === null) throw new GdlError('bind', 2 /* ENOENT */, `no cgroup ${path}`);
    this.bindings.bindCgroup({ path, agent, cgroupId: id, source });
    return id;
  }
  unbindCgroup(path: string): void {
    if (!this.bindings.unbindCgroup(path)) throw new GdlError('unbind', 2 /* ENOENT */, `${path} is not bound`);
  }
  bindUid(uid: number, agent: bigint, source: BindingSource = 'api'): void {
    if (agent === 0n || !Number.isInteger(uid) || uid < 0 || uid > 0xfffffffe) throw new GdlError('bind', 22 /* EINVAL */);
    this.bindings.bindUid({ uid, agent, source });
  }
  unbindUid(uid: number): void {
    if (!this.bindings.unbindUid(uid)) throw new GdlError('unbind', 2 /* ENOENT */, `uid ${uid} is not bound`);
  }
  listBindings(): BindingList {
    return this.bindings.list();
  }

  onReset(): void {
    // An in-process core is never replaced under the agent.
  }

  ready(): boolean {
    return true;
  }

  async close(): Promise<void> {
    await this.events?.stop();
    this.core.destroy();
  }
}

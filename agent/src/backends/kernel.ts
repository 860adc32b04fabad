/**
 * The kernel backend: gpu_dma_lock.ko through ioctls on /dev/gpu_dma_lock,
 * listings from /proc/swarm/gpu/.
 *
 * Listings: quotas (`# agent quota used device_mask allocations grants`),
 * allocations (`# alloc_id agent device size flags owner_pid`) and
 * dma_permissions (`# agent device start end length mode`, mode r|w|rw).
 *
 * The agent opens the device for each operation instead of holding it open,
 * so it never pins the module: an operator can rmmod/insmod under a running
 * agent. A watcher notices the new device (its inode or device number
 * changes, or it comes back after being absent) and tells onReset
 * listeners, which re-apply the policy. Allocations made through the agent
 * are therefore always GDL_ALLOC_PERSISTENT: a non-persistent one would die
 * with the short-lived file that made it.
 */
import { join } from 'node:path';
import { GdlDevice } from '../native/ioctl.ts';
import { GDL_ALLOC_PERSISTENT } from '../native/uapi.ts';
import type { EventSource } from '../events/types.ts';
import type { Allocation, AgentState, Backend, BackendInfo, DeviceState, Grant, Page, PageRequest, Stats } from './backend.ts';
import { toAgent, toDevice, toStats } from './convert.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { DeviceWatch } from './device-watch.ts';
import { Errno, GdlError } from './errors.ts';
import { bigField, modeField, numField, readProcTable } from './proc-table.ts';
import { parseBindings } from './proc-bindings.ts';
import type { BindingList, BindingSource } from '../identity/bindings.ts';

export interface KernelOptions {
  devicePath: string;
  procDir: string;
  /** how often to look for a module reload, ms; 0 disables */
  watchMs: number;
  /** decision events (the BPF pipeline), when available */
  events?: EventSource | null;
}

export class KernelBackend implements Backend {
  readonly kind = 'kernel' as const;
  readonly events: EventSource | null;
  private readonly listeners: (() => void)[] = [];
  /** who made each binding this agent made (listBindings); the module records no source */
  private readonly sources = { cgroups: new Map<string, BindingSource>(), uids: new Map<number, BindingSource>() };
  private readonly watcher: DeviceWatch;

  constructor(private readonly opts: KernelOptions) {
    this.events = opts.events ?? null;
    // Fail at start, with the reason, when the device cannot be used at all.
    this.use((dev) => dev.info());
    this.watcher = new DeviceWatch(opts.devicePath, () => {
      // A new module holds none of the bindings this agent made.
      this.sources.cgroups.clear();
      this.sources.uids.clear();
      for (const l of this.listeners) l();
    });
    if (opts.watchMs > 0) this.watcher.start(opts.watchMs);
  }

  /** Runs @fn on a freshly opened device file, closed right after. */
  private use<T>(fn: (dev: GdlDevice) => T): T {
    const dev = GdlDevice.open(this.opts.devicePath);
    try {
      return fn(dev);
    } catch (err) {
      // ENODEV from an ioctl: the module is going away or was replaced.
      if (err instanceof GdlError && err.errno === Errno.ENODEV) queueMicrotask(() => this.watcher.poll());
      throw err;
    } finally {
      dev.close();
    }
  }

  onReset(listener: () => void): void {
    this.listeners.push(listener);
  }

  ready(): boolean {
    try {
      this.use((dev) => dev.noop());
      return true;
    } catch {
      return false;
    }
  }

  info(): BackendInfo {
    const i = this.use((dev) => dev.info());
    return {
      kind: this.kind,
      abiVersion: i.abi_version,
      numDevices: i.num_devices,
      maxAgents: i.max_agents,
      defaultQuota: i.default_quota,
    };
  }

  stats(): Stats {
    return toStats(this.use((dev) => dev.stats()));
  }

  devices(): DeviceState[] {
    return this.use((dev) => {
      const n = dev.info().num_devices;
      const out: DeviceState[] = [];
      for (let i = 0; i < n; i++) out.push(toDevice(dev.device(i)));
      return out;
    });
  }

  setAgent(agent: bigint, quota: bigint, deviceMask: bigint): void {
    this.use((dev) => dev.setAgent(agent, quota, deviceMask));
  }
  getAgent(agent: bigint): AgentState {
    return toAgent(this.use((dev) => dev.getAgent(agent)));
  }
  removeAgent(agent: bigint): void {
    this.use((dev) => dev.removeAgent(agent));
  }
  listAgents(): AgentState[] {
    return this.table('quotas')
      .map((r) => ({
        id: bigField(r, 'agent'),
        quota: bigField(r, 'quota'),
        used: bigField(r, 'used'),
        deviceMask: bigField(r, 'device_mask'),
        allocations: bigField(r, 'allocations'),
        grants: bigField(r, 'grants'),
      }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  alloc(agent: bigint, size: bigint, device: number): bigint {
    return this.use((dev) => dev.alloc(agent, size, device, GDL_ALLOC_PERSISTENT));
  }
  free(allocId: bigint): void {
    this.use((dev) => dev.free(allocId));
  }

  /** Pages by allocation id: the cursor is the last id of the previous page. */
  listAllocations(req: PageRequest): Page<Allocation> {
    const after = req.cursor === undefined ? 0n : decodeCursor(req.cursor, 8).readBigUInt64LE(0);
    const all = this.table('allocations')
      .map((r) => {
        const flags = numField(r, 'flags');
        return {
          id: bigField(r, 'alloc_id'),
          agent: bigField(r, 'agent'),
          size: bigField(r, 'size'),
          device: numField(r, 'device'),
          persistent: (flags & GDL_ALLOC_PERSISTENT) !== 0,
          ownerPid: r.has('owner_pid') ? numField(r, 'owner_pid') : 0,
        };
      })
      .filter((a) => a.id > after && (req.agent === undefined || a.agent === req.agent))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    const items = all.slice(0, req.limit);
    const last = items.at(-1);
    let next: string | null = null;
    if (last && all.length > req.limit) {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(last.id);
      next = encodeCursor(b);
    }
    return { items, next };
  }

  grant(g: Grant): void {
    this.use((dev) => dev.grant(g.agent, g.device, g.addr, g.length, g.mode));
  }
  revoke(g: Grant): void {
    this.use((dev) => dev.revoke(g.agent, g.device, g.addr, g.length, g.mode));
  }
  listGrants(agent?: bigint): Grant[] {
    return this.table('dma_permissions')
      .map((r) => ({
        agent: bigField(r, 'agent'),
        device: numField(r, 'device'),
        addr: bigField(r, 'start'), // the /proc column names the interval's start
        length: bigField(r, 'length'),
        mode: modeField(r, 'mode'),
      }))
      .filter((g) => agent === undefined || g.agent === agent);
  }
  check(agent: bigint, device: number, addr: bigint, length: bigint, mode: number): boolean {
    return this.use((dev) => dev.check(agent, device, addr, length, mode));
  }

  bindCgroup(path: string, agent: bigint, source: BindingSource = 'api'): bigint {
    const id = this.use((dev) => dev.bindCgroup(path, agent));
    this.sources.cgroups.set(path, source);
    return id;
  }
  unbindCgroup(path: string): void {
    this.forgetting(this.sources.cgroups, path, () => this.use((dev) => dev.unbindCgroup(path)));
  }
  bindUid(uid: number, agent: bigint, source: BindingSource = 'api'): void {
    this.use((dev) => dev.bindUid(uid, agent));
    this.sources.uids.set(uid, source);
  }
  unbindUid(uid: number): void {
    this.forgetting(this.sources.uids, uid, () => this.use((dev) => dev.unbindUid(uid)));
  }
  /** Runs an unbind; its source is forgotten once the module holds no such binding (done, or ENOENT: it dropped it itself). */
  private forgetting<K>(sources: Map<K, BindingSource>, key: K, unbind: () => void): void {
    try {
      unbind();
    } catch (err) {
      if (err instanceof GdlError && err.code === 'ENOENT') sources.delete(key);
      throw err;
    }
    sources.delete(key);
  }
  /**
   * The module's listing, each binding's source from this agent's record
   * (the module keeps none): 'api' for one this agent did not make, or
   * made through the API.
   */
  listBindings(): BindingList {
    const list = parseBindings(this.table('bindings'));
    for (const b of list.cgroups) b.source = this.sources.cgroups.get(b.path) ?? 'api';
    for (const b of list.uids) b.source = this.sources.uids.get(b.uid) ?? 'api';
    return list;
  }

  private table(name: string) {
    try {
      return readProcTable(join(this.opts.procDir, name));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new GdlError('list', code === 'ENOENT' ? 19 /* ENODEV */ : 5 /* EIO */, `${name}: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    this.watcher.stop();
    await this.events?.stop();
  }
}

/**
 * A backend that reports every decision asked through it to an
 * ApiEventSource (see events/api-source.ts for when that is used). The
 * events mirror what the module's tracepoints would report for them.
 */
import type { ApiEventSource } from '../events/api-source.ts';
import type { DecisionKind } from '../events/types.ts';
import type { AgentState, Allocation, Backend, BackendInfo, DeviceState, Grant, Page, PageRequest, Stats } from './backend.ts';
import { Errno, GdlError } from './errors.ts';
import type { BindingList, BindingSource } from '../identity/bindings.ts';

import { GDL_NO_DEVICE as NO_DEVICE } from '../native/uapi.ts';
const BLANK = { agentId: 0n, device: NO_DEVICE, allocId: 0n, addr: 0n, length: 0n, mode: 0, result: 0, used: 0n, quota: 0n };

export class ObservedBackend implements Backend {
  readonly kind;

  constructor(private readonly inner: Backend, readonly events: ApiEventSource) {
    this.kind = inner.kind;
  }

  /** The agent's usage after a decision, as allocation events carry it. */
  private usage(agent: bigint): { used: bigint; quota: bigint } {
    try {
      const a = this.inner.getAgent(agent);
      return { used: a.used, quota: a.quota };
    } catch {
      return { used: 0n, quota: 0n };
    }
  }

  private range(kind: DecisionKind, g: Grant): void {
    this.events.push({ ...BLANK, kind, agentId: g.agent, device: g.device, addr: g.addr, length: g.length, mode: g.mode });
  }

  alloc(agent: bigint, size: bigint, device: number, persistent: boolean): bigint {
    try {
      const allocId = this.inner.alloc(agent, size, device, persistent);
      this.events.push({ ...BLANK, kind: 'alloc', agentId: agent, device, allocId, length: size, ...this.usage(agent) });
      return allocId;
    } catch (err) {
      const errno = err instanceof GdlError ? err.errno : Errno.EIO;
      const kind = errno === Errno.EDQUOT ? 'quota_violation' : 'alloc_fail';
      this.events.push({ ...BLANK, kind, agentId: agent, device, length: size, result: -errno, ...this.usage(agent) });
      throw err;
    }
  }

  grant(g: Grant): void {
    this.inner.grant(g);
    this.range('grant', g);
  }

  revoke(g: Grant): void {
    this.inner.revoke(g);
    this.range('revoke', g);
  }

  check(agent: bigint, device: number, addr: bigint, length: bigint, mode: number): boolean {
    const allowed = this.inner.check(agent, device, addr, length, mode);
    this.range(allowed ? 'check' : 'deny', { agent, device, addr, length, mode });
    return allowed;
  }

  /* Everything else passes through unchanged. */
  info(): BackendInfo { return this.inner.info(); }
  stats(): Stats { return this.inner.stats(); }
  devices(): DeviceState[] { return this.inner.devices(); }
  setAgent(agent: bigint, quota: bigint, deviceMask: bigint): void { this.inner.setAgent(agent, quota, deviceMask); }
  getAgent(agent: bigint): AgentState { return this.inner.getAgent(agent); }
  removeAgent(agent: bigint): void { this.inner.removeAgent(agent); }
  listAgents(): AgentState[] { return this.inner.listAgents(); }
  free(allocId: bigint): void { this.inner.free(allocId); }
  listAllocations(req: PageRequest): Page<Allocation> { return this.inner.listAllocations(req); }
  listGrants(agent?: bigint): Grant[] { return this.inner.listGrants(agent); }
  onReset(listener: () => void): void { this.inner.onReset(listener); }
  bindCgroup(path: string, agent: bigint, source?: BindingSource): bigint { return this.inner.bindCgroup(path, agent, source); }
  unbindCgroup(path: string): void { this.inner.unbindCgroup(path); }
  bindUid(uid: number, agent: bigint, source?: BindingSource): void { this.inner.bindUid(uid, agent, source); }
  unbindUid(uid: number): void { this.inner.unbindUid(uid); }
  listBindings(): BindingList { return this.inner.listBindings(); }
  ready(): boolean { return this.inner.ready(); }

  async close(): Promise<void> {
    await this.events.stop();
    await this.inner.close();
  }
}

/**
 * The one interface the HTTP API, the policy and telemetry use, whichever
 * core answers: the kernel module (kernel.ts) or libgdlcore in this process
 * (embedded.ts). Calls are synchronous: an ioctl or a libgdlcore call takes
 * microseconds, and a synchronous call cannot interleave with another
 * request halfway through.
 *
 * 64-bit quantities are bigint. Failures throw GdlError (errors.ts).
 */
import type { EventSource } from '../events/types.ts';
import type { BindingList, BindingSource } from '../identity/bindings.ts';

export type BackendKind = 'kernel' | 'embedded';

export interface BackendInfo {
  kind: BackendKind;
  abiVersion: number;
  numDevices: number;
  maxAgents: bigint;
  defaultQuota: bigint;
}

export interface Stats {
  allocs: bigint;
  allocFailures: bigint;
  frees: bigint;
  bytesAllocated: bigint;
  bytesFreed: bigint;
  checks: bigint;
  checksDenied: bigint;
  quotaViolations: bigint;
  grants: bigint;
  revokes: bigint;
  agents: bigint;
  liveAllocations: bigint;
  usedBytes: bigint;
  capacityBytes: bigint;
}

export interface DeviceState {
  index: number;
  name: string;
  kind: 'pci' | 'fake' | 'unknown';
  capacity: bigint;
  used: bigint;
  pciDomain: number;
  pciBdf: number;
  pciId: number;
}

export interface AgentState {
  id: bigint;
  quota: bigint;
  used: bigint;
  deviceMask: bigint;
  allocations: bigint;
  grants: bigint;
}

export interface Allocation {
  id: bigint;
  agent: bigint;
  size: bigint;
  device: number;
  persistent: boolean;
  /** pid of the owning opener; 0 for persistent allocations */
  ownerPid: number;
}

export interface Grant {
  agent: bigint;
  device: number;
  /** first byte of the range */
  addr: bigint;
  length: bigint;
  /** GDL_DMA_* bits */
  mode: number;
}

export interface PageRequest {
  /** only this agent's records (undefined: all) */
  agent?: bigint;
  /** opaque cursor from a previous page */
  cursor?: string;
  limit: number;
}

export interface Page<T> {
  items: T[];
  /** cursor of the next page, null at the end */
  next: string | null;
}

export interface Backend {
  readonly kind: BackendKind;
  info(): BackendInfo;
  stats(): Stats;
  devices(): DeviceState[];

  setAgent(agent: bigint, quota: bigint, deviceMask: bigint): void;
  /** throws GdlError ENOENT for an unknown agent */
  getAgent(agent: bigint): AgentState;
  removeAgent(agent: bigint): void;
  listAgents(): AgentState[];

  alloc(agent: bigint, size: bigint, device: number, persistent: boolean): bigint;
  free(allocId: bigint): void;
  listAllocations(req: PageRequest): Page<Allocation>;

  grant(g: Grant): void;
  revoke(g: Grant): void;
  listGrants(agent?: bigint): Grant[];
  check(agent: bigint, device: number, addr: bigint, length: bigint, mode: number): boolean;

  /**
   * Identity bindings (docs/identity.md). bindCgroup takes the path below
   * the cgroup2 mount and returns the cgroup's id; ENOENT for a cgroup that
   * does not exist (bind) or is not bound (unbind). Binding a bound cgroup
   * or uid again moves it to the new agent. @source is what listBindings()
   * says made it (default 'api').
   */
  bindCgroup(path: string, agent: bigint, source?: BindingSource): bigint;
  unbindCgroup(path: string): void;
  bindUid(uid: number, agent: bigint, source?: BindingSource): void;
  unbindUid(uid: number): void;
  listBindings(): BindingList;

  /** Decision events of this core, or null when none can be observed. */
  readonly events: EventSource | null;

  /**
   * Called when the core behind the backend was replaced (a module reload):
   * its state is gone and the policy must be applied again.
   */
  onReset(listener: () => void): void;

  /** Whether the core answers now (readiness). */
  ready(): boolean;
  close(): Promise<void>;
}

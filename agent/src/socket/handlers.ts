/**
 * One handler per command, as the module's gdl_ioctl.c: decode, validate
 * (flags and pad zero), decide who the caller acts as, call the core,
 * encode the answer. The same errnos as the ioctls.
 *
 * Identity rules (the module's gdl_act_as and gdl_free_limit, with "root"
 * meaning peer uid 0 instead of CAP_SYS_ADMIN):
 *  - a peer with an agent acts as it when it names 0 or that agent;
 *  - otherwise only root may name an agent (-EPERM), and must (-EINVAL for 0);
 *  - FREE: root frees anything, a peer with an agent only its own
 *    allocations, a peer without one nothing (-EPERM);
 *  - a persistent ALLOC outlives the connection: root only (-EPERM), as the
 *    module asks CAP_SYS_ADMIN for one.
 */
import { Errno, GdlError } from '../backends/errors.ts';
import type { CoreOwner, GdlCore } from '../native/core.ts';
import {
  GDL_ABI_VERSION, GDL_ALLOC_PERSISTENT, GdlAgentInfo, GdlCheck, GdlDeviceInfo, GdlInfo, GdlStats, Ioc,
} from '../native/uapi.ts';

const { EPERM, EINVAL } = Errno;

export interface Caller {
  /** the agent this connection acts as, or null */
  agent: bigint | null;
  privileged: boolean;
}

export interface CoreContext {
  core: GdlCore;
  owner: CoreOwner;
  maxAgents: bigint;
  defaultQuota: bigint;
}

export interface Reply {
  result: number;
  payload?: Buffer;
}

function actAs(c: Caller, requested: bigint): bigint | number {
  if (c.agent !== null && (requested === 0n || requested === c.agent)) return c.agent;
  if (!c.privileged) return -EPERM;
  if (requested === 0n) return -EINVAL;
  return requested;
}

function fail(err: unknown): Reply {
  if (err instanceof GdlError) return { result: -err.errno };
  throw err;
}

type Handler = (ctx: CoreContext, caller: Caller, p: Buffer) => Reply;

/** allocOwned's output, reused: handlers run one at a time, synchronously. */
const newId = new BigUint64Array(1);
/** A persistent allocation has no owner: it outlives the connection, as with the module. */
const NO_OWNER = { ptr: null };

const handlers = new Map<number, Handler>([
  [Ioc.NOOP, () => ({ result: 0 })],

  [Ioc.INFO, (ctx, caller, p) => {
    const i = GdlInfo.decode(p);
    if (i.flags) return { result: -EINVAL };
    return {
      result: 0,
      payload: GdlInfo.encode({
        abi_version: GDL_ABI_VERSION,
        num_devices: ctx.core.numDevices(),
        bound: caller.agent !== null ? 1 : 0,
        bound_agent: caller.agent ?? 0n,
        max_agents: ctx.maxAgents,
        default_quota: ctx.defaultQuota,
      }),
    };
  }],

  [Ioc.GET_AGENT, (ctx, caller, p) => {
    const q = GdlAgentInfo.decode(p);
    if (q.flags || q.pad) return { result: -EINVAL };
    const agent = actAs(caller, q.agent_id);
    if (typeof agent === 'number') return { result: agent };
    try {
      const a = ctx.core.getAgent(agent);
      return { result: 0, payload: GdlAgentInfo.encode({ ...a, agent_id: q.agent_id, flags: 0, pad: 0 }) };
    } catch (err) {
      return fail(err);
    }
  }],

  // ALLOC and FREE are the interposer's per-allocation requests: read the
  // fields where they lie (struct gdl_alloc, struct gdl_free), no decoded
  // object, and the reply is the request with the id written in.
  [Ioc.ALLOC, (ctx, caller, p) => {
    const requested = p.readBigUInt64LE(0);
    const size = p.readBigUInt64LE(8);
    const device = p.readUInt32LE(16);
    const flags = p.readUInt32LE(20);
    if (flags & ~GDL_ALLOC_PERSISTENT || size === 0n) return { result: -EINVAL };
    const agent = actAs(caller, requested);
    if (typeof agent === 'number') return { result: agent };
    const persistent = (flags & GDL_ALLOC_PERSISTENT) !== 0;
    if (persistent && !caller.privileged) return { result: -EPERM };
    const rc = ctx.core.allocOwned(persistent ? NO_OWNER : ctx.owner, agent, size, device, flags, newId);
    if (rc < 0) return { result: rc };
    // Only the id is an output: the caller's fields come back as written.
    const out = Buffer.from(p);
    out.writeBigUInt64LE(newId[0]!, 24);
    return { result: 0, payload: out };
  }],

  [Ioc.FREE, (ctx, caller, p) => {
    if (p.readUInt32LE(8) || p.readUInt32LE(12)) return { result: -EINVAL };
    let only: bigint;
    if (caller.privileged) only = 0n;
    else if (caller.agent !== null) only = caller.agent;
    else return { result: -EPERM };
    const rc = ctx.core.freeAs(p.readBigUInt64LE(0), only);
    return rc < 0 ? { result: rc } : { result: 0, payload: Buffer.from(p) };
  }],

  [Ioc.CHECK, (ctx, caller, p) => {
    const c = GdlCheck.decode(p);
    if (c.flags) return { result: -EINVAL };
    const agent = actAs(caller, c.agent_id);
    if (typeof agent === 'number') return { result: agent };
    try {
      const allowed = ctx.core.check(agent, c.device, c.addr, c.length, c.mode);
      return { result: 0, payload: GdlCheck.encode({ ...c, result: allowed ? 1 : 0 }) };
    } catch (err) {
      return fail(err);
    }
  }],

  [Ioc.GET_STATS, (ctx, _caller, p) => {
    const s = GdlStats.decode(p);
    if (s.flags || s.pad) return { result: -EINVAL };
    return { result: 0, payload: GdlStats.encode({ ...ctx.core.stats(), flags: 0, pad: 0 }) };
  }],

  [Ioc.GET_DEVICE, (ctx, _caller, p) => {
    const d = GdlDeviceInfo.decode(p);
    if (d.flags) return { result: -EINVAL };
    try {
      const info = ctx.core.device(d.index);
      return { result: 0, payload: GdlDeviceInfo.encode({ ...info, index: d.index, flags: 0 }) };
    } catch (err) {
      return fail(err);
    }
  }],
]);

/** @payload may be a view of the connection's buffer: a handler copies what it returns. */
export function handle(cmd: number, ctx: CoreContext, caller: Caller, payload: Buffer): Reply {
  const h = handlers.get(cmd);
  if (!h) return { result: -25 /* ENOTTY */ };
  return h(ctx, caller, payload);
}

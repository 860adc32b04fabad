import Type from 'typebox';
import { U64 } from './common.ts';

export const StatsBody = Type.Object(
  {
    backend: Type.Union([Type.Literal('kernel'), Type.Literal('embedded')]),
    abiVersion: Type.Integer(),
    numDevices: Type.Integer(),
    maxAgents: U64,
    defaultQuota: U64,
    counters: Type.Object({
      allocs: U64, allocFailures: U64, frees: U64, bytesAllocated: U64, bytesFreed: U64, checks: U64,
      checksDenied: U64, quotaViolations: U64, grants: U64, revokes: U64,
    }),
    gauges: Type.Object({ agents: U64, liveAllocations: U64, usedBytes: U64, capacityBytes: U64 }),
    events: Type.Union([
      Type.Object({ received: Type.Integer(), lost: Type.Integer(), unknown: Type.Integer(), short: Type.Integer() }),
      Type.Null(),
    ]),
  },
  { $id: 'Stats' },
);

export const Health = Type.Object({ status: Type.String(), backend: Type.Optional(Type.String()) });

import Type from 'typebox';
import { AgentId, DeviceIndex, U64 } from './common.ts';

export const Allocation = Type.Object(
  {
    id: U64,
    agent: AgentId,
    size: U64,
    device: DeviceIndex,
    persistent: Type.Boolean(),
    ownerPid: Type.Integer({ description: 'pid of the owning process, 0 for persistent allocations' }),
  },
  { $id: 'Allocation' },
);

export const AllocationPage = Type.Object({
  items: Type.Array(Allocation),
  next: Type.Union([Type.String(), Type.Null()], { description: 'cursor of the next page; null at the end' }),
});

export const AllocationQuery = Type.Object(
  {
    agent: Type.Optional(AgentId),
    cursor: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,128}$', description: 'from a previous page' })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  },
  { additionalProperties: false },
);

export const AllocateBody = Type.Object(
  {
    agent: AgentId,
    size: Type.String({ pattern: '^[1-9][0-9]{0,19}$', description: 'bytes, nonzero, decimal string' }),
    device: DeviceIndex,
    persistent: Type.Boolean({ default: true, description: 'outlives the agent process (always true on the kernel backend)' }),
  },
  { additionalProperties: false },
);

export const AllocationParams = Type.Object({ id: Type.String({ pattern: '^[1-9][0-9]{0,19}$' }) }, { additionalProperties: false });

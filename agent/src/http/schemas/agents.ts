import Type from 'typebox';
import { AgentId, DeviceIndex, U64, U64OrHex } from './common.ts';

export const Agent = Type.Object(
  {
    id: AgentId,
    quota: U64,
    used: U64,
    available: Type.String({ description: 'quota minus used, 0 when over quota' }),
    deviceMask: Type.String({ description: '0x-hex bit mask of allowed devices' }),
    devices: Type.Array(DeviceIndex, { description: 'allowed device indexes' }),
    allocations: U64,
    grants: U64,
  },
  { $id: 'Agent' },
);

export const AgentList = Type.Object({ items: Type.Array(Agent) });

export const SetAgentBody = Type.Object(
  {
    quota: U64,
    deviceMask: Type.Optional(U64OrHex),
    devices: Type.Optional(Type.Array(DeviceIndex, { maxItems: 64, uniqueItems: true })),
  },
  {
    additionalProperties: false,
    description: 'quota in bytes and the allowed devices: deviceMask or devices (not both); neither keeps the current mask (every device for a new agent)',
  },
);

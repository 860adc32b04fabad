import Type from 'typebox';
import { AgentId, DeviceIndex, Mode, U64, U64OrHex } from './common.ts';

export const Grant = Type.Object(
  {
    agent: AgentId,
    device: DeviceIndex,
    start: U64,
    startHex: Type.String({ pattern: '^0x[0-9a-f]+$' }),
    length: U64,
    end: Type.String({ description: 'start + length, exclusive, 0x-hex' }),
    mode: Mode,
  },
  { $id: 'Grant' },
);

export const GrantList = Type.Object({ items: Type.Array(Grant) });

export const RangeBody = Type.Object(
  {
    device: DeviceIndex,
    start: U64OrHex,
    length: Type.String({ pattern: '^([1-9][0-9]{0,19}|0[xX][0-9a-fA-F]{1,16})$', description: 'bytes, nonzero' }),
    mode: Mode,
  },
  { additionalProperties: false },
);

export const GrantQuery = Type.Object({ agent: Type.Optional(AgentId) }, { additionalProperties: false });

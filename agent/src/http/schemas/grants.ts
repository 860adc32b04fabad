import Type from 'typebox';
import { AgentId, DeviceIndex, Mode, U64, U64OrHex } from './common.ts';

export const Grant = Type.Object(
  {
    agent: AgentId,
    device: DeviceIndex,
    addr: U64,
    addrHex: Type.String({ pattern: '^0x[0-9a-f]+$' }),
    start: Type.String({ ...U64, deprecated: true, description: 'deprecated name of addr' }),
    startHex: Type.String({ pattern: '^0x[0-9a-f]+$', deprecated: true, description: 'deprecated name of addrHex' }),
    length: U64,
    end: Type.String({ description: 'addr + length, exclusive, 0x-hex' }),
    mode: Mode,
  },
  { $id: 'Grant' },
);

export const GrantList = Type.Object({ items: Type.Array(Grant) });

export const RangeBody = Type.Object(
  {
    device: DeviceIndex,
    addr: Type.Optional(Type.String({ ...U64OrHex, description: 'first byte of the range, decimal or 0x-hex' })),
    start: Type.Optional(Type.String({ ...U64OrHex, deprecated: true, description: 'deprecated name of addr' })),
    length: Type.String({ pattern: '^([1-9][0-9]{0,19}|0[xX][0-9a-fA-F]{1,16})$', description: 'bytes, nonzero' }),
    mode: Mode,
  },
  { additionalProperties: false },
);

export const GrantQuery = Type.Object({ agent: Type.Optional(AgentId) }, { additionalProperties: false });

import Type from 'typebox';
import { AgentId, DeviceIndex, Mode, U64OrHex } from './common.ts';

export const CheckBody = Type.Object(
  {
    agent: AgentId,
    device: DeviceIndex,
    addr: U64OrHex,
    length: Type.String({ pattern: '^([1-9][0-9]{0,19}|0[xX][0-9a-fA-F]{1,16})$', description: 'bytes, nonzero' }),
    mode: Mode,
  },
  { additionalProperties: false },
);

export const CheckResult = Type.Object({
  allowed: Type.Boolean(),
  result: Type.Union([Type.Literal('allowed'), Type.Literal('denied')]),
});

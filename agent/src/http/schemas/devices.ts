import Type from 'typebox';
import { DeviceIndex, U64 } from './common.ts';

export const Device = Type.Object(
  {
    index: DeviceIndex,
    name: Type.String(),
    kind: Type.Union([Type.Literal('pci'), Type.Literal('fake'), Type.Literal('unknown')]),
    capacity: U64,
    used: U64,
    free: U64,
    pci: Type.Optional(Type.Object({ domain: Type.Integer(), bdf: Type.Integer(), id: Type.String() })),
  },
  { $id: 'Device' },
);

export const DeviceList = Type.Object({ items: Type.Array(Device) });
export const DeviceParams = Type.Object({ index: Type.Integer({ minimum: 0, maximum: 63 }) }, { additionalProperties: false });

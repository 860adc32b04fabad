/**
 * C struct mirrors: a codec between a Buffer and a plain object for a struct
 * of abi.gen.ts, whose sizes, offsets and member types the C compiler gave
 * (scripts/gen-abi.ts). Nothing here restates a layout: defineStruct('gdl_x')
 * is the whole mirror.
 *
 * Every u64 is a bigint and every 32-bit member a number, whatever the value
 * (koffi.decode would pick between the two by magnitude).
 */
import { STRUCTS } from './abi.gen.ts';

type Structs = typeof STRUCTS;
export type StructName = keyof Structs;

/** The C member types a codec reads and writes (nested structs are not: a codec mirrors a flat struct). */
type FieldType = 'u16' | 'u32' | 's32' | 'u64' | `char[${number}]` | `u8[${number}]`;

/** Member name -> its C type, as generated for struct @N. */
export type FieldsOf<N extends StructName> = { [K in keyof Structs[N]['fields']]: Structs[N]['fields'][K] extends { type: infer T } ? T : never };

type FieldValue<T> = T extends 'u64' ? bigint : T extends 'u16' | 'u32' | 's32' ? number : string;

export type StructValue<F> = { [K in keyof F]: FieldValue<F[K]> };

export interface StructCodec<F> {
  readonly name: string;
  readonly size: number;
  readonly fields: F;
  offsetOf(field: keyof F & string): number;
  /** A zeroed buffer with the given fields set (unset fields stay 0, as pad must). */
  encode(value: Partial<StructValue<F>>): Buffer;
  decode(buf: Buffer, offset?: number): StructValue<F>;
}

interface Member { name: string; offset: number; size: number; type: FieldType }

function isFieldType(t: string): t is FieldType {
  return /^(u16|u32|s32|u64|(char|u8)\[\d+\])$/.test(t);
}

export function defineStruct<const N extends StructName>(name: N): StructCodec<FieldsOf<N>> {
  const layout = STRUCTS[name] as { size: number; fields: Record<string, { offset: number; size: number; type: string }> };
  const members: Member[] = Object.entries(layout.fields).map(([field, f]) => {
    if (!isFieldType(f.type)) throw new Error(`struct ${name}.${field}: no codec for C type ${f.type}`);
    return { name: field, offset: f.offset, size: f.size, type: f.type };
  });
  const offsets = new Map(members.map((m) => [m.name, m.offset]));
  const fields = Object.fromEntries(members.map((m) => [m.name, m.type])) as FieldsOf<N>;
  const size = layout.size;

  return {
    name,
    size,
    fields,
    offsetOf: (field) => offsets.get(field)!,
    encode(value) {
      const buf = Buffer.alloc(size);
      for (const m of members) {
        const v = (value as Record<string, unknown>)[m.name];
        if (v === undefined) continue;
        if (m.type === 'u64') buf.writeBigUInt64LE(BigInt(v as bigint), m.offset);
        else if (m.type === 'u32') buf.writeUInt32LE(Number(v), m.offset);
        else if (m.type === 's32') buf.writeInt32LE(Number(v), m.offset);
        else if (m.type === 'u16') buf.writeUInt16LE(Number(v), m.offset);
        else buf.write(String(v), m.offset, m.size - 1, 'utf8');
      }
      return buf;
    },
    decode(buf, base = 0) {
      const out: Record<string, unknown> = {};
      for (const m of members) {
        const off = base + m.offset;
        if (m.type === 'u64') out[m.name] = buf.readBigUInt64LE(off);
        else if (m.type === 'u32') out[m.name] = buf.readUInt32LE(off);
        else if (m.type === 's32') out[m.name] = buf.readInt32LE(off);
        else if (m.type === 'u16') out[m.name] = buf.readUInt16LE(off);
        else {
          const raw = buf.subarray(off, off + m.size);
          const nul = raw.indexOf(0);
          out[m.name] = raw.subarray(0, nul < 0 ? raw.length : nul).toString('utf8');
        }
      }
      return out as StructValue<FieldsOf<N>>;
    },
  };
}

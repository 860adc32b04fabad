/**
 * C struct mirrors: one field list gives both the koffi type (so a test can
 * compare koffi's layout with the C compiler's) and a codec between a Buffer
 * and a plain object.
 *
 * The codec reads and writes the buffer itself at koffi's offsets instead of
 * koffi.decode(), because koffi turns 64-bit fields into a number or a
 * bigint depending on the value; here every u64 is always a bigint.
 */
import koffi, { type TypeObject } from 'koffi';

type KoffiType = string | TypeObject;

type FieldType = 'u32' | 's32' | 'u64' | `char[${number}]`;

type FieldValue<T extends FieldType> = T extends 'u64' ? bigint : T extends 'u32' | 's32' ? number : string;

export type StructValue<F extends Record<string, FieldType>> = { [K in keyof F]: FieldValue<F[K]> };

export interface StructCodec<F extends Record<string, FieldType>> {
  readonly name: string;
  readonly type: TypeObject;
  readonly size: number;
  readonly fields: F;
  offsetOf(field: keyof F & string): number;
  /** A zeroed buffer with the given fields set (unset fields stay 0, as pad must). */
  encode(value: Partial<StructValue<F>>): Buffer;
  decode(buf: Buffer, offset?: number): StructValue<F>;
}

const KOFFI_TYPE: Record<string, string> = { u32: 'uint32_t', s32: 'int32_t', u64: 'uint64_t' };

function koffiFieldType(t: FieldType): KoffiType {
  const m = /^char\[(\d+)\]$/.exec(t);
  if (m) return koffi.array('uint8_t', Number(m[1]), 'Typed');
  return KOFFI_TYPE[t]!;
}

function charLength(t: FieldType): number {
  return Number(/^char\[(\d+)\]$/.exec(t)![1]);
}

export function defineStruct<const F extends Record<string, FieldType>>(name: string, fields: F): StructCodec<F> {
  const def: Record<string, KoffiType> = {};
  for (const [k, t] of Object.entries(fields)) def[k] = koffiFieldType(t);
  const type = koffi.struct(name, def);
  const size = koffi.sizeof(type);
  const offsets = new Map<string, number>(Object.keys(fields).map((k) => [k, koffi.offsetof(type, k)]));
  const entries = Object.entries(fields) as [string, FieldType][];

  return {
    name,
    type,
    size,
    fields,
    offsetOf: (field) => offsets.get(field)!,
    encode(value) {
      const buf = Buffer.alloc(size);
      for (const [k, t] of entries) {
        const v = (value as Record<string, unknown>)[k];
        if (v === undefined) continue;
        const off = offsets.get(k)!;
        if (t === 'u64') buf.writeBigUInt64LE(BigInt(v as bigint), off);
        else if (t === 'u32') buf.writeUInt32LE(Number(v), off);
        else if (t === 's32') buf.writeInt32LE(Number(v), off);
        else buf.write(String(v), off, charLength(t) - 1, 'utf8');
      }
      return buf;
    },
    decode(buf, base = 0) {
      const out: Record<string, unknown> = {};
      for (const [k, t] of entries) {
        const off = base + offsets.get(k)!;
        if (t === 'u64') out[k] = buf.readBigUInt64LE(off);
        else if (t === 'u32') out[k] = buf.readUInt32LE(off);
        else if (t === 's32') out[k] = buf.readInt32LE(off);
        else {
          const raw = buf.subarray(off, off + charLength(t));
          const nul = raw.indexOf(0);
          out[k] = raw.subarray(0, nul < 0 ? raw.length : nul).toString('utf8');
        }
      }
      return out as StructValue<F>;
    },
  };
}

/**
 * The event records of kmod/include/uapi/gdl_events.h as the decoder reads them: offsets
 * and sizes from abi.gen.ts (the C compiler's, through scripts/gen-abi.ts),
 * with struct gdl_ev_decision's embedded struct gdl_decision spelled out as
 * 'd.<member>' from the one generated gdl_decision layout, so the record and
 * the ioctl mirror (uapi.ts GdlDecision) cannot disagree.
 */
import { ENUMS, MACROS, STRUCTS } from './abi.gen.ts';

export interface FieldLayout {
  readonly offset: number;
  readonly size: number;
}

interface StructLayout {
  readonly size: number;
  readonly fields: Readonly<Record<string, FieldLayout>>;
}

type Structs = typeof STRUCTS;
type Fields<N extends keyof Structs> = Structs[N]['fields'];

/** Struct @outer with its member @member (itself a struct) replaced by that struct's members, as 'member.field'. */
type Inlined<O extends keyof Structs, M extends keyof Fields<O> & string, I extends keyof Structs> = {
  readonly size: number;
  readonly fields: { readonly [K in Exclude<keyof Fields<O>, M>]: FieldLayout }
    & { readonly [K in keyof Fields<I> & string as `${M}.${K}`]: FieldLayout };
};

function layoutOf(name: keyof Structs): { size: number; fields: Record<string, FieldLayout> } {
  const s = STRUCTS[name] as { size: number; fields: Record<string, FieldLayout & { type: string }> };
  return {
    size: s.size,
    fields: Object.fromEntries(Object.entries(s.fields).map(([k, f]) => [k, { offset: f.offset, size: f.size }])),
  };
}

function inline<O extends keyof Structs, M extends keyof Fields<O> & string, I extends keyof Structs>(
  outer: O, member: M, inner: I,
): Inlined<O, M, I> {
  const o = layoutOf(outer);
  const at = o.fields[member]!.offset;
  const fields: Record<string, FieldLayout> = {};
  for (const [k, f] of Object.entries(o.fields)) {
    if (k !== member) { fields[k] = f; continue; }
    for (const [ik, inf] of Object.entries(layoutOf(inner).fields)) fields[`${member}.${ik}`] = { offset: at + inf.offset, size: inf.size };
  }
  return { size: o.size, fields } as Inlined<O, M, I>;
}

/** struct gdl_event_hdr */
export const EVENT_HDR = layoutOf('gdl_event_hdr') as { size: number; fields: { [K in keyof Fields<'gdl_event_hdr'>]: FieldLayout } };

/** struct gdl_ev_decision, its struct gdl_decision d as 'd.kind' ... */
export const EV_DECISION = inline('gdl_ev_decision', 'd', 'gdl_decision');

/** struct gdl_ev_cuda */
export const EV_CUDA = layoutOf('gdl_ev_cuda') as { size: number; fields: { [K in keyof Fields<'gdl_ev_cuda'>]: FieldLayout } };

/** struct gdl_ev_batch: a header, count, dropped, then count struct gdl_ev_decision records from ev. */
export const EV_BATCH = layoutOf('gdl_ev_batch') as { size: number; fields: { [K in keyof Fields<'gdl_ev_batch'>]: FieldLayout } };

/** The records' enum values and lengths, by their C names. */
export const EVENT_CONSTANTS = {
  GDL_COMM_LEN: MACROS.GDL_COMM_LEN,
  GDL_BATCH_EVENTS: MACROS.GDL_BATCH_EVENTS,
  ...ENUMS.gdl_event_kind,
  ...ENUMS.gdl_decision_kind,
  ...ENUMS.gdl_cuda_op,
  ...ENUMS.gdl_bpf_counter,
} as const;

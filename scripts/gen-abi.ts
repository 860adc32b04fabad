/**
 * gen-abi.ts - writes agent/src/native/abi.gen.ts, the agent's only copy of
 * the C side's layouts and numbers, taken from the compiler:
 *
 *   structs and enums  the headers are compiled with debug info for every
 *                      declared type (clang -g -fno-eliminate-unused-debug-types),
 *                      pahole turns the DWARF into BTF, and bpftool prints it
 *                      as JSON: every member, offset and size is the
 *                      compiler's, nothing is listed by hand;
 *   #define values     the preprocessor lists the headers' GDL_* macros
 *                      (cc -dM -E), and a program built from that list prints
 *                      each value as the compiler evaluates it;
 *   decision kinds     GDL_DECISION_KINDS, the one list in the UAPI header,
 *                      and CUDA event ops, GDL_CUDA_EVENT_OPS, the one list
 *                      in the event header, expanded by the same program.
 *
 * Run `npx tsx scripts/gen-abi.ts` after changing a header;
 * test/unit/abi-generated.test.ts regenerates the file and fails when the
 * checked-in copy differs. Needs clang, pahole and bpftool (scripts/bootstrap.sh).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
export const OUTPUT = join(ROOT, 'agent/src/native/abi.gen.ts');

/** The headers the agent mirrors, and the include paths they need. */
const HEADERS = ['uapi/gpu_dma_lock.h', 'uapi/gdl_events.h', 'gdl_core.h'];
const INCLUDES = ['kmod/include', 'kmod/core', 'kmod/user'].flatMap((p) => ['-I', join(ROOT, p)]);
const CFLAGS = ['-D_GNU_SOURCE', ...INCLUDES];

/**
 * The structs TypeScript reads or writes: the ioctl arguments and the event
 * records (uapi/gpu_dma_lock.h, uapi/gdl_events.h) and the embedded core's
 * listings (gdl_core.h). A struct one of these embeds is mirrored with it.
 */
const STRUCTS = [
  'gdl_info', 'gdl_bind', 'gdl_agent_cfg', 'gdl_agent_info', 'gdl_agent_ref', 'gdl_alloc', 'gdl_free',
  'gdl_grant', 'gdl_check', 'gdl_check_entry', 'gdl_check_batch', 'gdl_stats', 'gdl_device_info',
  'gdl_decision', 'gdl_cgroup_binding', 'gdl_uid_binding', 'gdl_wire_hdr',
  'gdl_event_hdr', 'gdl_ev_decision', 'gdl_ev_cuda', 'gdl_ev_batch',
  'gdl_cursor', 'gdl_agent_view', 'gdl_alloc_view', 'gdl_grant_view',
];

/** Enums mirrored whole, by their C tag. */
const ENUMS = ['gdl_decision_kind', 'gdl_event_kind', 'gdl_cuda_op', 'gdl_bpf_counter'];

interface BtfMember { name: string; type_id: number; bits_offset: number; bitfield_size?: number }
interface BtfType {
  id: number; kind: string; name?: string; type_id?: number; size?: number; encoding?: string;
  nr_elems?: number; members?: BtfMember[]; values?: { name: string; val: number }[];
}

interface Field { offset: number; size: number; type: string }
interface Layout { size: number; fields: Record<string, Field> }

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
}

function btfTypes(dir: string): Map<number, BtfType> {
  const src = join(dir, 'abi.c');
  const obj = join(dir, 'abi.o');
  writeFileSync(src, HEADERS.map((h) => `#include "${h}"\n`).join(''));
  sh('clang', ['-g', '-fno-eliminate-unused-debug-types', ...CFLAGS, '-c', src, '-o', obj]);
  sh('pahole', ['-J', obj]);
  const { types } = JSON.parse(sh('bpftool', ['btf', 'dump', 'file', obj, '-j'])) as { types: BtfType[] };
  return new Map(types.map((t) => [t.id, t]));
}

/** A member's type as the mirror names it: u8..u64, s8..s64, char[N], u8[N] or a struct's tag. */
function typeName(types: Map<number, BtfType>, id: number, where: string): string {
  const t = types.get(id)!;
  switch (t.kind) {
    case 'TYPEDEF': case 'CONST': case 'VOLATILE':
      return typeName(types, t.type_id!, where);
    case 'INT':
      if (t.name === 'char') return 'char';
      return `${t.encoding === 'SIGNED' ? 's' : 'u'}${t.size! * 8}`;
    case 'ENUM':
      return `u${t.size! * 8}`;
    case 'ARRAY': {
      const elem = typeName(types, t.type_id!, where);
      // Byte arrays (the mirrors read them as NUL-padded text), or arrays of
      // a mirrored struct (struct gdl_ev_batch's records).
      if (elem !== 'char' && elem !== 'u8' && !elem.startsWith('gdl_')) throw new Error(`${where}: arrays of ${elem} are not mirrored`);
      return `${elem}[${t.nr_elems}]`;
    }
    case 'STRUCT':
      return t.name!;
    default:
      throw new Error(`${where}: a ${t.kind} member cannot cross to TypeScript`);
  }
}

function sizeOf(types: Map<number, BtfType>, id: number): number {
  const t = types.get(id)!;
  if (t.kind === 'ARRAY') return t.nr_elems! * sizeOf(types, t.type_id!);
  if (t.size !== undefined) return t.size;
  return sizeOf(types, t.type_id!);
}

/**
 * An anonymous union stands for its first member: the others name the same
 * bytes for C source compatibility (struct gdl_grant's deprecated start is
 * its addr), and the mirror knows each slot by one name.
 */
function unionAlias(types: Map<number, BtfType>, m: BtfMember): BtfMember {
  // bpftool names an anonymous member '(anon)'.
  if (m.name !== '(anon)' && m.name !== '') return m;
  const u = types.get(m.type_id)!;
  if (u.kind !== 'UNION') throw new Error(`an anonymous ${u.kind} member cannot cross to TypeScript`);
  const first = u.members![0]!;
  return { ...first, bits_offset: m.bits_offset + first.bits_offset };
}

function structLayouts(types: Map<number, BtfType>): Record<string, Layout> {
  const byName = new Map<string, BtfType>();
  for (const t of types.values()) if (t.kind === 'STRUCT' && t.name) byName.set(t.name, t);
  const out: Record<string, Layout> = {};
  const want = [...STRUCTS];
  while (want.length) {
    const name = want.shift()!;
    if (out[name]) continue;
    const s = byName.get(name);
    if (!s) throw new Error(`struct ${name}: not in ${HEADERS.join(', ')}`);
    const fields: Record<string, Field> = {};
    for (const m of s.members!.map((m) => unionAlias(types, m))) {
      const where = `struct ${name}.${m.name}`;
      if (m.bitfield_size || m.bits_offset % 8) throw new Error(`${where}: bit-fields are not mirrored`);
      const type = typeName(types, m.type_id, where);
      const struct = type.replace(/\[\d+\]$/, '');
      if (struct.startsWith('gdl_') && !STRUCTS.includes(struct)) want.push(struct);
      fields[m.name] = { offset: m.bits_offset / 8, size: sizeOf(types, m.type_id), type };
    }
    out[name] = { size: s.size!, fields };
  }
  return out;
}

function enumValues(types: Map<number, BtfType>): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const name of ENUMS) {
    const e = [...types.values()].find((t) => t.kind === 'ENUM' && t.name === name);
    if (!e) throw new Error(`enum ${name}: not in ${HEADERS.join(', ')}`);
    out[name] = Object.fromEntries(e.values!.map((v) => [v.name, v.val]));
  }
  return out;
}

interface CValues {
  macros: Record<string, number | string>;
  decisionKinds: Record<string, string>;
  cudaOps: Record<string, string>;
}

/** Every object-like GDL_* macro with a value, evaluated by the compiler. */
function macroValues(dir: string): CValues {
  const list = join(dir, 'list.c');
  writeFileSync(list, HEADERS.slice(0, 2).map((h) => `#include "${h}"\n`).join(''));
  const names = sh('cc', [...CFLAGS, '-dM', '-E', list]).split('\n')
    .map((l) => /^#define (GDL_[A-Z0-9_]+) (.+)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && !m[1]!.endsWith('_H'))
    .map((m) => m[1]!).sort();
  const src = join(dir, 'values.c');
  const exe = join(dir, 'values');
  writeFileSync(src, [
    '#include <stdio.h>',
    ...HEADERS.slice(0, 2).map((h) => `#include "${h}"`),
    'static const char *sep = "";',
    'static void str(const char *n, const char *v) { printf("%s\\"%s\\": \\"%s\\"", sep, n, v); sep = ", "; }',
    'static void s64(const char *n, long long v) { printf("%s\\"%s\\": %lld", sep, n, v); sep = ", "; }',
    'static void u64(const char *n, unsigned long long v) { printf("%s\\"%s\\": %llu", sep, n, v); sep = ", "; }',
    '#define VALUE(m) _Generic((m), char *: str, int: s64, long: s64, long long: s64, default: u64)(#m, m);',
    '#define KIND(K, v, name, why) printf("%s\\"%d\\": \\"%s\\"", sep, v, #name); sep = ", ";',
    '#define CUDA_OP(OP, v, function, args) KIND(OP, v, function, 0)',
    'int main(void) {',
    '\tprintf("{\\"macros\\": {");',
    ...names.map((n) => `\tVALUE(${n})`),
    '\tprintf("}, \\"decisionKinds\\": {");',
    '\tsep = "";',
    '\tGDL_DECISION_KINDS(KIND, KIND)',
    '\tprintf("}, \\"cudaOps\\": {");',
    '\tsep = "";',
    '\tGDL_CUDA_EVENT_OPS(CUDA_OP)',
    '\tprintf("}}\\n");',
    '\treturn 0;',
    '}',
  ].join('\n'));
  sh('cc', ['-Wall', '-Werror', ...CFLAGS, src, '-o', exe]);
  return JSON.parse(sh(exe, [])) as CValues;
}

function tsValue(name: string, v: number | string): string {
  if (typeof v === 'string') return `'${v}'`;
  return name.startsWith('GDL_IOC_') || v > 0xffff ? `0x${v.toString(16)}` : String(v);
}

/** An X-macro list as a table of names by value. */
function names(out: string[], name: string, doc: string, byValue: Record<string, string>): void {
  out.push(`/** ${doc} */`, `export const ${name} = {`);
  for (const [k, v] of Object.entries(byValue)) out.push(`  ${k}: '${v}',`);
  out.push('} as const;', '');
}

function render(structs: Record<string, Layout>, enums: Record<string, Record<string, number>>, c: CValues): string {
  const out: string[] = [
    '/*',
    ' * GENERATED by scripts/gen-abi.ts from the C headers (uapi/gpu_dma_lock.h,',
    ' * uapi/gdl_events.h, kmod/core/gdl_core.h) as the compiler lays them out.',
    ' * Do not edit: change the header and run `npx tsx scripts/gen-abi.ts`;',
    ' * test/unit/abi-generated.test.ts fails while this copy is stale.',
    ' */',
    '',
    '/** Every mirrored struct: size, and each member\'s offset, size and type. */',
    'export const STRUCTS = {',
  ];
  for (const [name, s] of Object.entries(structs)) {
    out.push(`  ${name}: {`, `    size: ${s.size},`, '    fields: {');
    for (const [f, l] of Object.entries(s.fields)) {
      out.push(`      ${f}: { offset: ${l.offset}, size: ${l.size}, type: '${l.type}' },`);
    }
    out.push('    },', '  },');
  }
  out.push('} as const;', '', '/** Every mirrored enum, by its tag. */', 'export const ENUMS = {');
  for (const [name, values] of Object.entries(enums)) {
    out.push(`  ${name}: {`);
    for (const [k, v] of Object.entries(values)) out.push(`    ${k}: ${v},`);
    out.push('  },');
  }
  out.push('} as const;', '', '/** Every GDL_* #define of the UAPI and event headers that has a value. */',
    'export const MACROS = {');
  for (const [k, v] of Object.entries(c.macros)) out.push(`  ${k}: ${tsValue(k, v)},`);
  out.push('} as const;', '');
  names(out, 'DECISION_KINDS', 'GDL_DECISION_KINDS: each enum gdl_decision_kind value\'s name (its tracepoint is gdl_<name>).', c.decisionKinds);
  names(out, 'CUDA_OPS', 'GDL_CUDA_EVENT_OPS: each enum gdl_cuda_op value\'s driver function (what a CUDA event prints).', c.cudaOps);
  return out.join('\n');
}

/** The file's text, as the compiler says it should be now. */
export function generate(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gdl-abi-'));
  try {
    const types = btfTypes(dir);
    return render(structLayouts(types), enumValues(types), macroValues(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(OUTPUT, generate());
  console.log(`wrote ${OUTPUT}`);
}

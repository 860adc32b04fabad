/**
 * agent/src/native/abi.gen.ts, the agent's only copy of the C layouts and
 * numbers, is what the compiler says now: regenerated (scripts/gen-abi.ts)
 * and compared, then every struct, member offset and size is asserted
 * against two more compilers: the host's cc (the one the module and
 * libgdlcore are built with) and clang for the BPF target (the event
 * records' producer), as _Static_asserts written from the generated file.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT } from '../../agent/src/paths.ts';
import { CUDA_OPS, DECISION_KINDS, ENUMS, MACROS, STRUCTS } from '../../agent/src/native/abi.gen.ts';
import { defineStruct, type StructName } from '../../agent/src/native/struct.ts';
import { generate, OUTPUT } from '../../scripts/gen-abi.ts';

type Layout = { size: number; fields: Record<string, { offset: number; size: number; type: string }> };
const structs = STRUCTS as unknown as Record<string, Layout>;
const inc = (p: string) => ['-I', resolve(REPO_ROOT, p)];

test('abi.gen.ts is current: regenerating it from the headers changes nothing', () => {
  assert.fixture(readFileSync(OUTPUT, 'utf8'), generate(),
    'agent/src/native/abi.gen.ts is stale: run `npx tsx scripts/gen-abi.ts` and commit it');
});

/** _Static_asserts for every generated size and offset of @names, and every enum value. */
function asserts(names: string[], withEnums: boolean): string {
  const out: string[] = [];
  for (const name of names) {
    const s = structs[name]!;
    out.push(`_Static_assert(sizeof(struct ${name}) == ${s.size}, "sizeof ${name}");`);
    for (const [f, l] of Object.entries(s.fields)) {
      out.push(`_Static_assert(offsetof(struct ${name}, ${f}) == ${l.offset}, "${name}.${f}");`);
      out.push(`_Static_assert(sizeof(((struct ${name} *)0)->${f}) == ${l.size}, "sizeof ${name}.${f}");`);
    }
  }
  if (withEnums) {
    for (const values of Object.values(ENUMS)) {
      for (const [k, v] of Object.entries(values)) out.push(`_Static_assert(${k} == ${v}, "${k}");`);
    }
  }
  return out.join('\n');
}

function compiles(compiler: string, flags: string[], headers: string[], body: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'gdl-abi-check-'));
  try {
    const src = join(dir, 'check.c');
    writeFileSync(src, ['#include <stddef.h>', ...headers.map((h) => `#include "${h}"`), body, ''].join('\n'));
    execFileSync(compiler, [...flags, '-fsyntax-only', src], { stdio: 'pipe' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the host compiler lays out every mirrored struct and enum as generated', () => {
  compiles('cc', ['-D_GNU_SOURCE', ...inc('kmod/include'), ...inc('kmod/core'), ...inc('kmod/user')],
    ['uapi/gpu_dma_lock.h', 'uapi/gdl_events.h', 'gdl_core.h'], asserts(Object.keys(structs), true));
});

test('the BPF target lays out the event records as generated', () => {
  const events = ['gdl_event_hdr', 'gdl_ev_decision', 'gdl_ev_cuda', 'gdl_decision'];
  compiles('clang', ['-target', 'bpf', '-I', '/usr/include/x86_64-linux-gnu', ...inc('kmod/include')], ['uapi/gdl_events.h'],
    asserts(events, true));
});

test('struct gdl_grant: start, the deprecated name, still compiles and names addr\'s bytes', () => {
  compiles('cc', ['-std=c11', '-Werror', ...inc('kmod/include')], ['uapi/gpu_dma_lock.h'], [
    'static const struct gdl_grant old = { .agent_id = 1, .start = 0x1000, .length = 1 };',
    '_Static_assert(offsetof(struct gdl_grant, start) == offsetof(struct gdl_grant, addr), "alias");',
    '_Static_assert(sizeof(old.start) == sizeof(old.addr), "alias size");',
  ].join('\n'));
});

test('a failing assertion is caught (the check can fail)', () => {
  assert.throws(() => compiles('cc', inc('kmod/include'), ['uapi/gpu_dma_lock.h'],
    '_Static_assert(sizeof(struct gdl_decision) == 1, "wrong on purpose");'));
});

test('every mirrored struct is explicitly padded: members in order, no holes, no overlap', () => {
  for (const [name, s] of Object.entries(structs)) {
    let end = 0;
    for (const [f, l] of Object.entries(s.fields)) {
      assert.is(l.offset, end, `${name}.${f} starts where the previous member ended`);
      end = l.offset + l.size;
    }
    assert.is(end, s.size, `${name} has no tail padding`);
  }
  for (const name of ['gdl_event_hdr', 'gdl_ev_decision', 'gdl_ev_cuda']) assert.is(structs[name]!.size % 8, 0, name);
});

test('decision kinds: the X-macro list and the enum agree, one name per value', () => {
  const kinds = ENUMS.gdl_decision_kind as Record<string, number>;
  const values = Object.keys(DECISION_KINDS).map(Number);
  assert.equal(values, Array.from({ length: kinds.GDL_DEC_KIND_MAX! }, (_, i) => i + 1));
  for (const [v, name] of Object.entries(DECISION_KINDS)) {
    assert.is(kinds[`GDL_DEC_${name.toUpperCase()}`], Number(v), name);
  }
});

test('CUDA event ops: the X-macro list and the enum agree, one driver function per value', () => {
  const ops = ENUMS.gdl_cuda_op as Record<string, number>;
  const values = Object.keys(CUDA_OPS).map(Number);
  assert.equal(values, Array.from({ length: ops.GDL_CUDA_OP_MAX! }, (_, i) => i + 1));
  assert.equal(values, Object.entries(ops).filter(([k]) => k !== 'GDL_CUDA_OP_MAX').map(([, v]) => v));
  for (const fn of Object.values(CUDA_OPS)) assert.match(fn, /^cuMem\w+$/, fn);
  assert.is(new Set(Object.values(CUDA_OPS)).size, values.length, 'each function once');
});

test('ioctl numbers carry their struct\'s size (_IOC_SIZE)', () => {
  assert.is(MACROS.GDL_IOC_INFO >>> 16 & 0x3fff, STRUCTS.gdl_info.size);
  assert.is(MACROS.GDL_IOC_CHECK >>> 16 & 0x3fff, STRUCTS.gdl_check.size);
});

test('every flat struct has a codec, and codecs round-trip 64-bit values without loss', () => {
  for (const [name, s] of Object.entries(structs)) {
    if (Object.values(s.fields).some((f) => f.type.startsWith('gdl_'))) continue;
    assert.is(defineStruct(name as StructName).size, s.size, name);
  }
  const info = defineStruct('gdl_agent_info');
  const v = { agent_id: 2n ** 64n - 1n, quota: 2n ** 53n + 1n, used: 1n, device_mask: 0x8000000000000001n, allocations: 0n, grants: 3n, flags: 0, pad: 0 };
  assert.equal(info.decode(info.encode(v)), v);
  const dev = defineStruct('gdl_device_info');
  assert.is(dev.decode(dev.encode({ name: 'x'.repeat(40) })).name, 'x'.repeat(31), 'text keeps its NUL');
});

test.run();

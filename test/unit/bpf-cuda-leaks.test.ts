/** CudaLeakTracker and the event line format, on hand-made events. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CudaLeakTracker } from '../kernel/bpf-probe/cuda-leaks.ts';
import { formatEventLine } from '../kernel/bpf-probe/event-line.ts';
import type { CudaEvent, CudaOp, DecisionEvent } from '../../agent/src/events/types.ts';
import { cudaProbes } from '../../agent/src/events/kernel-source.ts';
import { BpfObject } from '../../agent/src/native/libbpf.ts';
import { EVENT_CONSTANTS } from '../../agent/src/native/event-layouts.ts';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

function cuda(op: CudaOp, pid: number, ptr: bigint, size = 0n, result = 0): CudaEvent {
  return { type: 'cuda', op, tsNs: 1n, cpu: 0, result, ptr, size, latencyNs: 5n, pid, tid: pid + 1, cgroupId: 1n, comm: `p${pid}` };
}

test('leaks per process: allocations minus their frees, failures ignored', () => {
  const t = new CudaLeakTracker();
  t.observe([
    cuda('cuMemAlloc_v2', 10, 0x1000n, 100n),
    cuda('cuMemAllocPitch_v2', 10, 0x2000n, 300n),
    cuda('cuMemCreate', 10, 0x55n, 1000n),
    cuda('cuMemAllocAsync', 20, 0x1000n, 50n), // same pointer, other process
    cuda('cuMemAlloc_v2', 10, 0n, 0n, 2), // failed: nothing allocated
    cuda('cuMemFree_v2', 10, 0x1000n),
    cuda('cuMemRelease', 10, 0x55n),
    cuda('cuMemFreeAsync', 10, 0x9999n), // never allocated
    cuda('cuMemFree_v2', 20, 0x2000n, 0n, 1), // failed free changes nothing
  ]);
  const leaks = t.leaks();
  assert.equal(leaks.map((p) => [p.pid, p.comm, p.count, p.bytes, [...p.live.keys()]]), [
    [10, 'p10', 1, 300n, [0x2000n]],
    [20, 'p20', 1, 50n, [0x1000n]],
  ]);
  assert.is(t.unknownFrees, 1);
  t.observe([cuda('cuMemFreeAsync', 20, 0x1000n)]);
  t.forget(10);
  assert.equal(t.leaks(), []);
});

test('event lines: stable text, hex addresses, no timestamps', () => {
  const d: DecisionEvent = {
    type: 'decision', kind: 'quota_violation', tsNs: 99n, cpu: 1, agentId: 7n, device: 0, allocId: 0n,
    addr: 0xabcn, length: 4096n, mode: 0, result: -122, used: 1n, quota: 2n, pid: 4, tid: 5, cgroupId: 3n, comm: 'x',
  };
  assert.is(formatEventLine(d),
    'decision quota_violation agent=7 device=0 alloc=0 addr=0xabc length=4096 mode=0 result=-122 used=1 quota=2 pid=4 tid=5 comm=x');
  assert.is(formatEventLine(cuda('cuMemCreate', 3, 0xffn, 8n)), 'cuda cuMemCreate result=0 ptr=0xff size=8 pid=3 tid=4 comm=p3');
});

// The one list of CUDA memory functions (cuda/gdl_cuda_ops.h) against what
// the TypeScript side attaches and decodes. The probes are read as the BPF
// object sees them: expanded by the preprocessor, event ops included.
const opsHeader = readFileSync(new URL('../../cuda/gdl_cuda_ops.h', import.meta.url), 'utf8');
const listed = new Map([...opsHeader.matchAll(/^GDL_CUDA_OP\((\w+), (\w+),/gm)].map((m) => [m[1]!, m[2]!]));
const probes = [...expandedProbes().matchAll(/^probe (\w+) (\w+) (\w+)$/gm)].map((m) => ({
  func: m[1]!, op: m[2]!, layout: m[3]!,
}));

function expandedProbes(): string {
  const src = [
    '#define GDL_CUDA_PROBE(name, op, layout) probe name op layout',
    '#include "uapi/gdl_events.h"',
    '#include "cuda/gdl_cuda_ops.h"',
  ].join('\n');
  const root = fileURLToPath(new URL('../..', import.meta.url));
  return execFileSync('cc', ['-E', '-P', '-I', join(root, 'kmod/include'), '-I', root, '-x', 'c', '-'],
    { input: src, encoding: 'utf8' }).replace(/ probe /g, '\nprobe ');
}

test('CUDA probes: the object attaches exactly the functions of the one list, in order', () => {
  // Both ways: nothing attached that the list lacks, nothing listed left unattached.
  const dir = join(process.env.GDL_BUILD ?? fileURLToPath(new URL('../../build', import.meta.url)), 'bpf');
  const o = BpfObject.open(join(dir, 'gdl_cuda.bpf.o'));
  try {
    assert.ok(probes.length > 0);
    assert.equal(cudaProbes(o), probes.map((p) => p.func));
  } finally {
    o.close();
  }
});

test('CUDA probes: each probed function is a charged or released one; each op is a known event op', () => {
  for (const p of probes) {
    assert.ok(['CHARGE', 'RELEASE'].includes(listed.get(p.func) ?? ''), `${p.func}: ${listed.get(p.func)}`);
    assert.type((EVENT_CONSTANTS as Record<string, number>)[p.op], 'number', p.op);
    assert.ok(['ALLOC', 'PITCH', 'FREE'].includes(p.layout), p.layout);
  }
  // every op the record can carry has a probe
  const ops = Object.keys(EVENT_CONSTANTS).filter((k) => /^GDL_CUDA_MEM_/.test(k));
  assert.equal(ops.filter((o) => !probes.some((p) => p.op === o)), []);
});

test.run();

/**
 * The koffi libbpf binding on the host, without loading anything into the
 * kernel: open the built objects, enumerate programs and maps, read and set
 * .rodata through the object's BTF, resize the ring, typed errors, logging.
 */
import { test } from 'uvu';
import { cudaProbes, moduleObject, moduleObjects } from '../../agent/src/events/kernel-source.ts';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_RINGBUF, BpfError, BpfObject, libbpfVersion,
  numPossibleCpus, setLibbpfLogger, type LibbpfLogRecord,
} from '../../agent/src/native/libbpf.ts';
import { EVENT_CONSTANTS as C } from '../../agent/src/native/event-layouts.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = join(process.env.GDL_BUILD ?? join(root, 'build'), 'bpf');
const modulePath = join(dir, 'gdl_module.bpf.o');
const rawPath = join(dir, 'gdl_module_raw.bpf.o');
const cudaPath = join(dir, 'gdl_cuda.bpf.o');
const batchPath = join(dir, 'gdl_batch.bpf.o');
const batchRawPath = join(dir, 'gdl_batch_raw.bpf.o');
if (![modulePath, rawPath, cudaPath, batchPath, batchRawPath].every(existsSync)) {
  execFileSync('make', ['-C', join(root, 'bpf')], { stdio: 'inherit' });
}

test('libbpf 1.x, and CPUs counted', () => {
  assert.match(libbpfVersion(), /^1\.\d+$/);
  assert.ok(numPossibleCpus() >= 1);
});

test('gdl_module: one tp_btf program per module tracepoint', () => {
  const o = BpfObject.open(modulePath);
  try {
    const kinds = ['alloc', 'alloc_fail', 'quota_violation', 'free', 'check', 'deny', 'grant', 'revoke'];
    assert.equal(o.programs().map((p) => [p.name, p.section]), kinds.map((k) => [`gdl_${k}`, `tp_btf/gdl_${k}`]));
  } finally {
    o.close();
  }
});

test('gdl_module_raw: the same programs as raw_tp, for a module without BTF', () => {
  assert.equal(moduleObject(true), 'gdl_module.bpf.o');
  assert.equal(moduleObject(false), 'gdl_module_raw.bpf.o');
  const mod = BpfObject.open(modulePath);
  const raw = BpfObject.open(rawPath);
  try {
    assert.equal(raw.programs().map((p) => [p.name, p.section]),
      mod.programs().map((p) => [p.name, p.section.replace(/^tp_btf\//, 'raw_tp/')]));
  } finally {
    raw.close();
    mod.close();
  }
});

test('gdl_batch: one program on the module\'s batches, tp_btf and raw_tp, and the order they are tried in', () => {
  assert.equal(moduleObjects(true, true), ['gdl_batch.bpf.o', 'gdl_batch_raw.bpf.o', 'gdl_module.bpf.o']);
  assert.equal(moduleObjects(true, false), ['gdl_batch_raw.bpf.o', 'gdl_module_raw.bpf.o']);
  assert.equal(moduleObjects(false, true), ['gdl_module.bpf.o']);
  for (const [path, section] of [[batchPath, 'tp_btf/gdl_batch'], [batchRawPath, 'raw_tp/gdl_batch']] as const) {
    const o = BpfObject.open(path);
    try {
      assert.equal(o.programs().map((p) => [p.name, p.section]), [['gdl_batch', section]]);
      assert.is(o.map('events').type, BPF_MAP_TYPE_RINGBUF);
      assert.is(o.map('counters').maxEntries, C.GDL_CTR_MAX);
    } finally {
      o.close();
    }
  }
});

test('gdl_module maps: ring, per-CPU counters with every slot', () => {
  const o = BpfObject.open(modulePath);
  try {
    assert.is(o.map('events').type, BPF_MAP_TYPE_RINGBUF);
    const ctr = o.map('counters');
    assert.is(ctr.type, BPF_MAP_TYPE_PERCPU_ARRAY);
    assert.is(ctr.maxEntries, C.GDL_CTR_MAX);
    assert.is(ctr.valueSize, 8);
    o.map('events').setMaxEntries(1 << 20);
    assert.is(o.map('events').maxEntries, 1 << 20);
  } finally {
    o.close();
  }
});

test('.rodata tunables: offsets from BTF, defaults, set before load', () => {
  const o = BpfObject.open(modulePath);
  try {
    const vars = Object.fromEntries(o.rodataVars().map((v) => [v.name, v.size]));
    assert.equal(vars, { filter_agent: 8, filter_cgroup: 8, sample_every: 4 });
    assert.equal(o.readRodata(), { filter_agent: 0n, filter_cgroup: 0n, sample_every: 1n });
    o.setRodata({ sample_every: 7, filter_agent: 0xffff_ffff_ffff_fff0n, filter_cgroup: 3n });
    assert.equal(o.readRodata(), { filter_agent: 0xffff_ffff_ffff_fff0n, filter_cgroup: 3n, sample_every: 7n });
  } finally {
    o.close();
  }
});

test('bad tunables are typed errors, and leave the values alone', () => {
  const o = BpfObject.open(modulePath);
  try {
    const err = (f: () => void): BpfError => {
      try {
        f();
      } catch (e) {
        assert.instance(e, BpfError);
        return e as BpfError;
      }
      throw new Error('did not throw');
    };
    assert.is(err(() => o.setRodata({ no_such_knob: 1 })).errno, 2);
    assert.is(err(() => o.setRodata({ sample_every: 2 ** 32 })).errno, 34);
    assert.is(err(() => o.setRodata({ sample_every: -1 })).errno, 34);
    assert.is(o.readRodata().sample_every, 1n);
    assert.is(err(() => o.program('nope')).errno, 2);
  } finally {
    o.close();
  }
});

test('open errors carry op and errno; a closed object refuses use; close is idempotent', () => {
  try {
    BpfObject.open('/nonexistent/x.bpf.o');
    assert.unreachable();
  } catch (e) {
    assert.instance(e, BpfError);
    assert.is((e as BpfError).errno, 2);
    assert.match((e as BpfError).op, /bpf_object__open_file\(\/nonexistent\/x\.bpf\.o\)/);
  }
  const o = BpfObject.open(modulePath);
  o.close();
  o.close();
  assert.throws(() => o.programs(), (e: unknown) => e instanceof BpfError && e.errno === 9);
});

test('gdl_cuda: one entry uprobe per listed probe and one shared return probe, cgroup filter only', () => {
  const o = BpfObject.open(cudaPath);
  try {
    const progs = o.programs();
    // Entry programs are named after the functions they attach to.
    assert.equal(progs.filter((p) => p.section === 'uprobe').map((p) => p.name), cudaProbes(o));
    assert.ok(cudaProbes(o).every((f) => /^cu[A-Z]\w+$/.test(f)), cudaProbes(o).join());
    assert.equal(progs.filter((p) => p.section === 'uretprobe').map((p) => p.name), ['cu_ret']);
    assert.equal(Object.keys(o.readRodata()), ['filter_cgroup']);
    assert.ok(o.maps().some((m) => m.name === 'calls'));
  } finally {
    o.close();
  }
});

test("libbpf's messages become log records", () => {
  const logs: LibbpfLogRecord[] = [];
  setLibbpfLogger((r) => logs.push(r));
  try {
    BpfObject.open(modulePath).close();
  } finally {
    setLibbpfLogger(null);
  }
  assert.ok(logs.some((r) => r.level === 'debug' && r.message.includes('gdl_module.bpf.o')), JSON.stringify(logs.slice(0, 3)));
  assert.ok(logs.every((r) => !r.message.endsWith('\n')));
});

test.run();

/**
 * Every koffi mirror of agent/src/native/uapi.ts against the C compiler:
 * compiles test/layout/uapi_layouts.c, runs it, and compares sizes,
 * offsets, field sizes and ioctl numbers. A header change that the mirrors
 * do not follow fails here.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT } from '../../agent/src/paths.ts';
import { ALL_STRUCTS, Ioc } from '../../agent/src/native/uapi.ts';

interface CLayout {
  structs: Record<string, { size: number; fields: Record<string, { offset: number; size: number }> }>;
  ioctls: Record<string, number>;
}

function compileAndRun(): CLayout {
  const dir = mkdtempSync(join(tmpdir(), 'gdl-layout-'));
  try {
    const exe = join(dir, 'uapi_layouts');
    const inc = (p: string) => ['-I', resolve(REPO_ROOT, p)];
    // _GNU_SOURCE: the userspace environment header uses sched_getcpu().
    execFileSync('cc', ['-D_GNU_SOURCE', ...inc('kmod/include'), ...inc('kmod/core'), ...inc('kmod/user'),
      resolve(REPO_ROOT, 'test/layout/uapi_layouts.c'), '-o', exe], { stdio: ['ignore', 'ignore', 'inherit'] });
    return JSON.parse(execFileSync(exe, { encoding: 'utf8' })) as CLayout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const c = compileAndRun();
const Layout = suite('agent layout');

Layout('every C struct has a mirror and every mirror a C struct', () => {
  assert.equal(ALL_STRUCTS.map((s) => s.name).sort(), Object.keys(c.structs).sort());
});

for (const mirror of ALL_STRUCTS) {
  Layout(`${mirror.name}: size, field set, offsets and field sizes`, () => {
    const cs = c.structs[mirror.name]!;
    assert.is(mirror.size, cs.size, 'sizeof');
    assert.equal(Object.keys(mirror.fields).sort(), Object.keys(cs.fields).sort(), 'fields');
    for (const [name, f] of Object.entries(cs.fields)) {
      assert.is((mirror.offsetOf as (field: string) => number)(name), f.offset, `offsetof(${name})`);
      const t = (mirror.fields as Record<string, string>)[name]!;
      const size = t === 'u64' ? 8 : t === 'u32' || t === 's32' ? 4 : Number(/\d+/.exec(t)![0]);
      assert.is(size, f.size, `sizeof(${name})`);
    }
  });
}

Layout('ioctl numbers match the header', () => {
  for (const [name, value] of Object.entries(c.ioctls)) {
    const key = name.replace(/^GDL_IOC_/, '') as keyof typeof Ioc;
    assert.is(Ioc[key], value, name);
  }
  assert.is(Object.keys(Ioc).length, Object.keys(c.ioctls).length);
});

Layout('codecs round-trip 64-bit values without loss', () => {
  const info = ALL_STRUCTS.find((s) => s.name === 'gdl_agent_info')!;
  const v = { agent_id: 2n ** 64n - 1n, quota: 2n ** 53n + 1n, used: 1n, device_mask: 0x8000000000000001n, allocations: 0n, grants: 3n, flags: 0, pad: 0 };
  assert.equal(info.decode(info.encode(v)), v);
});

Layout.run();

/**
 * The TypeScript mirror of the event records matches the C compiler's
 * layout: compile test/layout/event_layouts.c, run it, compare everything.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EVENT_CONSTANTS, EVENT_STRUCTS } from '../../agent/src/native/event-layouts.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface CLayouts {
  structs: Record<string, { size: number; fields: Record<string, { offset: number; size: number }> }>;
  constants: Record<string, number>;
}

function cLayouts(): CLayouts {
  const dir = mkdtempSync(join(tmpdir(), 'gdl-layout-'));
  try {
    const exe = join(dir, 'event_layouts');
    execFileSync('cc', ['-Wall', '-Werror', '-I', join(root, 'bpf'), '-o', exe,
      join(root, 'test/layout/event_layouts.c')]);
    return JSON.parse(execFileSync(exe, { encoding: 'utf8' })) as CLayouts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const c = cLayouts();

test('same structs on both sides', () => {
  assert.equal(Object.keys(EVENT_STRUCTS).sort(), Object.keys(c.structs).sort());
});

for (const [name, layout] of Object.entries(c.structs)) {
  test(`struct ${name}: size and every field's offset and size`, () => {
    const ts = EVENT_STRUCTS[name];
    assert.ok(ts, `${name} mirrored`);
    assert.is(ts!.size, layout.size, `${name} size`);
    assert.equal({ ...ts!.fields }, layout.fields);
    assert.is(layout.size % 8, 0, `${name} is 8-byte aligned`);
  });
}

test('constants: enum values and lengths', () => {
  assert.equal({ ...EVENT_CONSTANTS }, c.constants);
});

test.run();

/**
 * The kernel backend's host-testable parts: /proc listing parsing, the
 * reload watcher, and clear failures where there is no module. (The real
 * module is exercised inside the test guest: test/kernel/cases/8*.)
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DeviceWatch } from '../../agent/src/backends/device-watch.ts';
import { GdlError } from '../../agent/src/backends/errors.ts';
import { KernelBackend } from '../../agent/src/backends/kernel.ts';
import { bigField, modeField, parseProcTable } from '../../agent/src/backends/proc-table.ts';
import { mapGdlError } from '../../agent/src/http/errors.ts';

const Kernel = suite('agent kernel backend');

Kernel('proc listings parse by header name, decimal and hex', () => {
  const rows = parseProcTable('# agent quota used device_mask allocations grants\n7 1000 600 0x3 1 2\n18446744073709551615 0 0 0 0 0\n');
  assert.is(rows.length, 2);
  assert.is(bigField(rows[0]!, 'agent'), 7n);
  assert.is(bigField(rows[0]!, 'device_mask'), 3n);
  assert.is(bigField(rows[1]!, 'agent'), 18446744073709551615n);
  assert.throws(() => bigField(rows[0]!, 'nope'), /lacks field nope/);
  assert.throws(() => parseProcTable('7 1000\n'), /no "# field/);
  const grants = parseProcTable('# agent device start length mode\n7 0 0x1000 4096 rw\n7 0 0x3000 16 1\n');
  assert.is(modeField(grants[0]!, 'mode'), 3);
  assert.is(modeField(grants[1]!, 'mode'), 1);
  assert.is(parseProcTable('# agent quota\n').length, 0);
});

Kernel('a device that is not the module fails at start with the errno', () => {
  try {
    new KernelBackend({ devicePath: '/dev/null', procDir: '/nonexistent', watchMs: 0 });
    assert.unreachable('opened /dev/null as the module');
  } catch (err) {
    assert.instance(err, GdlError);
    assert.is((err as GdlError).code, 'ENOTTY');
  }
  try {
    new KernelBackend({ devicePath: '/nonexistent/gpu_dma_lock', procDir: '/nonexistent', watchMs: 0 });
    assert.unreachable('opened a missing device');
  } catch (err) {
    assert.is((err as GdlError).code, 'ENOENT');
    assert.is((err as GdlError).op, 'open');
    assert.is(mapGdlError(err as GdlError).code, 'BACKEND_UNAVAILABLE', 'a missing device is not a missing agent');
  }
});

Kernel('the watcher reports a new device node, not the same one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gdl-watch-'));
  try {
    const dev = join(dir, 'gpu_dma_lock');
    writeFileSync(dev, 'a');
    let resets = 0;
    const w = new DeviceWatch(dev, () => resets++);
    w.poll();
    assert.is(resets, 0, 'same node');
    // rmmod: the node goes away; insmod: a new node (new inode) appears.
    rmSync(dev);
    w.poll();
    assert.is(resets, 0, 'absent is not yet a reload');
    writeFileSync(dev, 'b');
    w.poll();
    assert.is(resets, 1, 'back after being absent');
    const other = join(dir, 'other');
    writeFileSync(other, 'c');
    renameSync(other, dev);
    w.poll();
    assert.is(resets, 2, 'replaced in place');
    w.poll();
    assert.is(resets, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Kernel.run();

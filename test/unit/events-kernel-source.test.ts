/**
 * KernelEventSource on a machine without the module (this host): it must
 * refuse before loading anything into the kernel, and say why.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { KernelEventSource, createKernelEventSource, statsValue } from '../../agent/src/events/kernel-source.ts';

test('without gpu_dma_lock loaded, start() refuses and loads nothing', () => {
  if (existsSync('/sys/module/gpu_dma_lock')) return; // a real node: covered by the guest tests
  const src = new KernelEventSource({ bpfDir: '/nonexistent' });
  let batches = 0;
  assert.throws(() => src.start(() => batches++), /gpu_dma_lock is not loaded/);
  assert.equal(src.stats(), { received: 0, lost: 0, unknown: 0, short: 0 });
  assert.is(batches, 0);
});

test('createKernelEventSource fails early when the objects are not built', () => {
  assert.throws(() => createKernelEventSource({ bpfDir: '/nonexistent' }), /not built/);
});

test('statsValue reads one counter of the module\'s stats, and only a whole line', () => {
  const text = 'checks 12\nchecks_denied 3\ntrace_check_every 100\nchecks_untraced 990\n';
  assert.is(statsValue(text, 'checks'), 12n);
  assert.is(statsValue(text, 'checks_untraced'), 990n);
  assert.throws(() => statsValue('checks_untraced_x 5\n', 'checks_untraced'), /no checks_untraced line/);
});

test.run();

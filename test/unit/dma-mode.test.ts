/** The one conversion between GDL_DMA_* bits and "r" / "w" / "rw". */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isModeName, MODE_NAMES, modeBits, modeName } from '../../agent/src/dma-mode.ts';
import { GDL_DMA_READ, GDL_DMA_RW, GDL_DMA_WRITE } from '../../agent/src/native/uapi.ts';

test('names <-> bits round-trip', () => {
  assert.equal(MODE_NAMES.map(modeBits), [GDL_DMA_READ, GDL_DMA_WRITE, GDL_DMA_RW]);
  for (const m of MODE_NAMES) assert.is(modeName(modeBits(m)), m);
});

test('only r, w and rw are mode names', () => {
  for (const m of MODE_NAMES) assert.ok(isModeName(m));
  for (const m of ['', 'wr', 'R', 'rwx', 'x']) assert.not.ok(isModeName(m), m);
});

test.run();

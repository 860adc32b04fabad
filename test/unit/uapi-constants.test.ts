/**
 * The plain constants agent/src/native/uapi.ts mirrors from
 * kmod/include/uapi/gpu_dma_lock.h, against the C compiler: a program
 * printing each macro's value is compiled from the header and run. (Struct
 * layouts and ioctl numbers: agent-layout.test.ts.)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT } from '../../agent/src/paths.ts';
import * as uapi from '../../agent/src/native/uapi.ts';

const NAMES = [
  'GDL_ABI_VERSION', 'GDL_MAX_DEVICES', 'GDL_NO_DEVICE', 'GDL_DMA_READ', 'GDL_DMA_WRITE', 'GDL_DMA_RW',
  'GDL_ALLOC_PERSISTENT', 'GDL_CHECK_ALLOWED', 'GDL_DEVICE_PCI', 'GDL_DEVICE_FAKE',
] as const;

function cValues(): Record<string, number> {
  const dir = mkdtempSync(join(tmpdir(), 'gdl-consts-'));
  try {
    const src = join(dir, 'consts.c');
    const exe = join(dir, 'consts');
    writeFileSync(src, [
      '#include <stdio.h>',
      '#include <uapi/gpu_dma_lock.h>',
      'int main(void) {',
      ...NAMES.map((n, i) => `\tprintf("%s\\"${n}\\": %llu", ${i ? '", "' : '"{"'}, (unsigned long long)(${n}));`),
      '\tprintf("}\\n");',
      '\treturn 0;',
      '}',
    ].join('\n'));
    execFileSync('cc', ['-Wall', '-Werror', '-I', resolve(REPO_ROOT, 'kmod/include'), src, '-o', exe],
      { stdio: ['ignore', 'ignore', 'inherit'] });
    return JSON.parse(execFileSync(exe, { encoding: 'utf8' })) as Record<string, number>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('UAPI constants: the TypeScript mirror has the header\'s values', () => {
  const c = cValues();
  for (const n of NAMES) assert.is(uapi[n], c[n], n);
});

test.run();

/**
 * bench/kernel/trace/report.py turns scripts/kernel-trace.sh's raw trace
 * (one guest program counter per line, a header per ioctl) into
 * instructions per ioctl and per function, with the guest's /proc/kallsyms
 * as the symbols.  Synthetic inputs: two kernel functions, one module one.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT } from '../../agent/src/paths.ts';

const Report = suite('kernel trace report');
const script = resolve(REPO_ROOT, 'bench/kernel/trace/report.py');

const kallsyms = [
  'ffffffff81000000 T entry_SYSCALL_64',
  'ffffffff81000100 t do_syscall_64',
  'ffffffff81000200 D some_data',
  'ffffffffc0001000 t gdl_ioctl\t[gpu_dma_lock]',
  'ffffffffc0002000 t gdl_check\t[gpu_dma_lock]',
].join('\n');
const pcs = (base: number, n: number) =>
  Array.from({ length: n }, (_, i) => (BigInt('0xffffffff00000000') + BigInt(base + i)).toString(16));
const trace = [
  'ioctl 0 fd 901 cmd 0x5340',
  ...pcs(0x81000000, 3), ...pcs(0xc0001000, 2),
  'ioctl 1 fd 901 cmd 0xc028534a',
  ...pcs(0x81000000, 3), ...pcs(0x81000100, 1), ...pcs(0xc0002000, 5), ...pcs(0xc0001010, 2),
  'ioctl 1 fd 901 cmd 0x40105347',
  ...pcs(0x81000204, 4),
].join('\n');
const caseLog = '# traced 0 noop\n# traced 1 check_bound_1\nok - all\n';

function run(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gdl-trace-'));
  try {
    writeFileSync(join(dir, 'raw.txt'), `${trace}\n`);
    writeFileSync(join(dir, 'kallsyms'), `${kallsyms}\n`);
    writeFileSync(join(dir, 'case.log'), caseLog);
    const r = spawnSync('python3', [script, join(dir, 'raw.txt'), join(dir, 'kallsyms'), join(dir, 'case.log')], {
      encoding: 'utf8',
    });
    assert.is(r.status, 0, r.stderr);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

Report('each ioctl under its row, counted whole and by function', () => {
  const out = run();
  assert.match(out, /## noop\nfd 901 cmd 0x5340: 5 instructions\n +3 +entry_SYSCALL_64\n +2 +gdl_ioctl \[gdl\]/);
  assert.match(out, /## check_bound_1\nfd 901 cmd 0xc028534a: 11 instructions\n +5 +gdl_check \[gdl\]\n/);
  assert.match(out, / +1 +do_syscall_64\n/);
});

Report('a row with two ioctls reports both; data symbols never name code', () => {
  const out = run();
  // 0x81000204 lies past a data symbol: it still belongs to do_syscall_64.
  assert.match(out, /fd 901 cmd 0x40105347: 4 instructions\n +4 +do_syscall_64/);
  assert.not.match(out, /some_data/);
});

Report.run();

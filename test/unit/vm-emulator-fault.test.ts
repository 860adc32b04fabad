/**
 * test/vm/emulator-fault.sh decides whether a guest that died may be booted
 * again: only for an int3 oops in core kernel text (qemu TCG's stale copy of a
 * live-patched site), never for another oops or for anything in a module.
 * The fixtures are real consoles of this project's 6.12 runs (the module case
 * and the general protection fault are those consoles with one line changed).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT } from '../../agent/src/paths.ts';

const Fault = suite('vm emulator fault');
const script = resolve(REPO_ROOT, 'test/vm/emulator-fault.sh');
const fixture = (name: string) => resolve(REPO_ROOT, 'test/fixtures/console', name);
const judgeFile = (path: string) => spawnSync('bash', [script, path], { encoding: 'utf8' });
const judge = (name: string) => judgeFile(fixture(name));

Fault('an int3 in core kernel text at boot is the emulator\'s', () => {
  const r = judge('int3-core-at-boot.log');
  assert.is(r.status, 0);
  assert.match(r.stdout, /at sched_clock_cpu\+0x9\/0x190 /);
});

Fault('an int3 in core kernel text during a case is the emulator\'s', () => {
  const r = judge('int3-core-in-case.log');
  assert.is(r.status, 0);
  assert.match(r.stdout, /at ttwu_do_activate\+0x8d\/0x220 /);
});

// CI once lost a retry this way: the script read the console through a pipe,
// stopped reading at the RIP line, and the writer's SIGPIPE failed the match.
Fault('a long console after the oops still matches (no broken pipe)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gdl-console-'));
  try {
    const tail = Array.from({ length: 20_000 }, (_, i) => `[   40.000000] line ${i} after the oops\r`).join('\n');
    const path = join(dir, 'console.log');
    writeFileSync(path, `${readFileSync(fixture('int3-core-in-case.log'), 'utf8')}${tail}\n`);
    const r = judgeFile(path);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /at ttwu_do_activate\+0x8d\/0x220 /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Fault('an int3 inside a module is not: it fails the run', () => {
  const r = judge('int3-in-module.log');
  assert.is(r.status, 1);
  assert.is(r.stdout, '');
});

Fault('any other oops is not', () => {
  assert.is(judge('gpf-core.log').status, 1);
});

Fault('a console without an oops is not', () => {
  assert.is(judge('clean.log').status, 1);
  assert.is(judge('no-such-console.log').status, 1);
});

Fault.run();

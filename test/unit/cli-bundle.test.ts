/**
 * agent/bundle.mjs builds the one-file CLI the guest tests run; the bundle
 * must behave like bin/gdl.mjs (same program, no tsx). Test code (the guest
 * cases' OTLP sink) is bundled only when named, never by default.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT } from '../../agent/src/paths.ts';
import { VERSION } from '../../agent/src/version.ts';

const Bundle = suite('cli bundle');

Bundle('builds gdl.mjs that runs without tsx, and a named test entry only when asked', () => {
  const build = mkdtempSync(join(tmpdir(), 'gdl-bundle-'));
  const bundle = (...args: string[]) => execFileSync(process.execPath, [resolve(REPO_ROOT, 'agent/bundle.mjs'), ...args],
    { env: { ...process.env, GDL_BUILD: build }, stdio: 'pipe' });
  try {
    bundle();
    const gdl = join(build, 'agent/gdl.mjs');
    const sink = join(build, 'agent/otlp-sink.mjs');
    assert.ok(existsSync(gdl));
    assert.not.ok(existsSync(sink), 'the product bundle builds no test fixture');
    bundle(`otlp-sink=${resolve(REPO_ROOT, 'test/fixtures/otlp-sink.ts')}`);
    assert.ok(existsSync(sink));
    const env = { ...process.env, GDL_BUILD: undefined, NODE_OPTIONS: '' };
    assert.is(execFileSync(process.execPath, [gdl, '--version'], { env, encoding: 'utf8' }).trim(), VERSION);
    const down = spawnSync(process.execPath, [gdl, 'agents', '--url', 'http://127.0.0.1:1'], { env, encoding: 'utf8' });
    assert.is(down.status, 3, down.stderr);
    const usage = spawnSync(process.execPath, [gdl, 'quota', '0', '1'], { env, encoding: 'utf8' });
    assert.is(usage.status, 2);
  } finally {
    rmSync(build, { recursive: true, force: true });
  }
});

Bundle.run();

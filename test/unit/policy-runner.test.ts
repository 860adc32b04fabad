/**
 * The policy runner (agent/src/policy-runner.ts) when the core does not
 * answer: a SIGHUP or a module-reload re-apply while /dev/gpu_dma_lock is
 * gone must log and audit a refusal, never throw out of a signal handler
 * or timer.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Backend } from '../../agent/src/backends/backend.ts';
import { Errno, GdlError } from '../../agent/src/backends/errors.ts';
import type { Auditor } from '../../agent/src/http/audit.ts';
import type { Metrics } from '../../agent/src/telemetry/metrics.ts';
import { createPolicyRunner, LOCAL_PEER } from '../../agent/src/policy-runner.ts';

const dir = mkdtempSync(join(tmpdir(), 'gdl-policy-runner-'));
const path = join(dir, 'policy.yaml');
writeFileSync(path, 'agents:\n  - { id: 1, quota: 1GiB }\n');

/** Every call fails as KernelBackend's do with the module unloaded. */
const gone = new Proxy({}, {
  get: () => () => {
    throw new GdlError('open', Errno.ENOENT, '/dev/gpu_dma_lock');
  },
}) as Backend;

test('a reload while the core does not answer is refused, logged and audited, not thrown', () => {
  const audits: { action: string; outcome?: string; error?: string }[] = [];
  const errors: string[] = [];
  const runner = createPolicyRunner({
    backend: gone, path, initial: undefined,
    metrics: { policyApplied() {} } as unknown as Metrics,
    auditor: { record: (_who, r) => audits.push(r) } as Auditor,
    log: { info() {}, warn() {}, error: (_o, msg) => errors.push(msg) },
  });
  const who = { identity: 'signal:SIGHUP', peer: LOCAL_PEER };
  assert.is(runner.reload(who), false);
  assert.is(runner.apply('reload', who), false, 'the module watcher\'s re-apply too');
  assert.equal(errors, ['policy not applied: the core is not answering', 'policy not applied: the core is not answering']);
  assert.is(audits.length, 2);
  assert.is(audits[0]!.action, 'policy.apply');
  assert.is(audits[0]!.outcome, 'refused');
  assert.match(audits[0]!.error!, /ENOENT/);
  // The file was read: it is the policy to apply once the module is back.
  assert.is(runner.current?.agents[0]?.id, 1n);
});

test.run();

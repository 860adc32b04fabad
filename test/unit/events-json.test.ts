/**
 * One word per concept on the wire: `pid` is the caller's process and `tid`
 * its thread in /v1/events, with `tgid` kept as a deprecated alias of `pid`,
 * and `gdl watch` prints the process for agents old and new.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventJson } from '../../agent/src/events/json.ts';
import type { CudaEvent, DecisionEvent } from '../../agent/src/events/types.ts';
import { describe } from '../../agent/src/cli/commands/watch.ts';

const deny: DecisionEvent = {
  type: 'decision', kind: 'deny', tsNs: 1n, cpu: 0, agentId: 7n, device: 0, allocId: 0n, addr: 0x1000n,
  length: 8n, mode: 2, result: 0, used: 0n, quota: 0n, pid: 123, tid: 125, cgroupId: 1n, comm: 'node',
};
const alloc: CudaEvent = {
  type: 'cuda', op: 'cuMemAlloc_v2', tsNs: 1n, cpu: 0, result: 0, ptr: 0x10n, size: 4n, latencyNs: 1n,
  pid: 40, tid: 41, cgroupId: 1n, comm: 'app',
};

test('/v1/events: pid is the process, tid the thread, tgid the deprecated alias of pid', () => {
  for (const e of [deny, alloc]) {
    const j = eventJson(e);
    assert.is(j.pid, e.pid);
    assert.is(j.tid, e.tid);
    assert.is(j.tgid, e.pid);
  }
});

test('gdl watch prints the process id, from this agent and from one that sent the thread as pid', () => {
  const now = () => new Date(0);
  const fresh = { ...eventJson(deny), time: 'T' };
  assert.match(describe('decision', fresh, now), / pid=123 /);
  // An older agent: pid was the thread, tgid the process, and no tid.
  const { tid: _tid, ...older } = { ...fresh, pid: 125, tgid: 123 };
  assert.match(describe('decision', older, now), / pid=123 /);
  assert.match(describe('cuda', { ...eventJson(alloc), time: 'T' }, now), / pid=40 /);
});

test.run();

/**
 * Without BPF, the kernel backend is wrapped in ObservedBackend so the
 * agent's own decisions still become events (and spans). Tested here over
 * the embedded core with its own ring off, so every event comes from the
 * wrapper.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { EmbeddedBackend } from '../../agent/src/backends/embedded.ts';
import { ObservedBackend } from '../../agent/src/backends/observed.ts';
import { ApiEventSource } from '../../agent/src/events/api-source.ts';
import type { DecisionEvent, GdlEvent } from '../../agent/src/events/types.ts';

const Observed = suite('agent observed backend');

Observed('allocations, quota violations, grants and checks become decision events', async () => {
  const inner = new EmbeddedBackend({ devices: [{ name: 'd0', capacity: 1n << 30n }], defaultQuota: 0n, maxAgents: 4, eventRing: 0 });
  const source = new ApiEventSource(1000, 5);
  const backend = new ObservedBackend(inner, source);
  const got: GdlEvent[] = [];
  source.start((batch) => got.push(...batch));
  try {
    backend.setAgent(3n, 100n, 1n);
    const id = backend.alloc(3n, 60n, 0, true);
    assert.throws(() => backend.alloc(3n, 60n, 0, true), /EDQUOT/);
    assert.throws(() => backend.alloc(3n, 1n, 7, true), /ENODEV/);
    backend.grant({ agent: 3n, device: 0, addr: 0x1000n, length: 0x100n, mode: 1 });
    assert.is(backend.check(3n, 0, 0x1000n, 8n, 1), true);
    assert.is(backend.check(3n, 0, 0x1000n, 8n, 2), false);
    backend.revoke({ agent: 3n, device: 0, addr: 0x1000n, length: 0x100n, mode: 1 });
    await source.stop();
    const d = got as DecisionEvent[];
    assert.equal(d.map((e) => e.kind), ['alloc', 'quota_violation', 'alloc_fail', 'grant', 'check', 'deny', 'revoke']);
    assert.equal({ id: d[0]!.allocId, used: d[0]!.used, quota: d[0]!.quota, length: d[0]!.length }, { id, used: 60n, quota: 100n, length: 60n });
    assert.is(d[1]!.result, -122);
    assert.is(d[2]!.result, -19);
    assert.equal({ addr: d[5]!.addr, length: d[5]!.length, mode: d[5]!.mode }, { addr: 0x1000n, length: 8n, mode: 2 });
    assert.is(d[0]!.pid, process.pid);
    assert.equal(source.stats(), { received: 7, lost: 0, unknown: 0, short: 0 });
    // Reads pass through.
    assert.is(backend.getAgent(3n).used, 60n);
    assert.is(backend.kind, 'embedded');
  } finally {
    await backend.close();
  }
});

Observed('a full queue drops and counts instead of growing', async () => {
  const source = new ApiEventSource(3, 1_000_000);
  source.start(() => {});
  for (let i = 0; i < 10; i++) source.push({ kind: 'deny', agentId: 1n, device: 0, allocId: 0n, addr: 0n, length: 1n, mode: 1, result: 0, used: 0n, quota: 0n });
  await source.stop();
  assert.equal(source.stats(), { received: 3, lost: 7, unknown: 0, short: 0 });
});

Observed.run();

/**
 * The span pipeline on its own: a collector that accepts connections and
 * never answers must not block span creation, must not grow the queue past
 * its bound, and must not hold up shutdown for longer than the export
 * timeout. Also: the event -> span mapping and its sampling rules.
 */
import { createServer, type Socket } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { DecisionEvent } from '../../agent/src/events/types.ts';
import { createEventSpanner } from '../../agent/src/telemetry/event-spans.ts';
import { Span } from '../../agent/src/telemetry/names.ts';
import { agentResource } from '../../agent/src/telemetry/resource.ts';
import { createTracing, tracesUrl } from '../../agent/src/telemetry/tracing.ts';

const Tracing = suite('telemetry tracing');

function decision(kind: DecisionEvent['kind'], over: Partial<DecisionEvent> = {}): DecisionEvent {
  return {
    type: 'decision', kind, tsNs: process.hrtime.bigint(), cpu: 0, agentId: 9n, device: 0, allocId: 0n, addr: 0n,
    length: 16n, mode: 1, result: 0, used: 0n, quota: 0n, pid: 1, tgid: 1, cgroupId: 1n, comm: 'test', ...over,
  };
}

Tracing('OTLP URL: a base endpoint gets /v1/traces, a full one is kept', () => {
  assert.is(tracesUrl('http://c:4318'), 'http://c:4318/v1/traces');
  assert.is(tracesUrl('http://c:4318/'), 'http://c:4318/v1/traces');
  assert.is(tracesUrl('http://c:4318/v1/traces'), 'http://c:4318/v1/traces');
});

Tracing('no endpoint or OTEL_SDK_DISABLED: tracing is off and costs nothing', () => {
  assert.is(createTracing({ endpoint: undefined, resource: agentResource('t'), version: 't', maxQueueSize: 10, env: {} }).enabled, false);
  const off = createTracing({ endpoint: 'http://127.0.0.1:1', resource: agentResource('t'), version: 't', maxQueueSize: 10, env: { OTEL_SDK_DISABLED: 'true' } });
  assert.is(off.enabled, false);
});

Tracing('a collector that never answers: bounded queue, drops counted, shutdown within the timeout', async () => {
  const sockets = new Set<Socket>();
  const silent = createServer((s) => { sockets.add(s); s.on('error', () => {}); }); // accepts, reads nothing, answers nothing
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as { port: number }).port;
  try {
    const tracing = createTracing({
      endpoint: `http://127.0.0.1:${port}`, resource: agentResource('t'), version: 't', maxQueueSize: 10,
      exportTimeoutMs: 400, scheduledDelayMs: 20, env: {},
    });
    const spanner = createEventSpanner(tracing.tracer, 1);
    const t0 = Date.now();
    for (let i = 0; i < 10; i++) spanner.record(Array.from({ length: 100 }, () => decision('deny')), 'test');
    assert.ok(Date.now() - t0 < 2000, 'making 1000 spans does not wait for the collector');
    assert.ok(tracing.dropped() >= 990 - 10, `dropped ${tracing.dropped()}: the queue holds at most 10`);
    const t1 = Date.now();
    await tracing.shutdown();
    assert.ok(Date.now() - t1 < 3000, `shutdown took ${Date.now() - t1} ms`);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  }
});

Tracing('sampling: failures, grants and revokes always; allowed decisions at the ratio', () => {
  const made: string[] = [];
  const tracer = {
    startSpan: (name: string) => ({ setStatus() {}, end() { made.push(name); } }),
  } as unknown as Parameters<typeof createEventSpanner>[0];
  let coin = 0;
  const spanner = createEventSpanner(tracer, 0.5, () => (coin++ % 2 === 0 ? 0.1 : 0.9));
  const n = spanner.record(
    [decision('deny'), decision('quota_violation', { result: -122 }), decision('alloc_fail', { result: -28 }), decision('grant'),
      decision('revoke'), decision('check'), decision('check'), decision('alloc'), decision('alloc')],
    'test',
  );
  assert.is(n, 7);
  assert.equal(made.filter((m) => m === Span.check).length, 1);
  assert.equal(made.filter((m) => m === Span.alloc).length, 1);
  assert.ok(made.includes(Span.deny) && made.includes(Span.quotaViolation) && made.includes(Span.allocFail));
  made.length = 0;
  createEventSpanner(tracer, 0).record([decision('check'), decision('alloc'), decision('free'), decision('deny')], 'test');
  assert.equal(made, [Span.deny]);
});

Tracing.run();

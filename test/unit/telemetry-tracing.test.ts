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
import { Attr, Span } from '../../agent/src/telemetry/names.ts';
import { parseCgroup } from '../../agent/src/telemetry/process-context.ts';
import { agentResource } from '../../agent/src/telemetry/resource.ts';
import { createTracing, exportFailureLogger, tracesUrl } from '../../agent/src/telemetry/tracing.ts';

const Tracing = suite('telemetry tracing');

function decision(kind: DecisionEvent['kind'], over: Partial<DecisionEvent> = {}): DecisionEvent {
  return {
    type: 'decision', kind, tsNs: process.hrtime.bigint(), cpu: 0, agentId: 9n, device: 0, allocId: 0n, addr: 0n,
    length: 16n, mode: 1, result: 0, used: 0n, quota: 0n, pid: 1, tid: 1, cgroupId: 1n, comm: 'test', ...over,
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
    assert.ok(tracing.dropped().queue_full! >= 990 - 10, `dropped ${tracing.dropped().queue_full}: the queue holds at most 10`);
    const t1 = Date.now();
    await tracing.shutdown();
    assert.ok(Date.now() - t1 < 3000, `shutdown took ${Date.now() - t1} ms`);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  }
});

async function lossesWith(endpoint: string, exportTimeoutMs: number) {
  const warnings: { fields: any; msg: string }[] = [];
  const tracing = createTracing({
    endpoint, resource: agentResource('t'), version: 't', maxQueueSize: 1000, exportTimeoutMs, scheduledDelayMs: 20, env: {}, provider: 'local',
    onExportFailure: exportFailureLogger((fields, msg) => warnings.push({ fields, msg }), 60_000),
  });
  const spanner = createEventSpanner(tracing.tracer, 1);
  for (let i = 0; i < 5; i++) {
    spanner.record(Array.from({ length: 20 }, () => decision('deny')), 'test');
    await tracing.forceFlush().catch(() => {});
  }
  // Settled exports (failed or timed out) are counted when they settle.
  const total = () => Object.values(tracing.dropped()).reduce((a, b) => a + b, 0);
  for (const deadline = Date.now() + 5000; total() < 100 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
  const lost = { ...tracing.dropped() };
  await tracing.shutdown().catch(() => {});
  return { lost, after: tracing.dropped(), warnings };
}

Tracing('a collector that is down: every span counted as export_failed, failures logged once per interval', async () => {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r())); // nothing listens there now: connection refused
  const { lost, warnings } = await lossesWith(`http://127.0.0.1:${port}`, 2000);
  assert.is(lost.export_failed, 100, `lost ${JSON.stringify(lost)}`);
  assert.is(lost.queue_full, 0);
  assert.is(warnings.length, 1, 'five failed exports, one log line');
  assert.match(warnings[0]!.msg, /span export failed/);
  assert.is(warnings[0]!.fields.reason, 'export_failed');
});

Tracing('a collector that hangs: spans counted as export_timeout, the log stays bounded', async () => {
  const sockets = new Set<Socket>();
  const silent = createServer((sock) => { sockets.add(sock); sock.on('error', () => {}); });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as { port: number }).port;
  try {
    const { lost, warnings } = await lossesWith(`http://127.0.0.1:${port}`, 150);
    assert.is(lost.export_timeout, 100, `lost ${JSON.stringify(lost)} warnings ${JSON.stringify(warnings)}`);
    assert.ok(warnings.length <= 1);
  } finally {
    for (const sock of sockets) sock.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  }
});

Tracing('the export-failure log: first at once, then one per interval with what was suppressed', () => {
  let t = 0;
  const lines: any[] = [];
  const log = exportFailureLogger((fields) => lines.push(fields), 1000, () => t);
  const fail = { reason: 'export_failed' as const, spans: 10, error: new Error('ECONNREFUSED') };
  log(fail);
  for (let i = 0; i < 50; i++) { t += 10; log(fail); }
  assert.is(lines.length, 1);
  t += 1000;
  log(fail);
  assert.is(lines.length, 2);
  assert.is(lines[1].failures, 51);
  assert.is(lines[1].spansLost, 510);
});

Tracing('u64 attributes are exact; mode is r/w/rw; container.id and k8s.pod.uid when the process is in one', () => {
  const made: { name: string; attributes: Record<string, unknown> }[] = [];
  const tracer = {
    startSpan: (name: string, o: { attributes: Record<string, unknown> }) => ({ setStatus() {}, end() { made.push({ name, attributes: o.attributes }); } }),
  } as unknown as Parameters<typeof createEventSpanner>[0];
  const ctr = 'a'.repeat(64);
  const pod = '0123abcd-0000-1111-2222-333344445555';
  const spanner = createEventSpanner(tracer, 1, Math.random, (pid) => (pid === 42 ? { containerId: ctr, podUid: pod } : {}));
  const max = (1n << 64n) - 1n;
  spanner.record([
    decision('deny', { length: max, mode: 3, pid: 42 }),
    decision('quota_violation', { length: (1n << 53n) - 1n, quota: 1n << 53n, used: 0n, result: -122 }),
  ], 'test');
  const [deny, quota] = made;
  assert.is(deny!.attributes[Attr.length], '18446744073709551615');
  assert.is(deny!.attributes[Attr.mode], 'rw');
  assert.is(deny!.attributes[Attr.containerId], ctr);
  assert.is(deny!.attributes[Attr.podUid], pod);
  assert.is(quota!.attributes[Attr.size], Number.MAX_SAFE_INTEGER, 'an integer while exact');
  assert.is(quota!.attributes[Attr.quota], '9007199254740992', 'a string past 2^53 - 1');
  assert.is(quota!.attributes[Attr.errorType], 'EDQUOT');
  assert.not.ok(Attr.containerId in quota!.attributes);
});

Tracing('cgroup paths give container ids and pod uids (containerd, cri-o, docker, systemd slices)', () => {
  const id = 'f'.repeat(64);
  assert.equal(parseCgroup(`0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0123abcd_0000_1111_2222_333344445555.slice/cri-containerd-${id}.scope\n`),
    { containerId: id, podUid: '0123abcd-0000-1111-2222-333344445555' });
  assert.equal(parseCgroup(`0::/system.slice/docker-${id}.scope\n`), { containerId: id });
  assert.equal(parseCgroup(`12:memory:/kubepods/besteffort/pod0123abcd-0000-1111-2222-333344445555/${id}\n`),
    { containerId: id, podUid: '0123abcd-0000-1111-2222-333344445555' });
  assert.equal(parseCgroup('0::/user.slice/user-1000.slice/session-3.scope\n'), {});
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

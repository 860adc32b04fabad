/**
 * Spans over real OTLP/HTTP protobuf: an agent on the embedded backend
 * exports to a receiver in this process, which decodes the payload.
 */
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../agent/src/config.ts';
import { startAgent, type RunningAgent } from '../../agent/src/server.ts';
import { Attr, Metric, Span } from '../../agent/src/telemetry/names.ts';
import { AUTH, TOKEN } from '../fixtures/agent-harness.ts';
import { OtlpReceiver } from '../fixtures/otlp-receiver.ts';
import { parsePrometheus, sample } from '../fixtures/prometheus.ts';

async function agentWith(flags: Record<string, unknown>): Promise<RunningAgent> {
  const config = loadConfig({ flags: { port: 0, backend: 'embedded', ...flags }, env: { GDL_TOKEN: TOKEN } });
  // Several agents in this process: each gets its own provider (the agent process itself uses NodeSDK).
  return startAgent(config, false, { tracerProvider: 'local' });
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const Otlp = suite('telemetry otlp');

Otlp('denials, quota violations and sampled decisions arrive as spans with attributes and resource', async () => {
  const receiver = new OtlpReceiver();
  const url = await receiver.start();
  const agent = await agentWith({ otlpEndpoint: url, sampleRatio: 1 });
  try {
    const inject = (method: 'PUT' | 'POST', u: string, payload: object) => agent.app.inject({ method, url: u, payload, headers: AUTH });
    await inject('PUT', '/v1/agents/4242', { quota: '1000', devices: [0] });
    assert.is((await inject('POST', '/v1/allocations', { agent: '4242', size: '600', device: 0 })).statusCode, 201);
    assert.is((await inject('POST', '/v1/allocations', { agent: '4242', size: '600', device: 0 })).statusCode, 409);
    await inject('POST', '/v1/agents/4242/grants', { device: 0, start: '0x1000', length: '0x1000', mode: 'r' });
    await inject('POST', '/v1/checks', { agent: '4242', device: 0, addr: '0x1000', length: '8', mode: 'r' });
    await inject('POST', '/v1/checks', { agent: '4242', device: 0, addr: '0x1000', length: '8', mode: 'w' });
    await sleep(100); // one drain of the embedded event ring
    await agent.tracing.forceFlush();
    await receiver.waitFor(5);

    const byName = (n: string) => receiver.spans.filter((s) => s.name === n);
    const quota = byName(Span.quotaViolation);
    assert.is(quota.length, 1);
    const q = quota[0]!;
    assert.is(q.attributes[Attr.agent], '4242');
    assert.is(q.attributes[Attr.device], 0);
    assert.is(q.attributes[Attr.size], 600);
    assert.is(q.attributes[Attr.used], 600);
    assert.is(q.attributes[Attr.quota], 1000);
    assert.is(q.attributes[Attr.errno], 122);
    assert.is(q.attributes[Attr.errnoName], 'EDQUOT');
    assert.is(q.attributes[Attr.result], 'error');
    assert.is(q.attributes[Attr.pid], process.pid, 'the embedded ring records this process');
    assert.type(q.attributes[Attr.cgroup], 'string');
    assert.is(q.status.code, 2, 'quota violation spans have status ERROR');
    assert.is(q.resource['service.name'], 'gdl-agent');
    assert.is(q.resource['host.name'], hostname());
    assert.type(q.resource['service.version'], 'string');
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    assert.ok(q.startNs > nowNs - 60_000_000_000n && q.startNs <= nowNs, 'span time is wall-clock time');

    const deny = byName(Span.deny);
    assert.is(deny.length, 1);
    assert.is(deny[0]!.attributes[Attr.addr], '0x1000');
    assert.is(deny[0]!.attributes[Attr.length], 8);
    assert.is(deny[0]!.attributes[Attr.mode], 'w');
    assert.is(deny[0]!.attributes[Attr.errorType], 'dma_denied');
    assert.is(q.attributes[Attr.errorType], 'EDQUOT');
    const audit = byName(Span.audit).find((s) => s.attributes[Attr.auditAction] === 'agent.set')!;
    assert.ok(audit, 'a change is an audit span');
    assert.match(String(audit.attributes[Attr.auditIdentity]), /^token:/);
    assert.match(String(audit.attributes[Attr.auditAfter]), /"quota":"1000"/);
    assert.is(deny[0]!.attributes[Attr.result], 'denied');
    assert.is(byName(Span.check).length, 1, 'allowed check sampled at ratio 1');
    assert.is(byName(Span.alloc).length, 1);
    assert.is(byName(Span.grant).length, 1);
  } finally {
    await agent.close();
    await receiver.stop();
  }
});

Otlp('sample ratio 0: allowed checks make no span, denials still do', async () => {
  const receiver = new OtlpReceiver();
  const url = await receiver.start();
  const agent = await agentWith({ otlpEndpoint: url, sampleRatio: 0 });
  try {
    const inject = (method: 'PUT' | 'POST', u: string, payload: object) => agent.app.inject({ method, url: u, payload, headers: AUTH });
    await inject('PUT', '/v1/agents/5', { quota: '1000', devices: [0] });
    await inject('POST', '/v1/agents/5/grants', { device: 0, start: '0', length: '4096', mode: 'rw' });
    for (let i = 0; i < 20; i++) await inject('POST', '/v1/checks', { agent: '5', device: 0, addr: '0', length: '8', mode: 'r' });
    await inject('POST', '/v1/checks', { agent: '5', device: 0, addr: '8192', length: '8', mode: 'r' });
    await inject('POST', '/v1/allocations', { agent: '5', size: '10', device: 0 });
  } finally {
    await sleep(100);
    await agent.close(); // close flushes what is queued
    await receiver.stop();
  }
  const names = receiver.spans.map((s) => s.name).filter((n) => n !== Span.audit).sort();
  assert.equal(names, [Span.deny, Span.grant]);
});

Otlp('a collector that is down: requests still answer, drops are counted, close does not hang', async () => {
  const port = await freePort();
  const agent = await agentWith({ otlpEndpoint: `http://127.0.0.1:${port}`, sampleRatio: 1, spanQueueSize: 5 } as Record<string, unknown>);
  let closed = false;
  try {
    const inject = (payload: object) => agent.app.inject({ method: 'POST', url: '/v1/checks', payload });
    const started = Date.now();
    for (let i = 0; i < 200; i++) assert.is((await inject({ agent: '1', device: 0, addr: '0', length: '1', mode: 'r' })).statusCode, 200);
    assert.ok(Date.now() - started < 5000, 'requests are not slowed by the exporter');
    await sleep(100);
    const { samples } = parsePrometheus((await agent.app.inject({ url: '/metrics' })).body);
    const dropped = sample(samples, Metric.spansDroppedTotal, { reason: 'queue_full' });
    assert.ok(dropped >= 150, `dropped ${dropped} of 200 with a queue of 5`);
    const t0 = Date.now();
    await agent.close();
    closed = true;
    assert.ok(Date.now() - t0 < 15_000, 'close finishes while the collector is down');
  } finally {
    if (!closed) await agent.close();
  }
});

Otlp.run();

/** /metrics parsed and checked against what the core was asked to do. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { DecisionEvent, DecisionKind, GdlEvent } from '../../agent/src/events/types.ts';
import { createMetrics } from '../../agent/src/telemetry/metrics.ts';
import { Metric } from '../../agent/src/telemetry/names.ts';
import { agentResource } from '../../agent/src/telemetry/resource.ts';
import { AUTH, buildApp, type TestApp } from '../fixtures/agent-harness.ts';
import { parsePrometheus, sample } from '../fixtures/prometheus.ts';

const ctx = { t: undefined as unknown as TestApp };
const Metrics = suite('telemetry metrics');
Metrics.before.each(async () => {
  ctx.t = await buildApp();
  // wireAgent() feeds the per-agent denial counters from the events, as in production.
});
Metrics.after.each(async () => { await ctx.t.close(); });

async function scrape() {
  const res = await ctx.t.app.inject({ url: '/metrics' });
  assert.is(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return parsePrometheus(res.body);
}

Metrics('per-agent, per-device and module-wide values follow the core', async () => {
  const inject = (method: 'PUT' | 'POST', url: string, payload: object) => ctx.t.app.inject({ method, url, payload, headers: AUTH });
  await inject('PUT', '/v1/agents/11', { quota: '5000', devices: [0, 1] });
  await inject('PUT', '/v1/agents/12', { quota: '100', devices: [1] });
  await inject('POST', '/v1/allocations', { agent: '11', size: '1000', device: 0 });
  await inject('POST', '/v1/allocations', { agent: '11', size: '300', device: 1 });
  await inject('POST', '/v1/allocations', { agent: '12', size: '101', device: 1 }); // quota violation
  await inject('POST', '/v1/agents/11/grants', { device: 0, start: '0', length: '100', mode: 'r' });
  await inject('POST', '/v1/checks', { agent: '11', device: 0, addr: '0', length: '10', mode: 'r' });
  await inject('POST', '/v1/checks', { agent: '11', device: 0, addr: '0', length: '10', mode: 'w' });
  await inject('POST', '/v1/checks', { agent: '11', device: 0, addr: '200', length: '10', mode: 'r' });
  await new Promise((r) => setTimeout(r, 80)); // let the event ring drain

  const { samples, types } = await scrape();
  const v = (name: string, labels: Record<string, string> = {}) => sample(samples, name, labels);
  assert.is(v(Metric.agentQuotaBytes, { agent: '11' }), 5000);
  assert.is(v(Metric.agentUsedBytes, { agent: '11' }), 1300);
  assert.is(v(Metric.agentUsedBytes, { agent: '12' }), 0);
  assert.is(v(Metric.agentDeviceUsedBytes, { agent: '11', device: '0' }), 1000);
  assert.is(v(Metric.agentDeviceUsedBytes, { agent: '11', device: '1' }), 300);
  assert.not.ok(samples.some((x) => x.name === Metric.agentDeviceQuotaBytes && x.labels.agent === '12' && x.labels.device === '0'), 'no series for a device outside the mask');
  assert.not.ok(samples.some((x) => x.name === Metric.agentDeviceUsedBytes && x.labels.agent === '12' && x.labels.device === '0'));
  assert.is(v(Metric.agentDeviceQuotaBytes, { agent: '12', device: '1' }), 100);
  assert.is(v(Metric.deviceCapacityBytes, { device: '0' }), 16 * 2 ** 30);
  assert.is(v(Metric.deviceUsedBytes, { device: '1' }), 300);
  assert.is(v(Metric.allocationsTotal), 2);
  assert.is(v(Metric.quotaViolationsTotal), 1);
  assert.is(v(Metric.allocationFailuresTotal), 1);
  assert.is(v(Metric.checksTotal, { result: 'allowed' }), 1);
  assert.is(v(Metric.checksTotal, { result: 'denied' }), 2);
  assert.is(v(Metric.denialsTotal), 2);
  assert.is(v(Metric.grantsTotal), 1);
  // Per agent, from the decision events: only agents denied or refused have series.
  assert.is(v(Metric.agentDenialsTotal, { agent: '11' }), 2);
  assert.is(v(Metric.agentDenialsTotal, { agent: '12' }), 0);
  assert.is(v(Metric.agentQuotaViolationsTotal, { agent: '12' }), 1);
  assert.is(v(Metric.agentQuotaViolationsTotal, { agent: '11' }), 0);
  assert.equal(samples.filter((s) => s.name === Metric.agentDenialsTotal).map((s) => s.labels.agent).sort(), ['11', '12']);
  assert.is(v(Metric.agentDecisionsOverflowTotal, { kind: 'deny', reason: 'cap' }), 0);
  assert.is(v(Metric.agentDecisionsOverflowTotal, { kind: 'quota_violation', reason: 'unknown_agent' }), 0);
  assert.is(types.get(Metric.agentDenialsTotal), 'counter');
  assert.is(v(Metric.agents), 2);
  assert.is(v(Metric.liveAllocations), 2);
  // 2 allocs + 1 violation + 1 grant + 3 checks decided by the core
  assert.is(v(Metric.eventsReceivedTotal, { source: 'embedded' }), 7);
  assert.is(v(Metric.eventsLostTotal, { source: 'embedded' }), 0);
  assert.is(v(Metric.spansDroppedTotal, { reason: 'queue_full' }), 0);
  assert.is(v(Metric.spansDroppedTotal, { reason: 'export_failed' }), 0);
  // Rare counters exist at 0 before their first event.
  assert.is(v(Metric.backendReopensTotal), 0);
  assert.is(v(Metric.policyAppliedTotal, { reason: 'start' }), 0);
  assert.is(v(Metric.policyAppliedTotal, { reason: 'reload' }), 0);
  assert.is(v(Metric.buildInfo, { backend: 'embedded' }), 1);
  assert.is(types.get(Metric.allocationsTotal), 'counter');
  assert.is(types.get(Metric.agentUsedBytes), 'gauge');
  assert.is(types.get(Metric.httpRequestDurationSeconds), 'histogram');
  const count = v(`${Metric.httpRequestDurationSeconds}_count`, { method: 'PUT', route: '/v1/agents/:id', status_code: '200' });
  assert.is(count, 2, 'the route pattern is the label, not the URL');
});

function decision(kind: DecisionKind, agentId: bigint): DecisionEvent {
  return {
    type: 'decision', kind, agentId, tsNs: 0n, cpu: 0, device: 0, allocId: 0n, addr: 0n, length: 4096n, mode: 1,
    result: kind === 'quota_violation' ? -122 : 0, used: 0n, quota: 0n, pid: 1, tid: 1, cgroupId: 0n, comm: 'test',
  };
}

Metrics('per-agent denial series are capped; the rest is counted as overflow', async () => {
  const metrics = createMetrics({
    backend: ctx.t.backend,
    resource: agentResource('test'),
    version: 'test',
    eventStats: () => null,
    spansDropped: () => ({}),
    maxCountedAgents: 2,
  });
  const big = (1n << 64n) - 1n;
  for (const id of [big, 2n, 3n, 4n, 7n]) ctx.t.backend.setAgent(id, 1000n, 1n);
  const cuda: GdlEvent = { type: 'cuda', op: 'cuMemAlloc_v2', tsNs: 0n, cpu: 0, result: 2, ptr: 0n, size: 1n, latencyNs: 1n, pid: 1, tid: 1, cgroupId: 0n, comm: 'test' };
  metrics.recordEvents([decision('check', 7n), decision('alloc_fail', 7n), cuda]); // not denials: no series
  metrics.recordEvents([decision('deny', big), decision('quota_violation', 2n), decision('deny', big)]);
  metrics.recordEvents([decision('deny', 3n), decision('deny', 3n), decision('quota_violation', 4n), decision('deny', 2n)]);
  const { samples } = parsePrometheus(await metrics.scrape());
  await metrics.shutdown();
  const v = (name: string, labels: Record<string, string> = {}) => sample(samples, name, labels);
  assert.is(v(Metric.agentDenialsTotal, { agent: big.toString() }), 2, '64-bit ids keep their precision');
  assert.is(v(Metric.agentDenialsTotal, { agent: '2' }), 1, 'a counted agent keeps counting');
  assert.is(v(Metric.agentQuotaViolationsTotal, { agent: '2' }), 1);
  assert.equal(samples.filter((s) => s.name === Metric.agentDenialsTotal).length, 2, 'no series past the cap');
  assert.equal(samples.filter((s) => s.name === Metric.agentQuotaViolationsTotal).length, 2);
  assert.is(v(Metric.agentDecisionsOverflowTotal, { kind: 'deny', reason: 'cap' }), 2);
  assert.is(v(Metric.agentDecisionsOverflowTotal, { kind: 'quota_violation', reason: 'cap' }), 1);
});

Metrics('metric poisoning: 900 checks for made-up agents get no series; a real agent still gets one', async () => {
  const inject = (method: 'PUT' | 'POST', url: string, payload: object, headers: Record<string, string> = {}) =>
    ctx.t.app.inject({ method, url, payload, headers });
  for (let i = 0; i < 900; i++) {
    // Unauthenticated, as the attack was: a check needs no token.
    await inject('POST', '/v1/checks', { agent: String(1_000_000 + i), device: 0, addr: '0', length: '1', mode: 'r' });
  }
  await inject('PUT', '/v1/agents/77', { quota: '100', devices: [0] }, AUTH);
  await inject('POST', '/v1/checks', { agent: '77', device: 0, addr: '0', length: '1', mode: 'w' });
  await new Promise((r) => setTimeout(r, 150));
  const { samples } = await scrape();
  const denials = samples.filter((s) => s.name === Metric.agentDenialsTotal);
  assert.equal(denials.map((s) => s.labels.agent), ['77']);
  assert.is(denials[0]!.value, 1);
  assert.is(sample(samples, Metric.agentDecisionsOverflowTotal, { kind: 'deny', reason: 'unknown_agent' }), 900);
});

Metrics('per-(agent, device) gauges: only devices in the mask, capped, the omitted pairs counted', async () => {
  const metrics = createMetrics({
    backend: ctx.t.backend, resource: agentResource('test'), version: 'test', eventStats: () => null, spansDropped: () => ({}),
    maxAgentDeviceSeries: 3,
  });
  for (const id of [1n, 2n, 3n]) ctx.t.backend.setAgent(id, 1000n, 3n); // both devices each: 6 pairs
  const { samples } = parsePrometheus(await metrics.scrape());
  await metrics.shutdown();
  assert.is(samples.filter((s) => s.name === Metric.agentDeviceQuotaBytes).length, 3);
  assert.is(sample(samples, Metric.agentDeviceSeriesOmitted), 3);
});

Metrics('device series carry dcgm-exporter labels (UUID, pci_bus_id, gpu); process metrics are there', async () => {
  const metrics = createMetrics({
    backend: ctx.t.backend, resource: agentResource('test'), version: 'test', eventStats: () => null, spansDropped: () => ({}),
    deviceIdentity: (d) => ({ uuid: `GPU-${d.index}`, pciBusId: `00000000:0${d.index}:00.0`, gpu: String(d.index) }),
  });
  const { samples, types } = parsePrometheus(await metrics.scrape());
  await metrics.shutdown();
  const cap = samples.find((s) => s.name === Metric.deviceCapacityBytes && s.labels.device === '1')!;
  assert.equal({ UUID: cap.labels.UUID, pci_bus_id: cap.labels.pci_bus_id, gpu: cap.labels.gpu }, { UUID: 'GPU-1', pci_bus_id: '00000000:01:00.0', gpu: '1' });
  assert.ok(sample(samples, Metric.processResidentMemoryBytes) > 1e6);
  assert.ok(sample(samples, Metric.processCpuSecondsTotal) > 0);
  assert.is(types.get(Metric.processCpuSecondsTotal), 'counter');
  assert.ok(sample(samples, Metric.eventLoopLagSeconds, { quantile: '0.99' }) >= 0);
});

Metrics('every metric name on the wire is declared in names.ts', async () => {
  const { samples } = await scrape();
  const declared = new Set<string>(Object.values(Metric));
  for (const s of samples) {
    if (s.name === 'target_info') continue;
    const base = s.name.replace(/_(bucket|sum|count)$/, '');
    assert.ok(declared.has(s.name) || declared.has(base), `undeclared metric ${s.name}`);
    assert.ok(s.name.startsWith('gdl_') || s.name.startsWith('process_'), `${s.name} lacks the gdl_ prefix`);
  }
});

Metrics.run();

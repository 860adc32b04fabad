/**
 * names.ts is the single source of telemetry names: every metric it
 * declares is on /metrics of a busy agent with exactly the labels
 * MetricLabels gives it (each with a value), and nothing else is.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Metric, MetricLabels } from '../../agent/src/telemetry/names.ts';
import { AUTH, buildApp, type TestApp } from '../fixtures/agent-harness.ts';
import { parsePrometheus } from '../fixtures/prometheus.ts';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ctx = { t: undefined as unknown as TestApp };
const cgroupRoot = mkdtempSync(join(tmpdir(), 'gdl-names-'));
mkdirSync(join(cgroupRoot, 'job'));
const Names = suite('telemetry names');
Names.before(async () => {
  ctx.t = await buildApp({
    // a cgroup tree of one bound cgroup, for gdl_agent_cgroup_info
    cgroupRoot,
    metrics: { deviceIdentity: (d) => ({ uuid: `GPU-${d.index}`, pciBusId: `00000000:0${d.index}:00.0`, gpu: String(d.index) }) },
  });
});
Names.after(async () => { await ctx.t.close(); rmSync(cgroupRoot, { recursive: true, force: true }); });

Names('every declared metric is emitted with exactly its declared labels, each with a value', async () => {
  const inject = (method: 'PUT' | 'POST', url: string, payload: object) => ctx.t.app.inject({ method, url, payload, headers: AUTH });
  await inject('PUT', '/v1/agents/1', { quota: '100', devices: [0] });
  await inject('PUT', '/v1/bindings/cgroups', { path: '/job', agent: '1' });
  await inject('POST', '/v1/allocations', { agent: '1', size: '50', device: 0 });
  await inject('POST', '/v1/allocations', { agent: '1', size: '500', device: 0 }); // quota violation
  await inject('POST', '/v1/checks', { agent: '1', device: 0, addr: '0', length: '1', mode: 'r' }); // denied
  await new Promise((r) => setTimeout(r, 100));
  const { samples } = parsePrometheus((await ctx.t.app.inject({ url: '/metrics' })).body);

  for (const [key, name] of Object.entries(Metric) as [keyof typeof Metric, string][]) {
    const declared = [...MetricLabels[key]].sort();
    const series = samples.filter((s) => s.name === name || s.name === `${name}_count`);
    assert.ok(series.length > 0, `${name} is not emitted`);
    for (const s of series) {
      const labels = Object.keys(s.labels).filter((l) => l !== 'le').sort();
      assert.equal(labels, declared, `${name} labels`);
      for (const l of declared) assert.ok(s.labels[l] !== '', `${name} has an empty ${l}`);
    }
  }
  const names = new Set<string>(Object.values(Metric));
  for (const s of samples) {
    if (s.name === 'target_info') continue;
    assert.ok(names.has(s.name.replace(/_(bucket|sum|count)$/, '')) || names.has(s.name), `${s.name} is not declared in names.ts`);
  }
});

Names.run();

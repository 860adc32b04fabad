/**
 * Dashboards and alert rules against a real Prometheus scraping a real agent.
 *
 *   npx tsx test/deploy/prometheus-e2e.ts
 *
 * 1. starts the agent (embedded backend) on a free 127.0.0.1 port with a token
 * 2. starts Debian's prometheus (temp config and data dir, free port, 1 s
 *    scrape and rule evaluation, our alert rules loaded)
 * 3. drives the agent's HTTP API: quotas, allocations (some refused by
 *    quota), frees, grants, a revoke, allowed and denied DMA checks
 * 4. checks the counters Prometheus scraped equal the traffic it generated
 * 5. runs every target expr of every generated dashboard, with the template
 *    variables set to "All" (regex .*) and to concrete values, and every
 *    variable query; each must succeed and return at least one series
 * 6. evaluates every alert rule expr, and requires Prometheus to report every
 *    loaded rule healthy
 * Prints TAP-ish lines; exits 1 on any failure. Both children are killed on
 * any exit.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadDashboards, panelsOf, variableQuery } from './lib/dashboards.ts';
import { freePort, sleep, start, waitFor, type Started } from './lib/procs.ts';
import { REPO, repoPath } from './lib/repo.ts';
import { Tap } from './lib/tap.ts';

const tap = new Tap();
const NODE = 'e2e-node';
const JOB = 'gpu-dma-lock-agent';
const TOKEN = 'e2e-token-' + Math.random().toString(36).slice(2);
const RULES = repoPath('dashboards/alerts/gpu-dma-lock.rules.yml');
const MiB = 1n << 20n;

const tmp = mkdtempSync(join(tmpdir(), 'gdl-prom-e2e-'));
let agent: Started | undefined;
let prom: Started | undefined;
let agentUrl = '';
let promUrl = '';

/* ------------------------------------------------------------- the agent API */

interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function api(method: string, path: string, body?: unknown): Promise<Reply> {
  const res = await fetch(agentUrl + path, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* keep text */
  }
  return { status: res.status, body: parsed };
}

/** What the traffic did, to compare with what Prometheus scraped. */
const expected = { allocs: 0, refusedByQuota: 0, frees: 0, allowed: 0, denied: 0, grants: 0, revokes: 0 };
/** The same, per agent: the per-agent counters must match them. */
const deniedBy = new Map<string, number>();
const refusedBy = new Map<string, number>();
const bump = (m: Map<string, number>, agentId: string) => m.set(agentId, (m.get(agentId) ?? 0) + 1);
const live: string[] = [];

async function expectStatus(what: string, r: Promise<Reply>, want: number[]): Promise<Reply> {
  const reply = await r;
  if (!want.includes(reply.status)) {
    throw new Error(`${what}: HTTP ${reply.status} (wanted ${want.join('/')}): ${JSON.stringify(reply.body)}`);
  }
  return reply;
}

async function setAgent(id: string, quota: bigint, devices: number[]) {
  await expectStatus(`PUT agent ${id}`, api('PUT', `/v1/agents/${id}`, { quota: quota.toString(), devices }), [200]);
}

async function alloc(agentId: string, size: bigint, device: number, refused = false) {
  const r = await expectStatus(
    `allocate ${size} for ${agentId}${refused ? ' (over quota)' : ''}`,
    api('POST', '/v1/allocations', { agent: agentId, size: size.toString(), device, persistent: true }),
    refused ? [409] : [201],
  );
  if (refused) {
    if (r.body?.error?.errno !== 'EDQUOT') throw new Error(`refused allocation: errno ${r.body?.error?.errno}, wanted EDQUOT`);
    expected.refusedByQuota++;
    bump(refusedBy, agentId);
  } else {
    expected.allocs++;
    live.push(String(r.body.id));
  }
}

async function free() {
  const id = live.shift();
  if (!id) return;
  await expectStatus(`free ${id}`, api('DELETE', `/v1/allocations/${id}`), [204]);
  expected.frees++;
}

async function grant(agentId: string, device: number, addr: string, length: string, mode: string) {
  await expectStatus(`grant ${agentId}`, api('POST', `/v1/agents/${agentId}/grants`, { device, addr, length, mode }), [204]);
  expected.grants++;
}

async function check(agentId: string, device: number, addr: string, length: string, mode: string, allowed: boolean) {
  const r = await expectStatus(`check ${agentId} ${addr}`, api('POST', '/v1/checks', { agent: agentId, device, addr, length, mode }), [200]);
  if (r.body.allowed !== allowed) throw new Error(`check ${agentId} ${addr}+${length} ${mode}: allowed=${r.body.allowed}, wanted ${allowed}`);
  if (allowed) expected.allowed++;
  else {
    expected.denied++;
    bump(deniedBy, agentId);
  }
}

/**
 * The policy the agent starts with: agent 1001 and its grant come from it
 * (as on a real node), the others from the API. Agent 1001 is also a
 * container's: its match rule binds the cgroup CONTAINER of a stand-in
 * cgroup tree, so the per-container panels and variable have a value.
 */
const CONTAINER = '/e2e.slice/job-1001.scope';
const POLICY = `agents:
  - id: 1001
    quota: 1GiB
    devices: [0]
    grants:
      - { device: 0, addr: "0x100000000", length: 1GiB, mode: rw }
    match:
      - cgroup: /e2e.slice/job-*.scope
`;

/**
 * Three agents: 1001 roomy (but once asking for more than its whole quota),
 * 1002 pushed over its quota, 1003 refused outright.
 */
async function setupTraffic() {
  expected.grants++; // 1001's, from the policy
  await setAgent('1002', 256n * MiB, [0, 1]);
  await setAgent('1003', 64n * MiB, [1]);
  for (let i = 0; i < 4; i++) await alloc('1001', 128n * MiB, 0);
  await alloc('1001', 2048n * MiB, 0, true);
  await alloc('1002', 100n * MiB, 0);
  await alloc('1002', 100n * MiB, 1);
  await alloc('1002', 100n * MiB, 1, true);
  await alloc('1003', 80n * MiB, 1, true);
  await alloc('1003', 60n * MiB, 1); // 94% of its quota: the near-limit alert goes pending
  await grant('1002', 1, '0x200000', '1048576', 'r');
  await grant('1003', 1, '0x800000', '4096', 'rw');
  await expectStatus('revoke 1003', api('POST', '/v1/agents/1003/revocations', { device: 1, addr: '0x800000', length: '4096', mode: 'w' }), [204]);
  expected.revokes++;
}

/** Repeated so that every rate() sees the counters move between scrapes. */
async function burst() {
  await check('1001', 0, '0x100001000', '4096', 'rw', true);
  await check('1001', 0, '0x80000000', '4096', 'r', false); // below its grant
  await check('1002', 1, '0x200000', '4096', 'r', true);
  await check('1002', 1, '0x200000', '4096', 'w', false); // read-only grant
  await check('1003', 1, '0x800000', '4096', 'w', false); // revoked mode
  await alloc('1001', 16n * MiB, 0);
  await free();
  await alloc('1002', 512n * MiB, 0, true);
}

/* ----------------------------------------------------------------- Prometheus */

async function promQuery(expr: string): Promise<{ ok: boolean; error?: string; series: number; result: any[] }> {
  const res = await fetch(`${promUrl}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: expr }),
  });
  const j = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: any } };
  if (j.status !== 'success') return { ok: false, error: j.error ?? `HTTP ${res.status}`, series: 0, result: [] };
  const result = j.data?.resultType === 'scalar' ? [j.data.result] : (j.data?.result ?? []);
  return { ok: true, series: result.length, result };
}

/** A range query over the last 20 s, as Grafana runs a (non-instant) panel target. */
async function promRange(expr: string): Promise<{ ok: boolean; error?: string; series: number; result: any[] }> {
  const end = Date.now() / 1000;
  const res = await fetch(`${promUrl}/api/v1/query_range`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: expr, start: String(end - 20), end: String(end), step: '1' }),
  });
  const j = (await res.json()) as { status: string; error?: string; data?: { result: any[] } };
  if (j.status !== 'success') return { ok: false, error: j.error ?? `HTTP ${res.status}`, series: 0, result: [] };
  return { ok: true, series: j.data?.result.length ?? 0, result: j.data?.result ?? [] };
}

async function scalar(expr: string): Promise<number | undefined> {
  const r = await promQuery(expr);
  const v = r.result[0]?.value?.[1];
  return v === undefined ? undefined : Number(v);
}

function promConfig(agentPort: number): string {
  return `global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - ${RULES}
scrape_configs:
  - job_name: ${JOB}
    static_configs:
      - targets: ["127.0.0.1:${agentPort}"]
        labels: {node: ${NODE}}
`;
}

/* ------------------------------------------------------ query substitution */

/** Grafana's built-in intervals, as Grafana would fill them for a short range. */
const BUILTINS: Record<string, string> = {
  // Four 1 s scrapes at least, like Grafana's own rule for $__rate_interval.
  __rate_interval: '15s',
  __interval: '1s',
  __range: '1m',
};

function substitute(expr: string, vars: Record<string, string>): string {
  const all = { ...BUILTINS, ...vars };
  return expr.replace(/\$\{?(\w+)(?::\w+)?\}?/g, (m, name: string) => all[name] ?? m);
}

/* ---------------------------------------------------------------------- run */

async function main() {
  const gdl = repoPath('bin/gdl.mjs');
  if (!existsSync(gdl)) {
    tap.fail('agent CLI present', `${gdl} does not exist yet`);
    return;
  }
  if (!existsSync(repoPath('build/user/libgdlcore.so'))) {
    tap.fail('embedded core built', 'build/user/libgdlcore.so missing (make -C kmod/user lib)');
    return;
  }

  const cgroupRoot = join(tmp, 'cgroup');
  mkdirSync(join(cgroupRoot, CONTAINER), { recursive: true });
  const policyFile = join(tmp, 'policy.yaml');
  writeFileSync(policyFile, POLICY);
  const tokenFile = join(tmp, 'token');
  writeFileSync(tokenFile, TOKEN + '\n', { mode: 0o600 });
  // A free port can be taken again before the child binds it (other
  // engineers and CI jobs run agents too): then the child exits, and worse,
  // the probe may reach the other process. So each start is confirmed to be
  // ours (our policy's agent / our config file) and retried on a new port.
  let agentPort = 0;
  for (let attempt = 1; ; attempt++) {
    agentPort = await freePort();
    agentUrl = `http://127.0.0.1:${agentPort}`;
    agent = start(
      process.execPath,
      [gdl, 'agent', '--port', String(agentPort), '--backend', 'embedded', '--token-file', tokenFile, '--policy', policyFile,
        '--cgroup-root', cgroupRoot, '--no-socket'],
      { cwd: REPO, log: join(tmp, 'agent.log') },
    );
    try {
      await waitFor('agent /readyz', async () => (await fetch(`${agentUrl}/readyz`)).status === 200, 60_000, agent);
      const mine = await api('GET', '/v1/agents/1001');
      if (mine.status !== 200 || mine.body?.quota !== String(1024n * MiB) || agent.child.exitCode !== null) {
        throw new Error(`port ${agentPort} answered by another process`);
      }
      break;
    } catch (err) {
      await agent.stop();
      if (attempt === 3) throw err;
    }
  }
  tap.ok('agent (embedded backend) ready');

  writeFileSync(join(tmp, 'prometheus.yml'), promConfig(agentPort));
  for (let attempt = 1; ; attempt++) {
    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    prom = start(
      'prometheus',
      [
        `--config.file=${join(tmp, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(tmp, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--log.level=warn',
      ],
      { cwd: tmp, log: join(tmp, 'prometheus.log') },
    );
    try {
      await waitFor('prometheus /-/ready', async () => (await fetch(`${promUrl}/-/ready`)).ok, 30_000, prom);
      const cfg = (await (await fetch(`${promUrl}/api/v1/status/config`)).json()) as { data?: { yaml?: string } };
      if (!cfg.data?.yaml?.includes(`127.0.0.1:${agentPort}`) || prom.child.exitCode !== null) {
        throw new Error(`port ${promPort} answered by another Prometheus`);
      }
      break;
    } catch (err) {
      await prom.stop();
      if (attempt === 3) throw err;
    }
  }
  tap.ok('prometheus ready');

  try {
    await setupTraffic();
    // Prometheus applies scrape targets a few seconds after it starts: the
    // bursts must land between scrapes that happen, or rate() has one sample.
    await waitFor('first scrape', async () => (await scalar(`up{job="${JOB}"}`)) === 1, 20_000, prom);
    for (let i = 0; i < 5; i++) {
      await burst();
      await sleep(1100);
    }
    tap.ok('traffic through the API (quotas, allocations incl. quota refusals, grants, revoke, allowed and denied checks)');
  } catch (err) {
    tap.fail('traffic through the API', (err as Error).message);
    tap.note(agent.tail());
    return;
  }

  // Wait until a scrape after the last request has landed, then one more so
  // the final rate() windows hold the last change.
  const wantDenied = expected.denied;
  await waitFor(
    'scrape of the final counters',
    async () => (await scalar(`sum(gdl_dma_checks_total{result="denied", job="${JOB}"})`)) === wantDenied,
    15_000,
  ).catch(() => undefined);
  await sleep(1100);

  tap.check(
    'target up with node label',
    (await scalar(`up{job="${JOB}", node="${NODE}"}`)) === 1 ? undefined : `up{node="${NODE}"} is not 1: ${prom.tail()}`,
  );

  // The metrics must say what the traffic did: a counter wired to the wrong
  // stat, or a label value renamed, fails here.
  const counts: [string, string, number][] = [
    ['denied checks', `sum(gdl_dma_checks_total{result="denied"})`, expected.denied],
    ['allowed checks', `sum(gdl_dma_checks_total{result="allowed"})`, expected.allowed],
    ['denials counter', `sum(gdl_dma_denials_total)`, expected.denied],
    ['quota refusals', `sum(gdl_quota_violations_total)`, expected.refusedByQuota],
    ['allocations', `sum(gdl_allocations_total)`, expected.allocs],
    ['frees', `sum(gdl_frees_total)`, expected.frees],
    ['grants', `sum(gdl_dma_grants_total)`, expected.grants],
    ['revokes', `sum(gdl_dma_revokes_total)`, expected.revokes],
    ['agents', `sum(gdl_agents)`, 3],
    ['policy applications at start', `sum(gdl_policy_applied_total{reason="start"})`, 1],
    // Rare counters are there at 0 before their first event.
    ['policy applications on reload', `sum(gdl_policy_applied_total{reason="reload"})`, 0],
    ['backend reopens', `sum(gdl_backend_reopens_total)`, 0],
    // Per agent, from the decision events: they add up to the module's counters.
    ['per-agent denials', `sum(gdl_agent_dma_denials_total)`, expected.denied],
    ['per-agent quota refusals', `sum(gdl_agent_quota_violations_total)`, expected.refusedByQuota],
    ['per-agent overflow', `sum(gdl_agent_decisions_overflow_total)`, 0],
    ...[...deniedBy].map(([a, n]): [string, string, number] => [`denials of agent ${a}`, `gdl_agent_dma_denials_total{agent="${a}"}`, n]),
    ...[...refusedBy].map(([a, n]): [string, string, number] => [`quota refusals of agent ${a}`, `gdl_agent_quota_violations_total{agent="${a}"}`, n]),
  ];
  for (const [what, expr, want] of counts) {
    const got = await scalar(expr);
    tap.check(`scraped ${what} = ${want}`, got === want ? undefined : `${expr} = ${got}`);
  }

  const concrete = { node: NODE, device: '0', agent: '1001', cgroup: CONTAINER, job: JOB };
  const allValues = { node: '.*', device: '.*', agent: '.*', cgroup: '.*', job: '.+' };

  for (const { file, dash } of loadDashboards()) {
    // Template variables: each must list values, including the concrete ones used below.
    for (const v of dash.templating.list.filter((x) => x.type === 'query')) {
      const q = variableQuery(v) ?? '';
      const m = /^label_values\((.*),\s*(\w+)\)$/.exec(q);
      if (!m) {
        tap.fail(`${file} variable $${v.name}`, `unsupported variable query ${q}`);
        continue;
      }
      const [, selector, label] = m as unknown as [string, string, string];
      const url = `${promUrl}/api/v1/label/${label}/values?${new URLSearchParams({ 'match[]': substitute(selector, allValues) })}`;
      const j = (await (await fetch(url)).json()) as { status: string; data?: string[]; error?: string };
      const want = concrete[v.name as keyof typeof concrete];
      tap.check(
        `${file} variable $${v.name} lists values`,
        j.status !== 'success'
          ? j.error
          : !j.data?.length
            ? 'no values'
            : want && !j.data.includes(want)
              ? `${want} not among ${j.data.join(',')}`
              : undefined,
      );
    }
    for (const panel of panelsOf(dash)) {
      for (const t of panel.targets ?? []) {
        for (const [mode, vars] of [['all', allValues], ['concrete', concrete]] as const) {
          const expr = substitute(t.expr, vars);
          const name = `${file} "${panel.title}" ${t.refId} [${mode}, ${t.instant ? 'instant' : 'range'}]`;
          if (expr.includes('$')) {
            tap.fail(name, `unsubstituted variable in ${expr}`);
            continue;
          }
          const r = t.instant ? await promQuery(expr) : await promRange(expr);
          tap.check(name, !r.ok ? `${r.error} (${expr})` : r.series === 0 ? `no series: ${expr}` : undefined);
        }
      }
    }
  }

  // The top-agents panels over a range that holds the whole run: every
  // per-agent series is new in it, and its first value (which increase()
  // cannot see) must be counted too.
  const agentsDash = loadDashboards().find((d) => d.file === 'agents.json')!.dash;
  for (const [title, want] of [['Top agents by DMA denials', deniedBy], ['Top agents by quota refusals', refusedBy]] as const) {
    const expr = substitute(panelsOf(agentsDash).find((p) => p.title === title)?.targets?.[0]?.expr ?? '', { ...allValues, __range: '1h' });
    const got = new Map((await promQuery(expr)).result.map((r) => [r.metric.agent as string, Number(r.value[1])]));
    tap.check(
      `agents.json "${title}" counts every ${title.includes('DMA') ? 'denial' : 'refusal'} of each agent`,
      JSON.stringify([...got].sort()) === JSON.stringify([...want].sort()) ? undefined : `got ${JSON.stringify([...got])}, wanted ${JSON.stringify([...want])} (${expr})`,
    );
  }

  // Alert rules: every expr evaluates, and Prometheus itself has evaluated
  // every loaded rule without error.
  const rules = parseYaml(readFileSync(RULES, 'utf8')) as { groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[] };
  for (const g of rules.groups) {
    for (const r of g.rules) {
      const res = await promQuery(r.expr);
      tap.check(`alert ${r.alert ?? r.record} expr evaluates`, res.ok ? undefined : res.error);
    }
  }
  const ruleCount = rules.groups.reduce((n, g) => n + g.rules.length, 0);
  let lastProblem = 'no rules loaded';
  await waitFor(
    'rules evaluated',
    async () => {
      const j = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as {
        data: { groups: { rules: { name: string; health: string; lastError?: string; lastEvaluation: string }[] }[] };
      };
      const loaded = j.data.groups.flatMap((g) => g.rules);
      const bad = loaded.filter((r) => r.health !== 'ok');
      lastProblem =
        loaded.length !== ruleCount
          ? `${loaded.length} of ${ruleCount} rules loaded`
          : bad.map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`).join('; ');
      return lastProblem === '';
    },
    10_000,
  ).catch(() => undefined);
  tap.check(`prometheus loaded and evaluated all ${ruleCount} alert rules healthy`, lastProblem || undefined);

  // The rules against the agent's real labels: what the traffic should set
  // off does, and nothing else.
  type Alert = { labels: Record<string, string>; state: string };
  let alerts: Alert[] = [];
  const summary = () => alerts.map((a) => `${a.labels.alertname}{agent=${a.labels.agent ?? ''}}=${a.state}`).join(', ') || 'none';
  await waitFor(
    'alerts evaluated',
    async () => {
      alerts = ((await (await fetch(`${promUrl}/api/v1/alerts`)).json()) as { data: { alerts: Alert[] } }).data.alerts;
      return alerts.some((a) => a.labels.alertname === 'GpuDmaLockDmaDenied') && alerts.some((a) => a.labels.alertname === 'GpuDmaLockQuotaNearLimit');
    },
    10_000,
  ).catch(() => undefined);
  const denied = alerts.filter((a) => a.labels.alertname === 'GpuDmaLockDmaDenied');
  tap.check(
    'GpuDmaLockDmaDenied fires for the node that denied',
    denied.length === 1 && denied[0]!.state === 'firing' && denied[0]!.labels.node === NODE ? undefined : summary(),
  );
  const near = alerts.filter((a) => a.labels.alertname === 'GpuDmaLockQuotaNearLimit');
  tap.check(
    'GpuDmaLockQuotaNearLimit pending for agent 1003 (94% of quota) only',
    near.length === 1 && near[0]!.labels.agent === '1003' && near[0]!.state === 'pending' ? undefined : summary(),
  );
  const down = alerts.filter((a) => /AgentDown|AgentAbsent|EventsLost/.test(a.labels.alertname ?? ''));
  tap.check('no agent-down, agent-absent or events-lost alert while all is well', down.length ? summary() : undefined);
}

const started = Date.now();
try {
  await main();
} catch (err) {
  tap.fail('end-to-end run', (err as Error).message);
} finally {
  await prom?.stop();
  await agent?.stop();
  if (tap.failed === 0) rmSync(tmp, { recursive: true, force: true });
  else tap.note(`logs kept in ${tmp}`);
  tap.note(`prometheus e2e: ${tap.passed} passed, ${tap.failed} failed in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}
process.exitCode = tap.exitCode;

/**
 * `gdl agent` as a child process, as an operator runs it: the telemetry
 * listener apart from the API, the API on a Unix socket, SIGHUP reloading
 * the policy (an exit 129 before), the embedded core's warning that its
 * state is not kept, and the human log format.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT } from '../../agent/src/paths.ts';
import { TOKEN } from '../fixtures/agent-harness.ts';

const GDL = resolve(REPO_ROOT, 'bin/gdl.mjs');
const dir = mkdtempSync(join(tmpdir(), 'gdl-proc-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Agent { child: ChildProcess; log: () => string; exited: Promise<number | null> }

async function start(args: string[], waitFor = /agent API at/): Promise<Agent> {
  const child = spawn(process.execPath, [GDL, 'agent', '--backend', 'embedded', '--port', '0', ...args], { env: { ...process.env, GDL_TOKEN: TOKEN } });
  let log = '';
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const deadline = Date.now() + 30_000;
  while (!waitFor.test(log) && Date.now() < deadline) await sleep(50);
  assert.match(log, waitFor, 'the agent started');
  return { child, log: () => log, exited };
}

const records = (a: Agent) => a.log().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);

const Proc = suite('cli agent process');

Proc('telemetry listener serves metrics and health only; the API stays on its own listener; embedded warns', async () => {
  const a = await start(['--metrics-port', '0', '--log-format', 'json']);
  try {
    const started = records(a).find((r) => r.msg?.startsWith('agent API at'))!;
    const metrics = started.metrics.replace(/\/metrics$/, '');
    assert.match(metrics, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.is.not(metrics, started.url);
    assert.is((await fetch(`${metrics}/metrics`)).status, 200);
    assert.is((await fetch(`${metrics}/healthz`)).status, 200);
    assert.is((await fetch(`${metrics}/readyz`)).status, 200);
    assert.is((await fetch(`${metrics}/v1/agents`)).status, 404);
    assert.is((await fetch(`${started.url}/v1/agents`)).status, 200);
    const warn = records(a).find((r) => r.level === 40 && /embedded core/.test(r.msg));
    assert.ok(warn, 'embedded mode warns that its state is not kept');
    assert.match(warn!.msg, /lost when the agent stops/);
  } finally {
    a.child.kill('SIGTERM');
    await a.exited;
  }
});

Proc('SIGHUP re-reads and applies the policy, audited; a bad file keeps the old one', async () => {
  const policy = join(dir, 'policy.yaml');
  writeFileSync(policy, 'agents:\n  - { id: 9007199254740993, quota: 1GiB, match: [ { uid: 1000 }, { uid: 1001 } ] }\n');
  const a = await start(['--policy', policy, '--log-format', 'json']);
  try {
    const url = records(a).find((r) => r.msg?.startsWith('agent API at'))!.url as string;
    const big = (await (await fetch(`${url}/v1/agents/9007199254740993`)).json()) as any;
    assert.is(big.id, '9007199254740993', 'unquoted ids past 2^53 are exact');
    assert.equal(big.devices, [0, 1], 'an entry with only quota gets every device');

    const uids = async () => ((await (await fetch(`${url}/v1/bindings`)).json()) as any).uids;
    assert.equal(await uids(), [
      { uid: 1000, agent: '9007199254740993', source: 'policy' }, { uid: 1001, agent: '9007199254740993', source: 'policy' },
    ]);

    writeFileSync(policy, 'agents:\n  - { id: 9007199254740993, quota: 2GiB }\n  - { id: 5, quota: 1MiB, devices: [1], match: [ { uid: 1000 } ] }\n');
    a.child.kill('SIGHUP');
    const deadline = Date.now() + 10_000;
    while (records(a).filter((r) => r.audit?.action === 'policy.apply').length < 2 && Date.now() < deadline) await sleep(50);
    const five = (await (await fetch(`${url}/v1/agents/5`)).json()) as any;
    assert.is(five.quota, String(1 << 20));
    assert.is(((await (await fetch(`${url}/v1/agents/9007199254740993`)).json()) as any).quota, String(2 ** 31));
    const reload = records(a).filter((r) => r.audit?.action === 'policy.apply')[1]!.audit;
    assert.is(reload.who.identity, 'signal:SIGHUP');
    assert.equal(reload.before.agents, ['9007199254740993']);
    assert.equal(reload.after.agents, ['9007199254740993', '5']);
    assert.equal(await uids(), [{ uid: 1000, agent: '5', source: 'policy' }], 'the identity rules reloaded too: 1000 moved, 1001 dropped');

    writeFileSync(policy, 'agents: [ {');
    a.child.kill('SIGHUP');
    while (!records(a).some((r) => r.audit?.outcome === 'refused') && Date.now() < deadline + 10_000) await sleep(50);
    assert.ok(records(a).some((r) => /policy reload failed/.test(r.msg)));
    assert.is((await fetch(`${url}/v1/agents/5`)).status, 200, 'still running, policy kept');
    assert.is(a.child.exitCode, null);
  } finally {
    a.child.kill('SIGTERM');
    assert.is(await a.exited, 0);
  }
});

Proc('the API on a Unix socket; the human log format', async () => {
  const socket = join(dir, 'api.sock');
  const a = await start(['--api-socket', socket, '--metrics-port', '-1', '--log-format', 'pretty']);
  try {
    assert.match(a.log(), /^\d\d:\d\d:\d\d\.\d{3} INFO  agent API at unix:/m);
    assert.not.match(a.log(), /^\{/m);
    const status = await new Promise<number>((resolveStatus, reject) => {
      const req = request({ socketPath: socket, path: '/v1/stats' }, (res) => { res.resume(); resolveStatus(res.statusCode!); });
      req.on('error', reject);
      req.end();
    });
    assert.is(status, 200);
  } finally {
    a.child.kill('SIGTERM');
    await a.exited;
  }
});

Proc('gdl watch: r/w/rw, errno names, wall-clock times; exits 3 saying so when the agent goes away', async () => {
  const a = await start(['--metrics-port', '-1', '--log-format', 'json']);
  const url = records(a).find((r) => r.msg?.startsWith('agent API at'))!.url as string;
  const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  await fetch(`${url}/v1/agents/3`, { method: 'PUT', headers: auth, body: JSON.stringify({ quota: '10', devices: [0] }) });
  const watch = spawn(process.execPath, [GDL, 'watch', '--url', url], { env: { ...process.env } });
  let out = '';
  let err = '';
  watch.stdout.on('data', (c: Buffer) => (out += c.toString()));
  watch.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const watchExit = new Promise<number | null>((r) => watch.on('exit', (code) => r(code)));
  const deadline = Date.now() + 20_000;
  while (!(/quota_violation/.test(out) && / deny /.test(out)) && Date.now() < deadline) {
    await fetch(`${url}/v1/checks`, { method: 'POST', headers: auth, body: JSON.stringify({ agent: '3', device: 0, addr: '0', length: '1', mode: 'w' }) });
    await fetch(`${url}/v1/allocations`, { method: 'POST', headers: auth, body: JSON.stringify({ agent: '3', size: '100', device: 0 }) });
    await sleep(200);
  }
  const deny = out.split('\n').find((l) => / deny /.test(l))!;
  assert.match(deny, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z deny /, out);
  assert.match(deny, /mode=w /);
  const over = out.split('\n').find((l) => /quota_violation/.test(l))!;
  assert.match(over, /result=EDQUOT /);
  a.child.kill('SIGTERM');
  await a.exited;
  assert.is(await watchExit, 3);
  assert.match(err, /closed the event stream/);
});

Proc.run();

/**
 * Bindings through the HTTP API (app.inject on the embedded backend) and
 * the real `gdl bind/unbind/bindings` CLI against a live agent: token for
 * changes, stable error codes, OpenAPI, --json.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../agent/src/config.ts';
import { REPO_ROOT } from '../../agent/src/paths.ts';
import { startAgent, type RunningAgent } from '../../agent/src/server.ts';
import type { DecisionEvent } from '../../agent/src/events/types.ts';
import { createCgroupLabeler } from '../../agent/src/identity/labels.ts';
import { AUTH, buildApp, TOKEN, type TestApp } from '../fixtures/agent-harness.ts';

const root = mkdtempSync(join(tmpdir(), 'gdl-bind-'));
mkdirSync(join(root, 'system.slice/job.service'), { recursive: true });
const jobId = statSync(join(root, 'system.slice/job.service'), { bigint: true }).ino.toString();

const Http = suite('http bindings');
const ctx = { t: undefined as unknown as TestApp };
Http.before(async () => {
  ctx.t = await buildApp({ cgroupRoot: root, logs: true });
});
Http.after(async () => {
  await ctx.t.close();
});

Http('bind, list and unbind a cgroup and a uid', async () => {
  const { app } = ctx.t;
  const b = await app.inject({ method: 'PUT', url: '/v1/bindings/cgroups', headers: AUTH, payload: { path: '/system.slice/job.service', agent: '42' } });
  assert.is(b.statusCode, 200, b.body);
  assert.equal(b.json(), { path: '/system.slice/job.service', agent: '42', cgroupId: jobId, source: 'api' });
  const u = await app.inject({ method: 'PUT', url: '/v1/bindings/uids/1001', headers: AUTH, payload: { agent: '18446744073709551615' } });
  assert.is(u.statusCode, 200, u.body);
  const l = (await app.inject({ method: 'GET', url: '/v1/bindings' })).json();
  assert.equal(l.cgroups, [{ path: '/system.slice/job.service', agent: '42', cgroupId: jobId, source: 'api' }]);
  assert.equal(l.uids, [{ uid: 1001, agent: '18446744073709551615', source: 'api' }], 'agent ids keep all 64 bits');
  assert.is((await app.inject({ method: 'DELETE', url: '/v1/bindings/cgroups?path=/system.slice/job.service', headers: AUTH })).statusCode, 204);
  assert.is((await app.inject({ method: 'DELETE', url: '/v1/bindings/uids/1001', headers: AUTH })).statusCode, 204);
  assert.equal((await app.inject({ method: 'GET', url: '/v1/bindings' })).json(), { cgroups: [], uids: [] });
  // Each change is an audit record: what, before -> after.
  const audits = ctx.t.logs.filter((r) => r.component === 'audit').map((r) => r.audit);
  assert.equal(audits.map((a) => [a.action, a.outcome, a.target]), [
    ['binding.set', 'ok', { cgroup: '/system.slice/job.service' }],
    ['binding.set', 'ok', { uid: '1001' }],
    ['binding.remove', 'ok', { cgroup: '/system.slice/job.service' }],
    ['binding.remove', 'ok', { uid: '1001' }],
  ]);
  assert.is(audits[0].before, null);
  assert.is(audits[2].before.agent, '42');
  assert.is(audits[3].after, null);
});

Http('errors: unknown cgroup 404, not bound 404, bad input 400, no token 401', async () => {
  const { app } = ctx.t;
  const nf = await app.inject({ method: 'PUT', url: '/v1/bindings/cgroups', headers: AUTH, payload: { path: '/nope', agent: '1' } });
  assert.is(nf.statusCode, 404);
  assert.is(nf.json().error.code, 'NOT_FOUND');
  assert.is(nf.json().error.errno, 'ENOENT');
  const nb = await app.inject({ method: 'DELETE', url: '/v1/bindings/uids/5', headers: AUTH });
  assert.is(nb.statusCode, 404);
  for (const payload of [{ path: 'relative', agent: '1' }, { path: '/a', agent: '0' }, { path: '/a', agent: '1', extra: 1 }]) {
    const r = await app.inject({ method: 'PUT', url: '/v1/bindings/cgroups', headers: AUTH, payload });
    assert.is(r.statusCode, 400, JSON.stringify(payload));
  }
  const dots = await app.inject({ method: 'PUT', url: '/v1/bindings/cgroups', headers: AUTH, payload: { path: '/system.slice/../x', agent: '1' } });
  assert.is(dots.statusCode, 400);
  assert.is(dots.json().error.code, 'INVALID');
  assert.is((await app.inject({ method: 'PUT', url: '/v1/bindings/uids/4294967295', headers: AUTH, payload: { agent: '1' } })).statusCode, 400);
  const noTok = await app.inject({ method: 'PUT', url: '/v1/bindings/uids/7', payload: { agent: '1' } });
  assert.is(noTok.statusCode, 401);
});

Http('metrics name bound cgroups only; spans get the bound cgroup of an event', async () => {
  const { app, backend } = ctx.t;
  mkdirSync(join(root, 'other.slice'), { recursive: true });
  backend.bindCgroup('/system.slice/job.service', 42n);
  try {
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(text, /gdl_agent_cgroup_info\{agent="42",cgroup="\/system\.slice\/job\.service"\} 1/);
    assert.not.match(text, /other\.slice/, 'an unbound cgroup is never a label value');
    const label = createCgroupLabeler(backend);
    const ev = { agentId: 42n, cgroupId: 0n } as DecisionEvent;
    assert.is(label(ev), '/system.slice/job.service');
    assert.is(label({ ...ev, agentId: 43n }), undefined);
  } finally {
    backend.unbindCgroup('/system.slice/job.service');
  }
});

Http('OpenAPI documents the binding routes', async () => {
  const doc = (await ctx.t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  assert.ok(doc.paths['/v1/bindings']);
  assert.ok(doc.paths['/v1/bindings/cgroups'].put);
  assert.ok(doc.paths['/v1/bindings/cgroups'].delete);
  assert.ok(doc.paths['/v1/bindings/uids/{uid}'].put);
});

const GDL = resolve(REPO_ROOT, 'bin/gdl.mjs');
const tokenFile = join(root, 'token');
writeFileSync(tokenFile, `${TOKEN}\n`);
interface Run { code: number; stdout: string; stderr: string }
function gdl(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [GDL, ...args], { env: { ...process.env, GDL_TOKEN: '', ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

const Cli = suite('cli bindings');
const live = { agent: undefined as unknown as RunningAgent, env: {} as Record<string, string> };
Cli.before(async () => {
  live.agent = await startAgent(loadConfig({ flags: { port: 0, backend: 'embedded', tokenFile, socket: false, cgroupRoot: root }, env: {} }), false, { tracerProvider: 'local' });
  live.env = { GDL_URL: live.agent.url, GDL_TOKEN_FILE: tokenFile };
});
Cli.after(async () => {
  await live.agent.close();
  rmSync(root, { recursive: true, force: true });
});

Cli('gdl bind / bindings / unbind, text and --json, exit codes', async () => {
  const c = await gdl(['bind', 'cgroup', '/system.slice/job.service', '42'], live.env);
  assert.is(c.code, 0, c.stderr);
  assert.match(c.stdout, `cgroup /system.slice/job.service (id ${jobId}) is agent 42`);
  const u = await gdl(['bind', 'uid', '1001', '7', '--json'], live.env);
  assert.is(u.code, 0, u.stderr);
  assert.equal(JSON.parse(u.stdout), { uid: 1001, agent: '7', source: 'api' });
  const l = await gdl(['bindings'], live.env);
  assert.match(l.stdout, /cgroup\s+\/system\.slice\/job\.service\s+42/);
  assert.match(l.stdout, /uid\s+1001\s+7/);
  const lj = JSON.parse((await gdl(['bindings', '--json'], live.env)).stdout);
  assert.is(lj.cgroups.length + lj.uids.length, 2);
  assert.is((await gdl(['unbind', 'cgroup', '/system.slice/job.service'], live.env)).code, 0);
  const again = await gdl(['unbind', 'cgroup', '/system.slice/job.service'], live.env);
  assert.is(again.code, 1, 'not bound: refused');
  assert.match(again.stderr, /NOT_FOUND/);
  assert.is((await gdl(['bind', 'uid', 'root', '7'], live.env)).code, 2, 'usage error');
  assert.is((await gdl(['bind', 'cgroup', 'rel', '7'], live.env)).code, 2, 'usage error');
  const help = await gdl(['bind', 'cgroup', '--help'], live.env);
  assert.is(help.code, 0);
  assert.match(help.stdout, /--json/);
});

Http.run();
Cli.run();

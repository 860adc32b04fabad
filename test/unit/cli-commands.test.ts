/**
 * The real `gdl` binary (bin/gdl.mjs) against a live agent on 127.0.0.1 with
 * an ephemeral port: output, --json, exit codes 0/1/2/3, and `gdl agent`
 * refusing a bad configuration.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../agent/src/config.ts';
import { REPO_ROOT } from '../../agent/src/paths.ts';
import { startAgent, type RunningAgent } from '../../agent/src/server.ts';
import { TOKEN } from '../fixtures/agent-harness.ts';

const GDL = resolve(REPO_ROOT, 'bin/gdl.mjs');
const dir = mkdtempSync(join(tmpdir(), 'gdl-cli-'));
const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, `${TOKEN}\n`);
// The agent also has a read token: every read below must carry a token.
const READ_TOKEN = 'read-token-0123456789';
const readTokenFile = join(dir, 'read-token');
writeFileSync(readTokenFile, `${READ_TOKEN}\n`);

interface Run { code: number; stdout: string; stderr: string }

function gdl(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [GDL, ...args], { env: { ...process.env, GDL_TOKEN: '', GDL_READ_TOKEN: '', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

const ctx = { agent: undefined as unknown as RunningAgent, env: {} as Record<string, string> };
const Cli = suite('cli commands');

Cli.before(async () => {
  ctx.agent = await startAgent(loadConfig({ flags: { port: 0, backend: 'embedded', tokenFile, readTokenFile }, env: {} }), false);
  ctx.env = { GDL_URL: ctx.agent.url, GDL_TOKEN_FILE: tokenFile };
});
Cli.after(async () => {
  await ctx.agent.close();
});

Cli('quota, alloc, agents and status print what the agent holds', async () => {
  const q = await gdl(['quota', '77', '1GiB', '--devices', '0,1'], ctx.env);
  assert.is(q.code, 0, q.stderr);
  assert.match(q.stdout, /77\s+1 GiB\s+0 B\s+0,1/);
  const a = await gdl(['alloc', '77', '600MiB', '--device', '0', '--json'], ctx.env);
  assert.is(a.code, 0, a.stderr);
  assert.is(JSON.parse(a.stdout).size, String(600 << 20));
  const agents = await gdl(['agents', '77', '--json'], ctx.env);
  assert.is(JSON.parse(agents.stdout).used, String(600 << 20));
  const status = await gdl(['status'], ctx.env);
  assert.is(status.code, 0);
  assert.match(status.stdout, /backend embedded, 2 devices, 1 agents, 1 live allocations/);
});

Cli('refusals exit 1 with the error code; a denied check exits 1', async () => {
  const over = await gdl(['alloc', '77', '1GiB', '--device', '0'], ctx.env);
  assert.is(over.code, 1);
  assert.match(over.stderr, /QUOTA_EXCEEDED/);
  const noToken = await gdl(['quota', '78', '1'], { GDL_URL: ctx.agent.url });
  assert.is(noToken.code, 1);
  assert.match(noToken.stderr, /UNAUTHORIZED/);
  assert.is((await gdl(['grant', '77', '--device', '0', '--addr', '0x1000', '--length', '4KiB', '--mode', 'r'], ctx.env)).code, 0);
  // --start: the deprecated name of --addr, still accepted; both at once is a usage error
  const old = await gdl(['grant', '77', '--device', '0', '--start', '0x2000', '--length', '16', '--mode', 'r', '--json'], ctx.env);
  assert.is(old.code, 0);
  assert.is(JSON.parse(old.stdout).granted.addr, '8192');
  const both = await gdl(['grant', '77', '--device', '0', '--addr', '0', '--start', '0', '--length', '16'], ctx.env);
  assert.is(both.code, 2);
  assert.match(both.stderr, /--addr or --start/);
  const allowed = await gdl(['check', '77', '--device', '0', '--addr', '0x1000', '--length', '16', '--mode', 'r'], ctx.env);
  assert.is(allowed.code, 0);
  assert.is(allowed.stdout.trim(), 'allowed');
  const denied = await gdl(['check', '77', '--device', '0', '--addr', '0x1000', '--length', '16', '--mode', 'w', '--json'], ctx.env);
  assert.is(denied.code, 1);
  assert.equal(JSON.parse(denied.stdout), { allowed: false, result: 'denied' });
});

Cli('usage errors exit 2, an unreachable agent exits 3', async () => {
  const badSize = await gdl(['quota', '77', '12 parsecs'], ctx.env);
  assert.is(badSize.code, 2);
  assert.match(badSize.stderr, /not a size/);
  assert.is((await gdl(['frobnicate'], ctx.env)).code, 2);
  assert.is((await gdl(['grant', '77', '--device', '0'], ctx.env)).code, 2, 'missing required options');
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as { port: number }).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const down = await gdl(['status', '--url', `http://127.0.0.1:${port}`], {});
  assert.is(down.code, 3);
  assert.match(down.stderr, /agent unreachable at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  const help = await gdl(['allocations', '--help']);
  assert.is(help.code, 0);
  assert.match(help.stdout, /--cursor/);
});

Cli('allocations pages through everything; watch follows the SSE stream', async () => {
  await gdl(['quota', '79', '1GiB', '--devices', '1'], ctx.env);
  for (let i = 0; i < 3; i++) await ctx.agent.app.inject({ method: 'POST', url: '/v1/allocations', headers: { authorization: `Bearer ${TOKEN}` }, payload: { agent: '79', size: '10', device: 1 } });
  const page = await gdl(['allocations', '--agent', '79', '--limit', '2', '--json'], ctx.env);
  const first = JSON.parse(page.stdout);
  assert.is(first.items.length, 2);
  assert.type(first.next, 'string');
  const all = JSON.parse((await gdl(['allocations', '--agent', '79', '--json'], ctx.env)).stdout);
  assert.is(all.items.length, 3);

  const watch = spawn(process.execPath, [GDL, 'watch', '--kinds', 'deny', '--count', '2', '--json'], { env: { ...process.env, ...ctx.env } });
  let out = '';
  watch.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number>((r) => watch.on('exit', (code) => r(code ?? -1)));
  // Keep denying until the watcher, which needs a moment to start, has seen two.
  const timer = setInterval(() => {
    void ctx.agent.app.inject({ method: 'POST', url: '/v1/checks', headers: { authorization: `Bearer ${READ_TOKEN}` }, payload: { agent: '79', device: 1, addr: '0', length: '1', mode: 'r' } });
  }, 100);
  const code = await exited;
  clearInterval(timer);
  assert.is(code, 0);
  const lines = out.trim().split('\n').map((l) => JSON.parse(l));
  assert.is(lines.length, 2);
  assert.is(lines[0].event, 'decision');
  assert.is(lines[0].kind, 'deny');
  assert.is(lines[0].agent, '79');
});

Cli('reads carry the API token, else the read token; changes only the API token', async () => {
  const readOnly = { GDL_URL: ctx.agent.url, GDL_READ_TOKEN_FILE: readTokenFile };
  const status = await gdl(['status'], readOnly);
  assert.is(status.code, 0, status.stderr);
  assert.match(status.stdout, /backend embedded/);
  const refused = await gdl(['quota', '80', '1GiB'], readOnly);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /UNAUTHORIZED/);
  const none = await gdl(['agents'], { GDL_URL: ctx.agent.url });
  assert.is(none.code, 1);
  assert.match(none.stderr, /UNAUTHORIZED/);
  const fromEnv = await gdl(['agents', '--json'], { GDL_URL: ctx.agent.url, GDL_READ_TOKEN: READ_TOKEN });
  assert.is(fromEnv.code, 0, fromEnv.stderr);
  // An API token file a read cannot open (root's, in a shared environment) does not fail the read.
  const unreadable = await gdl(['agents', '--json'], { ...readOnly, GDL_TOKEN_FILE: join(dir, 'no-such-token') });
  assert.is(unreadable.code, 0, unreadable.stderr);
  const change = await gdl(['quota', '80', '1GiB'], { ...readOnly, GDL_TOKEN_FILE: join(dir, 'no-such-token') });
  assert.is(change.code, 2, 'a change still needs its token file');
  assert.match(change.stderr, /cannot read token file/);
});

Cli('gdl agent refuses a bad configuration or policy with exit 2', async () => {
  const port = await gdl(['agent', '--port', '99999']);
  assert.is(port.code, 2);
  assert.match(port.stderr, /port must be <= 65535/);
  const policy = join(dir, 'bad-policy.yaml');
  writeFileSync(policy, 'agents:\n  - { id: 0, quota: 1 }\n');
  const pol = await gdl(['agent', '--port', '0', '--backend', 'embedded', '--policy', policy]);
  assert.is(pol.code, 2);
  assert.match(pol.stderr, /agent 0 is reserved/);
});

Cli('gdl agent logs where its API is and exits 0 on SIGTERM', async () => {
  const child = spawn(process.execPath, [GDL, 'agent', '--port', '0', '--backend', 'embedded', '--log-level', 'info'], {
    env: { ...process.env, GDL_TOKEN: '' },
  });
  let log = '';
  child.stdout.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const deadline = Date.now() + 30_000;
  while (!/agent API at/.test(log) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const line = JSON.parse(log.split('\n').find((l) => l.includes('agent API at'))!) as { url: string; openapi: string; changes: string };
  assert.match(line.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.is(line.openapi, `${line.url}/openapi.json`);
  assert.is(line.changes, 'disabled');
  const res = await fetch(`${line.url}/readyz`);
  assert.is(res.status, 200);
  child.kill('SIGTERM');
  assert.is(await exited, 0);
  assert.match(log, /shutting down/);
});

Cli.run();

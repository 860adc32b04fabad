/**
 * The agent process as deployed: `gdl agent` in a child process traces
 * through NodeSDK. A denial caused over the HTTP API arrives at an OTLP
 * receiver in this process with the agent's resource, and SIGTERM flushes
 * the queued span before the process exits (the batch delay is set far
 * beyond the test, so only the shutdown flush can deliver it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Attr, Span } from '../../agent/src/telemetry/names.ts';
import { createTracing } from '../../agent/src/telemetry/tracing.ts';
import { agentResource } from '../../agent/src/telemetry/resource.ts';
import { VERSION } from '../../agent/src/version.ts';
import { TOKEN } from '../fixtures/agent-harness.ts';
import { OtlpReceiver } from '../fixtures/otlp-receiver.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** rejects after @ms without keeping the test process alive */
const deadline = (ms: number, what: () => string) =>
  new Promise<never>((_, rej) => setTimeout(() => rej(new Error(what())), ms).unref());

const Sdk = suite('telemetry sdk');

/** Starts `gdl agent` and resolves with its API URL, read from its JSON log. */
function startChild(otlp: string): { child: ChildProcess; url: Promise<string>; exit: Promise<number | null>; log: () => string } {
  const env: NodeJS.ProcessEnv = { ...process.env, GDL_TOKEN: TOKEN, OTEL_BSP_SCHEDULE_DELAY: '600000' };
  for (const k of Object.keys(env)) if (k.startsWith('OTEL_') && k !== 'OTEL_BSP_SCHEDULE_DELAY') delete env[k];
  const child = spawn(
    process.execPath,
    [resolve(repo, 'bin/gdl.mjs'), 'agent', '--backend', 'embedded', '--port', '0', '--otlp-endpoint', otlp, '--sample-ratio', '0', '--log-level', 'info'],
    { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const url = new Promise<string>((res, rej) => {
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      for (const line of out.split('\n')) {
        try {
          const rec = JSON.parse(line) as { url?: string };
          if (rec.url) res(rec.url);
        } catch { /* partial line */ }
      }
    });
    child.stderr!.on('data', (b: Buffer) => { out += b.toString(); });
    child.once('exit', (code) => rej(new Error(`agent exited (${code}) before listening:\n${out}`)));
  });
  const exit = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { child, url, exit, log: () => out };
}

Sdk('gdl agent traces through NodeSDK: a denial arrives with the resource, SIGTERM flushes it', async () => {
  const receiver = new OtlpReceiver();
  const otlp = await receiver.start();
  const { child, url: urlP, exit, log } = startChild(otlp);
  try {
    const url = await Promise.race([urlP, deadline(60_000, () => `agent not listening after 60 s:\n${log()}`)]);
    const call = async (method: string, path: string, body: object) => {
      const r = await fetch(`${url}${path}`, {
        method, body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      });
      return r.status;
    };
    assert.ok((await call('PUT', '/v1/agents/77', { quota: '1000', devices: [0] })) < 300);
    assert.ok((await call('POST', '/v1/agents/77/grants', { device: 0, start: '0x1000', length: '0x1000', mode: 'r' })) < 300);
    assert.is(await call('POST', '/v1/checks', { agent: '77', device: 0, addr: '0x1000', length: '8', mode: 'w' }), 200);
    await sleep(1500); // several drains of the event ring; the batch delay is 600 s, so nothing is exported yet
    assert.is(receiver.spans.length, 0, 'spans wait in the batch queue until shutdown');

    child.kill('SIGTERM');
    const code = await Promise.race([exit, deadline(20_000, () => `no exit 20 s after SIGTERM:\n${log()}`)]);
    assert.is(code, 0, `clean exit after SIGTERM:\n${log()}`);
    const deny = receiver.spans.filter((s) => s.name === Span.deny);
    assert.is(deny.length, 1, `one deny span flushed on SIGTERM, got ${receiver.spans.map((s) => s.name).join(',')}`);
    const d = deny[0]!;
    assert.is(d.attributes[Attr.agent], '77');
    assert.is(d.attributes[Attr.result], 'denied');
    assert.is(d.attributes[Attr.pid], child.pid, 'the embedded ring records the agent process');
    assert.is(d.status.code, 2);
    assert.is(d.resource['service.name'], 'gdl-agent');
    assert.is(d.resource['service.version'], VERSION);
    assert.is(d.resource['host.name'], hostname());
    // sdk-node's process detector ran in the child: the resource names the agent process.
    assert.is(d.resource['process.pid'], child.pid);
    assert.is(d.resource['process.runtime.name'], 'nodejs');
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await receiver.stop();
  }
});

Sdk('in-process: NodeSDK registers globally, once; a second needs the local provider; shutdown frees it', async () => {
  const base = { endpoint: 'http://127.0.0.1:1', resource: agentResource('t'), version: 't', maxQueueSize: 10, env: {} };
  const first = createTracing(base);
  assert.is(first.kind, 'sdk');
  try {
    assert.throws(() => createTracing(base), /NodeSDK already runs/);
    const local = createTracing({ ...base, provider: 'local' });
    assert.is(local.kind, 'local');
    await local.shutdown();
  } finally {
    await first.shutdown();
  }
  const again = createTracing(base);
  assert.is(again.kind, 'sdk');
  await again.shutdown();
});

Sdk.run();

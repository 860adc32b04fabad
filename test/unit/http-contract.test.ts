/**
 * The API's contract for an operator's node (issue 12): authentication
 * before validation, the read token, one error shape for every refusal
 * (413, 414, 415, 431, __proto__), one message per bad mode, the event
 * stream's client cap, audit records for every change and refused
 * authentication, and routine request logs at debug level.
 */
import { request as httpRequest } from 'node:http';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AUTH, buildApp, TOKEN, type TestApp } from '../fixtures/agent-harness.ts';

const ctx = { t: undefined as unknown as TestApp };
const json = (body: string) => JSON.parse(body) as any;

async function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = AUTH) {
  const res = await ctx.t.app.inject({ method, url, headers, ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { status: res.statusCode, body: res.body ? json(res.body) : undefined, headers: res.headers };
}

const audits = () => ctx.t.logs.filter((l) => l.component === 'audit').map((l) => l.audit);

const Errors = suite('http error contract');
Errors.before.each(async () => { ctx.t = await buildApp(); });
Errors.after.each(async () => { await ctx.t.close(); });

Errors('authentication runs before validation: a bad body without a token is 401, not a schema message', async () => {
  const r = await call('PUT', '/v1/agents/7', { nonsense: 1 }, {});
  assert.is(r.status, 401);
  assert.is(r.body.error.code, 'UNAUTHORIZED');
  assert.not.match(r.body.error.message, /must|property|pattern/);
  const wrong = await call('PUT', '/v1/agents/abc', { quota: 1 }, { authorization: 'Bearer nope-nope-nope-nope' });
  assert.is(wrong.status, 401);
});

Errors('a body over the limit is 413 PAYLOAD_TOO_LARGE', async () => {
  const r = await call('PUT', '/v1/agents/7', { quota: '1', pad: 'x'.repeat(70_000) });
  assert.is(r.status, 413);
  assert.is(r.body.error.code, 'PAYLOAD_TOO_LARGE');
});

Errors('text/plain is 415 UNSUPPORTED_MEDIA_TYPE', async () => {
  const res = await ctx.t.app.inject({ method: 'PUT', url: '/v1/agents/7', headers: { ...AUTH, 'content-type': 'text/plain' }, payload: '{"quota":"1"}' });
  assert.is(res.statusCode, 415);
  assert.is(json(res.body).error.code, 'UNSUPPORTED_MEDIA_TYPE');
});

Errors('__proto__ in a body is 400 naming the forbidden key, not "not valid JSON"', async () => {
  const res = await ctx.t.app.inject({ method: 'PUT', url: '/v1/agents/7', headers: { ...AUTH, 'content-type': 'application/json' }, payload: '{"quota":"1","__proto__":{"x":1}}' });
  assert.is(res.statusCode, 400);
  assert.is(json(res.body).error.code, 'BAD_REQUEST');
  assert.match(json(res.body).error.message, /__proto__/);
  assert.not.match(json(res.body).error.message, /not valid JSON/);
});

Errors('a bad mode is one message listing the modes', async () => {
  const r = await call('POST', '/v1/checks', { agent: '7', device: 0, addr: '0', length: '1', mode: 'x' });
  assert.is(r.status, 400);
  assert.is(r.body.error.message, 'body/mode must be one of r, w, rw');
});

Errors('over a real socket: a too-long URL is 414 and oversized headers are 431, both in the API shape', async () => {
  const address = await ctx.t.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = new URL(address);
  const raw = (path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, headers }, (res) => {
        let b = '';
        res.on('data', (c) => { b += c; });
        res.on('end', () => resolve({ status: res.statusCode!, body: b ? json(b) : undefined }));
      });
      req.on('error', reject);
      req.end();
    });
  const long = await raw(`/v1/agents/${'1'.repeat(200)}`);
  assert.is(long.status, 414);
  assert.is(long.body.error.code, 'URI_TOO_LONG');
  const big = await raw('/v1/stats', { 'x-big': 'y'.repeat(20_000) });
  assert.is(big.status, 431);
  assert.is(big.body.error.code, 'HEADERS_TOO_LARGE');
});

Errors.run();

const Read = suite('http read token');
Read.before.each(async () => { ctx.t = await buildApp({ readToken: 'read-token-0123456789abcdef' }); });
Read.after.each(async () => { await ctx.t.close(); });

Read('reads need the read token (or the change token); health, readiness and metrics never do', async () => {
  assert.is((await call('GET', '/v1/agents', undefined, {})).status, 401);
  assert.is((await call('POST', '/v1/checks', { agent: '7', device: 0, addr: '0', length: '1', mode: 'r' }, {})).status, 401);
  assert.is((await call('GET', '/v1/agents', undefined, { authorization: 'Bearer read-token-0123456789abcdef' })).status, 200);
  assert.is((await call('GET', '/v1/agents', undefined, AUTH)).status, 200);
  for (const open of ['/healthz', '/readyz', '/metrics']) assert.is((await ctx.t.app.inject({ url: open })).statusCode, 200, open);
  // The read token does not allow changes.
  assert.is((await call('PUT', '/v1/agents/7', { quota: '1' }, { authorization: 'Bearer read-token-0123456789abcdef' })).status, 401);
});

Read.run();

const Audit = suite('http audit');
Audit.before.each(async () => { ctx.t = await buildApp({ logs: true }); });
Audit.after.each(async () => { await ctx.t.close(); });

Audit('every change is an audit record: who (token identity, peer), what, before -> after', async () => {
  await call('PUT', '/v1/agents/42', { quota: '1000', devices: [0] });
  await call('PUT', '/v1/agents/42', { quota: '2000' });
  await call('POST', '/v1/agents/42/grants', { device: 0, start: '0x1000', length: '0x1000', mode: 'rw' });
  await call('POST', '/v1/agents/42/revocations', { device: 0, start: '0x1000', length: '0x800', mode: 'w' });
  const a = await call('POST', '/v1/allocations', { agent: '42', size: '100', device: 0 });
  await call('DELETE', `/v1/allocations/${a.body.id}`);
  await call('DELETE', '/v1/agents/42');
  const recs = audits();
  assert.equal(recs.map((r) => r.action), ['agent.set', 'agent.set', 'grant.add', 'grant.revoke', 'allocation.create', 'allocation.free', 'agent.remove']);
  const [created, changed] = recs;
  assert.is(created.before, null);
  assert.is(created.after.quota, '1000');
  assert.is(changed.before.quota, '1000');
  assert.is(changed.after.quota, '2000');
  assert.equal(changed.target, { agent: '42' });
  assert.match(changed.who.identity, /^token:[0-9a-f]{8}$/);
  assert.not.match(JSON.stringify(recs), new RegExp(TOKEN));
  assert.ok(changed.who.peer, 'peer is recorded');
  assert.equal(recs[2].after.map((g: any) => g.mode), ['rw']);
  assert.equal(recs[3].after.map((g: any) => g.mode), ['r', 'rw']);
  assert.ok(recs.every((r) => r.outcome === 'ok'));
});

Audit('refused authentication and changes the core refused are audit records too', async () => {
  await call('PUT', '/v1/agents/42', { quota: '1' }, { authorization: 'Bearer wrong-wrong-wrong-wrong' });
  await call('DELETE', '/v1/agents/999');
  const [auth, missing] = audits();
  assert.is(auth.action, 'auth.refused');
  assert.is(auth.outcome, 'refused');
  assert.is(auth.error, 'UNAUTHORIZED');
  assert.is(auth.who.identity, 'anonymous');
  assert.equal(auth.target, { method: 'PUT', route: '/v1/agents/:id' });
  assert.is(missing.action, 'agent.remove');
  assert.is(missing.outcome, 'refused');
  assert.is(missing.error, 'NOT_FOUND');
});

Audit('routine requests log at debug, never at info', async () => {
  for (let i = 0; i < 20; i++) {
    await ctx.t.app.inject({ url: '/healthz' });
    await ctx.t.app.inject({ url: '/metrics' });
    await call('GET', '/v1/agents');
  }
  const routine = ctx.t.logs.filter((l) => l.component !== 'audit');
  assert.ok(routine.length >= 120, `request lines are still written at debug (${routine.length})`);
  assert.is(routine.filter((l) => l.level >= 30).length, 0);
});

Audit.run();

const Streams = suite('http event stream cap');
Streams.before.each(async () => { ctx.t = await buildApp({ maxEventClients: 2 }); });
Streams.after.each(async () => { await ctx.t.close(); });

Streams('past maxEventClients a new stream is 429 TOO_MANY_STREAMS with a clear message', async () => {
  const address = await ctx.t.app.listen({ host: '127.0.0.1', port: 0 });
  const aborts: AbortController[] = [];
  const open = async () => {
    const ac = new AbortController();
    aborts.push(ac);
    return fetch(`${address}/v1/events`, { signal: ac.signal });
  };
  try {
    assert.is((await open()).status, 200);
    assert.is((await open()).status, 200);
    const third = await open();
    assert.is(third.status, 429);
    const body = (await third.json()) as any;
    assert.is(body.error.code, 'TOO_MANY_STREAMS');
    assert.match(body.error.message, /2 event streams are open/);
  } finally {
    for (const ac of aborts) ac.abort();
  }
});

Streams.run();

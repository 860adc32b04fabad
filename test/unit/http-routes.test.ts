/**
 * Every route through app.inject on the embedded backend with the real
 * libgdlcore.so: reads, changes, auth, schema errors, errno mapping, paging.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AUTH, buildApp, type TestApp } from '../fixtures/agent-harness.ts';

const ctx = { t: undefined as unknown as TestApp };
const json = (body: string) => JSON.parse(body) as any;

async function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = AUTH) {
  const res = await ctx.t.app.inject({ method, url, headers, ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { status: res.statusCode, body: res.body ? json(res.body) : undefined, headers: res.headers };
}

const Reads = suite('http reads');
Reads.before.each(async () => { ctx.t = await buildApp(); });
Reads.after.each(async () => { await ctx.t.close(); });

Reads('health and readiness', async () => {
  assert.equal((await call('GET', '/healthz')).body, { status: 'ok' });
  const r = await call('GET', '/readyz');
  assert.is(r.status, 200);
  assert.equal(r.body, { status: 'ready', backend: 'embedded' });
});

Reads('stats describe the backend and its counters', async () => {
  const r = await call('GET', '/v1/stats');
  assert.is(r.status, 200);
  assert.is(r.body.backend, 'embedded');
  assert.is(r.body.numDevices, 2);
  assert.is(r.body.gauges.capacityBytes, String(32n << 30n));
  assert.is(r.body.counters.allocs, '0');
});

Reads('devices list and one device; unknown device is NO_SUCH_DEVICE', async () => {
  const all = await call('GET', '/v1/devices');
  assert.is(all.body.items.length, 2);
  assert.equal(all.body.items[1], { index: 1, name: 'fake1', kind: 'fake', capacity: '17179869184', used: '0', free: '17179869184' });
  assert.is((await call('GET', '/v1/devices/0')).body.name, 'fake0');
  const missing = await call('GET', '/v1/devices/9');
  assert.is(missing.status, 404);
  assert.is(missing.body.error.code, 'NO_SUCH_DEVICE');
});

Reads('unknown agent is 404 NOT_FOUND with the errno', async () => {
  const r = await call('GET', '/v1/agents/42');
  assert.is(r.status, 404);
  assert.is(r.body.error.code, 'NOT_FOUND');
  assert.is(r.body.error.errno, 'ENOENT');
});

Reads('the OpenAPI document lists every versioned route', async () => {
  const doc = (await call('GET', '/openapi.json')).body;
  assert.is(doc.openapi, '3.0.3');
  for (const p of ['/v1/stats', '/v1/devices', '/v1/agents/{id}', '/v1/allocations', '/v1/allocations/{id}', '/v1/grants',
    '/v1/agents/{id}/grants', '/v1/agents/{id}/revocations', '/v1/checks', '/v1/events', '/healthz', '/readyz', '/metrics']) {
    assert.ok(doc.paths[p], `OpenAPI lacks ${p}`);
  }
  assert.ok(doc.paths['/v1/agents/{id}'].put.security, 'changes declare the bearer requirement');
});

Reads('an unknown route answers with the error shape', async () => {
  const r = await call('GET', '/v1/nope');
  assert.is(r.status, 404);
  assert.is(r.body.error.code, 'ROUTE_NOT_FOUND');
});

Reads.run();

const Auth = suite('http auth');
Auth.after.each(async () => { await ctx.t.close(); });

Auth('no token configured: every change is 403 CHANGES_DISABLED, reads work', async () => {
  ctx.t = await buildApp({ token: null });
  const r = await call('PUT', '/v1/agents/1', { quota: '100' });
  assert.is(r.status, 403);
  assert.is(r.body.error.code, 'CHANGES_DISABLED');
  // Even with a header: there is no token to match.
  assert.is((await call('POST', '/v1/allocations', { agent: '1', size: '1', device: 0 })).status, 403);
  assert.is((await call('GET', '/v1/agents')).status, 200);
});

Auth('missing, malformed and wrong tokens are 401 with WWW-Authenticate', async () => {
  ctx.t = await buildApp();
  const missing = await call('PUT', '/v1/agents/1', { quota: '100' }, {});
  assert.is(missing.status, 401);
  assert.is(missing.body.error.code, 'UNAUTHORIZED');
  assert.match(String(missing.headers['www-authenticate']), /^Bearer/);
  assert.is((await call('PUT', '/v1/agents/1', { quota: '100' }, { authorization: 'Basic abc' })).status, 401);
  assert.is((await call('PUT', '/v1/agents/1', { quota: '100' }, { authorization: 'Bearer wrong' })).status, 401);
  assert.is((await call('DELETE', '/v1/allocations/1', undefined, {})).status, 401);
  assert.is((await call('POST', '/v1/agents/1/grants', { device: 0, addr: '0', length: '1', mode: 'r' }, {})).status, 401);
  // Nothing was created by the refused requests.
  assert.is((await call('GET', '/v1/agents')).body.items.length, 0);
});

Auth('checks need no token', async () => {
  ctx.t = await buildApp();
  const r = await call('POST', '/v1/checks', { agent: '1', device: 0, addr: '0', length: '1', mode: 'r' }, {});
  assert.is(r.status, 200);
  assert.equal(r.body, { allowed: false, result: 'denied' });
});

Auth.run();

const Changes = suite('http changes and errno mapping');
Changes.before.each(async () => { ctx.t = await buildApp({ embedded: { maxAgents: 2 } }); });
Changes.after.each(async () => { await ctx.t.close(); });

Changes('set quota and devices, then read the agent back', async () => {
  const r = await call('PUT', '/v1/agents/18446744073709551615', { quota: '1073741824', devices: [0, 1] });
  assert.is(r.status, 200);
  assert.equal(r.body, {
    id: '18446744073709551615', quota: '1073741824', used: '0', available: '1073741824', deviceMask: '0x3', devices: [0, 1], allocations: '0', grants: '0',
  });
  // A quota change without devices keeps the mask.
  const again = await call('PUT', '/v1/agents/18446744073709551615', { quota: '10' });
  assert.is(again.body.deviceMask, '0x3');
  assert.is((await call('PUT', '/v1/agents/7', { quota: '1', deviceMask: '0x2' })).body.devices[0], 1);
});

Changes('a new agent given only a quota may use every device, and can be granted DMA', async () => {
  const r = await call('PUT', '/v1/agents/42', { quota: '4096' });
  assert.is(r.status, 200);
  assert.is(r.body.deviceMask, '0x3');
  assert.equal(r.body.devices, [0, 1]);
  const g = await call('POST', '/v1/agents/42/grants', { device: 1, addr: '0x10000', length: '4096', mode: 'rw' });
  assert.is(g.status, 204, JSON.stringify(g.body));
  const c = await call('POST', '/v1/checks', { agent: '42', device: 1, addr: '0x10000', length: '64', mode: 'w' });
  assert.equal(c.body, { allowed: true, result: 'allowed' });
});

Changes('allocate, quota exceeded, free; used bytes follow', async () => {
  await call('PUT', '/v1/agents/7', { quota: '1000', devices: [0] });
  const a = await call('POST', '/v1/allocations', { agent: '7', size: '600', device: 0 });
  assert.is(a.status, 201);
  assert.is(a.body.persistent, true);
  const over = await call('POST', '/v1/allocations', { agent: '7', size: '401', device: 0 });
  assert.is(over.status, 409);
  assert.is(over.body.error.code, 'QUOTA_EXCEEDED');
  assert.is(over.body.error.errno, 'EDQUOT');
  assert.is((await call('GET', '/v1/agents/7')).body.used, '600');
  assert.is((await call('DELETE', `/v1/allocations/${a.body.id}`)).status, 204);
  assert.is((await call('GET', '/v1/agents/7')).body.used, '0');
  const again = await call('DELETE', `/v1/allocations/${a.body.id}`);
  assert.is(again.status, 404);
  assert.is(again.body.error.code, 'NOT_FOUND');
});

Changes('errno mapping: EPERM, ENOSPC (device and agents), ENODEV, EBUSY, ENOENT', async () => {
  await call('PUT', '/v1/agents/7', { quota: String(64n << 30n), devices: [0] });
  const perm = await call('POST', '/v1/allocations', { agent: '7', size: '1', device: 1 });
  assert.is(perm.status, 403);
  assert.is(perm.body.error.code, 'FORBIDDEN');
  const full = await call('POST', '/v1/allocations', { agent: '7', size: String(17n << 30n), device: 0 });
  assert.is(full.status, 409);
  assert.is(full.body.error.code, 'DEVICE_FULL');
  await call('PUT', '/v1/agents/8', { quota: '1' });
  const tooMany = await call('PUT', '/v1/agents/9', { quota: '1' });
  assert.is(tooMany.status, 409);
  assert.is(tooMany.body.error.code, 'TOO_MANY_AGENTS');
  const nodev = await call('POST', '/v1/allocations', { agent: '7', size: '1', device: 5 });
  assert.is(nodev.status, 404);
  assert.is(nodev.body.error.code, 'NO_SUCH_DEVICE');
  await call('POST', '/v1/allocations', { agent: '7', size: '1', device: 0 });
  const busy = await call('DELETE', '/v1/agents/7');
  assert.is(busy.status, 409);
  assert.is(busy.body.error.code, 'BUSY');
  assert.is((await call('DELETE', '/v1/agents/8')).status, 204);
  assert.is((await call('DELETE', '/v1/agents/8')).body.error.code, 'NOT_FOUND');
  const unknownAgent = await call('POST', '/v1/allocations', { agent: '99', size: '1', device: 0 });
  assert.is(unknownAgent.status, 404);
});

Changes('grant, check, revoke; listings per agent and for all', async () => {
  await call('PUT', '/v1/agents/7', { quota: '0', devices: [0] });
  assert.is((await call('POST', '/v1/agents/7/grants', { device: 0, addr: '0x100000', length: '0x1000', mode: 'rw' })).status, 204);
  assert.is((await call('POST', '/v1/agents/7/grants', { device: 0, start: '1052672', length: '4096', mode: 'r' })).status, 204);
  const check = (addr: string, mode: string) => call('POST', '/v1/checks', { agent: '7', device: 0, addr, length: '16', mode });
  assert.is((await check('0x100ff8', 'r')).body.allowed, true, 'a check spanning two adjacent grants passes');
  assert.is((await check('0x101000', 'w')).body.allowed, false);
  const grants = (await call('GET', '/v1/agents/7/grants')).body.items;
  assert.equal(grants[0], {
    agent: '7', device: 0, addr: '1048576', addrHex: '0x100000', start: '1048576', startHex: '0x100000',
    length: '4096', end: '0x101000', mode: 'rw',
  });
  assert.is(grants.length, 2);
  assert.is((await call('POST', '/v1/agents/7/revocations', { device: 0, addr: '0x100000', length: '0x2000', mode: 'w' })).status, 204);
  assert.is((await check('0x100000', 'w')).body.allowed, false);
  assert.is((await check('0x100000', 'r')).body.allowed, true);
  assert.is((await call('GET', '/v1/grants')).body.items.every((g: { mode: string }) => g.mode === 'r'), true);
  assert.is((await call('GET', '/v1/grants?agent=8')).body.items.length, 0);
  assert.is((await call('GET', '/v1/agents/8/grants')).status, 404);
  assert.is(grants[1].addr, '1052672', 'start: the deprecated name of addr, still accepted');
  const both = await call('POST', '/v1/agents/7/grants', { device: 0, addr: '0', start: '0', length: '1', mode: 'r' });
  assert.match(both.body.error.message, /addr or start/);
  const neither = await call('POST', '/v1/agents/7/grants', { device: 0, length: '1', mode: 'r' });
  assert.is(neither.status, 400);
  assert.match(neither.body.error.message, /addr is required/);
  const notInMask = await call('POST', '/v1/agents/7/grants', { device: 1, addr: '0', length: '1', mode: 'r' });
  assert.is(notInMask.status, 403);
});

Changes.run();

const Bad = suite('http bad input');
Bad.before.each(async () => { ctx.t = await buildApp(); });
Bad.after.each(async () => { await ctx.t.close(); });

Bad('schema errors are 400 BAD_REQUEST saying what is wrong', async () => {
  const cases: [string, string, unknown, RegExp][] = [
    ['PUT', '/v1/agents/7', { quota: 100 }, /quota must be string/],
    ['PUT', '/v1/agents/7', { quota: '-1' }, /quota must match pattern/],
    ['PUT', '/v1/agents/7', { quota: '1', extra: true }, /must NOT have additional properties/],
    ['PUT', '/v1/agents/0', { quota: '1' }, /params\/id must match pattern/],
    ['PUT', '/v1/agents/abc', { quota: '1' }, /params\/id/],
    ['PUT', '/v1/agents/7', { quota: '1', devices: [64] }, /devices\/0 must be <= 63/],
    ['POST', '/v1/allocations', { agent: '7', size: '0', device: 0 }, /size must match pattern/],
    ['POST', '/v1/allocations', { agent: '7', device: 0 }, /must have required property 'size'/],
    ['POST', '/v1/checks', { agent: '7', device: 0, addr: '0xZZ', length: '1', mode: 'r' }, /addr must match pattern/],
    ['POST', '/v1/checks', { agent: '7', device: 0, addr: '0', length: '1', mode: 'x' }, /mode/],
    ['GET', '/v1/allocations?limit=0', undefined, /limit must be >= 1/],
    ['GET', '/v1/allocations?cursor=***', undefined, /cursor must match pattern/],
  ];
  for (const [method, url, payload, message] of cases) {
    const r = await call(method as 'GET', url, payload);
    assert.is(r.status, 400, `${method} ${url} ${JSON.stringify(payload)} -> ${r.status}`);
    assert.is(r.body.error.code, 'BAD_REQUEST');
    assert.match(r.body.error.message, message);
  }
});

Bad('values past 64 bits and overflowing ranges are 400 with a reason', async () => {
  const big = await call('PUT', '/v1/agents/7', { quota: '18446744073709551616' });
  assert.is(big.status, 400);
  assert.match(big.body.error.message, /quota must fit in 64 bits/);
  // Not a stream that can never match: the event filter is checked as every other id.
  const stream = await call('GET', '/v1/events?agent=18446744073709551616');
  assert.is(stream.status, 400);
  assert.match(stream.body.error.message, /agent must fit in 64 bits/);
  const overflow = await call('POST', '/v1/checks', { agent: '7', device: 0, addr: '0xffffffffffffffff', length: '2', mode: 'r' });
  assert.is(overflow.status, 400);
  assert.match(overflow.body.error.message, /overflows 64 bits/);
  const both = await call('PUT', '/v1/agents/7', { quota: '1', devices: [0], deviceMask: '1' });
  assert.match(both.body.error.message, /deviceMask or devices, not both/);
});

Bad('malformed JSON and a forged cursor are 400', async () => {
  const res = await ctx.t.app.inject({ method: 'PUT', url: '/v1/agents/7', headers: { ...AUTH, 'content-type': 'application/json' }, payload: '{"quota":' });
  assert.is(res.statusCode, 400);
  assert.is(json(res.body).error.code, 'BAD_REQUEST');
  const forged = await call('GET', '/v1/allocations?cursor=AAAA');
  assert.is(forged.status, 400);
  assert.is(forged.body.error.code, 'INVALID');
});

Bad.run();

const Paging = suite('http paging');
Paging.before.each(async () => { ctx.t = await buildApp(); });
Paging.after.each(async () => { await ctx.t.close(); });

Paging('a walk with a cursor returns every allocation exactly once; agent filter', async () => {
  await call('PUT', '/v1/agents/1', { quota: '1000000', devices: [0, 1] });
  await call('PUT', '/v1/agents/2', { quota: '1000000', devices: [0] });
  const made = new Set<string>();
  for (let i = 0; i < 25; i++) {
    const r = await call('POST', '/v1/allocations', { agent: i % 3 === 0 ? '2' : '1', size: String(100 + i), device: 0 });
    made.add(r.body.id);
  }
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const r: { body: { items: { id: string }[]; next: string | null } } = await call('GET', `/v1/allocations?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
    assert.ok(r.body.items.length <= 7);
    seen.push(...r.body.items.map((a) => a.id));
    cursor = r.body.next;
    pages++;
  } while (cursor);
  assert.is(seen.length, 25);
  assert.equal(new Set(seen), made);
  assert.ok(pages >= 4);
  const two = (await call('GET', '/v1/allocations?agent=2&limit=1000')).body;
  assert.is(two.items.length, 9);
  assert.ok(two.items.every((a: { agent: string }) => a.agent === '2'));
  assert.is(two.next, null);
});

Paging.run();

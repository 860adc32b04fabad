/**
 * The interposer's socket (agent/src/socket, docs/wire.md) on a real Unix
 * socket against the real libgdlcore: good and bad frames, one connection =
 * one owner, a killed client gives its quota back, and identity from the
 * kernel's SO_PEERCRED of child processes running as uid 65534 / 65533.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { EmbeddedBackend } from '../../agent/src/backends/embedded.ts';
import { emptyRules } from '../../agent/src/identity/rules.ts';
import { IdentityService } from '../../agent/src/identity/service.ts';
import { WireClient } from '../../agent/src/socket/client.ts';
import { SocketServer } from '../../agent/src/socket/server.ts';
import { encodeRequest } from '../../agent/src/socket/wire.ts';
import { GdlAgentInfo, GdlAlloc, GdlDeviceInfo, GdlFree, GdlInfo, GdlStats, GdlWireHdr, Ioc } from '../../agent/src/native/uapi.ts';

const KiB = 1024n;
const EPERM = -1, ENOENT = -2, EINVAL = -22, ENOTTY = -25, ENODEV = -19, EDQUOT = -122;

const dir = mkdtempSync(join(tmpdir(), 'gdl-sock-'));
chmodSync(dir, 0o755); // the uid 65534 children must reach the socket
const sockPath = join(dir, 'agent.sock');

const backend = new EmbeddedBackend({ devices: [{ name: 'fake0', capacity: 1n << 30n }], defaultQuota: 0n, maxAgents: 16, eventRing: 0, cgroupRoot: dir });
backend.setAgent(5n, 1024n * KiB, 1n); // the test process (root) by uid rule
backend.setAgent(7n, 1024n * KiB, 1n); // uid 65534
const rules = emptyRules();
rules.uids.set(0, 5n);
rules.uids.set(65534, 7n);
const service = new IdentityService({ backend, rules, cgroupRoot: dir });
service.applyUids();
const server = new SocketServer({
  path: sockPath,
  core: backend.native,
  maxAgents: 16n,
  defaultQuota: 0n,
  resolve: (c) => service.resolvePeer(c.pid, c.uid, backend.bindings),
  generation: () => backend.bindings.generation,
});

function alloc(size: bigint, agent = 0n, flags = 0) {
  return GdlAlloc.encode({ agent_id: agent, size, device: 0, flags });
}

const Wire = suite('socket wire');
Wire.before(async () => {
  await server.listen();
});
Wire.after(async () => {
  await server.close();
  backend.close();
  rmSync(dir, { recursive: true, force: true });
});

Wire('NOOP, INFO, GET_DEVICE and GET_STATS answer as the ioctls', async () => {
  const c = await WireClient.open(sockPath);
  const noop = await c.call(Ioc.NOOP);
  assert.is(noop.result, 0);
  assert.is(noop.payload.length, 0);
  const info = await c.call(Ioc.INFO, GdlInfo.encode({}));
  assert.is(info.result, 0);
  const i = GdlInfo.decode(info.payload);
  assert.is(i.bound, 1);
  assert.is(i.bound_agent, 5n);
  assert.is(i.num_devices, 1);
  const dev = await c.call(Ioc.GET_DEVICE, GdlDeviceInfo.encode({ index: 0 }));
  assert.is(GdlDeviceInfo.decode(dev.payload).name, 'fake0');
  assert.is((await c.call(Ioc.GET_DEVICE, GdlDeviceInfo.encode({ index: 9 }))).result, ENODEV);
  const st = await c.call(Ioc.GET_STATS, GdlStats.encode({}));
  assert.is(st.payload.length, GdlStats.size);
  assert.is((await c.call(Ioc.GET_STATS, GdlStats.encode({ pad: 1 }))).result, EINVAL);
  c.close();
});

Wire('an unknown command is -ENOTTY and the stream stays in step', async () => {
  const c = await WireClient.open(sockPath);
  const [unknown, noop] = await c.raw(Buffer.concat([encodeRequest(0xdeadbeef, Buffer.alloc(24)), encodeRequest(Ioc.NOOP)]), 2);
  assert.is(unknown!.result, ENOTTY);
  assert.is(unknown!.payload.length, 0);
  assert.is(noop!.result, 0);
  // GRANT is an admin ioctl the socket does not carry.
  assert.is((await c.call(Ioc.GRANT, Buffer.alloc(40))).result, ENOTTY);
  c.close();
});

Wire('bad fields are -EINVAL and keep the connection; framing errors close it', async () => {
  const c = await WireClient.open(sockPath);
  assert.is((await c.call(Ioc.ALLOC, alloc(4n * KiB, 0n, 0x2))).result, EINVAL, 'unknown alloc flag');
  assert.is((await c.call(Ioc.ALLOC, alloc(0n))).result, EINVAL, 'zero size');
  assert.is((await c.call(Ioc.FREE, GdlFree.encode({ alloc_id: 1n, pad: 1 }))).result, EINVAL, 'pad');
  assert.is((await c.call(Ioc.NOOP)).result, 0);
  c.close();

  for (const [what, bytes] of [
    ['header flags', encodeRequest(Ioc.NOOP, Buffer.alloc(0), 1)],
    ['wrong len', encodeRequest(Ioc.ALLOC, Buffer.alloc(GdlAlloc.size - 8))],
    ['oversize', GdlWireHdr.encode({ cmd: 0x1234, len: 1 << 20, result: 0, flags: 0 })],
    ['nonzero result', GdlWireHdr.encode({ cmd: Ioc.NOOP, len: 0, result: 5, flags: 0 })],
  ] as const) {
    const b = await WireClient.open(sockPath);
    const [r] = await b.raw(bytes as Buffer);
    assert.is(r!.result, EINVAL, what);
    await b.whenClosed();
  }
  // The server itself is fine.
  const d = await WireClient.open(sockPath);
  assert.is((await d.call(Ioc.NOOP)).result, 0);
  d.close();
});

Wire('a frame split into single bytes is still one request', async () => {
  const c = await WireClient.open(sockPath);
  const req = encodeRequest(Ioc.INFO, GdlInfo.encode({}));
  const reply = new Promise<number>((ok) => c.sock.once('data', (d: Buffer) => ok(GdlWireHdr.decode(d).result)));
  for (const b of req) {
    c.sock.write(Buffer.from([b]));
    await new Promise((r) => setImmediate(r));
  }
  assert.is(await reply, 0);
  c.close();
});

Wire('two connections are two owners; closing one gives its quota back', async () => {
  const a = await WireClient.open(sockPath);
  const b = await WireClient.open(sockPath);
  const ra = await a.call(Ioc.ALLOC, alloc(600n * KiB));
  assert.is(ra.result, 0);
  const id = GdlAlloc.decode(ra.payload).alloc_id;
  assert.ok(id > 0n);
  assert.is((await b.call(Ioc.ALLOC, alloc(600n * KiB))).result, EDQUOT);
  assert.is(backend.getAgent(5n).used, 600n * KiB);
  a.close();
  await a.whenClosed();
  // The server sees the close a moment later: ask until the core agrees.
  for (let i = 0; i < 200 && backend.getAgent(5n).used !== 0n; i++) await new Promise((r) => setTimeout(r, 10));
  assert.is(backend.getAgent(5n).used, 0n);
  const rb = await b.call(Ioc.ALLOC, alloc(600n * KiB));
  assert.is(rb.result, 0);
  const idb = GdlAlloc.decode(rb.payload).alloc_id;
  assert.is((await b.call(Ioc.FREE, GdlFree.encode({ alloc_id: idb }))).result, 0);
  assert.is((await b.call(Ioc.FREE, GdlFree.encode({ alloc_id: idb }))).result, ENOENT);
  const ga = await b.call(Ioc.GET_AGENT, GdlAgentInfo.encode({ agent_id: 0n }));
  assert.is(GdlAgentInfo.decode(ga.payload).used, 0n);
  b.close();
});

Wire('a FREE sent but not read yet is applied before another connection is refused for quota', async () => {
  const a = await WireClient.open(sockPath);
  const b = await WireClient.open(sockPath);
  const held = await a.call(Ioc.ALLOC, alloc(1024n * KiB));
  assert.is(held.result, 0);
  const id = GdlAlloc.decode(held.payload).alloc_id;
  // Both written in this tick, B's first: the server reads B's ALLOC while
  // A's FREE (the interposer does not wait for a FREE's reply) is still in
  // A's socket. The refusal must not stand on that stale bookkeeping.
  const rb = b.call(Ioc.ALLOC, alloc(1024n * KiB));
  const ra = a.call(Ioc.FREE, GdlFree.encode({ alloc_id: id }));
  assert.is((await rb).result, 0);
  assert.is((await ra).result, 0);
  assert.is(backend.getAgent(5n).used, 1024n * KiB);
  // B holds the whole quota now: A is refused, and the ledger stays exact.
  assert.is((await a.call(Ioc.ALLOC, alloc(1n * KiB))).result, EDQUOT);
  assert.is(backend.getAgent(5n).used, 1024n * KiB);
  b.close();
  a.close();
  await b.whenClosed();
  for (let i = 0; i < 200 && backend.getAgent(5n).used !== 0n; i++) await new Promise((r) => setTimeout(r, 10));
  assert.is(backend.getAgent(5n).used, 0n);
});

const CHILD = `
import { connect } from 'node:net';
const [path, cfg] = process.argv.slice(2);
const C = JSON.parse(cfg);
const s = connect(path);
let buf = Buffer.alloc(0);
const q = [];
s.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  while (buf.length >= 16) {
    const len = buf.readUInt32LE(4);
    if (buf.length < 16 + len) return;
    const r = { result: buf.readInt32LE(8), p: buf.subarray(16, 16 + len) };
    buf = buf.subarray(16 + len);
    q.shift()(r);
  }
});
s.on('error', (e) => { process.stdout.write(JSON.stringify({ error: e.message }) + '\\n'); process.exit(1); });
const call = (cmd, p) => new Promise((ok) => {
  q.push(ok);
  const h = Buffer.alloc(16);
  h.writeUInt32LE(cmd, 0);
  h.writeUInt32LE(p.length, 4);
  s.write(Buffer.concat([h, p]));
});
s.on('connect', async () => {
  const info = await call(C.INFO, Buffer.alloc(C.infoSize));
  const a = Buffer.alloc(C.allocSize);
  a.writeBigUInt64LE(BigInt(C.size), 8);
  const al = await call(C.ALLOC, a);
  const ap = Buffer.from(a);
  ap.writeUInt32LE(1 /* GDL_ALLOC_PERSISTENT */, 20);
  const pa = await call(C.ALLOC, ap);
  const other = Buffer.alloc(C.agentSize);
  other.writeBigUInt64LE(5n, 0);
  const ga = await call(C.GET_AGENT, other);
  const fr = Buffer.alloc(16);
  fr.writeBigUInt64LE(BigInt(C.freeId), 0);
  const fo = await call(C.FREE, fr);
  process.stdout.write(JSON.stringify({ bound: info.p.readBigUInt64LE(16).toString(), alloc: al.result, persistent: pa.result, other: ga.result, freeOther: fo.result }) + '\\n');
  setInterval(() => {}, 1000);
});
`;
const childScript = join(dir, 'child.mjs');
writeFileSync(childScript, CHILD, { mode: 0o644 });

interface ChildAnswer { bound: string; alloc: number; persistent: number; other: number; freeOther: number }
function runChild(uid: number, size: bigint, freeId = 0n): { child: ChildProcess; line: Promise<ChildAnswer> } {
  const cfg = JSON.stringify({
    FREE: Ioc.FREE, freeId: String(freeId),
    INFO: Ioc.INFO, ALLOC: Ioc.ALLOC, GET_AGENT: Ioc.GET_AGENT, infoSize: GdlInfo.size, allocSize: GdlAlloc.size, agentSize: GdlAgentInfo.size, size: String(size),
  });
  const child = spawn('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', process.execPath, childScript, sockPath, cfg], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = new Promise<ChildAnswer>((ok, ko) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) ok(JSON.parse(out.split('\n')[0]!));
    });
    child.once('exit', (code) => ko(new Error(`child exited ${code} before answering: ${out}`)));
  });
  return { child, line };
}

Wire('identity from SO_PEERCRED: uid 65534 acts as agent 7; kill -9 gives its quota back', async () => {
  // A persistent allocation of agent 5 the child must not be able to free.
  const root = await WireClient.open(sockPath);
  const mine = await root.call(Ioc.ALLOC, alloc(4n * KiB, 5n, 1 /* GDL_ALLOC_PERSISTENT */));
  assert.is(mine.result, 0);
  const mineId = GdlAlloc.decode(mine.payload).alloc_id;
  root.close();
  const { child, line } = runChild(65534, 300n * KiB, mineId);
  const r = await line;
  assert.is(r.bound, '7');
  assert.is(r.alloc, 0);
  assert.is(r.persistent, EPERM, 'only root makes an allocation that outlives its connection');
  assert.is(r.other, EPERM, 'a peer may not name another agent');
  assert.is(r.freeOther, EPERM, 'nor free another agent\'s allocation');
  assert.is(backend.getAgent(5n).used, 4n * KiB, 'persistent: outlived its connection, still there');
  backend.free(mineId);
  const peer = server.connections().find((c) => c.pid === child.pid);
  assert.ok(peer, 'the server saw the child pid');
  assert.is(peer!.uid, 65534);
  assert.is(peer!.via, 'uid:65534');
  assert.is(backend.getAgent(7n).used, 300n * KiB);
  child.kill('SIGKILL');
  await new Promise((r2) => child.once('exit', r2));
  for (let i = 0; i < 300 && backend.getAgent(7n).used !== 0n; i++) await new Promise((r2) => setTimeout(r2, 10));
  assert.is(backend.getAgent(7n).used, 0n, 'the killed client released its allocation');
  assert.is(backend.getAgent(7n).allocations, 0n);
});

Wire('an unidentified peer is refused (-EPERM) and sees itself unbound', async () => {
  const { child, line } = runChild(65533, 4n * KiB);
  const r = await line;
  child.kill('SIGKILL');
  assert.is(r.bound, '0');
  assert.is(r.alloc, EPERM);
  assert.is(r.persistent, EPERM);
  assert.is(r.other, EPERM);
});

Wire('a binding changed after connect applies to the same connection\'s next request', async () => {
  const c = await WireClient.open(sockPath);
  const before = GdlInfo.decode((await c.call(Ioc.INFO, GdlInfo.encode({}))).payload);
  assert.is(before.bound_agent, 5n);
  backend.bindUid(0, 7n);
  try {
    const after = GdlInfo.decode((await c.call(Ioc.INFO, GdlInfo.encode({}))).payload);
    assert.is(after.bound_agent, 7n);
  } finally {
    backend.bindUid(0, 5n);
    c.close();
  }
});

Wire.run();

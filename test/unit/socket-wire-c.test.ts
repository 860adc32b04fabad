/**
 * test/wire/wire_client.c, a C client written from docs/wire.md and the UAPI
 * header, against the agent's socket server: the wire format is usable from
 * C as the interposer uses it (INFO, GET_DEVICE, ALLOC/FREE, an allocation
 * ladder that stops at the quota with -EDQUOT).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { EmbeddedBackend } from '../../agent/src/backends/embedded.ts';
import { emptyRules } from '../../agent/src/identity/rules.ts';
import { IdentityService } from '../../agent/src/identity/service.ts';
import { REPO_ROOT } from '../../agent/src/paths.ts';
import { SocketServer } from '../../agent/src/socket/server.ts';

const dir = mkdtempSync(join(tmpdir(), 'gdl-wirec-'));
const exe = join(dir, 'wire_client');
const sock = join(dir, 's');
const backend = new EmbeddedBackend({ devices: [{ name: 'fake0', capacity: 1n << 30n }], defaultQuota: 0n, maxAgents: 8, eventRing: 0, cgroupRoot: dir });
backend.setAgent(3n, 10n << 20n, 1n);
const rules = emptyRules();
rules.uids.set(process.getuid!(), 3n);
const service = new IdentityService({ backend, rules, cgroupRoot: dir });
service.applyUids();
const server = new SocketServer({
  path: sock, core: backend.native, maxAgents: 8n, defaultQuota: 0n,
  resolve: (c) => service.resolvePeer(c.pid, c.uid, backend.bindings), generation: () => backend.bindings.generation,
});

/* Asynchronous: the server answers from this very process's event loop. */
function run(...args: string[]): Promise<Record<string, string>> {
  return new Promise((done) => {
    execFile(exe, [sock, ...args], { encoding: 'utf8', timeout: 30_000 }, (_err, out) => {
      done(Object.fromEntries(String(out).trim().split('\n').map((l) => l.split('=') as [string, string])));
    });
  });
}

const C = suite('socket wire from C');
C.before(async () => {
  execFileSync('cc', ['-O2', '-Wall', '-Werror', '-I', resolve(REPO_ROOT, 'kmod/include'), resolve(REPO_ROOT, 'test/wire/wire_client.c'), '-o', exe]);
  await server.listen();
});
C.after(async () => {
  await server.close();
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

C('info and device 0', async () => {
  const r = await run('info');
  assert.equal([r.info, r.bound, r.agent, r.devices, r.device0], ['0', '1', '3', '1', 'fake0']);
});

C('alloc then free', async () => {
  const r = await run('alloc', String(1 << 20));
  assert.is(r.alloc, '0');
  assert.ok(Number(r.alloc_id) > 0);
  assert.is(r.free, '0');
  assert.is(backend.getAgent(3n).used, 0n);
});

C('a ladder stops at exactly the quota with -EDQUOT; the exit frees it all', async () => {
  const r = await run('ladder', String(1 << 20));
  assert.equal([r.refused, r.total, r.get_agent, r.quota, r.used], ['-122', String(10 << 20), '0', String(10 << 20), String(10 << 20)]);
  for (let i = 0; i < 300 && backend.getAgent(3n).used !== 0n; i++) await new Promise((ok) => setTimeout(ok, 10));
  assert.is(backend.getAgent(3n).used, 0n, 'the client exited: its connection\'s allocations are released');
});

C.run();

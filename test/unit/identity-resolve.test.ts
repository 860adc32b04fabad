/**
 * How the socket resolves a peer (IdentityService.resolvePeer) from its
 * /proc/<pid>/cgroup (a fake /proc here) and uid: nearest bound cgroup, a
 * matching cgroup bound on the spot (template agent created), uid, then
 * strangers; a cgroup v1-only or vanished process falls back to its uid.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { EmbeddedBackend } from '../../agent/src/backends/embedded.ts';
import { templateAgentId } from '../../agent/src/identity/rules.ts';
import { IdentityService } from '../../agent/src/identity/service.ts';
import { parsePolicy } from '../../agent/src/policy.ts';

const base = mkdtempSync(join(tmpdir(), 'gdl-resolve-'));
const cg = join(base, 'cgroup');
const proc = join(base, 'proc');
for (const d of ['libpod_parent/libpod-abc', 'team/a/b', 'other']) mkdirSync(join(cg, d), { recursive: true });
function proc_(pid: number, text: string) {
  mkdirSync(join(proc, String(pid)), { recursive: true });
  writeFileSync(join(proc, String(pid), 'cgroup'), text);
}
proc_(100, '0::/libpod_parent/libpod-abc\n');
proc_(101, '0::/team/a/b\n');
proc_(102, '0::/other\n');
proc_(103, '4:memory:/x\n'); // cgroup v1 only

const policy = parsePolicy({
  agents: [
    { id: 1, quota: '1GiB', devices: [0], match: [{ cgroup: '/team/**' }, { uid: 2000 }] },
    { id: 9, quota: '1MiB', devices: [0] },
  ],
  templates: [{ name: 'podman', match: { cgroup: '/libpod_parent/libpod-*' }, quota: '64MiB', devices: [0] }],
  strangers: { agent: 9 },
}, 'resolve-test');

const backend = new EmbeddedBackend({ devices: [{ name: 'fake0', capacity: 1n << 30n }], defaultQuota: 0n, maxAgents: 16, eventRing: 0, cgroupRoot: cg });
for (const a of policy.agents) backend.setAgent(a.id, a.quota, a.deviceMask ?? 1n);
const service = new IdentityService({ backend, rules: policy.identity, cgroupRoot: cg, procRoot: proc });
service.applyUids();

const R = suite('identity resolve');
R.after(async () => {
  await backend.close();
  rmSync(base, { recursive: true, force: true });
});

R('a template cgroup gets its own agent on first contact', () => {
  const id = service.resolvePeer(100, 5, backend.bindings);
  const b = backend.listBindings().cgroups.find((x) => x.path === '/libpod_parent/libpod-abc')!;
  assert.ok(b);
  assert.is(id.agent, templateAgentId(b.cgroupId));
  assert.is(id.boundCgroup, '/libpod_parent/libpod-abc');
  assert.is(backend.getAgent(id.agent!).quota, 64n << 20n);
});

R('the nearest matching ancestor binds (glob /team/**), and a bound cgroup beats the uid rule', () => {
  const id = service.resolvePeer(101, 2000, backend.bindings);
  assert.is(id.agent, 1n);
  assert.is(id.cgroup, '/team/a/b');
  assert.is(id.boundCgroup, '/team/a/b');
  backend.bindCgroup('/team/a', 9n);
  assert.is(service.resolvePeer(101, 2000, backend.bindings).agent, 1n, 'the deeper binding wins');
});

R('uid next, then strangers; no cgroup v2 line falls back to the uid', () => {
  assert.is(service.resolvePeer(102, 2000, backend.bindings).via, 'uid:2000');
  const s = service.resolvePeer(102, 3000, backend.bindings);
  assert.is(s.agent, 9n);
  assert.is(s.via, 'strangers');
  assert.is(service.resolvePeer(103, 2000, backend.bindings).agent, 1n);
  assert.is(service.resolvePeer(999999, 2000, backend.bindings).cgroup, null, 'a vanished pid has no cgroup');
});

R('a cgroup removed and made again under the same path is not the old binding', () => {
  backend.bindCgroup('/other', 1n);
  assert.is(service.resolvePeer(102, 3000, backend.bindings).agent, 1n);
  // The binding of an earlier cgroup of that path (a temp dir may reuse an
  // inode at once, cgroup2 never does): its id is not the directory's now.
  backend.bindings.bindCgroup({ path: '/other', agent: 1n, cgroupId: 1n, source: 'api' });
  const again = service.resolvePeer(102, 3000, backend.bindings);
  assert.is(again.via, 'strangers', 'the new cgroup is unbound');
  assert.not.ok(backend.listBindings().cgroups.some((b) => b.path === '/other'));
});

R('template agents left without a cgroup and holding nothing are removed', () => {
  const orphan = templateAgentId(999999n);
  backend.setAgent(orphan, 1n << 20n, 1n);
  const busy = templateAgentId(999998n);
  backend.setAgent(busy, 1n << 20n, 1n);
  const id = backend.alloc(busy, 4096n, 0, true);
  const live = service.resolvePeer(100, 5, backend.bindings).agent!;
  assert.is(service.removeOrphanTemplates(), 1);
  const ids = backend.listAgents().map((a) => a.id);
  assert.not.ok(ids.includes(orphan));
  assert.ok(ids.includes(busy), 'holds memory: kept');
  assert.ok(ids.includes(live), 'its cgroup is bound: kept');
  backend.free(id);
});

R.run();

/**
 * The cgroup watcher on a temporary directory tree standing in for cgroup2
 * (inotify is real on any directory): cgroups that exist at start, appear
 * later (nested, several levels at once) and disappear are bound and
 * unbound through the embedded backend; template agents are created per
 * cgroup and removed when their cgroup goes, unless they still hold memory.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { EmbeddedBackend } from '../../agent/src/backends/embedded.ts';
import { IdentityService } from '../../agent/src/identity/service.ts';
import { templateAgentId } from '../../agent/src/identity/rules.ts';
import { CgroupWatcher } from '../../agent/src/identity/watcher.ts';
import { parsePolicy } from '../../agent/src/policy.ts';

const root = mkdtempSync(join(tmpdir(), 'gdl-cgroot-'));
mkdirSync(join(root, 'system.slice/train-early.service'), { recursive: true });

const policy = parsePolicy({
  agents: [{ id: 42, quota: '1GiB', devices: [0], match: [{ cgroup: '/system.slice/train-*.service' }] }],
  templates: [{ name: 'pods', match: { cgroup: '/kubepods/**/pod*' }, quota: '64MiB', devices: [0] }],
}, 'watcher-test');

const backend = new EmbeddedBackend({ devices: [{ name: 'fake0', capacity: 1n << 30n }], defaultQuota: 0n, maxAgents: 64, eventRing: 0, cgroupRoot: root });
backend.setAgent(42n, 1n << 30n, 1n);
const service = new IdentityService({ backend, rules: policy.identity, cgroupRoot: root });
const watcher = new CgroupWatcher(root, { appeared: (p) => service.cgroupAppeared(p), removed: (p) => service.cgroupRemoved(p) });

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.unreachable(`never happened: ${what}`);
}
const bound = (p: string) => backend.listBindings().cgroups.find((b) => b.path === p);
const agentExists = (id: bigint) => backend.listAgents().some((a) => a.id === id);

const W = suite('cgroup watcher');
W.before(() => watcher.start());
W.after(async () => {
  watcher.stop();
  await backend.close();
  rmSync(root, { recursive: true, force: true });
});

W('a cgroup that exists at start is bound to its agent, with its id', () => {
  const b = bound('/system.slice/train-early.service');
  assert.ok(b);
  assert.is(b!.agent, 42n);
  assert.is(b!.source, 'policy', 'listed as made by a policy rule');
  assert.is(b!.cgroupId, statSync(join(root, 'system.slice/train-early.service'), { bigint: true }).ino);
  assert.not.ok(bound('/system.slice'), 'unmatched parents stay unbound');
});

W('a cgroup created after start is bound; removed, it is unbound', async () => {
  mkdirSync(join(root, 'system.slice/train-late.service'));
  await until('late bound', () => bound('/system.slice/train-late.service')?.agent === 42n);
  rmSync(join(root, 'system.slice/train-late.service'), { recursive: true });
  await until('late unbound', () => !bound('/system.slice/train-late.service'));
  assert.ok(agentExists(42n), 'a listed agent is never removed by the watcher');
});

W('templates: one agent per pod cgroup, created deep at once, removed with its cgroup', async () => {
  mkdirSync(join(root, 'kubepods/burstable/podA'), { recursive: true });
  mkdirSync(join(root, 'kubepods/besteffort/podB'), { recursive: true });
  await until('pods bound', () => !!bound('/kubepods/burstable/podA') && !!bound('/kubepods/besteffort/podB'));
  const a = bound('/kubepods/burstable/podA')!;
  const b = bound('/kubepods/besteffort/podB')!;
  assert.is(a.agent, templateAgentId(a.cgroupId));
  assert.is(a.source, 'template');
  assert.is.not(a.agent, b.agent);
  assert.is(backend.getAgent(a.agent).quota, 64n << 20n);
  // podB holds memory when its cgroup goes: its agent stays until freed.
  const id = backend.alloc(b.agent, 1n << 20n, 0, true);
  rmSync(join(root, 'kubepods/burstable'), { recursive: true });
  rmSync(join(root, 'kubepods/besteffort/podB'), { recursive: true });
  await until('pods unbound', () => !bound('/kubepods/burstable/podA') && !bound('/kubepods/besteffort/podB'));
  assert.not.ok(agentExists(a.agent), 'idle template agent removed');
  assert.ok(agentExists(b.agent), 'busy template agent kept');
  backend.free(id);
});

W('replay after a reset binds every matching cgroup again', () => {
  backend.unbindCgroup('/system.slice/train-early.service');
  service.forgetAll();
  watcher.replay();
  assert.is(bound('/system.slice/train-early.service')?.agent, 42n);
});

W('new rules (a policy reload): bindings follow them, moved in place, idle template agents removed', async () => {
  mkdirSync(join(root, 'kubepods/podC'), { recursive: true });
  mkdirSync(join(root, 'kubepods/podD'), { recursive: true });
  mkdirSync(join(root, 'system.slice/infer.service'), { recursive: true });
  await until('pods C and D bound', () => !!bound('/kubepods/podC') && !!bound('/kubepods/podD'));
  const pod = bound('/kubepods/podC')!.agent;
  // The operator moves podD through the API: from then on it is the operator's.
  backend.bindCgroup('/kubepods/podD', 42n);
  backend.setAgent(43n, 1n << 30n, 1n);
  const next = parsePolicy({
    agents: [
      { id: 42, quota: '1GiB', devices: [0], match: [{ cgroup: '/system.slice/infer.service' }] },
      { id: 43, quota: '1GiB', devices: [0], match: [{ cgroup: '/system.slice/train-*.service' }, { cgroup: '/kubepods/*' }] },
    ],
  }, 'watcher-test-reloaded');
  const { apiBound, uidErrors } = service.setRules(next.identity);
  assert.equal(uidErrors, []);
  watcher.replay((p) => apiBound.has(p));	/* as IdentityRuntime.setRules does */
  service.removeOrphanTemplates();
  assert.equal(bound('/system.slice/train-early.service'), { path: '/system.slice/train-early.service', agent: 43n, cgroupId: bound('/system.slice/train-early.service')!.cgroupId, source: 'policy' }, 'moved to the new rule\'s agent');
  assert.is(bound('/system.slice/infer.service')?.agent, 42n, 'a cgroup only the new rules match is bound');
  assert.is(bound('/kubepods/podC')?.agent, 43n, 'the pod now goes by a plain rule');
  assert.not.ok(agentExists(pod), 'its idle template agent removed');
  assert.ok(service.bound().includes('/kubepods/podC'));
  assert.equal([bound('/kubepods/podD')?.agent, bound('/kubepods/podD')?.source], [42n, 'api'], 'the API\'s binding stays');
  assert.not.ok(service.bound().includes('/kubepods/podD'));
  backend.unbindCgroup('/kubepods/podD');
  // And back to no rules at all: everything this service bound is unbound.
  assert.equal(service.setRules(parsePolicy({ agents: [{ id: 42, quota: 1 }] }, 'empty').identity).uidErrors, []);
  assert.equal(backend.listBindings().cgroups, []);
  assert.equal(service.bound(), []);
  service.setRules(policy.identity);
  watcher.replay();
});

W.run();

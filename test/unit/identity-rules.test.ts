/**
 * Identity rules of the policy file: cgroup globs, uid rules, templates,
 * strangers, and the errors a bad policy gets; the binding table's
 * resolution order (nearest bound cgroup, then uid).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BindingTable } from '../../agent/src/identity/bindings.ts';
import { ancestors, compileGlob } from '../../agent/src/identity/glob.ts';
import { matchCgroup, templateAgentId, TEMPLATE_ID_BASE } from '../../agent/src/identity/rules.ts';
import { parsePolicy, PolicyError } from '../../agent/src/policy.ts';

const Glob = suite('identity globs');

Glob('* stays within a segment, ** spans segments, the rest is literal', () => {
  const docker = compileGlob('/system.slice/docker-*.scope');
  assert.ok(docker.test('/system.slice/docker-ab12.scope'));
  assert.not.ok(docker.test('/system.slice/docker-a/b.scope'));
  assert.not.ok(docker.test('/system.slice/dockerXab.scope'.replace('X', '')), 'needs the dash');
  assert.not.ok(docker.test('/system.slice/docker-ab12.scope/child'));
  const pods = compileGlob('/kubepods.slice/**/pod*');
  assert.ok(pods.test('/kubepods.slice/podabc'));
  assert.ok(pods.test('/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/pod1'));
  assert.not.ok(pods.test('/kubepods.slice/x/pod1/container'));
  assert.ok(compileGlob('/a.b').test('/a.b'));
  assert.not.ok(compileGlob('/a.b').test('/aXb'), 'a dot is literal');
  assert.ok(compileGlob('/').test('/'));
  assert.not.ok(compileGlob('/').test('/x'));
});

Glob('malformed globs are refused', () => {
  for (const bad of ['relative', '/a//b', '/a/../b', '/a/./b', '/a/b**', '']) {
    assert.throws(() => compileGlob(bad), undefined, bad);
  }
});

Glob('ancestors run from the path itself up to /', () => {
  assert.equal(ancestors('/a/b/c'), ['/a/b/c', '/a/b', '/a', '/']);
  assert.equal(ancestors('/'), ['/']);
});

const Pol = suite('identity policy');

const doc = {
  agents: [
    { id: 42, quota: '8GiB', devices: [0], match: [{ cgroup: '/system.slice/train-*.service' }, { uid: 1001 }] },
    { id: 7, quota: '1GiB', devices: [0] },
  ],
  templates: [{ name: 'containers', match: { cgroup: '/libpod_parent/libpod-*' }, quota: '64MiB', devices: [0, 1] }],
  strangers: { agent: 7 },
};

Pol('match rules, templates and strangers parse into rules', () => {
  const p = parsePolicy(doc, 'test');
  assert.is(p.identity.cgroups.length, 1);
  assert.is(p.identity.cgroups[0]!.agent, 42n);
  assert.is(p.identity.uids.get(1001), 42n);
  assert.is(p.identity.templates[0]!.quota, 64n << 20n);
  assert.is(p.identity.templates[0]!.deviceMask, 3n);
  assert.is(p.identity.strangers, 7n);
  const m = matchCgroup(p.identity, '/system.slice/train-a.service');
  assert.equal(m && m.kind === 'agent' ? m.agent : null, 42n);
  const t = matchCgroup(p.identity, '/libpod_parent/libpod-0123');
  assert.is(t?.kind, 'template');
  assert.is(matchCgroup(p.identity, '/user.slice'), null);
});

Pol('a policy without identity sections refuses strangers and matches nothing', () => {
  const p = parsePolicy({ agents: [{ id: 1, quota: 1 }] }, 'plain');
  assert.is(p.identity.strangers, null);
  assert.is(p.identity.cgroups.length + p.identity.templates.length + p.identity.uids.size, 0);
  assert.is(parsePolicy({ agents: [], strangers: 'refuse' }, 's').identity.strangers, null);
});

Pol('bad identity sections are refused with the place named', () => {
  const cases: [unknown, RegExp][] = [
    [{ agents: [{ id: 1, quota: 1, match: [{ cgroup: 'rel' }] }] }, /agents\[0\]\.match\[0\]/],
    [{ agents: [{ id: 1, quota: 1, match: [{ uid: 5 }] }, { id: 2, quota: 1, match: [{ uid: 5 }] }] }, /uid 5 is already agent 1/],
    [{ agents: [{ id: 1, quota: 1, match: [{ cgroup: '/a', uid: 1 }] }] }, /match/],
    [{ agents: [], strangers: { agent: 9 } }, /strangers\.agent: agent 9 is not listed/],
    [{ agents: [], strangers: 'allow' }, /strangers/],
    [{ agents: [], templates: [{ name: 't', match: { cgroup: '/a/**x' }, quota: 1 }] }, /templates\[0\]/],
    [{ agents: [], templates: [{ name: 't', match: { cgroup: '/a' }, quota: 1 }, { name: 't', match: { cgroup: '/b' }, quota: 1 }] }, /listed twice/],
    [{ agents: [{ id: (TEMPLATE_ID_BASE + 1n).toString(), quota: 1 }], templates: [{ name: 't', match: { cgroup: '/a' }, quota: 1 }] }, /belong to template agents/],
  ];
  for (const [d, re] of cases) {
    try {
      parsePolicy(d, 'bad');
      assert.unreachable(`accepted ${JSON.stringify(d)}`);
    } catch (err) {
      assert.instance(err, PolicyError);
      assert.match((err as Error).message, re);
    }
  }
});

Pol('template agent ids are 2^63 + the cgroup id', () => {
  assert.is(templateAgentId(1234n), (1n << 63n) + 1234n);
});

const Table = suite('binding table');

Table('nearest bound ancestor wins over uid; uid over nothing; changes bump the generation', () => {
  const t = new BindingTable();
  t.bindCgroup({ path: '/a', agent: 1n, cgroupId: 10n, source: 'api' });
  t.bindCgroup({ path: '/a/b', agent: 2n, cgroupId: 11n, source: 'api' });
  t.bindUid({ uid: 1000, agent: 3n, source: 'api' });
  assert.is(t.resolve('/a/b/c', 1000)?.agent, 2n);
  assert.is(t.resolve('/a/x', 1000)?.agent, 1n);
  assert.is(t.resolve('/z', 1000)?.agent, 3n);
  assert.is(t.resolve(null, 1000)?.agent, 3n);
  assert.is(t.resolve('/z', 1), null);
  const g = t.generation;
  t.unbindCgroup('/a/b');
  assert.ok(t.generation > g);
  assert.is(t.resolve('/a/b/c', 1000)?.agent, 1n);
  t.dropAgent(1n);
  assert.is(t.resolve('/a/b/c', 1000)?.agent, 3n);
});

Glob.run();
Pol.run();
Table.run();

const Proc = suite('proc bindings');
Proc('the module\'s bindings listing parses, octal escapes undone, unknown kinds skipped', async () => {
  const { parseBindings } = await import('../../agent/src/backends/proc-bindings.ts');
  const { parseProcTable } = await import('../../agent/src/backends/proc-table.ts');
  const l = parseBindings(parseProcTable([
    '# kind target cgroup_id agent',
    'cgroup /kubepods.slice/kubepods-pod1.slice 4242 42',
    'cgroup /my\\040job\\134x 5120 9223372036854779050',
    'uid 1001 0 7',
    'future thing 0 1',
    '',
  ].join('\n')));
  assert.equal(l.cgroups.map((c) => [c.path, c.cgroupId, c.agent]), [
    ['/kubepods.slice/kubepods-pod1.slice', 4242n, 42n],
    ['/my job\\x', 5120n, 9223372036854779050n],
  ]);
  assert.equal(l.uids.map((u) => [u.uid, u.agent]), [[1001, 7n]]);
});
Proc.run();

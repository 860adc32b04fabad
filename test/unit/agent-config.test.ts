/** Config merging and validation; policy parsing and application. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { EmbeddedBackend } from '../../agent/src/backends/embedded.ts';
import { ConfigError, loadConfig } from '../../agent/src/config.ts';
import { REPO_ROOT } from '../../agent/src/paths.ts';
import { applyPolicy, loadPolicy, parsePolicy, PolicyError } from '../../agent/src/policy.ts';
import { prettyLine } from '../../agent/src/telemetry/log-format.ts';
import { formatBytes, parseBytes } from '../../agent/src/units.ts';

const dir = mkdtempSync(join(tmpdir(), 'gdl-config-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const GiB = 1n << 30n;

const Config = suite('agent config');

Config('defaults: 127.0.0.1:9400, auto backend, two 16 GiB fake devices', () => {
  const c = loadConfig({ env: {} });
  assert.is(c.listen, '127.0.0.1');
  assert.is(c.port, 9400);
  assert.is(c.backend, 'auto');
  assert.equal(c.embedded.devices, [{ name: 'fake0', capacity: 16n * GiB }, { name: 'fake1', capacity: 16n * GiB }]);
  assert.is(c.token, undefined);
});

Config('file < env < flags', () => {
  const f = file('a.yaml', 'port: 1000\nlisten: 0.0.0.0\nsampleRatio: 0.5\nembedded:\n  devices:\n    - { name: g0, capacity: 8GiB }\n');
  const c = loadConfig({ file: f, env: { GDL_PORT: '2000', GDL_TOKEN: 'secret' }, flags: { port: 3000, backend: undefined } });
  assert.is(c.port, 3000);
  assert.is(c.listen, '0.0.0.0');
  assert.is(c.sampleRatio, 0.5);
  assert.is(c.token, 'secret');
  assert.equal(c.embedded.devices, [{ name: 'g0', capacity: 8n * GiB }]);
  assert.is(loadConfig({ file: f, env: { GDL_PORT: '2000' } }).port, 2000);
});

Config('JSON config files work too; the shipped example is valid', () => {
  assert.is(loadConfig({ file: file('b.json', '{"backend":"embedded"}'), env: {} }).backend, 'embedded');
  assert.is(loadConfig({ file: resolve(REPO_ROOT, 'examples/agent.yaml'), env: {} }).policy, 'examples/policy.yaml');
});

Config('invalid settings are ConfigErrors that name the setting', () => {
  const bad: [() => unknown, RegExp][] = [
    [() => loadConfig({ env: {}, flags: { port: 70000 } }), /command line.*port must be <= 65535/],
    [() => loadConfig({ env: { GDL_PORT: 'eighty' } }), /environment.*port must be integer/],
    [() => loadConfig({ env: { GDL_BACKEND: 'gpu' } }), /environment.*backend/],
    [() => loadConfig({ env: {}, flags: { sampleRatio: 2 } }), /sampleRatio must be <= 1/],
    [() => loadConfig({ env: {}, flags: { otlpEndpoint: 'localhost:4318' } }), /otlpEndpoint must match pattern/],
    [() => loadConfig({ env: {}, file: file('c.yaml', 'prot: 1\n') }), /unknown setting prot/],
    [() => loadConfig({ env: {}, file: file('d.yaml', 'embedded:\n  devices:\n    - { name: x, capacity: 12 parsecs }\n') }), /embedded\.devices\[0\]\.capacity.*not a size/],
    [() => loadConfig({ env: {}, file: file('e.yaml', 'port: [1\n') }), /not valid YAML/],
    [() => loadConfig({ env: {}, file: join(dir, 'missing.yaml') }), /cannot read config file/],
  ];
  for (const [fn, message] of bad) {
    try {
      fn();
      assert.unreachable(`accepted: ${message}`);
    } catch (err) {
      assert.instance(err, ConfigError);
      assert.match((err as Error).message, message);
    }
  }
});

Config('sizes parse and print in binary units', () => {
  assert.is(parseBytes('16GiB', 'x'), 16n * GiB);
  assert.is(parseBytes('0x1000', 'x'), 4096n);
  assert.is(parseBytes(512, 'x'), 512n);
  assert.throws(() => parseBytes('16 GB!', 'x'), /not a size/);
  assert.throws(() => parseBytes('99999999999TiB', 'x'), /does not fit in 64 bits/);
  assert.is(formatBytes(16n * GiB), '16 GiB');
  assert.is(formatBytes(16n * GiB - 600n * (1n << 20n)), '15.4 GiB');
});

Config('listeners, read token and log format: defaults are local, env and file set them', () => {
  const d = loadConfig({ env: {} });
  assert.equal([d.listen, d.metricsListen, d.metricsPort, d.apiSocket, d.readToken, d.maxEventClients, d.logFormat], ['127.0.0.1', '127.0.0.1', 9401, undefined, undefined, 64, 'auto']);
  const c = loadConfig({
    env: { GDL_METRICS_LISTEN: '0.0.0.0', GDL_METRICS_PORT: '-1', GDL_READ_TOKEN: 'r'.repeat(16), GDL_API_SOCKET: '/run/gdl.sock', GDL_LOG_FORMAT: 'pretty', GDL_MAX_EVENT_CLIENTS: '5' },
  });
  assert.equal([c.metricsListen, c.metricsPort, c.readToken, c.apiSocket, c.logFormat, c.maxEventClients], ['0.0.0.0', -1, 'r'.repeat(16), '/run/gdl.sock', 'pretty', 5]);
  assert.throws(() => loadConfig({ env: { GDL_LOG_FORMAT: 'xml' } }), /logFormat/);
});

Config('config integers are read exactly (no double rounding)', () => {
  const f = file('big.yaml', 'embedded:\n  defaultQuota: 9007199254740993\n');
  assert.is(loadConfig({ file: f, env: {} }).embedded.defaultQuota, 9007199254740993n);
});

Config('the human log line: time, level, message, fields', () => {
  const line = prettyLine(JSON.stringify({ level: 40, time: Date.UTC(2026, 0, 1, 12, 0, 0, 5), pid: 1, hostname: 'h', msg: 'policy applied', agents: 3, policy: '/etc/p y.yaml' }));
  assert.match(line, /^\d\d:\d\d:\d\d\.005 WARN  policy applied  agents=3 policy="\/etc\/p y\.yaml"$/);
  assert.is(prettyLine('not json'), 'not json');
});

Config.run();

const Policy = suite('agent policy');

Policy('the example policy parses into agents, masks and grants', () => {
  const p = loadPolicy(resolve(REPO_ROOT, 'examples/policy.yaml'));
  assert.is(p.agents.length, 3);
  assert.equal(p.agents[0]!.id, 1001n);
  assert.is(p.agents[0]!.quota, 12n * GiB);
  assert.is(p.agents[0]!.deviceMask, 3n);
  assert.is(p.agents[1]!.deviceMask, 2n);
  assert.equal(p.agents[1]!.grants[0], { device: 1, addr: 0x200000000n, length: 64n << 20n, mode: 1 });
});

Policy('an entry with only quota gets every device; unquoted ids past 2^53 stay exact', () => {
  const f = file('quota-only.yaml', 'agents:\n  - { id: 9007199254740993, quota: 1GiB }\n  - { id: 18446744073709551615, quota: 1 }\n');
  const p = loadPolicy(f);
  assert.is(p.agents[0]!.id, 9007199254740993n);
  assert.is(p.agents[1]!.id, 18446744073709551615n);
  const backend = new EmbeddedBackend({ devices: [{ name: 'a', capacity: GiB }, { name: 'b', capacity: GiB }], defaultQuota: 0n, maxAgents: 4, eventRing: 0 });
  try {
    assert.equal(applyPolicy(backend, p).errors, []);
    assert.is(backend.getAgent(9007199254740993n).deviceMask, 3n, 'every device, as the API gives a new agent');
  } finally {
    void backend.close();
  }
});

Policy('bad policies are refused before anything is applied, with where and why', () => {
  const bad: [unknown, RegExp][] = [
    [{ agents: [{ id: 0, quota: 1 }] }, /agents\[0\]\.id: agent 0 is reserved/],
    [{ agents: [{ id: 1, quota: 1 }, { id: '1', quota: 2 }] }, /agents\[1\]\.id: agent 1 is listed twice/],
    [{ agents: [{ id: 1, quota: 'lots' }] }, /agents\[0\]\.quota/],
    [{ agents: [{ id: 1, quota: 1, devices: [0], grants: [{ device: 1, addr: 0, length: 1, mode: 'r' }] }] }, /device 1 is not in the agent's devices/],
    [{ agents: [{ id: 1, quota: 1, devices: [0], grants: [{ device: 0, addr: 0, length: 0, mode: 'r' }] }] }, /length: must not be 0/],
    [{ agents: [{ id: 1, quota: 1, grants: [{ device: 0, addr: 0, start: 0, length: 1, mode: 'r' }] }] }, /grants\[0\]: give addr or start/],
    [{ agents: [{ id: 1, quota: 1, grants: [{ device: 0, length: 1, mode: 'r' }] }] }, /grants\[0\]: addr is required/],
    [{ agents: [{ id: 1, quota: 1, grants: [{ device: 0, addr: '0xffffffffffffffff', length: 16, mode: 'r' }] }] }, /grants\[0\]: addr \+ length overflows 64 bits/],
    [{ agents: [{ id: 1, quota: 1, devices: [0], deviceMask: 1 }] }, /devices or deviceMask, not both/],
    [{ agents: [{ id: 1, quota: 1, colour: 'red' }] }, /policy|agents/],
    [{ nodes: [] }, /policy|agents/],
  ];
  for (const [doc, message] of bad) {
    assert.throws(() => parsePolicy(doc, 'test.yaml'), (err: Error) => err instanceof PolicyError && message.test(err.message) && err.message.startsWith('test.yaml'));
  }
});

Policy('apply sets agents and grants; a refused entry is reported and the rest applied', () => {
  const backend = new EmbeddedBackend({ devices: [{ name: 'a', capacity: GiB }, { name: 'b', capacity: GiB }], defaultQuota: 0n, maxAgents: 2, eventRing: 0 });
  try {
    const policy = parsePolicy({
      agents: [
        { id: 1, quota: '1GiB', devices: [0], grants: [{ device: 0, start: '0x1000', length: 4096, mode: 'rw' }] }, // start: addr's deprecated name
        { id: 2, quota: 5, devices: [1] },
        { id: 3, quota: 5 },
      ],
    }, 'p');
    const r = applyPolicy(backend, policy);
    assert.is(r.agents, 2);
    assert.is(r.grants, 1);
    assert.equal(r.errors, ['agent 3: ENOSPC']);
    assert.is(backend.getAgent(1n).quota, GiB);
    assert.is(backend.check(1n, 0, 0x1000n, 16n, 3), true);
    // Applying again is idempotent.
    assert.is(applyPolicy(backend, policy).agents, 2);
    assert.is(backend.listGrants(1n).length, 1);
  } finally {
    void backend.close();
  }
});

Policy.run();

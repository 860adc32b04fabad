/**
 * The agent's configuration: defaults, then a config file (YAML or JSON),
 * then GDL_* environment variables, then command-line flags. The merged
 * result is validated once at start; anything wrong is a ConfigError with
 * a message naming the setting, and the CLI exits 2.
 */
import { readFileSync } from 'node:fs';
import Type, { type Static } from 'typebox';
import { Value } from 'typebox/value';
import { parseYamlExact } from './exact-yaml.ts';
import { GDL_DEVICE_PATH } from './native/uapi.ts';
import { parseBytes } from './units.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const DeviceSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 31 }),
    capacity: Type.Union([Type.Integer({ minimum: 1 }), Type.String({ minLength: 1 })]),
  },
  { additionalProperties: false },
);

/** What a config file may hold (and what flags/env map onto). */
const ConfigFileSchema = Type.Object(
  {
    listen: Type.Optional(Type.String({ minLength: 1 })),
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    apiSocket: Type.Optional(Type.String({ minLength: 1, description: 'serve the API on this Unix socket instead of listen:port' })),
    metricsListen: Type.Optional(Type.String({ minLength: 1 })),
    metricsPort: Type.Optional(Type.Integer({ minimum: -1, maximum: 65535, description: '-1: no telemetry listener' })),
    readTokenFile: Type.Optional(Type.String({ minLength: 1 })),
    maxEventClients: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    logFormat: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('json'), Type.Literal('pretty')])),
    backend: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('kernel'), Type.Literal('embedded')])),
    policy: Type.Optional(Type.String({ minLength: 1 })),
    tokenFile: Type.Optional(Type.String({ minLength: 1 })),
    otlpEndpoint: Type.Optional(Type.String({ pattern: '^https?://' })),
    sampleRatio: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    logLevel: Type.Optional(
      Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))),
    ),
    devicePath: Type.Optional(Type.String({ minLength: 1 })),
    procDir: Type.Optional(Type.String({ minLength: 1 })),
    spanQueueSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    kernelEvents: Type.Optional(Type.Boolean({ description: 'load the BPF event pipeline on the kernel backend' })),
    socket: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 107 }), Type.Literal(false)], { description: 'interposer socket path (embedded backend); false: none' })),
    cgroupRoot: Type.Optional(Type.String({ minLength: 1 })),
    watchCgroups: Type.Optional(Type.Boolean({ description: 'watch the cgroup tree and bind cgroups the policy matches' })),
    embedded: Type.Optional(
      Type.Object(
        {
          devices: Type.Optional(Type.Array(DeviceSchema, { minItems: 1, maxItems: 64 })),
          defaultQuota: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.String()])),
          maxAgents: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
          eventRing: Type.Optional(Type.Integer({ minimum: 0, maximum: 1 << 24 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
type ConfigInput = Static<typeof ConfigFileSchema>;

export interface AgentConfig {
  /** the API's address (loopback by default: changes, reads, checks, events) */
  listen: string;
  port: number;
  /** a Unix socket path for the API instead of listen:port */
  apiSocket: string | undefined;
  /**
   * The telemetry listener: /metrics, /healthz and /readyz only, no token,
   * meant to be reachable by Prometheus and probes. metricsPort -1: none.
   */
  metricsListen: string;
  metricsPort: number;
  readTokenFile: string | undefined;
  /** the read token itself when given through GDL_READ_TOKEN */
  readToken: string | undefined;
  maxEventClients: number;
  /** json always, pretty (one human line per record), or auto: pretty on a terminal */
  logFormat: 'auto' | 'json' | 'pretty';
  backend: 'auto' | 'kernel' | 'embedded';
  policy: string | undefined;
  tokenFile: string | undefined;
  /** the token itself when given through GDL_TOKEN */
  token: string | undefined;
  otlpEndpoint: string | undefined;
  sampleRatio: number;
  logLevel: string;
  devicePath: string;
  procDir: string;
  spanQueueSize: number;
  /**
   * Load the BPF pipeline on the kernel backend. Attached BPF programs hold
   * a reference on the module, so an agent that must let an operator rmmod
   * under it runs with this off.
   */
  kernelEvents: boolean;
  /**
   * The interposer's socket (embedded backend only, docs/wire.md): null for
   * none. @required: the path was configured, so failing to serve it stops
   * the agent; the default path is served when it can be, else a warning.
   */
  socket: { path: string; required: boolean } | null;
  /** the cgroup2 mount, for cgroup rules, bindings and the watcher */
  cgroupRoot: string;
  watchCgroups: boolean;
  embedded: {
    devices: { name: string; capacity: bigint }[];
    defaultQuota: bigint;
    maxAgents: number;
    eventRing: number;
    /** same as cgroupRoot: the embedded backend resolves cgroup ids itself */
    cgroupRoot?: string;
  };
}

const GiB = 1n << 30n;

const DEFAULTS: AgentConfig = {
  listen: '127.0.0.1',
  port: 9400,
  apiSocket: undefined,
  metricsListen: '127.0.0.1',
  metricsPort: 9401,
  readTokenFile: undefined,
  readToken: undefined,
  maxEventClients: 64,
  logFormat: 'auto',
  backend: 'auto',
  policy: undefined,
  tokenFile: undefined,
  token: undefined,
  otlpEndpoint: undefined,
  sampleRatio: 0.01,
  logLevel: 'info',
  devicePath: GDL_DEVICE_PATH,
  procDir: '/proc/swarm/gpu',
  spanQueueSize: 2048,
  kernelEvents: true,
  socket: { path: '/run/gpu-dma-lock/agent.sock', required: false },
  cgroupRoot: '/sys/fs/cgroup',
  watchCgroups: true,
  embedded: {
    devices: [
      { name: 'fake0', capacity: 16n * GiB },
      { name: 'fake1', capacity: 16n * GiB },
    ],
    defaultQuota: 0n,
    maxAgents: 1024,
    eventRing: 65536,
  },
};

/** GDL_* variables and the setting each one gives. */
const ENV: Record<string, keyof ConfigInput> = {
  GDL_LISTEN: 'listen',
  GDL_PORT: 'port',
  GDL_API_SOCKET: 'apiSocket',
  GDL_METRICS_LISTEN: 'metricsListen',
  GDL_METRICS_PORT: 'metricsPort',
  GDL_READ_TOKEN_FILE: 'readTokenFile',
  GDL_MAX_EVENT_CLIENTS: 'maxEventClients',
  GDL_LOG_FORMAT: 'logFormat',
  GDL_BACKEND: 'backend',
  GDL_POLICY: 'policy',
  GDL_TOKEN_FILE: 'tokenFile',
  GDL_OTLP_ENDPOINT: 'otlpEndpoint',
  GDL_SAMPLE_RATIO: 'sampleRatio',
  GDL_LOG_LEVEL: 'logLevel',
  GDL_DEVICE: 'devicePath',
  GDL_PROC_DIR: 'procDir',
  GDL_SPAN_QUEUE_SIZE: 'spanQueueSize',
  GDL_KERNEL_EVENTS: 'kernelEvents',
  GDL_SOCKET: 'socket',
  GDL_CGROUP_ROOT: 'cgroupRoot',
  GDL_WATCH_CGROUPS: 'watchCgroups',
};
const NUMERIC = new Set<keyof ConfigInput>(['port', 'metricsPort', 'maxEventClients', 'sampleRatio', 'spanQueueSize']);
const BOOLEAN = new Set<keyof ConfigInput>(['kernelEvents', 'watchCgroups']);

function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  try {
    // YAML is a superset of JSON: one parser reads both.
    return parseYamlExact(text) ?? {};
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid YAML/JSON: ${(err as Error).message}`);
  }
}

function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV)) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    if (BOOLEAN.has(key) && /^(1|true|yes|on|0|false|no|off)$/i.test(v)) out[key] = /^(1|true|yes|on)$/i.test(v);
    else if (key === 'socket' && /^(0|false|no|off|none)$/i.test(v)) out[key] = false;
    else out[key] = NUMERIC.has(key) && /^-?[0-9.]+$/.test(v) ? Number(v) : v;
  }
  return out;
}

function validate(input: unknown, origin: string): ConfigInput {
  if (Value.Check(ConfigFileSchema, input)) return input;
  const first = Value.Errors(ConfigFileSchema, input).filter((e) => e.keyword !== 'boolean')[0];
  const where = first?.instancePath ? first.instancePath.slice(1).replaceAll('/', '.') : '';
  const extra = first?.keyword === 'additionalProperties'
    ? `unknown setting ${(first.params as { additionalProperties: string[] }).additionalProperties.join(', ')}`
    : `${where || 'value'} ${first?.message ?? 'is invalid'}`;
  throw new ConfigError(`invalid configuration (${origin}): ${extra}`);
}

/**
 * Merges file < env < flags over the defaults and validates each layer.
 * @flags holds only what was given on the command line.
 */
export function loadConfig(opts: { file?: string; flags?: Record<string, unknown>; env?: NodeJS.ProcessEnv }): AgentConfig {
  const env = opts.env ?? process.env;
  const file = opts.file ? validate(readConfigFile(opts.file), opts.file) : {};
  const fromEnvironment = validate(fromEnv(env), 'environment');
  const flags = validate(
    Object.fromEntries(Object.entries(opts.flags ?? {}).filter(([, v]) => v !== undefined)),
    'command line',
  );
  const merged: ConfigInput = { ...file, ...fromEnvironment, ...flags };

  const emb = file.embedded ?? {};
  let devices = DEFAULTS.embedded.devices;
  let defaultQuota = DEFAULTS.embedded.defaultQuota;
  try {
    if (emb.devices) {
      devices = emb.devices.map((d, i) => ({ name: d.name, capacity: parseBytes(d.capacity, `embedded.devices[${i}].capacity`) }));
    }
    if (emb.defaultQuota !== undefined) defaultQuota = parseBytes(emb.defaultQuota, 'embedded.defaultQuota');
  } catch (err) {
    throw new ConfigError(`invalid configuration: ${(err as Error).message}`);
  }
  for (const d of devices) {
    if (d.capacity === 0n) throw new ConfigError(`invalid configuration: device ${d.name} has capacity 0`);
  }

  return {
    listen: merged.listen ?? DEFAULTS.listen,
    port: merged.port ?? DEFAULTS.port,
    apiSocket: merged.apiSocket,
    metricsListen: merged.metricsListen ?? DEFAULTS.metricsListen,
    metricsPort: merged.metricsPort ?? DEFAULTS.metricsPort,
    readTokenFile: merged.readTokenFile,
    readToken: env.GDL_READ_TOKEN || undefined,
    maxEventClients: merged.maxEventClients ?? DEFAULTS.maxEventClients,
    logFormat: merged.logFormat ?? DEFAULTS.logFormat,
    backend: merged.backend ?? DEFAULTS.backend,
    policy: merged.policy,
    tokenFile: merged.tokenFile,
    token: env.GDL_TOKEN || undefined,
    otlpEndpoint: merged.otlpEndpoint,
    sampleRatio: merged.sampleRatio ?? DEFAULTS.sampleRatio,
    logLevel: merged.logLevel ?? DEFAULTS.logLevel,
    devicePath: merged.devicePath ?? DEFAULTS.devicePath,
    procDir: merged.procDir ?? DEFAULTS.procDir,
    spanQueueSize: merged.spanQueueSize ?? DEFAULTS.spanQueueSize,
    kernelEvents: merged.kernelEvents ?? DEFAULTS.kernelEvents,
    socket: merged.socket === false ? null : merged.socket !== undefined ? { path: merged.socket, required: true } : DEFAULTS.socket,
    cgroupRoot: merged.cgroupRoot ?? DEFAULTS.cgroupRoot,
    watchCgroups: merged.watchCgroups ?? DEFAULTS.watchCgroups,
    embedded: {
      devices,
      defaultQuota,
      maxAgents: emb.maxAgents ?? DEFAULTS.embedded.maxAgents,
      eventRing: emb.eventRing ?? DEFAULTS.embedded.eventRing,
      cgroupRoot: merged.cgroupRoot ?? DEFAULTS.cgroupRoot,
    },
  };
}

/**
 * Wires one agent process (fastify/demo style: http/app.ts is the plugin,
 * this file builds the process around it). wireAgent() builds the whole
 * agent without listening: backend, event hub, metrics and spans, policy,
 * identity (cgroup watcher, interposer socket), the HTTP API and the
 * telemetry app. startAgent() is wireAgent() plus the listeners: what
 * `gdl agent` runs. The tests build their agents with the same wireAgent(),
 * so they exercise the production wiring.
 *
 * Shutdown is ordered so nothing is lost that can be kept: stop accepting
 * requests, close socket clients (their owners release), stop the event
 * source (draining it into spans and metrics), flush spans, then close the
 * core; a Teardown runs it, so a start that fails half way closes exactly
 * what it opened.
 */
import { chmodSync, rmSync, statSync } from 'node:fs';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Backend } from './backends/backend.ts';
import { selectBackend } from './backends/select.ts';
import type { AgentConfig } from './config.ts';
import { EventHub } from './events/hub.ts';
import gdlApp, { fastifyOptions } from './http/app.ts';
import { createAuditor, type AuditWho } from './http/audit.ts';
import { readTokenFile } from './http/auth.ts';
import telemetryApp from './http/telemetry-app.ts';
import { createCgroupLabeler } from './identity/labels.ts';
import { startIdentity, type IdentityRuntime } from './identity/runtime.ts';
import { loadPolicy, type Policy } from './policy.ts';
import { createPolicyRunner, LOCAL_PEER } from './policy-runner.ts';
import { Teardown } from './teardown.ts';
import { createEventSpanner } from './telemetry/event-spans.ts';
import { loggerOptions } from './telemetry/log-format.ts';
import { createMetrics, type Metrics, type MetricsOptions } from './telemetry/metrics.ts';
import { agentResource } from './telemetry/resource.ts';
import { createTracing, exportFailureLogger, type Tracing } from './telemetry/tracing.ts';
import { VERSION } from './version.ts';

/** An agent built and connected, not yet listening. */
export interface WiredAgent {
  /** the API (http/app.ts), ready for app.inject() or listen() */
  app: FastifyInstance;
  /** the telemetry app (/metrics, /healthz, /readyz); undefined with metricsPort -1 */
  telemetry: FastifyInstance | undefined;
  backend: Backend;
  /** the decision stream: spans, metrics and /v1/events subscribe to it */
  events: EventHub;
  /** identity rules, cgroup watcher and interposer socket */
  identity: IdentityRuntime;
  tracing: Tracing;
  metrics: Metrics;
  /** re-reads the policy file and applies it (SIGHUP); false when it could not be read */
  reloadPolicy(who?: AuditWho): boolean;
  close(): Promise<void>;
}

export interface RunningAgent extends WiredAgent {
  /** the API: http://host:port, or unix:/path for a socket */
  url: string;
  /** the telemetry listener's http://host:port, when there is one */
  metricsUrl: string | undefined;
}

export interface StartOptions {
  /**
   * Which tracer provider carries the spans: 'sdk' (default, what `gdl agent`
   * runs) is NodeSDK, one per process; 'local' a per-agent provider, for
   * in-process tests that run several agents.
   */
  tracerProvider?: 'sdk' | 'local';
}

export interface WireOptions extends StartOptions {
  /** Fastify's logger option: pino options, or false; default: the config's level and format */
  logger?: boolean | object;
  /** what this node cannot provide in a test (device identities without NVIDIA's driver) */
  metrics?: Pick<MetricsOptions, 'deviceIdentity'>;
}

export class StartupError extends Error {
  override name = 'StartupError';
}

/** Secrets and the policy: everything that can be wrong, read before the core opens. */
interface Inputs {
  token: string | undefined;
  readToken: string | undefined;
  policy: Policy | undefined;
}

function readInputs(config: AgentConfig): Inputs {
  let token = config.token;
  let readToken = config.readToken;
  try {
    if (config.tokenFile) token = readTokenFile(config.tokenFile);
    if (config.readTokenFile) readToken = readTokenFile(config.readTokenFile);
  } catch (err) {
    throw new StartupError((err as Error).message);
  }
  return { token, readToken, policy: config.policy ? loadPolicy(config.policy) : undefined };
}

async function openBackend(config: AgentConfig, log: FastifyBaseLogger): Promise<Backend> {
  const backend = await selectBackend(config, log);
  const i = backend.info();
  log.info({ backend: backend.kind, abiVersion: i.abiVersion, devices: i.numDevices, maxAgents: String(i.maxAgents) }, 'governance core ready');
  if (backend.kind === 'embedded') {
    log.warn(
      { backend: 'embedded' },
      'embedded core: its state lives in this process only; agents, quotas, grants and allocations (persistent ones too) are lost when the agent stops, and only --policy is applied again at start',
    );
  }
  return backend;
}

/** Spans, metrics and the event hub that feeds both; the hub is started. */
function startTelemetry(config: AgentConfig, backend: Backend, log: FastifyBaseLogger, opts: WireOptions, teardown: Teardown) {
  const resource = agentResource(VERSION);
  const tracing = createTracing({
    endpoint: config.otlpEndpoint, resource, version: VERSION, maxQueueSize: config.spanQueueSize, provider: opts.tracerProvider ?? 'sdk',
    onExportFailure: exportFailureLogger((fields, msg) => log.warn(fields, msg)),
  });
  teardown.add(async () => {
    // NodeSDK (or the local provider) shutdown: flushes what is queued, then stops the exporter.
    await tracing.forceFlush().catch((err) => log.warn({ err }, 'span flush failed'));
    await tracing.shutdown().catch(() => {});
  });
  const events = new EventHub(backend.events, (err) => log.error({ err }, 'event consumer failed'));
  const metrics = createMetrics({
    backend, resource, version: VERSION, eventStats: () => events.stats(), spansDropped: () => tracing.dropped(), ...opts.metrics,
  });
  teardown.add(() => metrics.shutdown().catch(() => {}));
  events.subscribe((batch) => metrics.recordEvents(batch));
  if (tracing.enabled) {
    const spanner = createEventSpanner(tracing.tracer, config.sampleRatio, Math.random, undefined, createCgroupLabeler(backend));
    events.subscribe((batch) => spanner.record(batch, backend.kind));
  }
  events.start();
  // Stopping the hub drains it into the subscribers above: before they close.
  teardown.add(() => events.stop());
  if (events.failure) log.warn({ err: events.failure.message }, 'event source failed to start; running without events');
  else if (!events.available) log.info({ backend: backend.kind }, 'no event source: no decision stream or spans');
  return { tracing, metrics, events };
}

async function startIdentityRuntime(config: AgentConfig, backend: Backend, policy: Policy | undefined, log: FastifyBaseLogger): Promise<IdentityRuntime> {
  try {
    return await startIdentity({
      backend, rules: policy?.identity, cgroupRoot: config.cgroupRoot, socket: config.socket?.path,
      socketRequired: config.socket?.required ?? false, watchCgroups: config.watchCgroups, log,
    });
  } catch (err) {
    throw new StartupError(`cannot serve the interposer socket ${config.socket?.path}: ${(err as Error).message}`);
  }
}

/** The telemetry app on its own Fastify instance (no token, for Prometheus and probes). */
async function buildTelemetryApp(backend: Backend, metrics: Metrics): Promise<FastifyInstance> {
  const telemetry = Fastify({ ...fastifyOptions, logger: false });
  await telemetry.register(telemetryApp, { backend, metrics });
  await telemetry.ready();
  return telemetry;
}

/**
 * Builds the whole agent from its configuration, listening nowhere: what
 * startAgent() runs and what the tests inject requests into.
 */
export async function wireAgent(config: AgentConfig, opts: WireOptions = {}): Promise<WiredAgent> {
  const inputs = readInputs(config);
  const app = Fastify({ ...fastifyOptions, logger: opts.logger ?? loggerOptions(config.logLevel, config.logFormat) });
  const log: FastifyBaseLogger = app.log;
  const teardown = new Teardown();
  try {
    const backend = await openBackend(config, log);
    teardown.add(() => backend.close());
    const { tracing, metrics, events } = startTelemetry(config, backend, log, opts, teardown);

    const auditor = createAuditor(log, tracing.tracer);
    const policy = createPolicyRunner({ backend, path: config.policy, initial: inputs.policy, metrics, auditor, log });
    backend.onReset(() => {
      log.warn({ device: config.devicePath }, 'module reloaded: re-applying the policy');
      metrics.backendReopened();
      policy.apply('reload', { identity: 'module-reload', peer: LOCAL_PEER });
    });
    policy.apply('start', { identity: 'start', peer: LOCAL_PEER });

    const identity = await startIdentityRuntime(config, backend, policy.current, log);
    // Socket clients go before the event hub: their owners release while the core is open.
    teardown.add(() => identity.close());
    // After the policy's own re-apply (registered above): bindings need the agents.
    backend.onReset(() => identity.reapply());

    const telemetry = config.metricsPort >= 0 ? await buildTelemetryApp(backend, metrics) : undefined;
    if (telemetry) teardown.add(() => telemetry.close());
    await app.register(gdlApp, {
      backend, events, metrics, token: inputs.token, readToken: inputs.readToken, auditor, maxEventClients: config.maxEventClients, version: VERSION,
    });
    await app.ready();
    // First to close: no request arrives while the rest shuts down.
    teardown.add(() => app.close());

    return {
      app, telemetry, backend, events, identity, tracing, metrics,
      reloadPolicy: (who = { identity: 'signal:SIGHUP', peer: LOCAL_PEER }) => {
        // Agents and grants first, then the identity rules that name them:
        // the new file's, once it was read, even if the core did not answer
        // (the module's return applies both).
        const before = policy.current;
        const applied = policy.reload(who);
        if (policy.current !== before) identity.setRules(policy.current?.identity);
        return applied;
      },
      close: () => teardown.close(),
    };
  } catch (err) {
    await teardown.close().catch((e: unknown) => log.warn({ err: e }, 'cleanup after a failed start failed'));
    await app.close().catch(() => {});
    throw err;
  }
}

/** The API on a Unix socket (owner and group only) or on host:port. */
async function listenApi(app: FastifyInstance, config: AgentConfig): Promise<string> {
  if (!config.apiSocket) return app.listen({ host: config.listen, port: config.port });
  // A socket left by an agent that died is removed; anything else at that path is an error.
  try {
    if (statSync(config.apiSocket).isSocket()) rmSync(config.apiSocket);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await app.listen({ path: config.apiSocket });
  chmodSync(config.apiSocket, 0o660);
  return `unix:${config.apiSocket}`;
}

async function listenTelemetry(telemetry: FastifyInstance, config: AgentConfig): Promise<string> {
  // An ephemeral API port (tests, several agents on one host) gets an ephemeral telemetry port too.
  const port = config.port === 0 && config.metricsPort === 9401 ? 0 : config.metricsPort;
  return telemetry.listen({ host: config.metricsListen, port });
}

/** The agent `gdl agent` runs: wireAgent(), then the API and telemetry listeners. */
export async function startAgent(
  config: AgentConfig,
  logger: boolean | object = loggerOptions(config.logLevel, config.logFormat),
  opts: StartOptions = {},
): Promise<RunningAgent> {
  const agent = await wireAgent(config, { ...opts, logger });
  let url: string;
  let metricsUrl: string | undefined;
  try {
    url = await listenApi(agent.app, config);
    if (agent.telemetry) metricsUrl = await listenTelemetry(agent.telemetry, config);
  } catch (err) {
    await agent.close();
    throw new StartupError(`cannot listen: ${(err as Error).message}`);
  }
  agent.app.log.info(
    { url, openapi: `${url}/openapi.json`, metrics: metricsUrl ? `${metricsUrl}/metrics` : 'API only', changes: config.token || config.tokenFile ? 'token' : 'disabled', reads: config.readToken || config.readTokenFile ? 'read token' : 'open' },
    `agent API at ${url}`,
  );
  return { ...agent, url, metricsUrl };
}

/**
 * SIGTERM/SIGINT: graceful close; a second signal exits at once, for an
 * operator whose collector hangs the flush. SIGHUP: re-read and apply the
 * policy file, as daemons do (a bad file keeps the policy in force).
 */
export function handleSignals(agent: RunningAgent, exit: (code: number) => void = process.exit): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      agent.app.log.warn({ signal }, 'second signal: exiting now');
      exit(130);
      return;
    }
    stopping = true;
    agent.app.log.info({ signal }, 'shutting down');
    agent.close().then(
      () => exit(0),
      (err: unknown) => {
        agent.app.log.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', () => {
    agent.app.log.info({ signal: 'SIGHUP' }, 'reloading the policy');
    agent.reloadPolicy();
  });
}

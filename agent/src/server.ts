/**
 * Wires one agent process: backend, telemetry, events, policy, HTTP API.
 * startAgent() is what `gdl agent` and the CLI tests run; traces go through
 * NodeSDK unless the caller asks for a per-agent provider. Shutdown is
 * ordered so nothing is lost that can be kept: stop accepting requests,
 * stop the event source (draining it into spans), flush spans, then close
 * the core.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Backend } from './backends/backend.ts';
import { selectBackend } from './backends/select.ts';
import type { AgentConfig } from './config.ts';
import { EventHub } from './events/hub.ts';
import gdlApp, { fastifyOptions } from './http/app.ts';
import { readTokenFile } from './http/auth.ts';
import { applyPolicy, loadPolicy, type Policy } from './policy.ts';
import { startIdentity, type IdentityRuntime } from './identity/runtime.ts';
import { createCgroupLabeler } from './identity/labels.ts';
import { createEventSpanner } from './telemetry/event-spans.ts';
import { createMetrics, type Metrics } from './telemetry/metrics.ts';
import { agentResource } from './telemetry/resource.ts';
import { createTracing, type Tracing } from './telemetry/tracing.ts';
import { VERSION } from './version.ts';

export interface RunningAgent {
  app: FastifyInstance;
  backend: Backend;
  /** identity rules, cgroup watcher and interposer socket */
  identity: IdentityRuntime;
  url: string;
  tracing: Tracing;
  metrics: Metrics;
  close(): Promise<void>;
}

export interface StartOptions {
  /**
   * Which tracer provider carries the spans: 'sdk' (default, what `gdl agent`
   * runs) is NodeSDK, one per process; 'local' a per-agent provider, for
   * in-process tests that run several agents.
   */
  tracerProvider?: 'sdk' | 'local';
}

export class StartupError extends Error {
  override name = 'StartupError';
}

export async function startAgent(
  config: AgentConfig,
  logger: boolean | object = { level: config.logLevel },
  opts: StartOptions = {},
): Promise<RunningAgent> {
  // Read everything that can be wrong before touching the core.
  let token = config.token;
  if (config.tokenFile) {
    try {
      token = readTokenFile(config.tokenFile);
    } catch (err) {
      throw new StartupError((err as Error).message);
    }
  }
  let policy: Policy | undefined;
  if (config.policy) policy = loadPolicy(config.policy);

  const app = Fastify({ ...fastifyOptions, logger });
  const log: FastifyBaseLogger = app.log;
  const backend = await selectBackend(config, log);
  log.info({ backend: backend.kind, ...describeInfo(backend) }, 'governance core ready');

  const resource = agentResource(VERSION);
  let tracing: Tracing;
  try {
    tracing = createTracing({
      endpoint: config.otlpEndpoint, resource, version: VERSION, maxQueueSize: config.spanQueueSize, provider: opts.tracerProvider ?? 'sdk',
    });
  } catch (err) {
    await backend.close();
    throw err;
  }
  const hub = new EventHub(backend.events, (err) => log.error({ err }, 'event consumer failed'));
  const metrics = createMetrics({
    backend,
    resource,
    version: VERSION,
    eventStats: () => hub.stats(),
    spansDropped: () => tracing.dropped(),
  });
  hub.subscribe((events) => metrics.recordEvents(events));
  if (tracing.enabled) {
    const spanner = createEventSpanner(tracing.tracer, config.sampleRatio, Math.random, createCgroupLabeler(backend));
    hub.subscribe((events) => spanner.record(events, backend.kind));
  }
  hub.start();
  if (hub.failure) log.warn({ err: hub.failure.message }, 'event source failed to start; running without events');
  else if (!hub.available) log.info({ backend: backend.kind }, 'no event source: no decision stream or spans');

  const apply = (reason: 'start' | 'reload') => {
    if (!policy) return;
    const r = applyPolicy(backend, policy);
    metrics.policyApplied(reason);
    const fields = { policy: policy.source, reason, agents: r.agents, grants: r.grants };
    if (r.errors.length) log.warn({ ...fields, errors: r.errors }, 'policy applied with errors');
    else log.info(fields, 'policy applied');
  };
  backend.onReset(() => {
    log.warn({ device: config.devicePath }, 'module reloaded: re-applying the policy');
    metrics.backendReopened();
    apply('reload');
  });
  apply('start');
  let identity: IdentityRuntime;
  try {
    identity = await startIdentity({
      backend, rules: policy?.identity, cgroupRoot: config.cgroupRoot, socket: config.socket?.path,
      socketRequired: config.socket?.required ?? false, watchCgroups: config.watchCgroups, log,
    });
  } catch (err) {
    await hub.stop();
    await tracing.shutdown().catch(() => {});
    await metrics.shutdown().catch(() => {});
    await backend.close();
    throw new StartupError(`cannot serve the interposer socket ${config.socket?.path}: ${(err as Error).message}`);
  }
  // After the policy's own re-apply (registered above): bindings need the agents.
  backend.onReset(() => identity.reapply());

  await app.register(gdlApp, { backend, events: hub, metrics, token, version: VERSION });

  let address: string;
  try {
    address = await app.listen({ host: config.listen, port: config.port });
  } catch (err) {
    await identity.close();
    await hub.stop();
    await tracing.shutdown().catch(() => {});
    await metrics.shutdown().catch(() => {});
    await backend.close();
    throw new StartupError(`cannot listen on ${config.listen}:${config.port}: ${(err as Error).message}`);
  }
  log.info({ url: address, openapi: `${address}/openapi.json`, metrics: `${address}/metrics`, changes: token ? 'token' : 'disabled' }, `agent API at ${address}`);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await app.close();
      // Socket clients go first: their owners release before the core closes.
      await identity.close();
      await hub.stop();
      // NodeSDK (or the local provider) shutdown: flushes what is queued, then stops the exporter.
      await tracing.forceFlush().catch((err) => log.warn({ err }, 'span flush failed'));
      await tracing.shutdown().catch(() => {});
      await metrics.shutdown().catch(() => {});
      await backend.close();
    })();
    return closing;
  };
  return { app, backend, identity, url: address, tracing, metrics, close };
}

function describeInfo(backend: Backend): object {
  const i = backend.info();
  return { abiVersion: i.abiVersion, devices: i.numDevices, maxAgents: String(i.maxAgents) };
}

/**
 * SIGTERM/SIGINT: graceful close; a second signal exits at once, for an
 * operator whose collector hangs the flush.
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
}

/**
 * Wires one agent process: backend, telemetry, events, policy, HTTP API.
 * startAgent() is what `gdl agent` and the CLI tests run; traces go through
 * NodeSDK unless the caller asks for a per-agent provider. Shutdown is
 * ordered so nothing is lost that can be kept: stop accepting requests,
 * stop the event source (draining it into spans), flush spans, then close
 * the core.
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
import { applyPolicy, loadPolicy, type Policy } from './policy.ts';
import { loggerOptions } from './telemetry/log-format.ts';
import { AuditOutcome } from './telemetry/names.ts';
import { createEventSpanner } from './telemetry/event-spans.ts';
import { createMetrics, type Metrics } from './telemetry/metrics.ts';
import { agentResource } from './telemetry/resource.ts';
import { createTracing, exportFailureLogger, type Tracing } from './telemetry/tracing.ts';
import { VERSION } from './version.ts';

export interface RunningAgent {
  app: FastifyInstance;
  /** the telemetry listener (/metrics, /healthz, /readyz), when there is one */
  telemetry: FastifyInstance | undefined;
  backend: Backend;
  /** the API: http://host:port, or unix:/path for a socket */
  url: string;
  /** the telemetry listener's http://host:port, when there is one */
  metricsUrl: string | undefined;
  /** re-reads the policy file and applies it (SIGHUP); false when it could not be read */
  reloadPolicy(who?: AuditWho): boolean;
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
  logger: boolean | object = loggerOptions(config.logLevel, config.logFormat),
  opts: StartOptions = {},
): Promise<RunningAgent> {
  // Read everything that can be wrong before touching the core.
  let token = config.token;
  let readToken = config.readToken;
  try {
    if (config.tokenFile) token = readTokenFile(config.tokenFile);
    if (config.readTokenFile) readToken = readTokenFile(config.readTokenFile);
  } catch (err) {
    throw new StartupError((err as Error).message);
  }
  let policy: Policy | undefined;
  if (config.policy) policy = loadPolicy(config.policy);

  const app = Fastify({ ...fastifyOptions, logger });
  const log: FastifyBaseLogger = app.log;
  const backend = await selectBackend(config, log);
  log.info({ backend: backend.kind, ...describeInfo(backend) }, 'governance core ready');
  if (backend.kind === 'embedded') {
    log.warn(
      { backend: 'embedded' },
      'embedded core: its state lives in this process only; agents, quotas, grants and allocations (persistent ones too) are lost when the agent stops, and only --policy is applied again at start',
    );
  }

  const resource = agentResource(VERSION);
  let tracing: Tracing;
  try {
    tracing = createTracing({
      endpoint: config.otlpEndpoint, resource, version: VERSION, maxQueueSize: config.spanQueueSize, provider: opts.tracerProvider ?? 'sdk',
      onExportFailure: exportFailureLogger((fields, msg) => log.warn(fields, msg)),
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
    const spanner = createEventSpanner(tracing.tracer, config.sampleRatio);
    hub.subscribe((events) => spanner.record(events, backend.kind));
  }
  hub.start();
  if (hub.failure) log.warn({ err: hub.failure.message }, 'event source failed to start; running without events');
  else if (!hub.available) log.info({ backend: backend.kind }, 'no event source: no decision stream or spans');

  const auditor = createAuditor(log, tracing.tracer);
  const LOCAL = 'local';
  const apply = (reason: 'start' | 'reload', who: AuditWho, before?: Policy) => {
    if (!policy) return;
    const r = applyPolicy(backend, policy);
    metrics.policyApplied(reason);
    const fields = { policy: policy.source, reason, agents: r.agents, grants: r.grants };
    if (r.errors.length) log.warn({ ...fields, errors: r.errors }, 'policy applied with errors');
    else log.info(fields, 'policy applied');
    auditor.record(who, {
      action: 'policy.apply',
      target: { policy: policy.source, reason },
      ...(before ? { before: policySummary(before) } : {}),
      after: { ...policySummary(policy), applied: { agents: r.agents, grants: r.grants }, errors: r.errors },
    });
  };
  backend.onReset(() => {
    log.warn({ device: config.devicePath }, 'module reloaded: re-applying the policy');
    metrics.backendReopened();
    apply('reload', { identity: 'module-reload', peer: LOCAL });
  });
  apply('start', { identity: 'start', peer: LOCAL });

  const reloadPolicy = (who: AuditWho = { identity: 'signal:SIGHUP', peer: LOCAL }): boolean => {
    if (!config.policy) {
      log.info('reload asked, but no policy file is configured');
      return false;
    }
    const before = policy;
    try {
      policy = loadPolicy(config.policy);
    } catch (err) {
      log.error({ err: (err as Error).message }, 'policy reload failed: keeping the policy in force');
      auditor.record(who, { action: 'policy.apply', target: { policy: config.policy, reason: 'reload' }, outcome: AuditOutcome.refused, error: (err as Error).message });
      return false;
    }
    apply('reload', who, before);
    return true;
  };

  await app.register(gdlApp, { backend, events: hub, metrics, token, readToken, auditor, maxEventClients: config.maxEventClients, version: VERSION });

  let telemetry: FastifyInstance | undefined;
  let address: string;
  let metricsUrl: string | undefined;
  try {
    address = await listenApi(app, config);
    if (config.metricsPort >= 0) {
      telemetry = Fastify({ ...fastifyOptions, logger: false });
      await telemetry.register(telemetryApp, { backend, metrics });
      // An ephemeral API port (tests, several agents on one host) gets an ephemeral telemetry port too.
      const metricsPort = config.port === 0 && config.metricsPort === 9401 ? 0 : config.metricsPort;
      metricsUrl = await telemetry.listen({ host: config.metricsListen, port: metricsPort });
    }
  } catch (err) {
    await app.close();
    await telemetry?.close();
    await hub.stop();
    await tracing.shutdown().catch(() => {});
    await metrics.shutdown().catch(() => {});
    await backend.close();
    throw new StartupError(`cannot listen: ${(err as Error).message}`);
  }
  log.info(
    { url: address, openapi: `${address}/openapi.json`, metrics: metricsUrl ? `${metricsUrl}/metrics` : 'API only', changes: token ? 'token' : 'disabled', reads: readToken ? 'read token' : 'open' },
    `agent API at ${address}`,
  );

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await app.close();
      await telemetry?.close();
      await hub.stop();
      // NodeSDK (or the local provider) shutdown: flushes what is queued, then stops the exporter.
      await tracing.forceFlush().catch((err) => log.warn({ err }, 'span flush failed'));
      await tracing.shutdown().catch(() => {});
      await metrics.shutdown().catch(() => {});
      await backend.close();
    })();
    return closing;
  };
  return { app, telemetry, backend, url: address, metricsUrl, reloadPolicy, tracing, metrics, close };
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

/** What an audit record says of a policy: where from, and how much. */
function policySummary(p: Policy) {
  return { source: p.source, agents: p.agents.map((a) => a.id.toString()), grants: p.agents.reduce((n, a) => n + a.grants.length, 0) };
}

function describeInfo(backend: Backend): object {
  const i = backend.info();
  return { abiVersion: i.abiVersion, devices: i.numDevices, maxAgents: String(i.maxAgents) };
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

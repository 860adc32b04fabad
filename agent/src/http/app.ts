/**
 * The agent's HTTP API as one Fastify plugin (fastify/demo style): the
 * process (server.ts) and the tests (app.inject) register the same thing.
 *
 * What the routes need arrives as options and becomes typed decorators
 * (types.ts): the backend, the event hub, the metrics, the token check and
 * the audit trail.
 *
 * Authentication runs in onRequest, before parsing and validation: every
 * route that needs the change token says `onRequest: app.requireToken`
 * (a route that still says `preHandler:` is moved there by the onRoute hook
 * below), and every other route that is not `config: { public: true }`
 * gets the read-token check, which is a no-op unless a read token is set.
 */
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest, FastifyServerOptions, onRequestHookHandler } from 'fastify';
import type { Backend } from '../backends/backend.ts';
import type { EventHub } from '../events/hub.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import { Label } from '../telemetry/names.ts';
import { createAuditor, peerOf, type Auditor } from './audit.ts';
import { createAuthorizer } from './auth.ts';
import { clientErrorHandler, frameworkErrors, registerErrorHandler, registerJsonParser } from './errors.ts';
import { DebugRequestLogs } from './request-logs.ts';
import agents from './routes/agents.ts';
import allocations from './routes/allocations.ts';
import checks from './routes/checks.ts';
import devices from './routes/devices.ts';
import events from './routes/events.ts';
import health from './routes/health.ts';
import metrics from './routes/metrics.ts';
import grants from './routes/grants.ts';
import stats from './routes/stats.ts';
import { ErrorBody } from './schemas/common.ts';
import { installValidators } from './validation.ts';
import './types.ts';

export interface AppOptions {
  backend: Backend;
  events: EventHub;
  metrics: Metrics;
  /** bearer token for changes; undefined disables every change (403) */
  token: string | undefined;
  /** bearer token for reads, checks and events; undefined: they need none */
  readToken?: string | undefined;
  /** where audit records go; default: this app's logger, no spans */
  auditor?: Auditor;
  /** most event-stream clients at once (default 64) */
  maxEventClients?: number;
  version: string;
}

/** Options for the Fastify factory, shared by server.ts and the tests. */
export const fastifyOptions: FastifyServerOptions = {
  bodyLimit: 64 * 1024,
  // Routine requests are logged at debug, not at info twice each.
  logController: new DebugRequestLogs(),
  // Errors the HTTP parser finds before Fastify sees a request (431, 400) in the API's error shape.
  clientErrorHandler,
  frameworkErrors,
};

export default async function gdlApp(app: FastifyInstance, opts: AppOptions): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('backend', opts.backend);
  app.decorate('events', opts.events);
  app.decorate('metrics', opts.metrics);
  const auditor = opts.auditor ?? createAuditor(app.log);
  const auth = createAuthorizer({ token: opts.token, readToken: opts.readToken, audit: auditor });
  app.decorate('requireToken', auth.requireToken);
  app.decorate('audit', (request: FastifyRequest, entry: Parameters<Auditor['record']>[1]) =>
    auditor.record({ identity: request.identity, peer: peerOf(request) }, entry));
  app.decorateRequest('identity', 'anonymous');
  app.decorateRequest('authorized', false);

  app.addHook('onRoute', (route) => {
    const pre = ([] as unknown[]).concat(route.preHandler ?? []);
    const needsToken = pre.includes(auth.requireToken) || ([] as unknown[]).concat(route.onRequest ?? []).includes(auth.requireToken);
    if (pre.includes(auth.requireToken)) route.preHandler = pre.filter((h) => h !== auth.requireToken) as typeof route.preHandler;
    const onRequest = ([] as onRequestHookHandler[]).concat((route.onRequest ?? []) as onRequestHookHandler[]).filter((h) => h !== auth.requireToken);
    if (needsToken) route.onRequest = [auth.requireToken as onRequestHookHandler, ...onRequest];
    else if (!route.config?.public) route.onRequest = [auth.requireRead as onRequestHookHandler, ...onRequest];
  });

  // The API takes JSON only: a text/plain body is 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');
  registerJsonParser(app);

  installValidators(app);
  registerErrorHandler(app, auditor);
  app.addSchema(ErrorBody);

  app.addHook('onResponse', async (request, reply) => {
    opts.metrics.httpDuration.record(reply.elapsedTime / 1000, {
      [Label.method]: request.method,
      // The route pattern, not the URL: ids in paths would explode the label set.
      [Label.route]: request.routeOptions.url ?? 'unmatched',
      [Label.statusCode]: String(reply.statusCode),
    });
  });

  await api.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'gpu-dma-lock agent API',
        version: opts.version,
        description: 'Per-node GPU memory quotas and DMA permissions. Changes need `Authorization: Bearer <token>`; reads, checks and events need one too when the agent has a read token. Authentication is checked before the body is validated.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });

  for (const routes of [health, stats, devices, agents, allocations, grants, checks, metrics]) {
    await api.register(routes);
  }
  await api.register(events, { maxClients: opts.maxEventClients ?? 64 });

  api.get('/openapi.json', { schema: { hide: true }, config: { public: true } }, async () => app.swagger());
}

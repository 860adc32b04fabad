/**
 * The agent's HTTP API as one Fastify plugin (fastify/demo style): the
 * process (server.ts) and the tests (app.inject) register the same thing.
 *
 * What the routes need arrives as options and becomes typed decorators
 * (types.ts): the backend, the event hub, the metrics, and the token check.
 */
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Backend } from '../backends/backend.ts';
import type { EventHub } from '../events/hub.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import { Label } from '../telemetry/names.ts';
import { createAuthorizer } from './auth.ts';
import { registerErrorHandler } from './errors.ts';
import agents from './routes/agents.ts';
import allocations from './routes/allocations.ts';
import bindings from './routes/bindings.ts';
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
  version: string;
}

/** Options for the Fastify factory, shared by server.ts and the tests. */
export const fastifyOptions: FastifyServerOptions = {
  bodyLimit: 64 * 1024,
};

export default async function gdlApp(app: FastifyInstance, opts: AppOptions): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('backend', opts.backend);
  app.decorate('events', opts.events);
  app.decorate('metrics', opts.metrics);
  app.decorate('requireToken', createAuthorizer(opts.token));

  installValidators(app);
  registerErrorHandler(app);
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
        description: 'Per-node GPU memory quotas and DMA permissions. Changes need `Authorization: Bearer <token>`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });

  for (const routes of [health, stats, devices, agents, allocations, grants, checks, events, metrics, bindings]) {
    await api.register(routes);
  }

  api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

/** The decorators app.ts puts on the Fastify instance, typed for every route. */
import type { FastifyRequest } from 'fastify';
import type { Backend } from '../backends/backend.ts';
import type { EventHub } from '../events/hub.ts';
import type { Metrics } from '../telemetry/metrics.ts';

declare module 'fastify' {
  interface FastifyInstance {
    backend: Backend;
    events: EventHub;
    metrics: Metrics;
    /** preHandler of every route that changes state */
    requireToken: (request: FastifyRequest) => Promise<void>;
  }
}

export {};

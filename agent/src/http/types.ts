/** The decorators app.ts puts on the Fastify instance and requests, typed for every route. */
import type { FastifyRequest } from 'fastify';
import type { Backend } from '../backends/backend.ts';
import type { EventHub } from '../events/hub.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import type { AuditEntry } from './audit.ts';

declare module 'fastify' {
  interface FastifyInstance {
    backend: Backend;
    events: EventHub;
    metrics: Metrics;
    /** onRequest hook of every route that changes state (runs before the body is parsed) */
    requireToken: (request: FastifyRequest) => Promise<void>;
    /** one audit record + span for a change made by this request (audit.ts) */
    audit: (request: FastifyRequest, entry: AuditEntry) => void;
  }
  interface FastifyRequest {
    /** who the request authenticated as: "token:<hash8>", "read-token:<hash8>" or "anonymous" */
    identity: string;
    /** true once the change token was accepted */
    authorized: boolean;
  }
  interface FastifyContextConfig {
    /** no token ever: health, readiness, metrics */
    public?: boolean;
    /** the audit action of a change route; its refusals by the core are recorded too */
    audit?: string;
  }
}

export {};

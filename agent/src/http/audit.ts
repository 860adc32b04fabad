/**
 * The audit trail: one structured record, and one span, for every change
 * of governance state and every refused authentication, answering "who
 * changed agent 42's quota, when, from where".
 *
 * A record is a log line at info level on the `audit` component:
 *
 *   {"component":"audit","audit":{"action":"agent.set","outcome":"ok",
 *    "who":{"identity":"token:3f2a9c1e","peer":"10.0.0.7:51812"},
 *    "target":{"agent":"42"},"before":{...},"after":{...}}, "msg":"audit agent.set"}
 *
 * and a span `gdl.audit` with gdl.audit.* attributes (names.ts), so the same
 * facts reach the trace backend. Routes call `app.audit(request, entry)`
 * (types.ts) after the change is made (outcome ok) or when the core refused
 * it (the error handler records outcome "refused" for every route that
 * needs the change token, so a route records only its successes).
 *
 * For routes added later (bindings, ...): pass `action` as `<noun>.<verb>`,
 * `target` as the identifiers (64-bit values as decimal strings), `before`
 * and `after` as the JSON the API would answer for the object (or null
 * where it did not exist):
 *
 *   app.audit(req, { action: 'binding.set', target: { agent: '42', cgroup: '1234' }, before: null, after: bindingJson(b) });
 */
import { SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { Attr, AuditOutcome, Span } from '../telemetry/names.ts';

export type AuditOutcomeValue = (typeof AuditOutcome)[keyof typeof AuditOutcome];

/** Who asked: the credential's identity (never the credential) and where from. */
export interface AuditWho {
  /** "token:<first 8 hex of its sha256>", "read-token:<...>", "anonymous", "signal:SIGHUP", "module-reload", ... */
  identity: string;
  /** "ip:port" of a TCP peer, "unix" for the API socket, "local" for the process itself */
  peer: string;
}

export interface AuditEntry {
  /** `<noun>.<verb>`: agent.set, agent.remove, grant.add, grant.revoke, allocation.create, allocation.free, policy.apply, auth.refused, ... */
  action: string;
  target?: Record<string, string | number>;
  before?: unknown;
  after?: unknown;
  outcome?: AuditOutcomeValue;
  /** for refusals: the stable error code (UNAUTHORIZED, QUOTA_EXCEEDED, ...) */
  error?: string;
}

export interface Auditor {
  record(who: AuditWho, entry: AuditEntry): void;
}

export function createAuditor(log: FastifyBaseLogger, tracer: Tracer = trace.getTracer('noop')): Auditor {
  const audit = log.child({ component: 'audit' });
  return {
    record(who, entry) {
      const outcome = entry.outcome ?? AuditOutcome.ok;
      const record = { ...entry, outcome, who };
      if (outcome === AuditOutcome.ok) audit.info({ audit: record }, `audit ${entry.action}`);
      else audit.warn({ audit: record }, `audit ${entry.action} ${outcome}`);
      const span = tracer.startSpan(Span.audit, {
        kind: SpanKind.SERVER,
        attributes: {
          [Attr.auditAction]: entry.action,
          [Attr.auditOutcome]: outcome,
          [Attr.auditIdentity]: who.identity,
          [Attr.auditPeer]: who.peer,
          ...(entry.target ? { [Attr.auditTarget]: JSON.stringify(entry.target) } : {}),
          ...(entry.before !== undefined ? { [Attr.auditBefore]: JSON.stringify(entry.before) } : {}),
          ...(entry.after !== undefined ? { [Attr.auditAfter]: JSON.stringify(entry.after) } : {}),
          ...(entry.error ? { [Attr.errorType]: entry.error } : {}),
        },
      });
      if (outcome !== AuditOutcome.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: entry.error ?? outcome });
      span.end();
    },
  };
}

/** The peer of a request: "ip:port" over TCP, "unix" over the API socket. */
export function peerOf(request: FastifyRequest): string {
  const s = request.socket;
  if (!s.remoteAddress) return 'unix';
  return s.remoteFamily === 'IPv6' ? `[${s.remoteAddress}]:${s.remotePort}` : `${s.remoteAddress}:${s.remotePort}`;
}

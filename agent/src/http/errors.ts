/**
 * One error shape for every failure: {error: {code, message, errno?}}.
 * Codes are stable (docs/api.md); clients switch on them, not on messages.
 *
 * Core errnos map by meaning; ENOSPC means a full device for an allocation
 * and a full agent table for set-agent, so the mapping looks at the
 * operation too.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { GdlError } from '../backends/errors.ts';
import { HttpError } from './http-error.ts';

interface Mapped {
  status: number;
  code: string;
}

export function mapGdlError(err: GdlError): Mapped {
  if (err.op === 'open') return { status: 503, code: 'BACKEND_UNAVAILABLE' };
  switch (err.code) {
    case 'EDQUOT': return { status: 409, code: 'QUOTA_EXCEEDED' };
    case 'ENOENT': return { status: 404, code: 'NOT_FOUND' };
    case 'EPERM':
    case 'EACCES': return { status: 403, code: 'FORBIDDEN' };
    case 'ENOSPC': return { status: 409, code: err.op === 'alloc' ? 'DEVICE_FULL' : 'TOO_MANY_AGENTS' };
    case 'ENODEV': return err.op === 'list' ? { status: 503, code: 'BACKEND_UNAVAILABLE' } : { status: 404, code: 'NO_SUCH_DEVICE' };
    case 'EBUSY': return { status: 409, code: 'BUSY' };
    case 'EINVAL': return { status: 400, code: 'INVALID' };
    case 'ENOMEM': return { status: 503, code: 'NO_MEMORY' };
    default: return { status: 500, code: 'INTERNAL' };
  }
}

/** What the core's refusal means, in words, for the message. */
const EXPLAIN: Record<string, string> = {
  QUOTA_EXCEEDED: 'the allocation would exceed the agent\'s quota',
  NOT_FOUND: 'no such agent or allocation',
  FORBIDDEN: 'the device is not in the agent\'s device mask',
  DEVICE_FULL: 'the device has no capacity left for this allocation',
  TOO_MANY_AGENTS: 'the module already has max_agents agents',
  NO_SUCH_DEVICE: 'no such device',
  BUSY: 'the agent still has live allocations',
  INVALID: 'the core rejected the arguments',
  BACKEND_UNAVAILABLE: 'the governance core is not reachable (module not loaded?)',
};

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | GdlError | HttpError | Error, request, reply) => {
    if (err instanceof GdlError) {
      const m = mapGdlError(err);
      if (m.status >= 500) request.log.warn({ err }, 'core failure');
      return reply.code(m.status).send({
        error: { code: m.code, message: `${EXPLAIN[m.code] ?? 'the core refused'}: ${err.message}`, errno: err.code },
      });
    }
    if (err instanceof HttpError) {
      if (err.statusCode === 401) reply.header('www-authenticate', 'Bearer realm="gdl"');
      return reply.code(err.statusCode).send({ error: { code: err.code, message: err.message, ...(err.errno ? { errno: err.errno } : {}) } });
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      return reply.code(400).send({ error: { code: 'BAD_REQUEST', message: err.message } });
    }
    if (fe.statusCode && fe.statusCode < 500) {
      // Fastify's own refusals: bad JSON, wrong content type, body too large.
      return reply.code(fe.statusCode).send({ error: { code: fe.statusCode === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST', message: err.message } });
    }
    request.log.error({ err }, 'unexpected error');
    return reply.code(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: { code: 'ROUTE_NOT_FOUND', message: `no route ${request.method} ${request.url}` } });
  });
}

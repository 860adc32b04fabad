/**
 * One error shape for every failure: {error: {code, message, errno?}}.
 * Codes are stable (docs/api.md); clients switch on them, not on messages.
 *
 * Core errnos map by meaning; ENOSPC means a full device for an allocation
 * and a full agent table for set-agent, so the mapping looks at the
 * operation too.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GdlError } from '../backends/errors.ts';
import { AuditOutcome } from '../telemetry/names.ts';
import { peerOf, type Auditor } from './audit.ts';
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

/** Stable codes for the HTTP-level refusals Fastify and Node make before a route runs. */
const STATUS_CODE: Record<number, string> = {
  400: 'BAD_REQUEST',
  404: 'ROUTE_NOT_FOUND',
  406: 'NOT_ACCEPTABLE',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  431: 'HEADERS_TOO_LARGE',
};

/** Fastify's messages for its own refusals, where they mislead or leak internals. */
function frameworkMessage(fe: FastifyError): string {
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return 'request body is larger than 65536 bytes';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return 'request body must be application/json';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY': return 'request body is empty but content-type is application/json';
    default: return fe.message;
  }
}

/**
 * One message per validation failure, naming the field: Ajv reports a
 * failed enum once, but anyOf/const failures once per branch.
 */
function validationMessage(fe: FastifyError): string {
  const v = fe.validation![0]!;
  const where = `${fe.validationContext ?? 'body'}${v.instancePath}`;
  const allowed = (v.params as { allowedValues?: unknown[] }).allowedValues;
  if (allowed) return `${where} must be one of ${allowed.map(String).join(', ')}`;
  return `${where} ${v.message ?? 'is invalid'}`;
}

export function registerErrorHandler(app: FastifyInstance, auditor?: Auditor): void {
  app.setErrorHandler((err: FastifyError | GdlError | HttpError | Error, request, reply) => {
    const action = request.routeOptions.config?.audit;
    // A change the core (or a check after authentication) refused is audited too; refused authentication is audited by auth.ts.
    const auditRefusal = (code: string) => {
      if (action && request.authorized && auditor) {
        auditor.record({ identity: request.identity, peer: peerOf(request) }, {
          action, target: { ...(request.params as Record<string, string>) }, outcome: AuditOutcome.refused, error: code,
        });
      }
    };
    if (err instanceof GdlError) {
      const m = mapGdlError(err);
      if (m.status >= 500) request.log.warn({ err }, 'core failure');
      auditRefusal(m.code);
      return reply.code(m.status).send({
        error: { code: m.code, message: `${EXPLAIN[m.code] ?? 'the core refused'}: ${err.message}`, errno: err.code },
      });
    }
    if (err instanceof HttpError) {
      if (err.statusCode === 401) reply.header('www-authenticate', 'Bearer realm="gdl"');
      auditRefusal(err.code);
      return reply.code(err.statusCode).send({ error: { code: err.code, message: err.message, ...(err.errno ? { errno: err.errno } : {}) } });
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      auditRefusal('BAD_REQUEST');
      return reply.code(400).send({ error: { code: 'BAD_REQUEST', message: validationMessage(fe) } });
    }
    if (fe.statusCode && fe.statusCode < 500) {
      // Fastify's own refusals: bad JSON, wrong content type, body too large.
      return reply.code(fe.statusCode).send({ error: { code: STATUS_CODE[fe.statusCode] ?? 'BAD_REQUEST', message: frameworkMessage(fe) } });
    }
    request.log.error({ err }, 'unexpected error');
    return reply.code(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: { code: 'ROUTE_NOT_FOUND', message: `no route ${request.method} ${request.url}` } });
  });
}

/**
 * Node's HTTP parser refuses some requests before Fastify routes them
 * (headers too large: 431; a malformed request: 400). Fastify's default
 * answers in its own shape; this one answers in the API's.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'HPE_URI_TOO_LONG' ? 414 : 400;
  const body = JSON.stringify({
    error: { code: STATUS_CODE[status]!, message: status === 431 ? 'request headers are larger than the agent accepts' : status === 414 ? 'request URL is too long' : 'malformed HTTP request' },
  });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/**
 * Refusals Fastify's router makes before any hook (a bad URL, a path
 * parameter past maxParamLength), in the API's shape.
 */
export function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
  reply.code(status).send({ error: { code: STATUS_CODE[status]!, message: status === 414 ? 'request URL is too long' : 'malformed request URL' } });
}

/**
 * JSON bodies, parsed by the API itself so that a forbidden key
 * (__proto__, constructor.prototype) is named as such: Fastify's parser
 * refuses them too, but says "not valid JSON". The keys would be harmless
 * own properties after JSON.parse; they are refused because no request
 * needs them and a later spread or merge could give them meaning.
 */
export function registerJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(new HttpError(400, 'BAD_REQUEST', 'request body is empty but content-type is application/json'), undefined);
    let forbidden = false;
    let value: unknown;
    try {
      value = JSON.parse(text, (key, v: unknown) => {
        if (key === '__proto__' || (key === 'constructor' && v !== null && typeof v === 'object' && 'prototype' in v)) forbidden = true;
        return v;
      });
    } catch (err) {
      return done(new HttpError(400, 'BAD_REQUEST', `request body is not valid JSON: ${(err as Error).message}`), undefined);
    }
    if (forbidden) return done(new HttpError(400, 'BAD_REQUEST', 'request body holds a forbidden key (__proto__ or constructor.prototype)'), undefined);
    done(null, value);
  });
}

/**
 * Bearer tokens. Two optional credentials:
 *
 * - the change token: every change needs it; with none configured every
 *   change is refused (403 CHANGES_DISABLED), so an agent started without a
 *   token is read-only, never open;
 * - the read token: when configured, reads, checks and the event stream need
 *   it (or the change token); health, readiness and /metrics never do.
 *
 * Both checks run in onRequest, before the body is parsed or validated, so
 * an unauthenticated caller learns nothing about the schema. Every refusal
 * is an audit record (audit.ts). The identity a request acted as is kept on
 * the request for the audit trail: "token:<8 hex of the token's sha256>",
 * never the token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyRequest } from 'fastify';
import { AuditOutcome } from '../telemetry/names.ts';
import { peerOf, type Auditor } from './audit.ts';
import { HttpError } from './http-error.ts';

export function readTokenFile(path: string): string {
  const token = readFileSync(path, 'utf8').trim();
  if (token.length < 16) throw new Error(`token file ${path} holds less than 16 characters`);
  return token;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** What an audit record names a token by: its kind and a digest prefix, which tells rotated tokens apart. */
function tokenIdentity(kind: 'token' | 'read-token', token: string): string {
  return `${kind}:${digest(token).toString('hex').slice(0, 8)}`;
}

/** Compares digests so the comparison takes the same time whatever the input. */
function same(given: string, expected: Buffer | undefined): boolean {
  return expected !== undefined && timingSafeEqual(digest(given), expected);
}

export interface Authorizer {
  /** onRequest hook of every route that changes state */
  requireToken(request: FastifyRequest): Promise<void>;
  /** onRequest hook of reads; a no-op unless a read token is configured */
  requireRead(request: FastifyRequest): Promise<void>;
}

export function createAuthorizer(opts: { token: string | undefined; readToken?: string | undefined; audit: Auditor }): Authorizer {
  const change = opts.token ? digest(opts.token) : undefined;
  const read = opts.readToken ? digest(opts.readToken) : undefined;
  const changeId = opts.token ? tokenIdentity('token', opts.token) : '';
  const readId = opts.readToken ? tokenIdentity('read-token', opts.readToken) : '';

  const refuse = (request: FastifyRequest, err: HttpError): never => {
    opts.audit.record(
      { identity: 'anonymous', peer: peerOf(request) },
      { action: 'auth.refused', target: { method: request.method, route: request.routeOptions.url ?? request.url }, outcome: AuditOutcome.refused, error: err.code },
    );
    throw err;
  };

  const bearer = (request: FastifyRequest): string => {
    const header = request.headers.authorization;
    if (!header) return refuse(request, new HttpError(401, 'UNAUTHORIZED', 'missing Authorization: Bearer <token> header'));
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return refuse(request, new HttpError(401, 'UNAUTHORIZED', 'Authorization header is not "Bearer <token>"'));
    return m[1]!;
  };

  return {
    async requireToken(request) {
      if (!change) {
        refuse(request, new HttpError(403, 'CHANGES_DISABLED', 'this agent has no API token configured (--token-file or GDL_TOKEN): changes are disabled'));
      }
      if (!same(bearer(request), change)) refuse(request, new HttpError(401, 'UNAUTHORIZED', 'wrong token'));
      request.identity = changeId;
      request.authorized = true;
    },
    async requireRead(request) {
      if (!read) return;
      const given = bearer(request);
      if (same(given, read)) request.identity = readId;
      else if (same(given, change)) request.identity = changeId;
      else refuse(request, new HttpError(401, 'UNAUTHORIZED', 'wrong token'));
    },
  };
}

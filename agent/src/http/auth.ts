/**
 * Bearer-token authorization for changes. The rule is fail-closed: with no
 * token configured every change is refused (403 CHANGES_DISABLED), so an
 * agent started without a token is read-only, never open.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyRequest } from 'fastify';
import { HttpError } from './http-error.ts';

export function readTokenFile(path: string): string {
  const token = readFileSync(path, 'utf8').trim();
  if (token.length < 16) throw new Error(`token file ${path} holds less than 16 characters`);
  return token;
}

/** Compares digests so the comparison takes the same time whatever the input. */
function sameToken(given: string, expected: Buffer): boolean {
  return timingSafeEqual(createHash('sha256').update(given).digest(), expected);
}

export function createAuthorizer(token: string | undefined): (request: FastifyRequest) => Promise<void> {
  const expected = token ? createHash('sha256').update(token).digest() : undefined;
  return async function requireToken(request) {
    if (!expected) {
      throw new HttpError(403, 'CHANGES_DISABLED', 'this agent has no API token configured (--token-file or GDL_TOKEN): changes are disabled');
    }
    const header = request.headers.authorization;
    if (!header) throw new HttpError(401, 'UNAUTHORIZED', 'missing Authorization: Bearer <token> header');
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new HttpError(401, 'UNAUTHORIZED', 'Authorization header is not "Bearer <token>"');
    if (!sameToken(m[1]!, expected)) throw new HttpError(401, 'UNAUTHORIZED', 'wrong token');
  };
}

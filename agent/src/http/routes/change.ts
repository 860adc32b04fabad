/**
 * What every route that changes state declares: the change token checked
 * first (before the body is parsed), the audit action (the error handler
 * records the core's refusals under it, app.ts) and the token in the
 * OpenAPI document. The route's handler records its own success.
 */
import type { FastifyInstance, FastifySchema } from 'fastify';
import { Security } from '../schemas/common.ts';

export function changeRoute<S extends FastifySchema>(app: FastifyInstance, audit: string, schema: S) {
  return { onRequest: app.requireToken, config: { audit }, schema: { ...schema, security: Security } };
}

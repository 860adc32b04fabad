/**
 * Identity bindings (docs/identity.md): which cgroups and uids act as which
 * agent. Reads are open; changes need the token, like every change.
 * Cgroup paths contain slashes, so they travel in the body (bind) or the
 * query (unbind) rather than in the URL path.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { BindingList as Bindings } from '../../identity/bindings.ts';
import { Empty, errors, Security } from '../schemas/common.ts';
import { BindCgroupBody, BindingList, BindUidBody, CgroupBinding, CgroupQuery, UidBinding, UidParams } from '../schemas/bindings.ts';
import { badRequest } from '../http-error.ts';
import { u64 } from '../parse.ts';

function listJson(l: Bindings) {
  return {
    cgroups: l.cgroups.map((b) => ({ path: b.path, agent: b.agent.toString(), cgroupId: b.cgroupId.toString(), source: b.source })),
    uids: l.uids.map((b) => ({ uid: b.uid, agent: b.agent.toString(), source: b.source })),
  };
}

function uidOf(s: string): number {
  const n = Number(s);
  if (n > 4294967294) throw badRequest('uid must be at most 4294967294');
  return n;
}

const bindings: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/bindings',
    { schema: { tags: ['identity'], summary: 'Every cgroup and uid binding', response: { 200: BindingList, ...errors(503) } } },
    async () => listJson(app.backend.listBindings()),
  );

  const changeErrors = errors(400, 401, 403, 404, 503);

  app.put(
    '/v1/bindings/cgroups',
    {
      preHandler: app.requireToken,
      schema: {
        tags: ['identity'], summary: 'Bind a cgroup (and its descendants) to an agent', security: Security,
        body: BindCgroupBody, response: { 200: CgroupBinding, ...changeErrors },
      },
    },
    async (req) => {
      const agent = u64(req.body.agent, 'agent');
      const cgroupId = app.backend.bindCgroup(req.body.path, agent);
      return { path: req.body.path, agent: agent.toString(), cgroupId: cgroupId.toString(), source: 'api' as const };
    },
  );

  app.delete(
    '/v1/bindings/cgroups',
    {
      preHandler: app.requireToken,
      schema: { tags: ['identity'], summary: 'Unbind a cgroup', security: Security, querystring: CgroupQuery, response: { 204: Empty, ...changeErrors } },
    },
    async (req, reply) => {
      app.backend.unbindCgroup(req.query.path);
      return reply.code(204).send(null);
    },
  );

  app.put(
    '/v1/bindings/uids/:uid',
    {
      preHandler: app.requireToken,
      schema: {
        tags: ['identity'], summary: 'Bind a uid to an agent', security: Security,
        params: UidParams, body: BindUidBody, response: { 200: UidBinding, ...changeErrors },
      },
    },
    async (req) => {
      const uid = uidOf(req.params.uid);
      const agent = u64(req.body.agent, 'agent');
      app.backend.bindUid(uid, agent);
      return { uid, agent: agent.toString(), source: 'api' as const };
    },
  );

  app.delete(
    '/v1/bindings/uids/:uid',
    {
      preHandler: app.requireToken,
      schema: { tags: ['identity'], summary: 'Unbind a uid', security: Security, params: UidParams, response: { 204: Empty, ...changeErrors } },
    },
    async (req, reply) => {
      app.backend.unbindUid(uidOf(req.params.uid));
      return reply.code(204).send(null);
    },
  );
};
export default bindings;

/**
 * Identity bindings (docs/identity.md): which cgroups and uids act as which
 * agent. Reads are open; changes need the token, like every change.
 * Cgroup paths contain slashes, so they travel in the body (bind) or the
 * query (unbind) rather than in the URL path.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { BindingList as Bindings, CgroupBinding as CgroupBindingRecord, UidBinding as UidBindingRecord } from '../../identity/bindings.ts';
import { Empty, errors, Security } from '../schemas/common.ts';
import { BindCgroupBody, BindingList, BindUidBody, CgroupBinding, CgroupQuery, UidBinding, UidParams } from '../schemas/bindings.ts';
import { badRequest } from '../http-error.ts';
import { u64 } from '../parse.ts';

function listJson(l: Bindings) {
  return {
    cgroups: l.cgroups.map(cgroupJson),
    uids: l.uids.map(uidJson),
  };
}

/** One way to render a binding: the list, the PUT replies and the audit records all use these. */
function cgroupJson(b: CgroupBindingRecord) {
  return { path: b.path, agent: b.agent.toString(), cgroupId: b.cgroupId.toString(), source: b.source };
}

function uidJson(b: UidBindingRecord) {
  return { uid: b.uid, agent: b.agent.toString(), source: b.source };
}

function uidOf(s: string): number {
  const n = Number(s);
  if (n > 4294967294) throw badRequest('uid must be at most 4294967294');
  return n;
}

const bindings: FastifyPluginAsyncTypebox = async (app) => {
  // The binding a change replaces, for the audit record (null: none).
  const cgroupBefore = (path: string) => {
    const b = app.backend.listBindings().cgroups.find((c) => c.path === path);
    return b ? cgroupJson(b) : null;
  };
  const uidBefore = (uid: number) => {
    const b = app.backend.listBindings().uids.find((u) => u.uid === uid);
    return b ? uidJson(b) : null;
  };

  app.get(
    '/v1/bindings',
    { schema: { tags: ['identity'], summary: 'Every cgroup and uid binding', response: { 200: BindingList, ...errors(503) } } },
    async () => listJson(app.backend.listBindings()),
  );

  const changeErrors = errors(400, 401, 403, 404, 503);

  app.put(
    '/v1/bindings/cgroups',
    {
      onRequest: app.requireToken,
      config: { audit: 'binding.set' },
      schema: {
        tags: ['identity'], summary: 'Bind a cgroup (and its descendants) to an agent', security: Security,
        body: BindCgroupBody, response: { 200: CgroupBinding, ...changeErrors },
      },
    },
    async (req) => {
      const agent = u64(req.body.agent, 'agent');
      const before = cgroupBefore(req.body.path);
      const cgroupId = app.backend.bindCgroup(req.body.path, agent);
      const after = cgroupJson({ path: req.body.path, agent, cgroupId, source: 'api' });
      app.audit(req, { action: 'binding.set', target: { cgroup: req.body.path }, before, after });
      return after;
    },
  );

  app.delete(
    '/v1/bindings/cgroups',
    {
      onRequest: app.requireToken,
      config: { audit: 'binding.remove' },
      schema: { tags: ['identity'], summary: 'Unbind a cgroup', security: Security, querystring: CgroupQuery, response: { 204: Empty, ...changeErrors } },
    },
    async (req, reply) => {
      const before = cgroupBefore(req.query.path);
      app.backend.unbindCgroup(req.query.path);
      app.audit(req, { action: 'binding.remove', target: { cgroup: req.query.path }, before, after: null });
      return reply.code(204).send(null);
    },
  );

  app.put(
    '/v1/bindings/uids/:uid',
    {
      onRequest: app.requireToken,
      config: { audit: 'binding.set' },
      schema: {
        tags: ['identity'], summary: 'Bind a uid to an agent', security: Security,
        params: UidParams, body: BindUidBody, response: { 200: UidBinding, ...changeErrors },
      },
    },
    async (req) => {
      const uid = uidOf(req.params.uid);
      const agent = u64(req.body.agent, 'agent');
      const before = uidBefore(uid);
      app.backend.bindUid(uid, agent);
      const after = uidJson({ uid, agent, source: 'api' });
      app.audit(req, { action: 'binding.set', target: { uid: String(uid) }, before, after });
      return after;
    },
  );

  app.delete(
    '/v1/bindings/uids/:uid',
    {
      onRequest: app.requireToken,
      config: { audit: 'binding.remove' },
      schema: { tags: ['identity'], summary: 'Unbind a uid', security: Security, params: UidParams, response: { 204: Empty, ...changeErrors } },
    },
    async (req, reply) => {
      const uid = uidOf(req.params.uid);
      const before = uidBefore(uid);
      app.backend.unbindUid(uid);
      app.audit(req, { action: 'binding.remove', target: { uid: String(uid) }, before, after: null });
      return reply.code(204).send(null);
    },
  );
};
export default bindings;

/**
 * Identity bindings (docs/identity.md): which cgroups and uids act as which
 * agent. Reads are open; changes need the token, like every change.
 * Cgroup paths contain slashes, so they travel in the body (bind) or the
 * query (unbind) rather than in the URL path.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { BindingList as Bindings, CgroupBinding as CgroupBindingRecord, UidBinding as UidBindingRecord } from '../../identity/bindings.ts';
import type { FastifyRequest } from 'fastify';
import { Empty, errors } from '../schemas/common.ts';
import { BindCgroupBody, BindingList, BindUidBody, CgroupBinding, CgroupQuery, UidBinding, UidParams } from '../schemas/bindings.ts';
import { badRequest } from '../http-error.ts';
import { u64 } from '../parse.ts';
import { changeRoute } from './change.ts';

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

type App = Parameters<FastifyPluginAsyncTypebox>[0];
const changeErrors = errors(400, 401, 403, 404, 503);

// The audit records of the changes: a binding set (returned, the reply) or removed.
function bound<T>(app: App, req: FastifyRequest, target: Record<string, string>, before: T | null, after: T): T {
  app.audit(req, { action: 'binding.set', target, before, after });
  return after;
}
function unbound<T>(app: App, req: FastifyRequest, target: Record<string, string>, before: T | null): void {
  app.audit(req, { action: 'binding.remove', target, before, after: null });
}

/** PUT and DELETE /v1/bindings/cgroups */
function cgroupRoutes(app: App): void {
  // The binding a change replaces, for the audit record (null: none).
  const before = (path: string) => {
    const b = app.backend.listBindings().cgroups.find((c) => c.path === path);
    return b ? cgroupJson(b) : null;
  };

  app.put(
    '/v1/bindings/cgroups',
    changeRoute(app, 'binding.set', {
      tags: ['identity'], summary: 'Bind a cgroup (and its descendants) to an agent',
      body: BindCgroupBody, response: { 200: CgroupBinding, ...changeErrors },
    }),
    async (req) => {
      const { path } = req.body;
      const agent = u64(req.body.agent, 'agent');
      const was = before(path);
      const cgroupId = app.backend.bindCgroup(path, agent);
      return bound(app, req, { cgroup: path }, was, cgroupJson({ path, agent, cgroupId, source: 'api' }));
    },
  );

  app.delete(
    '/v1/bindings/cgroups',
    changeRoute(app, 'binding.remove', { tags: ['identity'], summary: 'Unbind a cgroup', querystring: CgroupQuery, response: { 204: Empty, ...changeErrors } }),
    async (req, reply) => {
      const { path } = req.query;
      const was = before(path);
      app.backend.unbindCgroup(path);
      unbound(app, req, { cgroup: path }, was);
      return reply.code(204).send(null);
    },
  );
}

/** PUT and DELETE /v1/bindings/uids/:uid */
function uidRoutes(app: App): void {
  const before = (uid: number) => {
    const b = app.backend.listBindings().uids.find((u) => u.uid === uid);
    return b ? uidJson(b) : null;
  };

  app.put(
    '/v1/bindings/uids/:uid',
    changeRoute(app, 'binding.set', {
      tags: ['identity'], summary: 'Bind a uid to an agent',
      params: UidParams, body: BindUidBody, response: { 200: UidBinding, ...changeErrors },
    }),
    async (req) => {
      const uid = uidOf(req.params.uid);
      const agent = u64(req.body.agent, 'agent');
      const was = before(uid);
      app.backend.bindUid(uid, agent);
      return bound(app, req, { uid: String(uid) }, was, uidJson({ uid, agent, source: 'api' }));
    },
  );

  app.delete(
    '/v1/bindings/uids/:uid',
    changeRoute(app, 'binding.remove', { tags: ['identity'], summary: 'Unbind a uid', params: UidParams, response: { 204: Empty, ...changeErrors } }),
    async (req, reply) => {
      const uid = uidOf(req.params.uid);
      const was = before(uid);
      app.backend.unbindUid(uid);
      unbound(app, req, { uid: String(uid) }, was);
      return reply.code(204).send(null);
    },
  );
}

const bindings: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/bindings',
    { schema: { tags: ['identity'], summary: 'Every cgroup and uid binding', response: { 200: BindingList, ...errors(503) } } },
    async () => listJson(app.backend.listBindings()),
  );
  cgroupRoutes(app);
  uidRoutes(app);
};
export default bindings;

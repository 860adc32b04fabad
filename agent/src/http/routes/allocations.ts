import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AllocateBody, Allocation, AllocationPage, AllocationParams, AllocationQuery } from '../schemas/allocations.ts';
import { Empty, errors } from '../schemas/common.ts';
import { u64 } from '../parse.ts';
import { allocationJson } from '../present.ts';
import { changeRoute } from './change.ts';

const allocations: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/allocations',
    {
      schema: {
        tags: ['allocations'],
        summary: 'Live allocations, a page at a time',
        description: 'Pass `next` of a page as `cursor` to get the following one; `next` is null on the last page.',
        querystring: AllocationQuery,
        response: { 200: AllocationPage, ...errors(400, 503) },
      },
    },
    async (req) => {
      const { agent, cursor, limit } = req.query;
      const page = app.backend.listAllocations({
        limit,
        ...(agent !== undefined ? { agent: u64(agent, 'agent') } : {}),
        ...(cursor !== undefined ? { cursor } : {}),
      });
      return { items: page.items.map(allocationJson), next: page.next };
    },
  );

  app.post(
    '/v1/allocations',
    changeRoute(app, 'allocation.create', {
      tags: ['allocations'],
      summary: 'Charge an allocation to an agent',
      body: AllocateBody,
      response: { 201: Allocation, ...errors(400, 401, 403, 404, 409, 503) },
    }),
    async (req, reply) => {
      const agent = u64(req.body.agent, 'agent');
      const size = u64(req.body.size, 'size');
      const persistent = app.backend.kind === 'kernel' || req.body.persistent;
      const id = app.backend.alloc(agent, size, req.body.device, persistent);
      const after = allocationJson({ id, agent, size, device: req.body.device, persistent, ownerPid: persistent ? 0 : process.pid });
      app.audit(req, { action: 'allocation.create', target: { agent: agent.toString(), allocation: id.toString() }, before: null, after });
      return reply.code(201).send(after);
    },
  );

  app.delete(
    '/v1/allocations/:id',
    changeRoute(app, 'allocation.free', {
      tags: ['allocations'],
      summary: 'Release an allocation',
      params: AllocationParams,
      response: { 204: Empty, ...errors(400, 401, 403, 404, 503) },
    }),
    async (req, reply) => {
      const id = u64(req.params.id, 'id');
      app.backend.free(id);
      app.audit(req, { action: 'allocation.free', target: { allocation: id.toString() }, after: null });
      return reply.code(204).send(null);
    },
  );
};
export default allocations;

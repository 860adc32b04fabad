import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AgentState, Backend } from '../../backends/backend.ts';
import { Errno, GdlError } from '../../backends/errors.ts';
import { Agent, AgentList, SetAgentBody } from '../schemas/agents.ts';
import { AgentParams, Empty, errors } from '../schemas/common.ts';
import { maskFrom, u64 } from '../parse.ts';
import { agentJson } from '../present.ts';
import { changeRoute } from './change.ts';

/** The agent's state before a change, for the audit record; undefined when it does not exist. */
function existing(backend: Backend, id: bigint): AgentState | undefined {
  try {
    return backend.getAgent(id);
  } catch (err) {
    if (err instanceof GdlError && err.errno === Errno.ENOENT) return undefined;
    throw err;
  }
}

const agents: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/agents',
    { schema: { tags: ['agents'], summary: 'All agents with quota and usage', response: { 200: AgentList, ...errors(503) } } },
    async () => ({ items: app.backend.listAgents().map(agentJson) }),
  );

  app.get(
    '/v1/agents/:id',
    { schema: { tags: ['agents'], summary: 'One agent with quota and usage', params: AgentParams, response: { 200: Agent, ...errors(400, 404, 503) } } },
    async (req) => agentJson(app.backend.getAgent(u64(req.params.id, 'id'))),
  );

  app.put(
    '/v1/agents/:id',
    changeRoute(app, 'agent.set', {
      tags: ['agents'],
      summary: 'Create an agent or set its quota and device mask',
      params: AgentParams,
      body: SetAgentBody,
      response: { 200: Agent, ...errors(400, 401, 403, 409, 503) },
    }),
    async (req) => {
      const id = u64(req.params.id, 'id');
      const quota = u64(req.body.quota, 'quota');
      let mask = maskFrom(req.body);
      const before = existing(app.backend, id);
      // Neither given: keep the agent's current devices; a new agent gets
      // every device, as /proc's set_quota and the module's auto-created
      // agents do, so a quota alone makes a usable agent.
      mask ??= before ? before.deviceMask : (1n << BigInt(app.backend.info().numDevices)) - 1n;
      app.backend.setAgent(id, quota, mask);
      const after = agentJson(app.backend.getAgent(id));
      app.audit(req, { action: 'agent.set', target: { agent: id.toString() }, before: before ? agentJson(before) : null, after });
      return after;
    },
  );

  app.delete(
    '/v1/agents/:id',
    changeRoute(app, 'agent.remove', {
      tags: ['agents'],
      summary: 'Remove an agent (refused while it has live allocations)',
      params: AgentParams,
      response: { 204: Empty, ...errors(400, 401, 403, 404, 409, 503) },
    }),
    async (req, reply) => {
      const id = u64(req.params.id, 'id');
      const before = existing(app.backend, id);
      app.backend.removeAgent(id);
      app.audit(req, { action: 'agent.remove', target: { agent: id.toString() }, before: before ? agentJson(before) : null, after: null });
      return reply.code(204).send(null);
    },
  );
};
export default agents;
